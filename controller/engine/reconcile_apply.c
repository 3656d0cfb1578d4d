/*
 * reconcile_apply.c - run a plan against Docker, stage by stage, each
 * container action gated on the container being up. Within a stage (one
 * dependency level, or one group of replicas) up to `parallel` actions run
 * at once, each worker on its own keep-alive connection: starts dominate
 * an apply and a few in flight overlap them (DOCKER-NOTES: ~4 on 2 cores).
 * An action whose container is waiting out its settle time does no Docker
 * work: it gives its slot to the next action meanwhile (more workers than
 * slots), so that the settle times of a stage overlap its starts instead
 * of adding up (50 services at -j 4: 50 / 4 x 0.5 s less).
 *
 * Old containers are never deleted by a rollout: they are stopped and kept
 * under a retained name, so a failed gate puts the previous containers
 * back without a create or a pull, and so does `deployctl rollback`. The
 * container steps of an action are in reconcile_steps.c.
 *
 * SIGINT/SIGTERM (sig_pending()): no new action is taken; an action whose
 * gate is waiting is undone as a failed gate would be (and with it the
 * release, by the automatic rollback); actions that finished stay.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/fault.h"
#include "deployctl/model_secret.h"
#include "deployctl/sig.h"
#include "reconcile_internal.h"

#define APPLY_MAX_PARALLEL 8
/* Workers per slot: enough that a slot is busy while others settle. */
#define APPLY_WORKERS_PER_SLOT 3
#define APPLY_MAX_WORKERS      (APPLY_MAX_PARALLEL * APPLY_WORKERS_PER_SLOT)

/* Take a slot (under run->lock). */
static void slot_take_locked(struct apply_run *run)
{
	while (!run->slots_free)
		pthread_cond_wait(&run->slot_cond, &run->lock);
	run->slots_free--;
}

static void slot_give(struct apply_run *run)
{
	pthread_mutex_lock(&run->lock);
	run->slots_free++;
	/* All: a worker that finds the stage drained leaves without the slot. */
	pthread_cond_broadcast(&run->slot_cond);
	pthread_mutex_unlock(&run->lock);
}

bool apply_is_job(const struct project *p, const struct service *s)
{
	size_t i, k;

	for (i = 0; i < p->nservices; i++)
		for (k = 0; k < p->services[i].ndeps; k++)
			if (p->services[i].deps[k].condition == DEP_COMPLETED &&
			    !strcmp(p->services[i].deps[k].service, s->name))
				return true;
	return false;
}

void apply_step(const struct apply_run *run, const struct action *a, const char *state,
                unsigned attempt)
{
	const struct reconcile_progress *p = run->o->progress;

	if (p && p->action_state)
		p->action_state(p->ctx, a, state, attempt);
}

struct gate_watch_ctx {
	struct apply_run *run;
	const struct action *a;
};

void apply_idle(struct apply_run *run, bool idle)
{
	if (idle) {
		slot_give(run);
		return;
	}
	pthread_mutex_lock(&run->lock);
	slot_take_locked(run);
	pthread_mutex_unlock(&run->lock);
}

/* Waiting out a settle time: the slot goes to another action meanwhile. */
static void gate_idle(void *arg, bool idle)
{
	struct gate_watch_ctx *w = arg;

	apply_idle(w->run, idle);
}

/* Each look of the gate at the container, for the progress view. */
static void gate_attempt(void *arg, unsigned n)
{
	struct gate_watch_ctx *w = arg;
	const struct service *s = w->a->service;

	apply_step(w->run, w->a,
	           apply_is_job(w->run->p, s)            ? "waiting for it to complete"
	           : s->health.set && !s->health.disable ? "waiting for health"
	                                                 : "waiting until it keeps running",
	           n);
}

int apply_gate(struct docker *d, struct apply_run *run, const struct action *a, const char *id,
               struct reconcile_result *res)
{
	struct gate_watch_ctx wctx = { run, a };
	struct reconcile_gate_watch watch = { gate_attempt, &wctx, gate_idle };
	char prefix[300];
	int rc = reconcile_wait_up_watched(&res->up_s, d, a->service, id,
	                                   apply_is_job(run->p, a->service), &watch, &res->err);

	if (rc < 0) {
		/* Name the service and replica in the reason. */
		struct err e = res->err;

		snprintf(prefix, sizeof(prefix), "%s#%u", a->target, a->replica);
		err_clear(&res->err);
		err_set(&res->err, e.code, "%s: %s", prefix, e.msg);
	}
	return rc;
}

