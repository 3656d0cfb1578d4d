/*
 * fuzz_manifest.c - manifest parse + merge + validate: the input is split at
 * the first "\n---8<---\n" into two manifest files, loaded as one project
 * (YAML parsing, anchors and aliases, merging across files, interpolation,
 * every key reader, extends, the cross-reference checks).
 */
#include "deployctl/manifest.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n---8<---\n";
	const char *names[2] = { "manifests/a.yml", "manifests/b.yml" };
	const char *texts[2];
	struct manifest_vars vars;
	struct manifest_opts opts = { .dir = "manifests" };
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
	kvv_set(&vars.vars, "DB_PASSWORD", "hunter2");
	opts.vars = &vars;
	texts[0] = s;
	if ((cut = strstr(s, sep))) {
		*cut = '\0';
		texts[1] = cut + sizeof(sep) - 1;
		n = 2;
	}
	manifest_load_texts(&p, names, texts, n, NULL, &opts, &errs, &warns);
	model_project_free(p);
	manifest_vars_release(&vars);
	free(s);
	return 0;
}
