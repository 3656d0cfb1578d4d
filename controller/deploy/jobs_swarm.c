/*
 * jobs_swarm.c - a release job on a Swarm target: a replicated-job service
 * (Engine API 1.41: Mode.ReplicatedJob {MaxConcurrent 1, TotalCompletions
 * 1}, restart none) named <project>_job-<job>-<release>, labelled with the
 * stack, project, release, job and this state database as its owner,
 * attached to the job's overlay networks (attachable) with its configs
 * and secrets as Swarm objects like a service's. Waited for within the
 * job's timeout; the exit code is its task's ContainerStatus.ExitCode, the
 * log tail comes from /services/{id}/logs (scrubbed), and the service is
 * removed. jobs.c does the rest (env, image, record, phases) as for a
 * container.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/clock.h"
#include "deployctl/docker_swarm.h"
#include "deployctl/docker_swarm_job.h"
#include "deployctl/log.h"
#include "deployctl/sig.h"
#include "deployctl/swarm.h"
#include "jobs_internal.h"

/* The image every node runs: its registry digest when it has one, else its ID. *out new. */
static int job_pin(char **out, struct docker *d, const struct service *s, struct err *err)
{
	char *digest = NULL;

	if (docker_image_digest(&digest, d, s->image, err) < 0) {
		*err = (struct err)ERR_INIT; /* no digest to find is no error: the ID pins it */
		digest = NULL;
	}
	*out = digest ? digest : strdup(s->image_id ? s->image_id : s->image);
	return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory");
}

/* The service spec of job j (JSON, new): what docker_service_create() sends. */
static int job_spec(char **out, struct jobs_run *jr, struct project_job *j, const char *name,
                    const char *image, const struct kvv *config_ids, const struct kvv *secret_ids,
                    struct err *err)
{
	const struct deploy *dp = jr->dp;
	struct docker_service_want w = {
		.project = dp->project,
		.service = &j->svc,
		.name = name,
		.image = image,
		.release = jr->release_label,
		.network_ids = &dp->network_ids,
		.config_ids = config_ids,
		.secret_ids = secret_ids,
		.job = j->svc.name,
		.owner = dp->owner.id,
		.owner_host = dp->owner.host,
		.owner_state = dp->owner.path,
	};

	return docker_service_spec(out, &w, err);
}

/* Until the job's task is done, at most its timeout; then the caller removes it (a kill). */
static int job_wait(struct docker *d, const struct project_job *j, const char *id,
                    struct job_outcome *o)
{
	int64_t timeout = j->timeout_ns > 0 ? j->timeout_ns : JOB_TIMEOUT_DEFAULT_NS;
	double t0 = clock_mono(), limit = (double)timeout / 1e9;
	struct docker_job_task t;
	long pause = 50;
	int rc;

	for (;;) {
		rc = docker_job_task_state(&t, d, id, &o->err);
		if (rc < 0)
			return rc;
		if (t.done && t.exited) {
			o->exit_code = t.exit_code;
			o->status = t.exit_code == 0 ? "succeeded" : "failed";
			return 0;
		}
		if (t.done)
			return err_set(&o->err, ERR_FAIL, "task %s%s%s", t.state,
			               t.message[0] ? ": " : "", t.message);
		if (clock_mono() - t0 >= limit || sig_pending())
			break;
		clock_sleep_ms(pause);
		pause = pause < 400 ? pause * 2 : 500;
	}
	o->status = "timed_out";
	if (sig_pending())
		return err_set(&o->err, ERR_STOPPED, "interrupted by %s", sig_name(sig_pending()));
	return err_set(&o->err, ERR_FAIL, "timed out after %.0fs and was killed", limit);
}

int jobs_swarm_run(struct jobs_run *jr, struct project_job *j, const struct strv *secrets,
                   struct job_outcome *o)
{
	struct docker *d = jr->ctx->docker;
	const struct project *p = jr->dp->project;
	struct kvv config_ids = { 0 }, secret_ids = { 0 };
	struct err ignored = ERR_INIT;
	char name[512], *image = NULL, *spec = NULL, *id = NULL, *logs = NULL;
	double t0 = clock_mono();
	int rc;

	snprintf(name, sizeof(name), "%s_job-%s-%s", p->name, j->svc.name, jr->release_label);
	rc = job_pin(&image, d, &j->svc, &o->err);
	if (rc == 0)
		rc = swarm_job_objects(&config_ids, &secret_ids, d, p, &j->svc, jr->files_dir,
		                       &o->err);
	if (rc == 0)
		rc = job_spec(&spec, jr, j, name, image, &config_ids, &secret_ids, &o->err);
	if (rc == 0)
		rc = docker_service_create(&id, d, spec, j->svc.image, &o->err);
	if (rc == 0)
		rc = job_wait(d, j, id, o);
	o->took = clock_mono() - t0;
	if (id) {
		if (docker_job_logs_tail(&logs, d, id, JOB_LOG_LINES, &ignored) == 0)
			o->log_tail = jobs_log_tail_take(logs, secrets);
		ignored = (struct err)ERR_INIT;
		if (docker_service_remove(d, id, &ignored) < 0)
			log_debug("cannot remove job service %s: %s", name, ignored.msg);
	}
	if (rc == 0 && o->exit_code != 0)
		rc = err_set(&o->err, ERR_FAIL, "exited with %d", o->exit_code);
	if (spec) /* it holds the job's environment, secrets included */
		memset(spec, 0, strlen(spec));
	free(spec);
	free(id);
	free(image);
	kvv_free(&config_ids);
	kvv_free(&secret_ids);
	return rc;
}

void jobs_swarm_remove_leftovers(struct docker *d, const char *project, const char *owner)
{
	struct docker_job_service *v = NULL;
	struct err ignored = ERR_INIT;
	size_t i, n = 0;

	if (docker_job_service_list(&v, &n, d, project, &ignored) < 0)
		return;
	for (i = 0; i < n; i++) {
		ignored = (struct err)ERR_INIT;
		if (!owner || !v[i].owner || strcmp(v[i].owner, owner))
			log_info("job service %s is not this state's (owner %.12s): left alone",
			         v[i].name, v[i].owner ? v[i].owner : "none");
		else if (docker_service_remove(d, v[i].id, &ignored) == 0)
			log_info("removed job service %s left by an earlier run", v[i].name);
	}
	docker_job_services_free(v, n);
}
