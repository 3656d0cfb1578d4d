/*
 * store_pins.c - pins and tags (schema 2): a project pinned to a release
 * (set, read, list, clear), and tag names given to releases (valid names,
 * one holder per name in a project, listing a project's or a release's).
 * They are about projects and names, not about writing a release.
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

void store_pin_release(struct store_pin *p)
{
	if (!p)
		return;
	free(p->project);
	free(p->commit);
	free(p->who);
	free(p->reason);
	free(p->pinned_at);
	memset(p, 0, sizeof(*p));
}

void store_pin_list_free(struct store_pin *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		store_pin_release(&v[i]);
	free(v);
}

/* Columns of pin_cols, in order. */
#define STORE_PIN_COLUMNS "project, release_id, commit_sha, who, reason, pinned_at"

static const struct store_col pin_cols[] = {
	STORE_COL(TEXT, struct store_pin, project), STORE_COL(INT64, struct store_pin, release_id),
	STORE_COL(TEXT, struct store_pin, commit),  STORE_COL(TEXT, struct store_pin, who),
	STORE_COL(TEXT, struct store_pin, reason),  STORE_COL(TEXT, struct store_pin, pinned_at),
};
static const struct store_row_desc pin_rows = {
	sizeof(struct store_pin),     pin_cols, STORE_NCOLS(pin_cols), "cannot read pins",
	"out of memory reading pins",
};

int store_pin_set(struct store *s, const char *project, int64_t release, const char *commit,
                  const char *who, const char *reason, struct err *err)
{
	static const char sql[] =
	        "INSERT OR REPLACE INTO pins (project, release_id, commit_sha, who, reason,"
	        " pinned_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	sqlite3_stmt *st = NULL;
	struct store_tx tx = { 0 };
	char now[STORE_TIME_SIZE], msg[512];
	char *owner = NULL;
	int rc;

	if (!project)
		return err_set(err, ERR_INVALID, "a pin needs a project");
	if (!who || !*who)
		who = "unknown";
	rc = store_tx_begin(&tx, s, err);
	if (rc)
		return rc;
	rc = store_release_project(&owner, s, release, err);
	if (rc)
		goto out;
	if (strcmp(owner, project)) {
		rc = err_set(err, ERR_INVALID, "release %lld belongs to project '%s', not '%s'",
		             (long long)release, owner, project);
		goto out;
	}
	store_now(now);
	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	store_bind_text(st, 1, project);
	sqlite3_bind_int64(st, 2, release);
	store_bind_text(st, 3, commit);
	store_bind_text(st, 4, who);
	store_bind_text(st, 5, reason);
	store_bind_text(st, 6, now);
	rc = store_step_done(st, s, "cannot record pin", err);
	if (rc)
		goto out;
	snprintf(msg, sizeof(msg), "pinned to release %lld by %s%s%s%s%s%s", (long long)release,
	         who, reason ? ": " : "", reason ? reason : "", commit ? "; commit " : "",
	         commit ? commit : "", commit ? " quarantined" : "");
	rc = store_event_add(s, project, "pinned", msg, err);
	if (!rc)
		rc = store_tx_commit(&tx, s, err);
out:
	sqlite3_finalize(st);
	store_tx_rollback(&tx, s);
	free(owner);
	return rc;
}

int store_pin_get(struct store_pin *out, struct store *s, const char *project, struct err *err)
{
	static const char sql[] = "SELECT " STORE_PIN_COLUMNS " FROM pins WHERE project = ?1";
	sqlite3_stmt *st = NULL;
	int rc, step;

	if (!project)
		return err_set(err, ERR_INVALID, "no project to read the pin of");
	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	store_bind_text(st, 1, project);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		rc = err_set(err, ERR_NOTFOUND, "project '%s' is not pinned", project);
	else if (step != SQLITE_ROW)
		rc = store_fail(s, err, "cannot read pin");
	else if (store_row_fill(out, st, &pin_rows))
		rc = err_set(err, ERR_NOMEM, "out of memory reading pin");
out:
	sqlite3_finalize(st);
	return rc;
}

int store_pin_list(struct store_pin **out, size_t *n, struct store *s, struct err *err)
{
	static const char sql[] = "SELECT " STORE_PIN_COLUMNS " FROM pins ORDER BY project";
	sqlite3_stmt *st = NULL;
	int rc;

	rc = store_prepare(&st, s, sql, err);
	if (!rc)
		rc = store_rows_read((void **)out, n, s, st, &pin_rows, err);
	sqlite3_finalize(st);
	return rc;
}

