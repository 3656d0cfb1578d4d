/*
 * manifest_fuzz.h - what the manifest loader's fuzz targets share: one input
 * split at each "\n---8<---\n" into up to max files, loaded as one project
 * with a few variables set. Only fuzz_manifest.c and fuzz_merge.c include it.
 */
#ifndef DEPLOYCTL_MANIFEST_FUZZ_H
#define DEPLOYCTL_MANIFEST_FUZZ_H

#include "deployctl/manifest.h"
#include "fuzz.h"

/*
 * Load data as names[0..max-1]: the n-th cut ends file n, the last file
 * keeps the rest, cuts and all. vars is NULL-terminated name, value pairs.
 */
static inline void fuzz_load_split(const uint8_t *data, size_t size, const char *const *names,
                                   size_t max, struct manifest_opts *opts, const char *const *vars)
{
	static const char sep[] = "\n---8<---\n";
	const char *texts[4];
	struct manifest_vars mv;
	static struct errlist errs, warns;
	struct project *p = NULL;
	char *s = fuzz_string(data, size), *cut;
	size_t n = 1;

	if (!s)
		return;
	errlist_init(&errs);
	errlist_init(&warns);
	manifest_vars_init(&mv);
	for (; vars[0]; vars += 2)
		kvv_set(&mv.vars, vars[0], vars[1]);
	opts->vars = &mv;
	texts[0] = s;
	while (n < max && n < sizeof(texts) / sizeof(texts[0]) &&
	       (cut = strstr(texts[n - 1], sep))) {
		*cut = '\0';
		texts[n++] = cut + sizeof(sep) - 1;
	}
	manifest_load_texts(&p, names, texts, n, NULL, opts, &errs, &warns);
	model_project_free(p);
	manifest_vars_release(&mv);
	free(s);
}

#endif
