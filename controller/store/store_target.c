/*
 * store_target.c - the backend a release deployed to (releases.target,
 * migration 0014): "docker" or "swarm".
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

int store_release_target_set(struct store *s, int64_t release, const char *target, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = store_prepare(&st, s, "UPDATE releases SET target = ?1 WHERE id = ?2", err);
	if (rc)
		return rc;
	if (store_bind_text(st, 1, target) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, release) != SQLITE_OK)
		rc = store_fail(s, err, "record the release's target");
	else
		rc = store_step_done(st, s, "record the release's target", err);
	sqlite3_finalize(st);
	return rc;
}

int store_release_target(char **out, struct store *s, int64_t release, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = store_prepare(&st, s, "SELECT target FROM releases WHERE id = ?1", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, release);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = store_column_dup(out, st, 0) < 0 ? err_set(err, ERR_NOMEM, "out of memory")
		                                      : 0;
	else if (rc == SQLITE_DONE)
		rc = err_set(err, ERR_NOTFOUND, "no release %lld", (long long)release);
	else
		rc = store_fail(s, err, "read the release's target");
	sqlite3_finalize(st);
	return rc;
}