static int run_action(struct docker *d, struct apply_run *run, const struct action *a,
                      struct reconcile_result *res)
{
	struct err *err = &res->err;
	char *id = NULL;
	int rc = 0;

	switch (a->kind) {
	case ACTION_NETWORK_CREATE:
	case ACTION_VOLUME_CREATE: {
		enum res_kind k = a->kind == ACTION_NETWORK_CREATE ? RES_NETWORK : RES_VOLUME;

		rc = docker_resource_create(&id, d, k, run->p, model_res_find(run->p, k, a->target),
		                            a->docker_name, err);
		if (rc == 0 && id) {
			pthread_mutex_lock(&run->lock);
			rc = kvv_set(run->network_ids, a->target, id);
			pthread_mutex_unlock(&run->lock);
			if (rc < 0)
				rc = err_set(err, ERR_NOMEM, "out of memory");
		}
		free(id);
		break;
	}
	case ACTION_CREATE:
		rc = apply_bring_up(&id, d, run, a, a->container_name, err);
		if (rc == 0)
			rc = apply_gate(d, run, a, id, res);
		if (rc < 0 && id) {
			if (apply_take_down(d, run, a, id, a->container_name, true, res) < 0) {
				res->undo_failed = true;
				res->container_id = id; /* still there */
				id = NULL;
			} else {
				res->undone = true;
			}
			free(id);
		} else {
			res->container_id = id;
		}
		break;
	case ACTION_REPLACE:
		rc = apply_replace(d, run, a, res);
		break;
	case ACTION_START:
		rc = apply_start(d, run, a, res);
		break;
	case ACTION_REMOVE:
		apply_step(run, a, "stopping", 0);
		rc = docker_container_stop(d, a->container_id, -1, err);
		if (rc == 0)
			apply_note(run, a, "stopped", a->container_id, a->container_name, NULL);
		/* A previous release ran it: never its volumes. */
		if (rc == 0 && !a->retain_name) {
			rc = docker_container_remove(d, a->container_id, DOCKER_REMOVE_FORCE, err);
			if (rc == 0)
				apply_note(run, a, "removed", a->container_id, a->container_name,
				           NULL);
		} else if (rc == 0 && strcmp(a->retain_name, a->container_name)) {
			rc = apply_rename(d, run, a, a->container_id, a->retain_name, err);
		}
		break;
	case ACTION_NETWORK_REMOVE: /* by ID */
		rc = docker_resource_remove(d, RES_NETWORK, a->container_id, err);
		break;
	case ACTION_VOLUME_REMOVE: /* by name, its ID */
		rc = docker_resource_remove(d, RES_VOLUME, a->docker_name, err);
		break;
	}
	res->rc = rc;
	return rc;
}

/* Undo a completed action during the automatic rollback. */
static void undo_action(struct docker *d, struct apply_run *run, const struct action *a,
                        struct reconcile_result *res)
{
	struct err ignored = ERR_INIT;
	int rc = 0;

