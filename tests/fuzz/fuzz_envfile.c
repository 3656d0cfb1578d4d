/*
 * fuzz_envfile.c - the env-file parser (--env-file files and env_file:
 * contents): quotes, export, comments, line limits.
 */
#include "deployctl/manifest.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvv out = { 0 };
	static struct errlist errs;

	errlist_init(&errs);
	manifest_envfile_parse(&out, "fuzz.env", (const char *)data, size, &errs);
	kvv_free(&out);
	return 0;
}
