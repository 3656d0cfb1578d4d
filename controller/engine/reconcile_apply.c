/*
 * reconcile_apply.c - run a plan against Docker, stage by stage, each
 * container action gated on the container being up. Within a stage (one
 * dependency level, or one group of replicas) up to `parallel` actions run
 * at once, each worker on its own keep-alive connection: starts dominate
 * an apply and a few in flight overlap them (DOCKER-NOTES: ~4 on 2 cores).
 *
 * Old containers are never deleted by a rollout: they are stopped and kept
 * under a retained name, so a failed gate puts the previous containers
 * back without a create or a pull, and so does `deployctl rollback`.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/reconcile.h"

#define APPLY_MAX_PARALLEL 8

struct apply_run {
	pthread_mutex_t lock;
	const struct docker_connect *conn;
	const struct project *p;
	const struct plan *plan;
	const struct reconcile_opts *o;
	struct kvv *network_ids;
	struct reconcile_result *results;
	size_t next, end; /* the stage's actions not yet taken: [next, end) */
};

static bool is_job(const struct project *p, const struct service *s);

/* Tell the progress view which step an action is at. */
static void step(const struct apply_run *run, const struct action *a, const char *state,
                 unsigned attempt)
{
	const struct reconcile_progress *p = run->o->progress;

	if (p && p->action_state)
		p->action_state(p->ctx, a, state, attempt);
}

struct gate_watch_ctx {
	const struct apply_run *run;
	const struct action *a;
};

static void gate_attempt(void *arg, unsigned n)
{
	struct gate_watch_ctx *w = arg;
	const struct service *s = w->a->service;

	step(w->run, w->a,
	     is_job(w->run->p, s)                  ? "waiting for it to complete"
	     : s->health.set && !s->health.disable ? "waiting for health"
	                                           : "waiting until it keeps running",
	     n);
}

/* Rename, removing a stale container that already holds the name (an older retained one). */
static int rename_force(struct docker *d, const char *id, const char *name, struct err *err)
{
	struct err first = ERR_INIT, ignored = ERR_INIT;

	if (docker_container_rename(d, id, name, &first) == 0)
		return 0;
	if (docker_container_remove(d, name, true, &ignored) < 0)
		return err_set(err, first.code, "%s", first.msg);
	return docker_container_rename(d, id, name, err);
}

/* Is s a one-shot job: something depends on it completing successfully? */
static bool is_job(const struct project *p, const struct service *s)
{
	size_t i, k;

	for (i = 0; i < p->nservices; i++)
		for (k = 0; k < p->services[i].ndeps; k++)
			if (p->services[i].deps[k].condition == DEP_COMPLETED &&
			    !strcmp(p->services[i].deps[k].service, s->name))
				return true;
	return false;
}

/* Bring the new container of a create/replace up: a retained one back, or a new one. */
static int bring_up(char **id_out, struct docker *d, struct apply_run *run, const struct action *a,
                    struct err *err)
{
	struct docker_create c = {
		.project = run->p,
		.service = a->service,
		.name = a->container_name,
		.release = run->o->release,
		.spec_hash = a->spec_hash,
		.replica = a->replica,
		.network_ids = run->network_ids,
		.files_dir = run->o->files_dir,
	};
	char *id = NULL;
	int rc;

	if (a->reuse_id) {
		step(run, a, "bringing back the retained container", 0);
		rc = rename_force(d, a->reuse_id, a->container_name, err);
		if (rc == 0)
			rc = docker_container_start(d, a->reuse_id, err);
		if (rc == 0 && !(*id_out = strdup(a->reuse_id)))
			rc = err_set(err, ERR_NOMEM, "out of memory");
		return rc;
	}
	step(run, a, "creating", 0);
	rc = docker_container_create(&id, d, &c, err);
	if (rc < 0)
		return rc;
	step(run, a, "starting", 0);
	rc = docker_container_start(d, id, err);
	if (rc < 0) {
		struct err ignored = ERR_INIT;

		/* Leave nothing half-made behind: the next run creates it afresh. */
		docker_container_remove(d, id, true, &ignored);
		free(id);
		return rc;
	}
	*id_out = id;
	return 0;
}

