/*
 * store_resources.c - the settings of a release's networks and volumes
 * (release_resources.spec, migration 0015), recorded with the snapshot and
 * read back for a rollback, which creates a missing network as the release
 * had it: its ipam subnets and gateways, driver, flags and labels.
 */
#include <stdlib.h>
#include <string.h>

#include "deployctl/spec_resource.h"
#include "store_internal.h"

static int set_spec(struct store *s, int64_t release, const char *type, const char *key,
                    const char *spec, struct err *err)
{
	const char *const v[] = { type, key, spec };

	return store_write_texts(s,
	                         "UPDATE release_resources SET spec = ?4"
	                         " WHERE release_id = ?1 AND type = ?2 AND key = ?3",
	                         release, v, 3, "cannot record resource settings", err);
}

int store_release_resource_specs_add(struct store *s, int64_t release, const struct project *p,
                                     struct err *err)
{
	const struct project_resource *v;
	char *spec = NULL;
	enum res_kind k;
	size_t i, n;
	int rc = 0;

	for (k = 0; k < RES__COUNT && !rc; k++) {
		v = model_resources(p, k, &n);
		for (i = 0; i < n && !rc; i++) {
			rc = spec_resource_render(&spec, k, &v[i], err);
			if (!rc)
				rc = set_spec(s, release, model_res_noun(k), v[i].name, spec, err);
			free(spec);
			spec = NULL;
		}
	}
	return rc;
}

/* The settings of one recorded resource into p's of the same type and key, if p has it. */
static int load_one(struct project *p, const char *type, const char *key, const char *spec,
                    struct err *err)
{
	int k = model_res_kind(type);
	struct project_resource *r =
	        k < 0 ? NULL : (struct project_resource *)model_res_find(p, k, key);

	return r ? spec_resource_parse(r, k, spec, err) : 0;
}

int store_release_resource_specs_load(struct project *p, struct store *s, int64_t release,
                                      struct err *err)
{
	static const char sql[] = "SELECT type, key, spec FROM release_resources"
	                          " WHERE release_id = ?1 AND spec IS NOT NULL ORDER BY type, key";
	sqlite3_stmt *st = NULL;
	int rc, step = SQLITE_DONE;

	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, release);
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		const char *key = (const char *)sqlite3_column_text(st, 1);
		const char *spec = (const char *)sqlite3_column_text(st, 2);

		if (!type || !key || !spec) {
			rc = err_set(err, ERR_NOMEM, "out of memory reading resources");
			break;
		}
		rc = load_one(p, type, key, spec, err);
	}
	if (!rc && step != SQLITE_DONE)
		rc = store_fail(s, err, "cannot read resource settings");
out:
	sqlite3_finalize(st);
	return rc;
}
