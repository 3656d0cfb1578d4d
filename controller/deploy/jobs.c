/*
 * jobs.c - running a release's jobs (x-deployctl.jobs): each is a one-off
 * container, labelled with the project, the release and the job's name
 * (LABEL_JOB, never LABEL_SERVICE, so reconcile, prune and status never
 * take it for a service), created from the job's service-shaped model
 * with DEPLOYCTL_RELEASE, DEPLOYCTL_COMMIT and DEPLOYCTL_PROJECT in its
 * environment, run to completion within its timeout (then killed), its
 * exit code, duration, scrubbed log tail and expanded artifact recorded,
 * and removed. The rollout calls jobs_stage_hook() between its stages:
 * before jobs run before the first container action, after_dependencies
 * jobs once no action on a service they need is left, after jobs at the
 * end; a rollback release runs its rollback jobs where before jobs run.
 */
#include "deployctl/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deployctl/buf.h"
#include "deployctl/clock.h"
#include "deployctl/log.h"
#include "deployctl/model_secret.h"
#include "deployctl/out.h"
#include "deployctl/sig.h"
#include "deployctl/store.h"

/* Lines of output asked of Docker; the record keeps the last JOBS_LOG_TAIL bytes. */
#define JOB_LOG_LINES 400

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

/* Docker IDs of the job's networks: those the rollout knows, else looked up once. */
static int job_networks(struct jobs_run *jr, const struct service *s, struct err *err)
{
	struct docker_network *nets = NULL;
	const struct project *p = jr->dp->project;
	size_t i, k, n = 0;
	int rc = 0;

	for (i = 0; i < s->nnetworks; i++)
		if (!kvv_get(&jr->dp->network_ids, s->networks[i].name))
			break;
	if (i == s->nnetworks)
		return 0;
	rc = docker_network_list(&nets, &n, jr->ctx->docker, p->name, err);
	for (i = 0; rc == 0 && i < s->nnetworks; i++) {
		const char *key = s->networks[i].name;
		const struct project_network *pn = model_network_find(p, key);
		char *name = model_network_docker_name(p, key), *id = NULL;

		if (!name || !pn) {
			free(name);
			rc = name ? err_set(err, ERR_INVALID, "network '%s' is not declared", key)
			          : err_set(err, ERR_NOMEM, "out of memory");
			break;
		}
		if (kvv_get(&jr->dp->network_ids, key)) {
			free(name);
			continue;
		}
		if (pn->external)
			rc = docker_network_lookup(&id, jr->ctx->docker, name, err);
		for (k = 0; !pn->external && k < n; k++)
			if (nets[k].key && !strcmp(nets[k].key, key) && !strcmp(nets[k].name, name))
				id = strdup(nets[k].id);
		if (rc == 0 && !id)
			rc = err_set(err, ERR_NOTFOUND, "network %s does not exist", name);
		if (rc == 0 && kvv_set(&jr->dp->network_ids, key, id) < 0)
			rc = err_set(err, ERR_NOMEM, "out of memory");
		free(id);
		free(name);
	}
	docker_network_list_free(nets, n);
	return rc;
}

/* The image of the job, local or pulled (as a service's with pull_policy missing). */
static int job_image(struct jobs_run *jr, struct service *s, struct err *err)
{
	const char *refs[1] = { s->image };
	char *ids[1] = { NULL }, *digest = NULL;
	int rc = docker_image_resolve(ids, jr->ctx->docker, refs, 1, err);

	if (rc == 0 && !ids[0]) {
		if (!jr->quiet)
			printf("job %s: pulling %s\n", s->name, s->image);
		rc = docker_image_pull(&ids[0], &digest, jr->ctx->docker, s->image, NULL, err);
	}
	if (rc == 0) {
		free(s->image_id);
		s->image_id = ids[0];
		ids[0] = NULL;
	}
	free(ids[0]);
	free(digest);
	return rc;
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

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && !sig_pending())
		;
}

/* What one run came to, for the record and the line printed. */
struct job_outcome {
	const char *status; /* succeeded, failed, timed_out */
	int exit_code;
	double took;
	char *log_tail;
	char *artifact;
	struct err err;
};

/* Wait for container id to exit, at most timeout_ns; then it is killed. */
static int job_wait(struct jobs_run *jr, const struct project_job *j, const char *id,
                    struct job_outcome *o)
{
	int64_t timeout = j->timeout_ns > 0 ? j->timeout_ns : JOB_TIMEOUT_DEFAULT_NS;
	double t0 = clock_mono(), limit = (double)timeout / 1e9;
	struct docker_container_state st = { 0 };
	struct err ignored = ERR_INIT;
	long pause = 50;
	int rc;

