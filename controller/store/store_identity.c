/*
 * store_identity.c - who this state database is (schema 8): the random id
 * its containers carry as io.deployctl.owner, with the host and state path
 * that name it in another database's refusal; and whether a container made
 * before owner labels existed was made by one of this database's releases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

void store_identity_release(struct store_identity *id)
{
	if (!id)
		return;
	free(id->id);
	free(id->host);
	free(id->path);
	free(id->created_at);
	memset(id, 0, sizeof(*id));
}

int store_identity_get(struct store_identity *out, struct store *s, struct err *err)
{
	struct store_identity id = { 0 };
	sqlite3_stmt *st = NULL;
	int rc, step;

	rc = store_prepare(&st, s, "SELECT id, host, path, created_at FROM state_identity", err);
	if (rc)
		goto out;
	step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		rc = err_set(err, ERR_STORE, "database '%s' has no state identity", s->path);
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = store_fail(s, err, "cannot read the state identity");
		goto out;
	}
	if (store_column_dup(&id.id, st, 0) || store_column_dup(&id.host, st, 1) ||
	    store_column_dup(&id.path, st, 2) || store_column_dup(&id.created_at, st, 3) ||
	    !id.id || !id.host || !id.path) {
		rc = err_set(err, ERR_NOMEM, "out of memory reading the state identity");
		goto out;
	}
	*out = id;
	memset(&id, 0, sizeof(id));
out:
	store_identity_release(&id);
	sqlite3_finalize(st);
	return rc;
}

int store_identity_place(struct store *s, const char *host, const char *path, struct err *err)
{
	static const char sql[] = "UPDATE state_identity SET"
	                          " host = CASE WHEN host = '' THEN ?1 ELSE host END,"
	                          " path = CASE WHEN path = '' THEN ?2 ELSE path END"
	                          " WHERE host = '' OR path = ''";
	struct store_identity now = { 0 };
	sqlite3_stmt *st = NULL;
	bool placed;
	int rc;

	/* Named already (every open but the first): no write, so a read-only open works. */
	rc = store_identity_get(&now, s, err);
	placed = rc == 0 && *now.host && *now.path;
	store_identity_release(&now);
	if (rc || placed)
		return rc;
	rc = store_prepare(&st, s, sql, err);
	if (rc)
		return rc;
	store_bind_text(st, 1, host ? host : "");
	store_bind_text(st, 2, path ? path : "");
	rc = store_step_done(st, s, "cannot record the state identity", err);
	sqlite3_finalize(st);
	return rc;
}

int store_release_made(bool *out, struct store *s, const char *project, int64_t release,
                       const char *service, int64_t created, struct err *err)
{
	/*
	 * The release of that number is this project's, has the service in its
	 * snapshot, and ran when the container was created (a minute of
	 * slack: whole-second times, a slow create).
	 */
	static const char sql[] =
	        "SELECT 1 FROM releases r JOIN release_services v ON v.release_id = r.id"
	        " WHERE r.id = ?1 AND r.project = ?2 AND v.service = ?3"
	        " AND ?4 >= CAST(strftime('%s', r.started_at) AS INTEGER) - 60"
	        " AND (r.finished_at IS NULL"
	        "      OR ?4 <= CAST(strftime('%s', r.finished_at) AS INTEGER) + 60)";
	sqlite3_stmt *st = NULL;
	int rc, step;

	*out = false;
	if (!project || !service || release <= 0)
		return 0;
	rc = store_prepare(&st, s, sql, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, release);
	store_bind_text(st, 2, project);
	store_bind_text(st, 3, service);
	sqlite3_bind_int64(st, 4, created);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		*out = true;
	else if (step != SQLITE_DONE)
		rc = store_fail(s, err, "cannot look up the release of a container");
	sqlite3_finalize(st);
	return rc;
}
