/*
 * fuzz_merge.c - Compose merging: the input is split at each "\n---8<---\n"
 * into up to three project files (compose.yaml, compose.override.yaml, a
 * third -f file) merged in order, as `-f a -f b -f c` would be: Compose's
 * merge rules per key, !reset and !override, then the model and its checks.
 */
#include "deployctl/manifest.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n---8<---\n";
	const char *names[3] = { "compose.yaml", "compose.override.yaml", "extra.yaml" };
	const char *texts[3];
	struct manifest_vars vars;
	struct manifest_opts opts = { .dir = "", .merge = true, .default_name = "fuzz" };
	static struct errlist errs, warns;
	struct project *p = NULL;
	char *s = fuzz_string(data, size), *cut;
	size_t n = 1;

	if (!s)
		return 0;
	errlist_init(&errs);
	errlist_init(&warns);
	manifest_vars_init(&vars);
	kvv_set(&vars.vars, "TAG", "1.0");
	opts.vars = &vars;
	texts[0] = s;
	while (n < 3 && (cut = strstr(texts[n - 1], sep))) {
		*cut = '\0';
		texts[n++] = cut + sizeof(sep) - 1;
	}
	manifest_load_texts(&p, names, texts, n, NULL, &opts, &errs, &warns);
	model_project_free(p);
	manifest_vars_release(&vars);
	free(s);
	return 0;
}
