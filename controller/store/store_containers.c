/*
 * store_containers.c - the containers a rollout created, renamed, stopped,
 * kept or removed (table release_containers), each written the moment it
 * happened, so the release record, the automatic rollback and `show`
 * describe what is really in Docker even when the apply dies half way.
 */
#include <stdlib.h>
#include <string.h>

#include "deployctl/store.h"
#include "store_internal.h"

int store_release_container_add(struct store *s, int64_t release,
                                const struct store_container_event *e, struct err *err)
{
	static const char sql[] =
	        "INSERT INTO release_containers (release_id, seq, action_seq, container_id, name,"
	        " event, detail, at) VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM"
	        " release_containers WHERE release_id = ?1), ?2, ?3, ?4, ?5, ?6, ?7)";
	sqlite3_stmt *st = NULL;
	char now[STORE_TIME_SIZE];
	int rc;

	store_now(now);
	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, release);
	sqlite3_bind_int64(st, 2, e->action_seq);
	if (store_bind_text(st, 3, e->container_id) != SQLITE_OK ||
	    store_bind_text(st, 4, e->name) != SQLITE_OK ||
	    store_bind_text(st, 5, e->event) != SQLITE_OK ||
	    store_bind_text(st, 6, e->detail) != SQLITE_OK ||
	    store_bind_text(st, 7, now) != SQLITE_OK) {
		rc = store_fail(s, err, "cannot record container");
		goto out;
	}
	rc = store_step_done(st, s, "cannot record container", err);
out:
	sqlite3_finalize(st);
	return rc;
}

void store_container_rows_free(struct store_container_row *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].container_id);
		free(v[i].name);
		free(v[i].event);
		free(v[i].detail);
		free(v[i].at);
	}
	free(v);
}

int store_release_containers(struct store_container_row **out, size_t *n, struct store *s,
                             int64_t release, struct err *err)
{
	static const char sql[] = "SELECT seq, action_seq, container_id, name, event, detail, at"
	                          " FROM release_containers WHERE release_id = ?1 ORDER BY seq";
	sqlite3_stmt *st = NULL;
	struct store_container_row *v = NULL, *r;
	size_t len = 0, alloc = 0;
	int rc, step;

	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, release);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (store_grow((void **)&v, &alloc, len, sizeof(*v)))
			goto nomem;
		r = &v[len++];
		r->seq = (unsigned)sqlite3_column_int64(st, 0);
		r->action_seq = (unsigned)sqlite3_column_int64(st, 1);
		if (store_column_dup(&r->container_id, st, 2) ||
		    store_column_dup(&r->name, st, 3) || store_column_dup(&r->event, st, 4) ||
		    store_column_dup(&r->detail, st, 5) || store_column_dup(&r->at, st, 6))
			goto nomem;
	}
	if (step != SQLITE_DONE) {
		rc = store_fail(s, err, "cannot read containers");
		goto out;
	}
	*out = v;
	*n = len;
	v = NULL;
	len = 0;
	goto out;
nomem:
	rc = err_set(err, ERR_NOMEM, "out of memory reading containers");
out:
	store_container_rows_free(v, len);
	sqlite3_finalize(st);
	return rc;
}
