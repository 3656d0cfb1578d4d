/*
 * fuzz_dotenv.c - the .env and env_file: parser with interpolation
 * (manifest_envfile_parse_vars): ${VAR}, defaults, errors and the keys set
 * earlier in the file, under a few variables given as the process
 * environment would.
 */
#include "deployctl/manifest.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct errlist errs;
	struct kvv given = { 0 }, out = { 0 };

	errlist_init(&errs);
	kvv_set(&given, "HOME", "/root");
	kvv_set(&given, "TAG", "1.0");
	kvv_set(&given, "EMPTY", "");
	manifest_envfile_parse_vars(&out, ".env", (const char *)data, size, &given, &errs);
	kvv_free(&out);
	kvv_free(&given);
	return 0;
}
