/*
 * store_jobs.c - the jobs of a release (schema 12): each run's outcome
 * (table release_jobs), written as soon as the job ends, and the release's
 * job definitions (table release_job_specs), written with its snapshot, so
 * that `show` says what ran and `rollback` can run rollback jobs and find
 * irreversible releases without git.
 */
#include <stdlib.h>
#include <string.h>

#include "deployctl/store.h"
#include "store_internal.h"

int store_release_job_add(struct store *s, int64_t release, const struct store_job_run *j,
                          struct err *err)
{
	static const char sql[] =
	        "INSERT INTO release_jobs (release_id, seq, name, phase, status, exit_code,"
	        " duration_s, log_tail, artifact, artifact_volume, irreversible, image, error)"
	        " VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM release_jobs WHERE"
	        " release_id = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
	sqlite3_stmt *st = NULL;
	int rc;

	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, release);
	if (j->exit_code >= 0)
		sqlite3_bind_int(st, 5, j->exit_code);
	sqlite3_bind_double(st, 6, j->duration_s);
	sqlite3_bind_int(st, 10, j->irreversible);
	if (store_bind_text(st, 2, j->name) != SQLITE_OK ||
	    store_bind_text(st, 3, j->phase) != SQLITE_OK ||
	    store_bind_text(st, 4, j->status) != SQLITE_OK ||
	    store_bind_text(st, 7, j->log_tail) != SQLITE_OK ||
	    store_bind_text(st, 8, j->artifact) != SQLITE_OK ||
	    store_bind_text(st, 9, j->artifact_volume) != SQLITE_OK ||
	    store_bind_text(st, 11, j->image) != SQLITE_OK ||
	    store_bind_text(st, 12, j->error) != SQLITE_OK) {
		rc = store_fail(s, err, "cannot record job");
		goto out;
	}
	rc = store_step_done(st, s, "cannot record job", err);
out:
	sqlite3_finalize(st);
	return rc;
}

void store_job_rows_free(struct store_job_row *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].phase);
		free(v[i].status);
		free(v[i].log_tail);
		free(v[i].artifact);
		free(v[i].artifact_volume);
		free(v[i].image);
		free(v[i].error);
	}
	free(v);
}

int store_release_jobs(struct store_job_row **out, size_t *n, struct store *s, int64_t release,
                       struct err *err)
{
	static const char sql[] =
	        "SELECT seq, name, phase, status, exit_code, duration_s, log_tail, artifact,"
	        " artifact_volume, irreversible, image, error FROM release_jobs"
	        " WHERE release_id = ?1 ORDER BY seq";
	sqlite3_stmt *st = NULL;
	struct store_job_row *v = NULL, *r;
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
		r->exit_code = sqlite3_column_type(st, 4) == SQLITE_NULL
		                       ? -1
		                       : (int)sqlite3_column_int(st, 4);
		r->duration_s = sqlite3_column_double(st, 5);
		r->irreversible = sqlite3_column_int(st, 9) != 0;
		if (store_column_dup(&r->name, st, 1) || store_column_dup(&r->phase, st, 2) ||
		    store_column_dup(&r->status, st, 3) || store_column_dup(&r->log_tail, st, 6) ||
		    store_column_dup(&r->artifact, st, 7) ||
		    store_column_dup(&r->artifact_volume, st, 8) ||
		    store_column_dup(&r->image, st, 10) || store_column_dup(&r->error, st, 11))
			goto nomem;
	}
	if (step != SQLITE_DONE) {
		rc = store_fail(s, err, "cannot read jobs");
		goto out;
	}
	*out = v;
	*n = len;
	v = NULL;
	len = 0;
	goto out;
nomem:
	rc = err_set(err, ERR_NOMEM, "out of memory reading jobs");
out:
	store_job_rows_free(v, len);
	sqlite3_finalize(st);
	return rc;
}

int store_release_job_spec_add(struct store *s, int64_t release, const struct store_job_spec *j,
                               struct err *err)
{
	static const char sql[] =
	        "INSERT INTO release_job_specs (release_id, name, phase, spec_json, timeout_ns,"
	        " artifact, irreversible) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	sqlite3_stmt *st = NULL;
	int rc;

	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, release);
	sqlite3_bind_int64(st, 5, j->timeout_ns);
	sqlite3_bind_int(st, 7, j->irreversible);
	if (store_bind_text(st, 2, j->name) != SQLITE_OK ||
	    store_bind_text(st, 3, j->phase) != SQLITE_OK ||
	    store_bind_text(st, 4, j->spec_json) != SQLITE_OK ||
	    store_bind_text(st, 6, j->artifact) != SQLITE_OK) {
		rc = store_fail(s, err, "cannot record job definition");
		goto out;
	}
	rc = store_step_done(st, s, "cannot record job definition", err);
out:
	sqlite3_finalize(st);
	return rc;
}

void store_job_spec_rows_free(struct store_job_spec_row *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].phase);
		free(v[i].spec_json);
		free(v[i].artifact);
	}
	free(v);
}

int store_release_job_specs(struct store_job_spec_row **out, size_t *n, struct store *s,
                            int64_t release, struct err *err)
{
	static const char sql[] =
	        "SELECT name, phase, spec_json, timeout_ns, artifact, irreversible"
	        " FROM release_job_specs WHERE release_id = ?1 ORDER BY name";
	sqlite3_stmt *st = NULL;
	struct store_job_spec_row *v = NULL, *r;
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
		r->timeout_ns = sqlite3_column_int64(st, 3);
		r->irreversible = sqlite3_column_int(st, 5) != 0;
		if (store_column_dup(&r->name, st, 0) || store_column_dup(&r->phase, st, 1) ||
		    store_column_dup(&r->spec_json, st, 2) || store_column_dup(&r->artifact, st, 4))
			goto nomem;
	}
	if (step != SQLITE_DONE) {
		rc = store_fail(s, err, "cannot read job definitions");
		goto out;
	}
	*out = v;
	*n = len;
	v = NULL;
	len = 0;
	goto out;
nomem:
	rc = err_set(err, ERR_NOMEM, "out of memory reading job definitions");
out:
	store_job_spec_rows_free(v, len);
	sqlite3_finalize(st);
	return rc;
}
