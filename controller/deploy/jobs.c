/*
 * jobs.c - running a release's jobs (x-deployctl.jobs): each is a one-off
 * container, labelled with the project, the release and the job's name
 * (LABEL_JOB, never LABEL_SERVICE, so reconcile, prune and status never
 * take it for a service), created from the job's service-shaped model
 * with DEPLOYCTL_RELEASE, DEPLOYCTL_COMMIT and DEPLOYCTL_PROJECT in its
 * environment, run to completion within its timeout (then killed) by the
 * one-off runner (oneoff.c), its exit code, duration, scrubbed log tail
 * and expanded artifact recorded. The rollout calls jobs_stage_hook() between its stages:
 * before jobs run before the first container action, after_dependencies
 * jobs once no action on a service they need is left, after jobs at the
 * end; a rollback release runs its rollback jobs where before jobs run.
 * On a Swarm target each job is a replicated-job service instead
 * (jobs_swarm.c), run from the same hook between the waves.
 */
#include "deployctl/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "deployctl/log.h"
#include "deployctl/model_secret.h"
#include "deployctl/oneoff.h"
#include "deployctl/out.h"
#include "deployctl/store.h"
#include "jobs_internal.h"

int jobs_expand(char **out, const char *in, const char *release, const char *commit,
                const char *project)
{
	static const char *const names[] = { "DEPLOYCTL_RELEASE", "DEPLOYCTL_COMMIT",
		                             "DEPLOYCTL_PROJECT" };
	const char *vals[] = { release, commit, project };
	struct buf b;
	size_t i, k, n;
	bool brace;

	buf_init(&b, 1u << 16);
	for (i = 0; in[i]; i++) {
		if (in[i] != '$') {
			buf_putc(&b, in[i]);
			continue;
		}
		brace = in[i + 1] == '{';
		for (k = 0; k < 3; k++) {
			n = strlen(names[k]);
			if (!strncmp(in + i + 1 + brace, names[k], n) &&
			    (brace ? in[i + 1 + brace + n] == '}'
			           : !(in[i + 1 + n] == '_' ||
			               (in[i + 1 + n] >= 'A' && in[i + 1 + n] <= 'Z') ||
			               (in[i + 1 + n] >= '0' && in[i + 1 + n] <= '9'))))
				break;
		}
		if (k == 3) {
			buf_putc(&b, in[i]);
			continue;
		}
		buf_puts(&b, vals[k] ? vals[k] : "");
		i += n + (brace ? 2 : 0);
	}
	*out = buf_detach(&b);
	buf_release(&b);
	return *out ? 0 : ERR_NOMEM;
}

bool jobs_any(const struct project *p, bool rollback)
{
	size_t i;

	for (i = 0; i < p->njobs; i++)
		if ((p->jobs[i].phase == JOB_ROLLBACK) == rollback)
			return true;
	return false;
}

/* The key of the volume mounted where path is (the longest target holding it), or NULL. */
static const char *artifact_volume(const struct service *s, const char *path)
{
	const char *best = NULL;
	size_t i, len, blen = 0;

	for (i = 0; path && i < s->nmounts; i++) {
		const struct svc_mount *m = &s->mounts[i];

		len = strlen(m->target);
		if (m->type != MOUNT_VOLUME || !m->source || strncmp(path, m->target, len) ||
		    (path[len] != '/' && path[len] && strcmp(m->target, "/")) || len < blen)
			continue;
		best = m->source;
		blen = len;
	}
	return best;
}

/* Where the jobs' one-off containers run (oneoff.c). */
static void job_oneoff(struct oneoff *o, struct jobs_run *jr)
{
	*o = (struct oneoff){
		.docker = jr->ctx->docker,
		.project = jr->dp->project,
		.release = jr->release_label,
		.owner = jr->dp->owner.id,
		.owner_host = jr->dp->owner.host,
		.owner_state = jr->dp->owner.path,
		.network_ids = &jr->dp->network_ids,
		.files_dir = jr->files_dir,
	};
}

/* Every secret value the job's output may hold: the project's, and the job's own env. */
static int job_secrets(struct strv *out, const struct project *p, const struct service *s)
{
	size_t i;

	if (model_secrets_collect(out, p) < 0)
		return ERR_NOMEM;
	for (i = 0; i < s->env.n; i++)
		if (model_env_secret(p, s, s->env.v[i].key, s->env.v[i].value) !=
		            MODEL_SECRET_NONE &&
		    strv_push(out, s->env.v[i].value) < 0)
			return ERR_NOMEM;
	for (i = 0; i < s->secret_parts.n; i++)
		if (strv_push(out, s->secret_parts.v[i]) < 0)
			return ERR_NOMEM;
	return 0;
}