	switch (a->kind) {
	case ACTION_CREATE:
		if (res->container_id)
			rc = apply_take_down(d, run, a, res->container_id, a->container_name, false,
			                     res);
		break;
	case ACTION_REPLACE:
		if (res->container_id && apply_take_down(d, run, a, res->container_id,
		                                         a->container_name, false, res) < 0)
			rc = ERR_DOCKER;
		if (apply_put_back(d, run, a, &ignored) < 0)
			rc = ERR_DOCKER;
		break;
	case ACTION_REMOVE:
		/* Kept under another name: bring it back. A stray retained one stays stopped. */
		if (a->retain_name && strcmp(a->retain_name, a->container_name))
			rc = apply_put_back(d, run, a, &ignored);
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
/*
 * An outcome says what a container printed (log tail, health output): it
 * may hold a secret of the release. Scrubbed before anyone sees it, so it
 * is printed, recorded and returned without any secret value.
 */
static void scrub_outcome(struct apply_run *run, struct reconcile_result *res)
{
	if (!res->err.code)
		return;
	if (run->secrets_unknown) {
		snprintf(res->err.msg, sizeof(res->err.msg),
		         "failed (output withheld: out of memory hiding secrets)");
		res->err.src[0] = '\0';
		return;
	}
	model_scrub_err(&res->err, &run->secrets);
}

static void stage_drain(struct docker *d, struct apply_run *run)
{
	const struct reconcile_progress *progress = run->o->progress;

	for (;;) {
		const struct action *a;
		struct reconcile_result *res;
		size_t i;

		pthread_mutex_lock(&run->lock);
		for (;;) {
			/* Asked to stop: what was not taken yet is skipped. */
			while (sig_pending() && run->next < run->end)
				run->results[run->next++].rc = 1;
			if (run->next == run->end) {
				pthread_mutex_unlock(&run->lock);
				return;
			}
			if (run->slots_free)
				break;
			pthread_cond_wait(&run->slot_cond, &run->lock);
		}
		run->slots_free--;
		i = run->next++;
		a = &run->plan->v[i];
		res = &run->results[i];
		if (progress && progress->action_started)
			progress->action_started(progress->ctx, a);
		pthread_mutex_unlock(&run->lock);

		run_action(d, run, a, res);
		slot_give(run);
		scrub_outcome(run, res);

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
	size_t w, want = run->o->parallel * APPLY_WORKERS_PER_SLOT;

	if (want > end - start)
		want = end - start;
	run->next = start;
	run->end = end;
	run->slots_free = run->o->parallel;
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
	struct worker workers[APPLY_MAX_WORKERS];
	struct reconcile_opts opts = *o;
	struct apply_run run = { .conn = conn,
		                 .p = p,
		                 .plan = plan,
		                 .o = &opts,
		                 .network_ids = network_ids,
		                 .results = results };
	size_t i, start = 0, nworkers = 0, skipped = 0;
	int rc = 0;

	memset(workers, 0, sizeof(workers));
	opts.parallel = opts.parallel < 1 ? 1 : opts.parallel;
	opts.parallel = opts.parallel > APPLY_MAX_PARALLEL ? APPLY_MAX_PARALLEL : opts.parallel;
	for (i = 0; i < plan->n; i++)
		results[i].rc = 1;
	run.secrets_unknown = model_secrets_collect(&run.secrets, p) < 0;
	pthread_mutex_init(&run.lock, NULL);
	pthread_cond_init(&run.slot_cond, NULL);
	while (start < plan->n && rc == 0 && !sig_pending()) {
		size_t end = start;

		while (end < plan->n && plan->v[end].level == plan->v[start].level)
			end++;
		if (opts.stage_hook && (rc = opts.stage_hook(opts.stage_ctx, start, err)) < 0)
			break;
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
	if (rc == 0 && start == plan->n && opts.stage_hook && !sig_pending())
		rc = opts.stage_hook(opts.stage_ctx, start, err);
	/* Every action done: the caller's last word (smoke checks) before it counts. */
	if (rc == 0 && start == plan->n && opts.verify && !sig_pending())
		rc = opts.verify(opts.verify_ctx, err);
	/*
	 * A failed stage (an interrupted gate included) or verification: put back everything
	 * this release already changed, newest first.
	 */
	if (rc < 0 && !opts.no_rollback)
		for (i = start; i-- > 0;)
			if (results[i].rc == 0) {
				undo_action(d, &run, &plan->v[i], &results[i]);
				scrub_outcome(&run, &results[i]);
			}
	/* Stopped between actions: what was done stays, the rest was never started. */
	for (i = 0; rc == 0 && i < plan->n; i++)
		skipped += results[i].rc > 0;
	if (rc == 0 && skipped)
		rc = err_set(err, ERR_STOPPED,
		             "interrupted by %s: %zu of %zu action(s) not started",
		             sig_name(sig_pending()), skipped, plan->n);
	for (i = 0; i < nworkers; i++) {
		struct docker_stats s;

		docker_get_stats(&s, workers[i].d);
		if (worker_stats) {
			worker_stats->calls += s.calls;
			worker_stats->mutating += s.mutating;
		}
		docker_free(workers[i].d);
	}
	pthread_cond_destroy(&run.slot_cond);
	pthread_mutex_destroy(&run.lock);
	strv_free(&run.secrets);
	return rc;
}

void reconcile_results_release(struct reconcile_result *results, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(results[i].container_id);
		results[i].container_id = NULL;
		free(results[i].kept_name);
		results[i].kept_name = NULL;
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

		if (!reconcile_is_kept(c[i].name) || !strcmp(c[i].state, "running"))
			continue;
		/* A container kept after a failed gate goes with the next success. */
		for (k = 0; reconcile_is_retained(c[i].name) && k < nrels && k < keep && !kept; k++)
			kept = rels[k] == r;
		for (k = 0;
		     reconcile_is_retained(c[i].name) && c[i].spec_hash && k < protect->n && !kept;
		     k++)
			kept = !strcmp(protect->v[k], c[i].spec_hash);
		if (kept)
			continue;
		/* Previous releases ran these: their volumes are never removed with them. */
		rc = docker_container_remove(d, c[i].id, DOCKER_REMOVE_FORCE, err);
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