/* Take a new container away again: back to its retained name, or deleted. */
static int take_down(struct docker *d, const struct action *a, const char *id)
{
	struct err ignored = ERR_INIT;

	if (a->reuse_id) {
		docker_container_stop(d, id, 0, &ignored);
		return rename_force(d, id, a->reuse_name, &ignored);
	}
	return docker_container_remove(d, id, true, &ignored);
}

/* Put the old container of a replace or remove back under its name, running. */
static int put_back(struct docker *d, const struct action *a, struct err *err)
{
	int rc = rename_force(d, a->container_id, a->container_name, err);

	if (rc == 0)
		rc = docker_container_start(d, a->container_id, err);
	return rc;
}

static int gate(struct docker *d, struct apply_run *run, const struct action *a, const char *id,
                struct reconcile_result *res)
{
	char prefix[300];
	struct gate_watch_ctx wctx = { run, a };
	struct reconcile_gate_watch watch = { gate_attempt, &wctx };
	int rc = reconcile_wait_up_watched(&res->up_s, d, a->service, id,
	                                   is_job(run->p, a->service), &watch, &res->err);

	if (rc < 0) {
		/* Name the service and replica in the reason. */
		struct err e = res->err;

		snprintf(prefix, sizeof(prefix), "%s#%u", a->target, a->replica);
		err_clear(&res->err);
		err_set(&res->err, e.code, "%s: %s", prefix, e.msg);
	}
	return rc;
}

static int run_replace(struct docker *d, struct apply_run *run, const struct action *a,
                       struct reconcile_result *res)
{
	struct err *err = &res->err;
	struct err ignored = ERR_INIT;
	char *id = NULL;
	int rc;

	if (a->start_first) {
		rc = rename_force(d, a->container_id, a->retain_name, err);
		/* Crash-safety tests die here: the old container renamed, still running. */
		if (rc == 0 && getenv("DEPLOYCTL_TEST_KILL_IN_REPLACE"))
			raise(SIGKILL);
	} else {
		step(run, a, "stopping old", 0);
		rc = docker_container_stop(d, a->container_id, -1, err);
		if (rc == 0)
			rc = rename_force(d, a->container_id, a->retain_name, err);
	}
	if (rc < 0)
		return rc;
	rc = bring_up(&id, d, run, a, err);
	if (rc == 0)
		rc = gate(d, run, a, id, res);
	if (rc < 0) {
		/* The old container comes back at once; it never stopped if start-first. */
		if (id && take_down(d, a, id) < 0)
			res->undo_failed = true;
		free(id);
		if (put_back(d, a, &ignored) < 0)
			res->undo_failed = true;
		else
			res->undone = true;
		return rc;
	}
	if (a->start_first)
		step(run, a, "stopping old", 0);
	if (a->start_first && docker_container_stop(d, a->container_id, -1, err) < 0) {
		free(id);
		return ERR_DOCKER;
	}
	res->container_id = id;
	return 0;
}

static int run_action(struct docker *d, struct apply_run *run, const struct action *a,
                      struct reconcile_result *res)
{
	struct err *err = &res->err;
	char *id = NULL;
	int rc = 0;