char *jobs_log_tail_take(char *logs, const struct strv *secrets)
{
	char *tail;
	size_t len;

	if (!logs)
		return NULL;
	model_scrub(logs, secrets);
	len = strlen(logs);
	if (len <= JOBS_LOG_TAIL)
		return logs;
	tail = strdup(logs + len - JOBS_LOG_TAIL);
	free(logs);
	return tail;
}

/* Run the job's container (oneoff.c): create, start, wait, read, remove. */
static int job_container(struct jobs_run *jr, struct project_job *j, const struct strv *secrets,
                         struct job_outcome *o)
{
	int64_t timeout = j->timeout_ns > 0 ? j->timeout_ns : JOB_TIMEOUT_DEFAULT_NS;
	struct oneoff_outcome out;
	struct oneoff oo;
	char name[512];
	int rc;

	job_oneoff(&oo, jr);
	snprintf(name, sizeof(name), "%s-job-%s-r%s", jr->dp->project->name, j->svc.name,
	         jr->release_label);
	rc = oneoff_run(&out, &oo, &j->svc, name, j->svc.name, timeout, JOB_LOG_LINES, &o->err);
	o->took = out.took;
	o->exit_code = out.exit_code;
	if (out.timed_out)
		o->status = "timed_out";
	else if (rc == 0)
		o->status = out.exit_code == 0 ? "succeeded" : "failed";
	o->log_tail = jobs_log_tail_take(out.output, secrets); /* the last bytes, scrubbed */
	out.output = NULL;
	if (rc == 0 && o->exit_code != 0)
		rc = err_set(&o->err, ERR_FAIL, "exited with %d", o->exit_code);
	return rc;
}

static void job_print(const struct project_job *j, const struct job_outcome *o)
{
	printf("job %s (%s): %s in %.1fs", j->svc.name, model_job_phase_name(j->phase), o->status,
	       o->took);
	if (o->exit_code >= 0)
		printf(", exit %d", o->exit_code);
	if (o->artifact) {
		fputs("; artifact ", stdout);
		out_safe(stdout, o->artifact);
	}
	fputc('\n', stdout);
	fflush(stdout);
}

/* The first lines of a failed job's output go into its error, for the release message. */
static void job_error(struct err *err, const struct project_job *j, const struct job_outcome *o)
{
	const char *last = o->log_tail ? o->log_tail : "";
	size_t n = strlen(last);

	while (n && last[n - 1] == '\n')
		n--;
	if (n > 200) {
		last += n - 200;
		n = 200;
	}
	err_set(err, o->err.code ? o->err.code : ERR_FAIL, "job '%s' (%s) %s%s%.*s", j->svc.name,
	        model_job_phase_name(j->phase), o->err.msg, n ? "; output: " : "", (int)n, last);
}

/* Run job i once: env, image, container, record. */
static int job_run(struct jobs_run *jr, size_t i, struct err *err)
{
	struct project_job *j = &jr->dp->project->jobs[i];
	struct service *s = &j->svc;
	const struct project *p = jr->dp->project;
	struct job_outcome o = { .status = "failed", .exit_code = -1, .err = ERR_INIT };
	struct strv secrets = { 0 };
	struct err rerr = ERR_INIT;
	struct oneoff oo;
	char who[300];
	int rc;

	jr->done[i] = true;
	jr->ran++;
	if (!jr->quiet) {
		printf("job %s (%s): running %s\n", s->name, model_job_phase_name(j->phase),
		       s->image);
		fflush(stdout);
	}
	rc = kvv_set(&s->env, "DEPLOYCTL_RELEASE", jr->release_label) < 0 ||
	                     kvv_set(&s->env, "DEPLOYCTL_COMMIT", jr->dp->source_id) < 0 ||
	                     kvv_set(&s->env, "DEPLOYCTL_PROJECT", p->name) < 0 ||
	                     job_secrets(&secrets, p, s) < 0 ||
	                     (j->artifact &&
	                      jobs_expand(&o.artifact, j->artifact, jr->release_label,
	                                  jr->dp->source_id, p->name) < 0)
	             ? err_set(&o.err, ERR_NOMEM, "out of memory")
	             : 0;
	job_oneoff(&oo, jr);
	snprintf(who, sizeof(who), "job %s", s->name);
	if (rc == 0)
		rc = oneoff_image(&oo, s, who, jr->quiet, &o.err);
	if (rc == 0)
		rc = oneoff_networks(&oo, s, &o.err);
	if (rc == 0)
		rc = jr->dp->swarm ? jobs_swarm_run(jr, j, &secrets, &o)
		                   : job_container(jr, j, &secrets, &o);
	model_scrub_err(&o.err, &secrets);
	if (!jr->quiet)
		job_print(j, &o);
	{
		struct store_job_run row = {
			.name = s->name,
			.phase = model_job_phase_name(j->phase),
			.status = o.status,
			.exit_code = o.exit_code,
			.duration_s = o.took,
			.log_tail = o.log_tail,
			.artifact = o.artifact,
			.artifact_volume = artifact_volume(s, o.artifact),
			.irreversible = j->irreversible,
			.image = s->image,
			.error = rc < 0 ? o.err.msg : NULL,
		};

		if (store_release_job_add(jr->ctx->store, jr->release, &row, &rerr) < 0)
			log_warnx("cannot record job %s: %s", s->name, rerr.msg);
	}
	if (rc < 0)
		job_error(err, j, &o);
	free(o.log_tail);
	free(o.artifact);
	strv_free(&secrets);
	return rc;
}

