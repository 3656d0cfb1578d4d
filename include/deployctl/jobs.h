/*
 * jobs.h - the jobs of a release (x-deployctl.jobs, issue 12): one-off
 * containers run to completion at a phase of apply (before any service
 * changes, once the services a job needs are up, after the rollout) or of
 * rollback, recorded with the release (deploy/jobs.c runs them,
 * deploy/jobs_record.c records, reads back and prints them).
 */
#ifndef DEPLOYCTL_JOBS_H
#define DEPLOYCTL_JOBS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "deployctl/cmd.h"
#include "deployctl/cmd_deploy.h"

/* The output a job's record keeps: its last bytes. */
#define JOBS_LOG_TAIL 4096

/*
 * One release's run of its jobs, driven from between the stages of the
 * rollout (jobs_stage_hook(), as reconcile_opts.stage_hook). The caller
 * zeroes it and sets the inputs; jobs_run_release() frees what it holds.
 */
struct jobs_run {
	/* inputs (borrowed) */
	struct ctx *ctx;
	struct deploy *dp;
	int64_t release;
	const char *release_label; /* LABEL_RELEASE of the job containers */
	const char *files_dir;
	bool rollback; /* a rollback release: its rollback jobs run, before any change */
	bool quiet;    /* no line per job on stdout (json, -q) */
	/* state */
	bool *done; /* per job of dp->project */
	bool before_done;
	bool failed_before; /* a before (or rollback) job failed: nothing was changed */
	unsigned ran;
};

/*
 * The hook reconcile_apply() calls before each stage (next: the index of
 * its first action) and once after the last (next == the plan's length):
 * runs the jobs whose time has come. A failed job returns its error (err
 * set, scrubbed), which fails the release there. arg is a struct jobs_run.
 */
int jobs_stage_hook(void *arg, size_t next, struct err *err);
/* Does the project have jobs this release would run (rollback: rollback jobs; apply: others)? */
bool jobs_any(const struct project *p, bool rollback);
void jobs_run_release(struct jobs_run *jr);

/*
 * Append the job containers of project left by a killed run to *v, for down
 * to remove: only those whose owner label is owner (this state database's
 * id); another state directory's job may be running right now, it is logged
 * and left alone. *v stays owned by the caller. 0 or an error.
 */
int jobs_append_leftovers(struct docker_container **v, size_t *n, struct docker *d,
                          const char *project, const char *owner, struct err *err);

/*
 * Record the job definitions of release (with its snapshot): the
 * project's jobs, or for a rollback release (from_release, the release
 * returned to) that release's definitions.
 */
int jobs_record_specs(struct ctx *ctx, const struct deploy *dp, int64_t release,
                      int64_t from_release, struct err *err);

/*
 * Before a rollback from current to target: a release after target, up to
 * current, that ran an irreversible job (and was not rolled past already)
 * refuses it unless force, naming the artifact its before job recorded.
 * Prints; returns EXIT_OK or EXIT_USAGE (refused).
 */
int jobs_rollback_check(struct ctx *ctx, const char *project, int64_t target, int64_t current,
                        bool force);
/*
 * Add the rollback jobs of release current (its recorded definitions) to
 * dp->project, so the rollback release runs them. vars: where secret env
 * values are found by key (the env files and environment). Exit status.
 */
int jobs_load_rollback(struct deploy *dp, struct ctx *ctx, int64_t current, const struct kvv *vars);

/* show N: the jobs a release ran, as lines, or as the JSON array after "jobs":. */
int jobs_show(struct ctx *ctx, int64_t release, bool json, FILE *f);
/* plan: the jobs apply would run with this plan (none when it is empty). */
void jobs_print_planned(const struct deploy *dp, struct ctx *ctx, bool json, FILE *f);

/*
 * $DEPLOYCTL_RELEASE, ${DEPLOYCTL_RELEASE} (and _COMMIT, _PROJECT) in in
 * expanded; *out new. 0 or ERR_NOMEM.
 */
int jobs_expand(char **out, const char *in, const char *release, const char *commit,
                const char *project);

#endif
