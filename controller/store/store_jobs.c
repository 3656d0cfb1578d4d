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

/* The parameters ?2... of store_release_job_add()'s INSERT, in order. */
static const struct store_col job_run_cols[] = {
	STORE_COL(TEXT, struct store_job_run, name),
	STORE_COL(TEXT, struct store_job_run, phase),
	STORE_COL(TEXT, struct store_job_run, status),
	STORE_COL(INT, struct store_job_run, exit_code),
	STORE_COL(DOUBLE, struct store_job_run, duration_s),
	STORE_COL(TEXT, struct store_job_run, log_tail),
	STORE_COL(TEXT, struct store_job_run, artifact),
	STORE_COL(TEXT, struct store_job_run, artifact_volume),
	STORE_COL(BOOL, struct store_job_run, irreversible),
	STORE_COL(TEXT, struct store_job_run, image),
	STORE_COL(TEXT, struct store_job_run, error),
};
static const struct store_row_desc job_run_row = {
	.cols = job_run_cols,
	.ncols = STORE_NCOLS(job_run_cols),
	.fail = "cannot record job",
};

int store_release_job_add(struct store *s, int64_t release, const struct store_job_run *j,
                          struct err *err)
{
	/* seq: one past the release's last; an exit code of -1 (none) is NULL */
	static const char sql[] =
	        "INSERT INTO release_jobs (release_id, seq, name, phase, status, exit_code,"
	        " duration_s, log_tail, artifact, artifact_volume, irreversible, image, error)"
	        " VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM release_jobs WHERE"
	        " release_id = ?1), ?2, ?3, ?4, CASE WHEN ?5 >= 0 THEN ?5 END, ?6, ?7, ?8, ?9,"
	        " ?10, ?11, ?12)";

	return store_row_write(s, sql, release, j, &job_run_row, err);
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

/* The parameters ?2... of store_release_job_spec_add()'s INSERT, in order. */
static const struct store_col job_spec_in_cols[] = {
	STORE_COL(TEXT, struct store_job_spec, name),
	STORE_COL(TEXT, struct store_job_spec, phase),
	STORE_COL(TEXT, struct store_job_spec, spec_json),
	STORE_COL(INT64, struct store_job_spec, timeout_ns),
	STORE_COL(TEXT, struct store_job_spec, artifact),
	STORE_COL(BOOL, struct store_job_spec, irreversible),
};
static const struct store_row_desc job_spec_in_row = {
	.cols = job_spec_in_cols,
	.ncols = STORE_NCOLS(job_spec_in_cols),
	.fail = "cannot record job definition",
};

int store_release_job_spec_add(struct store *s, int64_t release, const struct store_job_spec *j,
                               struct err *err)
{
	static const char sql[] =
	        "INSERT INTO release_job_specs (release_id, name, phase, spec_json, timeout_ns,"
	        " artifact, irreversible) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

	return store_row_write(s, sql, release, j, &job_spec_in_row, err);
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