	switch (a->kind) {
	case ACTION_NETWORK_CREATE: {
		const struct project_network *net = model_network_find(run->p, a->target);

		rc = docker_network_create(&id, d, run->p, net, a->docker_name, err);
		if (rc == 0) {
			pthread_mutex_lock(&run->lock);
			rc = kvv_set(run->network_ids, a->target, id);
			pthread_mutex_unlock(&run->lock);
			if (rc < 0)
				rc = err_set(err, ERR_NOMEM, "out of memory");
		}
		free(id);
		break;
	}
	case ACTION_VOLUME_CREATE:
		rc = docker_volume_create(d, run->p, model_volume_find(run->p, a->target),
		                          a->docker_name, err);
		break;
	case ACTION_CREATE:
		rc = bring_up(&id, d, run, a, err);
		if (rc == 0)
			rc = gate(d, run, a, id, res);
		if (rc < 0 && id) {
			if (take_down(d, a, id) < 0)
				res->undo_failed = true;
			else
				res->undone = true;
			free(id);
		} else {
			res->container_id = id;
		}
		break;
	case ACTION_REPLACE:
		rc = run_replace(d, run, a, res);
		break;
	case ACTION_START:
		step(run, a, "starting", 0);
		rc = docker_container_start(d, a->container_id, err);
		if (rc == 0)
			rc = gate(d, run, a, a->container_id, res);
		break;
	case ACTION_REMOVE:
		step(run, a, "stopping", 0);
		rc = docker_container_stop(d, a->container_id, -1, err);
		if (rc == 0 && !a->retain_name)
			rc = docker_container_remove(d, a->container_id, true, err);
		else if (rc == 0 && strcmp(a->retain_name, a->container_name))
			rc = rename_force(d, a->container_id, a->retain_name, err);
		break;
	case ACTION_NETWORK_REMOVE:
		rc = docker_network_remove(d, a->container_id, err);
		break;
	case ACTION_VOLUME_REMOVE:
		rc = docker_volume_remove(d, a->docker_name, err);
		break;
	}
	res->rc = rc;
	return rc;
}

/* Undo a completed action during the automatic rollback. */
static void undo_action(struct docker *d, const struct action *a, struct reconcile_result *res)
{
	struct err ignored = ERR_INIT;
	int rc = 0;

	switch (a->kind) {
	case ACTION_CREATE:
		if (res->container_id)
			rc = take_down(d, a, res->container_id);
		break;
	case ACTION_REPLACE:
		if (res->container_id && take_down(d, a, res->container_id) < 0)
			rc = ERR_DOCKER;
		if (put_back(d, a, &ignored) < 0)
			rc = ERR_DOCKER;
		break;
	case ACTION_REMOVE:
		/* Kept under another name: bring it back. A stray retained one stays stopped. */
		if (a->retain_name && strcmp(a->retain_name, a->container_name))
			rc = put_back(d, a, &ignored);
		break;
	default:
		return; /* networks and volumes stay; a started container stays started */
	}
	if (rc < 0)
		res->undo_failed = true;
	else
		res->undone = true;
}

/* Take the next action of the stage, run it, until the stage is drained. */
static void stage_drain(struct docker *d, struct apply_run *run)
{
	const struct reconcile_progress *progress = run->o->progress;

	for (;;) {
		const struct action *a;
		struct reconcile_result *res;
		size_t i;

		pthread_mutex_lock(&run->lock);
		if (run->next == run->end) {
			pthread_mutex_unlock(&run->lock);
			return;
		}
		i = run->next++;
		a = &run->plan->v[i];
		res = &run->results[i];
		if (progress && progress->action_started)
			progress->action_started(progress->ctx, a);
		pthread_mutex_unlock(&run->lock);

		run_action(d, run, a, res);

		pthread_mutex_lock(&run->lock);
		if (progress && progress->action_done)
			progress->action_done(progress->ctx, a, res->rc < 0 ? &res->err : NULL);
		pthread_mutex_unlock(&run->lock);
	}
}

struct worker {
	pthread_t thread;
	struct apply_run *run;
	struct docker *d;
	int started;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	stage_drain(w->d, w->run);
	return NULL;
}

/* Run [start, end) with up to `want` actions at once. */
static void run_stage(struct docker *d, struct apply_run *run, struct worker *workers,
                      size_t *nworkers, size_t start, size_t end)
{
	size_t w, want = end - start < run->o->parallel ? end - start : run->o->parallel;

	run->next = start;
	run->end = end;
	/* Extra connections only when a stage has more than one action. */
	while (*nworkers + 1 < want) {
		struct err werr = ERR_INIT;

		if (docker_open(&workers[*nworkers].d, run->conn->host, &werr) < 0)
			break;
		workers[(*nworkers)++].run = run;
	}
	for (w = 0; w + 1 < want && w < *nworkers; w++)
		workers[w].started =
		        pthread_create(&workers[w].thread, NULL, worker_main, &workers[w]) == 0;
	stage_drain(d, run);
	for (w = 0; w < *nworkers; w++) {
		if (workers[w].started)
			pthread_join(workers[w].thread, NULL);
		workers[w].started = 0;
	}
}

