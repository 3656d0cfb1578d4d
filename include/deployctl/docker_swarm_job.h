/*
 * docker_swarm_job.h - release jobs on a Swarm manager (docker_swarm_job.c):
 * a job is a replicated-job service (docker_service_spec() with want.job
 * set) run to completion once; these read its task's outcome and its
 * output, list the job services a project has (a killed run's leftovers),
 * and refuse what a job cannot be on Swarm before anything is changed.
 */
#ifndef DEPLOYCTL_DOCKER_SWARM_JOB_H
#define DEPLOYCTL_DOCKER_SWARM_JOB_H

#include <stdbool.h>
#include <stddef.h>

#include "deployctl/docker.h"
#include "deployctl/err.h"
#include "deployctl/model.h"

/* A job service as listed (strings new; owner and release NULL when absent). */
struct docker_job_service {
	char *id;
	char *name;
	char *job;     /* LABEL_JOB */
	char *release; /* LABEL_RELEASE */
	char *owner;   /* LABEL_OWNER */
};

/*
 * GET /services filtered on LABEL_PROJECT=project (one call), the services
 * with LABEL_JOB kept. *out new (docker_job_services_free()).
 */
int docker_job_service_list(struct docker_job_service **out, size_t *n, struct docker *d,
                            const char *project, struct err *err);
void docker_job_services_free(struct docker_job_service *v, size_t n);

/* The one task of a job service, as GET /tasks?filters={"service":[id]} has it. */
struct docker_job_task {
	bool done;         /* complete, failed, rejected, shutdown, orphaned or removed */
	bool exited;       /* the container ran and exit_code is its status */
	int exit_code;     /* Status.ContainerStatus.ExitCode; -1 when none */
	char state[24];    /* Status.State, "" before the task exists */
	char message[200]; /* Status.Err (or Status.Message), "" if none */
};
int docker_job_task_state(struct docker_job_task *out, struct docker *d, const char *service_id,
                          struct err *err);

/*
 * The last `lines` lines of a service's output, stdout and stderr
 * (GET /services/{id}/logs, demultiplexed). *out new.
 */
int docker_job_logs_tail(char **out, struct docker *d, const char *service_id, unsigned lines,
                         struct err *err);

/*
 * What a job's service-shaped model holds that a Swarm task cannot have (a
 * bind from the repository or a relative path): ERR_INVALID at the job's
 * file:line:col (x-deployctl.jobs.NAME.volumes), else 0.
 * Pure: plan and apply call it before anything is changed.
 */
int docker_swarm_job_check(const struct service *job, struct err *err);

#endif
