/*
 * store_interrupted.c - the events table and interrupted releases: a release
 * still marked running when no deployctl holds the lock is marked
 * 'interrupted', with what its actions tell of how far it got, and an event
 * says so.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deployctl/hash.h"
#include "deployctl/model_secret.h"
#include "deployctl/store.h"
#include "store_internal.h"

int store_event_add(struct store *s, const char *project, const char *kind, const char *message,
                    struct err *err)
{
	static const char sql[] =
	        "INSERT INTO events (at, project, kind, message) VALUES (?1, ?2, ?3, ?4)";
	sqlite3_stmt *st = NULL;
	char now[STORE_TIME_SIZE];
	int rc;

	store_now(now);
	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	store_bind_text(st, 1, now);
	store_bind_text(st, 2, project);
	store_bind_text(st, 3, kind);
	store_bind_text(st, 4, message ? message : "");
	rc = store_step_done(st, s, "cannot record event", err);
out:
	sqlite3_finalize(st);
	return rc;
}

/* A release found running, and what is known of it. */
struct store_running {
	int64_t id;
	long pid;
	char *project, *host, *started_at;
	unsigned actions, planned; /* rows in release_actions; of them still 'planned' */
};

static const struct store_col running_cols[] = {
	STORE_COL(INT64, struct store_running, id),
	STORE_COL(LONG, struct store_running, pid),
	STORE_COL(TEXT, struct store_running, project),
	STORE_COL(TEXT, struct store_running, host),
	STORE_COL(TEXT, struct store_running, started_at),
	STORE_COL(UINT, struct store_running, actions),
	STORE_COL(UINT, struct store_running, planned),
};
static const struct store_row_desc running_rows = {
	sizeof(struct store_running),   running_cols,    STORE_NCOLS(running_cols),
	"cannot read running releases", "out of memory",
};

/* Every release still marked running, oldest first. */
static int store_find_running(struct store_running **out, size_t *n, struct store *s,
                              struct err *err)
{
	static const char sql[] =
	        "SELECT id, pid, project, host, started_at,"
	        " (SELECT count(*) FROM release_actions a WHERE a.release_id = r.id),"
	        " (SELECT count(*) FROM release_actions a WHERE a.release_id = r.id"
	        "  AND a.outcome = 'planned')"
	        " FROM releases r WHERE status = 'running' ORDER BY id";
	sqlite3_stmt *st = NULL;
	int rc;

	rc = store_prepare(&st, s, sql, err);
	if (!rc)
		rc = store_rows_read((void **)out, n, s, st, &running_rows, err);
	sqlite3_finalize(st);
	return rc;
}

/* What is known of an interrupted release, into msg. */
static void store_interrupted_msg(char *msg, size_t size, const struct store_running *r,
                                  const char *known)
{
	char actions[128];

	if (!r->actions)
		snprintf(actions, sizeof(actions), "no action was recorded");
	else if (r->planned == r->actions)
		snprintf(actions, sizeof(actions), "%u planned action(s), outcomes unknown",
		         r->planned);
	else
		snprintf(actions, sizeof(actions), "%u action(s), %u of them with no outcome",
		         r->actions, r->planned);
	snprintf(msg, size,
	         "interrupted: deployctl (pid %ld on %s, started %s) stopped before recording "
	         "an outcome; %s%s%s",
	         r->pid, r->host ? r->host : "?", r->started_at ? r->started_at : "?", actions,
	         known && *known ? "; " : "", known ? known : "");
}

int store_mark_interrupted(unsigned *n_out, struct store *s, const char *known, struct err *err)
{
	static const char sql[] = "UPDATE releases SET status = 'interrupted', finished_at = ?2,"
	                          " message = ?3 WHERE id = ?1 AND status = 'running'";
	sqlite3_stmt *st = NULL;
	struct store_running *v = NULL;
	struct store_tx tx = { 0 };
	char now[STORE_TIME_SIZE], msg[1024], ev[1100];
	size_t n = 0, i;
	unsigned marked = 0;
	int rc;

	rc = store_tx_begin(&tx, s, err);
	if (rc)
		return rc;
	rc = store_find_running(&v, &n, s, err);
	if (rc)
		goto out;
	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	store_now_ms(now);
	for (i = 0; i < n; i++) {
		store_interrupted_msg(msg, sizeof(msg), &v[i], known);
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, v[i].id);
		store_bind_text(st, 2, now);
		store_bind_text(st, 3, msg);
		rc = store_step_done(st, s, "cannot mark release interrupted", err);
		if (rc)
			goto out;
		marked += (unsigned)sqlite3_changes(s->db);
		snprintf(ev, sizeof(ev), "release %lld %s", (long long)v[i].id, msg);
		rc = store_event_add(s, v[i].project, "interrupted", ev, err);
		if (rc)
			goto out;
	}
	rc = store_tx_commit(&tx, s, err);
	if (!rc)
		*n_out = marked;
out:
	sqlite3_finalize(st);
	store_tx_rollback(&tx, s);
	store_rows_free(v, n, &running_rows);
	return rc;
}