int reconcile_apply(struct docker *d, const struct docker_connect *conn, const struct project *p,
                    const struct plan *plan, const struct reconcile_opts *o,
                    struct kvv *network_ids, struct reconcile_result *results,
                    struct docker_stats *worker_stats, struct err *err)
{
	struct worker workers[APPLY_MAX_PARALLEL];
	struct reconcile_opts opts = *o;
	struct apply_run run = { .conn = conn,
		                 .p = p,
		                 .plan = plan,
		                 .o = &opts,
		                 .network_ids = network_ids,
		                 .results = results };
	size_t i, start = 0, nworkers = 0;
	int rc = 0;

	memset(workers, 0, sizeof(workers));
	opts.parallel = opts.parallel < 1 ? 1 : opts.parallel;
	opts.parallel = opts.parallel > APPLY_MAX_PARALLEL ? APPLY_MAX_PARALLEL : opts.parallel;
	for (i = 0; i < plan->n; i++)
		results[i].rc = 1;
	pthread_mutex_init(&run.lock, NULL);
	while (start < plan->n && rc == 0) {
		size_t end = start;

		while (end < plan->n && plan->v[end].level == plan->v[start].level)
			end++;
		for (i = start; i < end; i++)
			results[i].rc = 0;
		run_stage(d, &run, workers, &nworkers, start, end);
		for (i = start; i < end; i++) {
			if (results[i].rc < 0 && rc == 0) {
				rc = results[i].rc;
				*err = results[i].err;
			}
		}
		start = end;
	}
	/* A failed stage: put back everything this release already changed, newest first. */
	if (rc < 0 && !opts.no_rollback)
		for (i = start; i-- > 0;)
			if (results[i].rc == 0)
				undo_action(d, &plan->v[i], &results[i]);
	for (i = 0; i < nworkers; i++) {
		struct docker_stats s;

		docker_get_stats(&s, workers[i].d);
		if (worker_stats) {
			worker_stats->calls += s.calls;
			worker_stats->mutating += s.mutating;
		}
		docker_free(workers[i].d);
	}
	pthread_mutex_destroy(&run.lock);
	return rc;
}

void reconcile_results_release(struct reconcile_result *results, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(results[i].container_id);
		results[i].container_id = NULL;
	}
}

static int release_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x < y) - (x > y); /* newest first */
}

int reconcile_prune(unsigned *removed, struct docker *d, const char *project, unsigned keep,
                    const struct strv *protect, struct err *err)
{
	struct docker_container *c = NULL;
	int64_t *rels = NULL;
	size_t n = 0, i, k, nrels = 0;
	int rc;

	*removed = 0;
	rc = docker_container_list(&c, &n, d, project, err);
	if (rc < 0)
		return rc;
	rels = calloc(n + 1, sizeof(*rels));
	if (!rels) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	/* The distinct releases that have retained containers, newest first. */
	for (i = 0; i < n; i++) {
		int64_t r = c[i].release ? strtoll(c[i].release, NULL, 10) : 0;
		bool seen = false;

		if (!reconcile_is_retained(c[i].name))
			continue;
		for (k = 0; k < nrels && !seen; k++)
			seen = rels[k] == r;
		if (!seen)
			rels[nrels++] = r;
	}
	qsort(rels, nrels, sizeof(*rels), release_cmp);
	for (i = 0; i < n; i++) {
		int64_t r = c[i].release ? strtoll(c[i].release, NULL, 10) : 0;
		bool kept = false;

		if (!reconcile_is_retained(c[i].name) || !strcmp(c[i].state, "running"))
			continue;
		for (k = 0; k < nrels && k < keep && !kept; k++)
			kept = rels[k] == r;
		for (k = 0; c[i].spec_hash && k < protect->n && !kept; k++)
			kept = !strcmp(protect->v[k], c[i].spec_hash);
		if (kept)
			continue;
		rc = docker_container_remove(d, c[i].id, true, err);
		if (rc < 0)
			goto out;
		(*removed)++;
	}
	rc = 0;
out:
	free(rels);
	docker_container_list_free(c, n);
	return rc;
}