	for (;;) {
		rc = docker_container_inspect_state(&st, jr->ctx->docker, id, &o->err);
		if (rc < 0)
			return rc;
		if (!strcmp(st.status, "exited") || !strcmp(st.status, "dead")) {
			o->exit_code = st.exit_code;
			o->status = st.exit_code == 0 ? "succeeded" : "failed";
			docker_container_state_release(&st);
			return 0;
		}
		docker_container_state_release(&st);
		if (clock_mono() - t0 >= limit || sig_pending())
			break;
		sleep_ms(pause);
		pause = pause < 400 ? pause * 2 : 500;
	}
	docker_container_stop(jr->ctx->docker, id, 0, &ignored);
	o->status = "timed_out";
	if (sig_pending())
		return err_set(&o->err, ERR_STOPPED, "interrupted by %s", sig_name(sig_pending()));
	return err_set(&o->err, ERR_FAIL, "timed out after %.0fs and was killed", limit);
}

/* The last JOBS_LOG_TAIL bytes of the job's output, scrubbed; NULL when there is none. */
static char *job_log_tail(struct jobs_run *jr, const char *id, const struct strv *secrets)
{
	struct err ignored = ERR_INIT;
	char *logs = NULL, *tail;
	size_t len;

	if (docker_container_logs_tail(&logs, jr->ctx->docker, id, JOB_LOG_LINES, &ignored) < 0)
		return NULL;
	model_scrub(logs, secrets);
	len = strlen(logs);
	if (len <= JOBS_LOG_TAIL)
		return logs;
	tail = strdup(logs + len - JOBS_LOG_TAIL);
	free(logs);
	return tail;
}

/* Create, start, wait for, read and remove the job's container. */
static int job_container(struct jobs_run *jr, struct project_job *j, const struct strv *secrets,
                         struct job_outcome *o)
{
	struct deploy *dp = jr->dp;
	struct docker_create c = {
		.project = dp->project,
		.service = &j->svc,
		.release = jr->release_label,
		.job = j->svc.name,
		.owner = dp->owner.id,
		.owner_host = dp->owner.host,
		.owner_state = dp->owner.path,
		.network_ids = &dp->network_ids,
		.files_dir = jr->files_dir,
	};
	struct err ignored = ERR_INIT;
	char name[512], *id = NULL;
	double t0 = clock_mono();
	int rc;

	snprintf(name, sizeof(name), "%s-job-%s-r%s", dp->project->name, j->svc.name,
	         jr->release_label);
	c.name = name;
	rc = docker_container_create(&id, jr->ctx->docker, &c, &o->err);
	if (rc == 0)
		rc = docker_container_start(jr->ctx->docker, id, &o->err);
	if (rc == 0)
		rc = job_wait(jr, j, id, o);
	o->took = clock_mono() - t0;
	if (id) {
		o->log_tail = job_log_tail(jr, id, secrets);
		docker_container_remove(jr->ctx->docker, id,
		                        DOCKER_REMOVE_FORCE | DOCKER_REMOVE_VOLUMES, &ignored);
	}
	free(id);
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
	if (rc == 0)
		rc = job_image(jr, s, &o.err);
	if (rc == 0)
		rc = job_networks(jr, s, &o.err);
	if (rc == 0)
		rc = job_container(jr, j, &secrets, &o);
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

/*
 * Job containers left by a run that was killed, removed. Only this state
 * database's own (its owner label; the lock is held): a project of the same
 * name deployed from another state directory may be running a job right now.
 */
static void remove_leftovers(struct jobs_run *jr)
{
	const char *me = jr->dp->owner.id;
	struct docker_container *v = NULL;
	struct err ignored = ERR_INIT;
	size_t i, n = 0;

	if (docker_job_list(&v, &n, jr->ctx->docker, jr->dp->project->name, &ignored) < 0)
		return;
	for (i = 0; i < n; i++)
		if (!me || !v[i].owner || strcmp(v[i].owner, me))
			log_info("job container %s is not this state's (owner %.12s): left alone",
			         v[i].name, v[i].owner ? v[i].owner : "none");
		else if (docker_container_remove(jr->ctx->docker, v[i].id,
		                                 DOCKER_REMOVE_FORCE | DOCKER_REMOVE_VOLUMES,
		                                 &ignored) == 0)
			log_info("removed job container %s left by an earlier run", v[i].name);
	docker_container_list_free(v, n);
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
		remove_leftovers(jr);
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
