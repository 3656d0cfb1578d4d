/*
 * fuzz_spec.c - the canonical spec parser: release snapshots are read back
 * from the state database with it (rollback, show), so a damaged or hostile
 * row must be an error, never a crash. And the spec's text writer
 * (spec_dump.c): for any JSON tree, the bytes jansson's sorted compact
 * dump gives, since every recorded spec hash was made with those.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/spec.h"
#include "fuzz.h"
#include "spec_internal.h"

static void check_dump(const char *json)
{
	json_t *o = json_loads(json, 0, NULL);
	char *ours = o ? spec_json_dumps(o) : NULL;
	char *theirs = o ? json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT) : NULL;

	if (!ours != !theirs || (ours && strcmp(ours, theirs)))
		abort(); /* a spec hash would change */
	free(ours);
	free(theirs);
	json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct service s;
	struct err err = ERR_INIT;
	char *json = fuzz_string(data, size), *reasons = NULL;

	if (!json)
		return 0;
	memset(&s, 0, sizeof(s));
	check_dump(json);
	if (spec_parse(&s, json, &err) == 0)
		model_service_release(&s);
	err_clear(&err);
	if (spec_reasons(&reasons, json, "{\"image\":\"a\",\"env\":{\"A\":\"1\"}}", &err) == 0)
		free(reasons);
	free(json);
	return 0;
}
