/*
 * fuzz_manifest.c - manifest parse + merge + validate: the input is split at
 * the first "\n---8<---\n" into two manifest files, loaded as one project
 * (YAML parsing, anchors and aliases, merging across files, interpolation,
 * every key reader, extends, the cross-reference checks).
 */
#include "manifest_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "manifests/a.yml", "manifests/b.yml" };
	static const char *const vars[] = { "TAG", "1.0", "DB_PASSWORD", "hunter2", NULL };
	struct manifest_opts opts = { .dir = "manifests" };

	fuzz_load_split(data, size, names, 2, &opts, vars);
	return 0;
}
