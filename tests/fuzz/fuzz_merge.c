/*
 * fuzz_merge.c - Compose merging: the input is split at each "\n---8<---\n"
 * into up to three project files (compose.yaml, compose.override.yaml, a
 * third -f file) merged in order, as `-f a -f b -f c` would be: Compose's
 * merge rules per key, !reset and !override, then the model and its checks.
 */
#include "manifest_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "compose.yaml", "compose.override.yaml",
		                             "extra.yaml" };
	static const char *const vars[] = { "TAG", "1.0", NULL };
	struct manifest_opts opts = { .dir = "", .merge = true, .default_name = "fuzz" };

	fuzz_load_split(data, size, names, 3, &opts, vars);
	return 0;
}