static bool is_container_action(enum action_kind k)
{
	return k == ACTION_CREATE || k == ACTION_REPLACE || k == ACTION_START || k == ACTION_REMOVE;
}

/* Is any action from next on still to touch a service job j needs? */
static bool needs_pending(const struct plan *plan, size_t next, const struct project_job *j)
{
	size_t i, k;

	for (i = next; i < plan->n; i++)
		for (k = 0; k < j->needs.n; k++)
			if (is_container_action(plan->v[i].kind) &&
			    !strcmp(plan->v[i].target, j->needs.v[k]))
				return true;
	return false;
}

/* Run every job of phase ph not run yet (ready: NULL, or ready for it). */
static int run_phase(struct jobs_run *jr, enum job_phase ph, size_t next, struct err *err)
{
	const struct project *p = jr->dp->project;
	size_t i;
	int rc;

	for (i = 0; i < p->njobs; i++) {
		if (jr->done[i] || p->jobs[i].phase != ph)
			continue;
		if (ph == JOB_AFTER_DEPENDENCIES && needs_pending(&jr->dp->plan, next, &p->jobs[i]))
			continue;
		rc = job_run(jr, i, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void jobs_remove_leftovers(struct jobs_run *jr)
{
	struct oneoff oo;

	if (jr->dp->swarm) {
		jobs_swarm_remove_leftovers(jr->ctx->docker, jr->dp->project->name,
		                            jr->dp->owner.id);
		return;
	}
	job_oneoff(&oo, jr);
	oneoff_remove_leftovers(&oo);
}

int jobs_stage_hook(void *arg, size_t next, struct err *err)
{
	struct jobs_run *jr = arg;
	const struct plan *plan = &jr->dp->plan;
	const struct project *p = jr->dp->project;
	int rc;

	if (!p->njobs)
		return 0;
	if (!jr->done) {
		jr->done = calloc(p->njobs, sizeof(*jr->done));
		if (!jr->done)
			return err_set(err, ERR_NOMEM, "out of memory");
		jobs_remove_leftovers(jr);
	}
	if (!jr->before_done) {
		if (next < plan->n && !is_container_action(plan->v[next].kind))
			return 0;
		jr->before_done = true;
		rc = run_phase(jr, jr->rollback ? JOB_ROLLBACK : JOB_BEFORE, next, err);
		if (rc < 0) {
			jr->failed_before = true;
			return rc;
		}
	}
	if (jr->rollback)
		return 0;
	rc = run_phase(jr, JOB_AFTER_DEPENDENCIES, next, err);
	if (rc == 0 && next == plan->n)
		rc = run_phase(jr, JOB_AFTER, next, err);
	return rc;
}

int jobs_append_leftovers(struct docker_container **v, size_t *n, struct docker *d,
                          const char *project, const char *owner, struct err *err)
{
	struct docker_container *jobs = NULL, *grown;
	size_t i, kept = 0, nj = 0;
	int rc = docker_job_list(&jobs, &nj, d, project, err);

	if (rc < 0 || !nj) {
		docker_container_list_free(jobs, nj);
		return rc;
	}
	grown = realloc(*v, (*n + nj) * sizeof(**v));
	if (!grown) {
		docker_container_list_free(jobs, nj);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	*v = grown;
	for (i = 0; i < nj; i++) {
		if (owner && jobs[i].owner && !strcmp(jobs[i].owner, owner)) {
			grown[*n + kept++] = jobs[i];
			continue;
		}
		log_info("job container %s is not this state's (owner %.12s): left alone",
		         jobs[i].name, jobs[i].owner ? jobs[i].owner : "none");
		docker_container_release(&jobs[i]);
	}
	free(jobs);
	*n += kept;
	return 0;
}

void jobs_run_release(struct jobs_run *jr)
{
	free(jr->done);
	jr->done = NULL;
}
