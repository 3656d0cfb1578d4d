/*
 * store_util.c - the small helpers every file of the store module shares:
 * timestamps, SQLite errors as struct err, preparing, binding and stepping
 * statements, copying columns, growing row arrays, a release's project,
 * and write transactions that nest (BEGIN IMMEDIATE or a SAVEPOINT).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/statedir.h"
#include "deployctl/store.h"
#include "store_internal.h"

void store_now(char out[STORE_TIME_SIZE])
{
	time_t now = time(NULL);
	struct tm tm;

	if (!gmtime_r(&now, &tm) || !strftime(out, STORE_TIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, STORE_TIME_SIZE, "1970-01-01T00:00:00Z");
}

void store_now_ms(char out[STORE_TIME_SIZE])
{
	struct timespec ts;
	struct tm tm;
	char sec[STORE_TIME_SIZE];

	clock_gettime(CLOCK_REALTIME, &ts);
	if (!gmtime_r(&ts.tv_sec, &tm) || !strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(sec, sizeof(sec), "1970-01-01T00:00:00");
	snprintf(out, STORE_TIME_SIZE, "%.19s.%03dZ", sec, (int)(ts.tv_nsec / 1000000) % 1000);
}

int store_fail(struct store *s, struct err *err, const char *what)
{
	return err_set(err, ERR_STORE, "%s: %s", what, s && s->db ? sqlite3_errmsg(s->db) : "?");
}

int store_exec(struct store *s, const char *sql, struct err *err)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return err_set(err, ERR_STORE, "database '%s': %s", s->path, sqlite3_errmsg(s->db));
	return 0;
}

int store_prepare(sqlite3_stmt **out, struct store *s, const char *sql, struct err *err)
{
	*out = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, out, NULL) != SQLITE_OK) {
		sqlite3_finalize(*out);
		*out = NULL;
		return err_set(err, ERR_STORE, "database '%s': %s", s->path, sqlite3_errmsg(s->db));
	}
	return 0;
}

int store_bind_text(sqlite3_stmt *st, int idx, const char *str)
{
	if (!str)
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_text(st, idx, str, -1, SQLITE_TRANSIENT);
}

int store_column_dup(char **out, sqlite3_stmt *st, int col)
{
	const unsigned char *text;

	*out = NULL;
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return 0;
	text = sqlite3_column_text(st, col);
	if (!text)
		return ERR_NOMEM;
	*out = strdup((const char *)text);
	return *out ? 0 : ERR_NOMEM;
}

int store_step_done(sqlite3_stmt *st, struct store *s, const char *what, struct err *err)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, err, what);
	return 0;
}

int store_grow(void **v, size_t *alloc, size_t len, size_t elem)
{
	void *nv;
	size_t na;

	if (len < *alloc)
		return 0;
	na = *alloc ? *alloc * 2 : 16;
	nv = realloc(*v, na * elem);
	if (!nv)
		return ERR_NOMEM;
	memset((char *)nv + *alloc * elem, 0, (na - *alloc) * elem);
	*v = nv;
	*alloc = na;
	return 0;
}

int store_release_project(char **out, struct store *s, int64_t release, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	rc = store_prepare(&st, s, "SELECT project FROM releases WHERE id = ?1", err);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, release);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		rc = err_set(err, ERR_NOTFOUND, "no release %lld", (long long)release);
	else if (step != SQLITE_ROW)
		rc = store_fail(s, err, "cannot read release");
	else if (store_column_dup(out, st, 0) || !*out)
		rc = err_set(err, ERR_NOMEM, "out of memory reading release");
out:
	sqlite3_finalize(st);
	return rc;
}

int store_tx_begin(struct store_tx *tx, struct store *s, struct err *err)
{
	int rc;

	tx->nested = !sqlite3_get_autocommit(s->db);
	tx->open = false;
	rc = store_exec(s, tx->nested ? "SAVEPOINT deployctl_tx" : "BEGIN IMMEDIATE", err);
	if (!rc)
		tx->open = true;
	return rc;
}

int store_tx_commit(struct store_tx *tx, struct store *s, struct err *err)
{
	int rc;

	if (!tx->open)
		return 0;
	rc = store_exec(s, tx->nested ? "RELEASE deployctl_tx" : "COMMIT", err);
	if (rc) {
		store_tx_rollback(tx, s);
		return rc;
	}
	tx->open = false;
	return 0;
}

void store_tx_rollback(struct store_tx *tx, struct store *s)
{
	if (!tx->open)
		return;
	tx->open = false;
	if (tx->nested) {
		sqlite3_exec(s->db, "ROLLBACK TO deployctl_tx; RELEASE deployctl_tx", NULL, NULL,
		             NULL);
		return;
	}
	/* A failed COMMIT may already have ended the transaction. */
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}