int store_pin_clear(struct store *s, const char *project, struct err *err)
{
	sqlite3_stmt *st = NULL;
	struct store_pin pin = { 0 };
	struct store_tx tx = { 0 };
	char msg[512];
	int rc;

	rc = store_tx_begin(&tx, s, err);
	if (rc)
		return rc;
	rc = store_pin_get(&pin, s, project, err);
	if (rc)
		goto out;
	rc = store_prepare(&st, s, "DELETE FROM pins WHERE project = ?1", err);
	if (rc)
		goto out;
	store_bind_text(st, 1, project);
	rc = store_step_done(st, s, "cannot remove pin", err);
	if (rc)
		goto out;
	snprintf(msg, sizeof(msg), "unpinned: was pinned to release %lld by %s at %s%s%s",
	         (long long)pin.release_id, pin.who, pin.pinned_at,
	         pin.commit ? "; commit no longer quarantined: " : "",
	         pin.commit ? pin.commit : "");
	rc = store_event_add(s, project, "unpinned", msg, err);
	if (!rc)
		rc = store_tx_commit(&tx, s, err);
out:
	sqlite3_finalize(st);
	store_tx_rollback(&tx, s);
	store_pin_release(&pin);
	return rc;
}

bool store_tag_name_valid(const char *name)
{
	size_t i;

	if (!name || !*name)
		return false;
	for (i = 0; name[i]; i++) {
		char c = name[i];

		if (i >= STORE_TAG_MAX)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* The release holding tag name in project into *id_out; 0 if none. */
static int store_tag_holder(int64_t *id_out, struct store *s, const char *project, const char *name,
                            struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	*id_out = 0;
	rc = store_prepare(&st, s,
	                   "SELECT release_id FROM release_tags WHERE project = ?1 AND name = ?2",
	                   err);
	if (rc)
		goto out;
	store_bind_text(st, 1, project);
	store_bind_text(st, 2, name);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		*id_out = sqlite3_column_int64(st, 0);
	else if (step != SQLITE_DONE)
		rc = store_fail(s, err, "cannot read tags");
out:
	sqlite3_finalize(st);
	return rc;
}

int store_tag_add(struct store *s, int64_t release, const char *name, struct err *err)
{
	static const char sql[] = "INSERT INTO release_tags (release_id, project, name, created_at)"
	                          " VALUES (?1, ?2, ?3, ?4)";
	sqlite3_stmt *st = NULL;
	struct store_tx tx = { 0 };
	char now[STORE_TIME_SIZE];
	char *project = NULL;
	int64_t holder;
	int rc;

	if (!store_tag_name_valid(name))
		return err_set(err, ERR_INVALID,
		               "bad tag name '%.64s': use 1 to %d of A-Z a-z 0-9 . _ -",
		               name ? name : "", STORE_TAG_MAX);
	rc = store_tx_begin(&tx, s, err);
	if (rc)
		return rc;
	rc = store_release_project(&project, s, release, err);
	if (!rc)
		rc = store_tag_holder(&holder, s, project, name, err);
	if (rc)
		goto out;
	if (holder) {
		rc = err_set(err, ERR_INVALID,
		             "tag '%s' already names release %lld of project '%s'", name,
		             (long long)holder, project);
		goto out;
	}
	store_now(now);
	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, release);
	store_bind_text(st, 2, project);
	store_bind_text(st, 3, name);
	store_bind_text(st, 4, now);
	rc = store_step_done(st, s, "cannot record tag", err);
	if (!rc)
		rc = store_tx_commit(&tx, s, err);
out:
	sqlite3_finalize(st);
	store_tx_rollback(&tx, s);
	free(project);
	return rc;
}

/* Tag rows: release_id, project, name, created_at. */
static const struct store_col tag_cols[] = {
	STORE_COL(INT64, struct store_tag_row, release_id),
	STORE_COL(TEXT, struct store_tag_row, project),
	STORE_COL(TEXT, struct store_tag_row, name),
	STORE_COL(TEXT, struct store_tag_row, created_at),
};
static const struct store_row_desc tag_rows = {
	sizeof(struct store_tag_row), tag_cols, STORE_NCOLS(tag_cols), "cannot read tags",
	"out of memory reading tags",
};

void store_tag_rows_free(struct store_tag_row *v, size_t n)
{
	store_rows_free(v, n, &tag_rows);
}

int store_tag_list(struct store_tag_row **out, size_t *n, struct store *s, const char *project,
                   struct err *err)
{
	static const char sql[] = "SELECT release_id, project, name, created_at FROM release_tags"
	                          " WHERE ?1 IS NULL OR project = ?1"
	                          " ORDER BY project, release_id, name";
	sqlite3_stmt *st = NULL;
	int rc;

	rc = store_prepare(&st, s, sql, err);
	if (rc)
		return rc;
	store_bind_text(st, 1, project);
	rc = store_rows_read((void **)out, n, s, st, &tag_rows, err);
	sqlite3_finalize(st);
	return rc;
}

int store_release_tags(struct store_tag_row **out, size_t *n, struct store *s, int64_t release,
                       struct err *err)
{
	static const char sql[] = "SELECT release_id, project, name, created_at FROM release_tags"
	                          " WHERE release_id = ?1 ORDER BY name";

	return store_rows_by_release((void **)out, n, s, sql, release, &tag_rows, err);
}

int store_release_tagged(bool *out, struct store *s, int64_t release, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	rc = store_prepare(&st, s, "SELECT 1 FROM release_tags WHERE release_id = ?1 LIMIT 1", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, release);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW || step == SQLITE_DONE)
		*out = step == SQLITE_ROW;
	else
		rc = store_fail(s, err, "cannot read tags");
	sqlite3_finalize(st);
	return rc;
}
