/*
 * fuzz_interpolate.c - Compose interpolation and the small string parsers
 * every manifest value goes through: ${VAR...} forms, shell splitting of
 * command strings, durations and sizes.
 */
#include "deployctl/manifest.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvv vars = { 0 };
	struct strv words = { 0 };
	char msg[256], *s = fuzz_string(data, size), *out = NULL;
	int64_t v;

	if (!s)
		return 0;
	kvv_set(&vars, "A", "1");
	kvv_set(&vars, "EMPTY", "");
	kvv_set(&vars, "NESTED", "${A}");
	manifest_interpolate(&out, s, &vars, msg, sizeof(msg));
	free(out);
	manifest_shell_split(&words, s, msg, sizeof(msg));
	strv_free(&words);
	manifest_parse_duration(&v, s);
	manifest_parse_bytes(&v, s);
	kvv_free(&vars);
	free(s);
	return 0;
}
