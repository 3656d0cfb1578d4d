/*
 * store_pins.c - pins and tags (schema 2): a project pinned to a release
 * (set, read, list, clear), and tag names given to releases (valid names,
 * one holder per name in a project, listing a project's or a release's).
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

/* Columns read by store_pin_row(), in order. */
#define STORE_PIN_COLUMNS "project, release_id, commit_sha, who, reason, pinned_at"

static int store_pin_row(struct store_pin *p, sqlite3_stmt *st)
{
	memset(p, 0, sizeof(*p));
	p->release_id = sqlite3_column_int64(st, 1);
	if (store_column_dup(&p->project, st, 0) || store_column_dup(&p->commit, st, 2) ||
	    store_column_dup(&p->who, st, 3) || store_column_dup(&p->reason, st, 4) ||
	    store_column_dup(&p->pinned_at, st, 5)) {
		store_pin_release(p);
		return ERR_NOMEM;
	}
	return 0;
}

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
	else if (store_pin_row(out, st))
		rc = err_set(err, ERR_NOMEM, "out of memory reading pin");
out:
	sqlite3_finalize(st);
	return rc;
}

int store_pin_list(struct store_pin **out, size_t *n, struct store *s, struct err *err)
{
	static const char sql[] = "SELECT " STORE_PIN_COLUMNS " FROM pins ORDER BY project";
	sqlite3_stmt *st = NULL;
	struct store_pin *v = NULL;
	size_t len = 0, alloc = 0;
	int rc, step;

	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (store_grow((void **)&v, &alloc, len, sizeof(*v)) ||
		    store_pin_row(&v[len], st)) {
			rc = err_set(err, ERR_NOMEM, "out of memory reading pins");
			goto out;
		}
		len++;
	}
	if (step != SQLITE_DONE) {
		rc = store_fail(s, err, "cannot read pins");
		goto out;
	}
	*out = v;
	*n = len;
	v = NULL;
	len = 0;
out:
	store_pin_list_free(v, len);
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

void store_tag_rows_free(struct store_tag_row *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].project);
		free(v[i].name);
		free(v[i].created_at);
	}
	free(v);
}

/* Tag rows from sql, which selects release_id, project, name, created_at. */
static int store_tag_rows(struct store_tag_row **out, size_t *n, sqlite3_stmt *st, struct store *s,
                          struct err *err)
{
	struct store_tag_row *v = NULL, *r;
	size_t len = 0, alloc = 0;
	int step;

	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (store_grow((void **)&v, &alloc, len, sizeof(*v)))
			goto nomem;
		r = &v[len++];
		r->release_id = sqlite3_column_int64(st, 0);
		if (store_column_dup(&r->project, st, 1) || store_column_dup(&r->name, st, 2) ||
		    store_column_dup(&r->created_at, st, 3))
			goto nomem;
	}
	if (step != SQLITE_DONE) {
		store_tag_rows_free(v, len);
		return store_fail(s, err, "cannot read tags");
	}
	*out = v;
	*n = len;
	return 0;
nomem:
	store_tag_rows_free(v, len);
	return err_set(err, ERR_NOMEM, "out of memory reading tags");
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
	rc = store_tag_rows(out, n, st, s, err);
	sqlite3_finalize(st);
	return rc;
}

int store_release_tags(struct store_tag_row **out, size_t *n, struct store *s, int64_t release,
                       struct err *err)
{
	static const char sql[] = "SELECT release_id, project, name, created_at FROM release_tags"
	                          " WHERE release_id = ?1 ORDER BY name";
	sqlite3_stmt *st = NULL;
	int rc;

	rc = store_prepare(&st, s, sql, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, release);
	rc = store_tag_rows(out, n, st, s, err);
	sqlite3_finalize(st);
	return rc;
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
