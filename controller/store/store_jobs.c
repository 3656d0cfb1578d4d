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

/* Columns of store_release_jobs()'s SELECT, in order. */
static const struct store_col job_cols[] = {
	STORE_COL(UINT, struct store_job_row, seq),
	STORE_COL(TEXT, struct store_job_row, name),
	STORE_COL(TEXT, struct store_job_row, phase),
	STORE_COL(TEXT, struct store_job_row, status),
	STORE_COL(INT, struct store_job_row, exit_code),
	STORE_COL(DOUBLE, struct store_job_row, duration_s),
	STORE_COL(TEXT, struct store_job_row, log_tail),
	STORE_COL(TEXT, struct store_job_row, artifact),
	STORE_COL(TEXT, struct store_job_row, artifact_volume),
	STORE_COL(BOOL, struct store_job_row, irreversible),
	STORE_COL(TEXT, struct store_job_row, image),
	STORE_COL(TEXT, struct store_job_row, error),
};
static const struct store_row_desc job_rows = {
	sizeof(struct store_job_row), job_cols, STORE_NCOLS(job_cols), "cannot read jobs",
	"out of memory reading jobs",
};

void store_job_rows_free(struct store_job_row *v, size_t n)
{
	store_rows_free(v, n, &job_rows);
}

int store_release_jobs(struct store_job_row **out, size_t *n, struct store *s, int64_t release,
                       struct err *err)
{
	/* exit_code NULL (the job never ran to an exit) reads as -1 */
	static const char sql[] =
	        "SELECT seq, name, phase, status, COALESCE(exit_code, -1), duration_s, log_tail,"
	        " artifact, artifact_volume, irreversible, image, error FROM release_jobs"
	        " WHERE release_id = ?1 ORDER BY seq";

	return store_rows_by_release((void **)out, n, s, sql, release, &job_rows, err);
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

/* Columns of store_release_job_specs()'s SELECT, in order. */
static const struct store_col job_spec_cols[] = {
	STORE_COL(TEXT, struct store_job_spec_row, name),
	STORE_COL(TEXT, struct store_job_spec_row, phase),
	STORE_COL(TEXT, struct store_job_spec_row, spec_json),
	STORE_COL(INT64, struct store_job_spec_row, timeout_ns),
	STORE_COL(TEXT, struct store_job_spec_row, artifact),
	STORE_COL(BOOL, struct store_job_spec_row, irreversible),
};
static const struct store_row_desc job_spec_rows = {
	sizeof(struct store_job_spec_row),
	job_spec_cols,
	STORE_NCOLS(job_spec_cols),
	"cannot read job definitions",
	"out of memory reading job definitions",
};

void store_job_spec_rows_free(struct store_job_spec_row *v, size_t n)
{
	store_rows_free(v, n, &job_spec_rows);
}

int store_release_job_specs(struct store_job_spec_row **out, size_t *n, struct store *s,
                            int64_t release, struct err *err)
{
	static const char sql[] =
	        "SELECT name, phase, spec_json, timeout_ns, artifact, irreversible"
	        " FROM release_job_specs WHERE release_id = ?1 ORDER BY name";

	return store_rows_by_release((void **)out, n, s, sql, release, &job_spec_rows, err);
}
