/*
 * fuzz_spec.c - the canonical spec parser: release snapshots are read back
 * from the state database with it (rollback, show), so a damaged or hostile
 * row must be an error, never a crash.
 */
#include "deployctl/spec.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct service s;
	struct err err = ERR_INIT;
	char *json = fuzz_string(data, size), *reasons = NULL;

	if (!json)
		return 0;
	memset(&s, 0, sizeof(s));
	if (spec_parse(&s, json, &err) == 0)
		model_service_release(&s);
	err_clear(&err);
	if (spec_reasons(&reasons, json, "{\"image\":\"a\",\"env\":{\"A\":\"1\"}}", &err) == 0)
		free(reasons);
	free(json);
	return 0;
}
