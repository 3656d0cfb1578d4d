/*
 * jobs_internal.h - what jobs.c (a job as a one-off container) and
 * jobs_swarm.c (a job as a Swarm replicated-job service) share: one run's
 * outcome. Not for use outside deploy/jobs*.c.
 */
#ifndef DEPLOYCTL_JOBS_INTERNAL_H
#define DEPLOYCTL_JOBS_INTERNAL_H

#include "deployctl/jobs.h"

/* Lines of output asked of Docker; the record keeps the last JOBS_LOG_TAIL bytes. */
#define JOB_LOG_LINES 400

/* What one run came to, for the record and the line printed. */
struct job_outcome {
	const char *status; /* succeeded, failed, timed_out */
	int exit_code;
	double took;
	char *log_tail;
	char *artifact;
	struct err err;
};

/* logs (new, taken) scrubbed of secrets and cut to its last JOBS_LOG_TAIL bytes; new or NULL. */
char *jobs_log_tail_take(char *logs, const struct strv *secrets);

/*
 * Run job j of jr on the Swarm manager: its config and secret objects, a
 * replicated-job service `<project>_job-<job>-<release>` (one task, restart
 * none, the job's networks, the image pinned), waited for within the job's
 * timeout (then removed, which kills it), its exit code and scrubbed log
 * tail into o, the service removed. 0, or the failure (o->err set).
 */
int jobs_swarm_run(struct jobs_run *jr, struct project_job *j, const struct strv *secrets,
                   struct job_outcome *o);

#endif
