/*
 * reconcile_apply.c - run a plan against Docker, stage by stage. Within a
 * stage (one dependency level) up to `parallel` actions run at once, each
 * worker on its own keep-alive connection: container starts dominate an
 * apply, and a few in flight overlap them (DOCKER-NOTES: ~4 on 2 cores).
 */
#include <pthread.h>
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
	const char *release;
	struct kvv *network_ids;
	const struct reconcile_progress *progress;
	struct reconcile_result *results;
	size_t next, end; /* the stage's actions not yet taken: [next, end) */
};

static int create_container(char **id_out, struct docker *d, struct apply_run *run,
                            const struct action *a, struct err *err)
{
	struct docker_create c = {
		.project = run->p,
		.service = a->service,
		.name = a->container_name,
		.release = run->release,
		.spec_hash = a->spec_hash,
		.replica = a->replica,
		.network_ids = run->network_ids,
	};
	char *id = NULL;
	int rc;

	rc = docker_container_create(&id, d, &c, err);
	if (rc < 0)
		return rc;
	rc = docker_container_start(d, id, err);
	if (rc < 0) {
		/* Leave nothing half-made behind: the next run creates it afresh. */
		struct err ignored = ERR_INIT;

		docker_container_remove(d, id, true, &ignored);
		free(id);
		return rc;
	}
	*id_out = id;
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
		id = NULL;
		break;
	}
	case ACTION_VOLUME_CREATE:
		rc = docker_volume_create(d, run->p, model_volume_find(run->p, a->target),
		                          a->docker_name, err);
		break;
	case ACTION_CREATE:
		rc = create_container(&id, d, run, a, err);
		break;
	case ACTION_REPLACE:
		rc = docker_container_stop(d, a->container_id, -1, err);
		if (rc == 0)
			rc = docker_container_remove(d, a->container_id, true, err);
		if (rc == 0)
			rc = create_container(&id, d, run, a, err);
		break;
	case ACTION_START:
		rc = docker_container_start(d, a->container_id, err);
		break;
	case ACTION_REMOVE:
		rc = docker_container_stop(d, a->container_id, -1, err);
		if (rc == 0)
			rc = docker_container_remove(d, a->container_id, true, err);
		break;
	case ACTION_NETWORK_REMOVE:
		rc = docker_network_remove(d, a->container_id, err);
		break;
	}
	res->rc = rc;
	res->container_id = id;
	return rc;
}

/* Take the next action of the stage, run it, until the stage is drained. */
static void stage_drain(struct docker *d, struct apply_run *run)
{
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
		if (run->progress && run->progress->action_started)
			run->progress->action_started(run->progress->ctx, a);
		pthread_mutex_unlock(&run->lock);

		run_action(d, run, a, res);

		pthread_mutex_lock(&run->lock);
		if (run->progress && run->progress->action_done)
			run->progress->action_done(run->progress->ctx, a,
			                           res->rc < 0 ? &res->err : NULL);
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

int reconcile_apply(struct docker *d, const struct docker_connect *conn, const struct project *p,
                    const struct plan *plan, const char *release, struct kvv *network_ids,
                    unsigned parallel, const struct reconcile_progress *progress,
                    struct reconcile_result *results, struct docker_stats *worker_stats,
                    struct err *err)
{
	struct worker workers[APPLY_MAX_PARALLEL];
	struct apply_run run = { .conn = conn,
		                 .p = p,
		                 .plan = plan,
		                 .release = release,
		                 .network_ids = network_ids,
		                 .progress = progress,
		                 .results = results };
	size_t i, start = 0, nworkers = 0;
	int rc = 0;

	memset(workers, 0, sizeof(workers));
	if (parallel < 1)
		parallel = 1;
	if (parallel > APPLY_MAX_PARALLEL)
		parallel = APPLY_MAX_PARALLEL;
	for (i = 0; i < plan->n; i++)
		results[i].rc = 1;
	pthread_mutex_init(&run.lock, NULL);
	while (start < plan->n && rc == 0) {
		size_t end = start, w, want;

		while (end < plan->n && plan->v[end].level == plan->v[start].level)
			end++;
		for (i = start; i < end; i++)
			results[i].rc = 0;
		run.next = start;
		run.end = end;
		/* Extra connections only when a stage has more than one action. */
		want = end - start < parallel ? end - start : parallel;
		while (nworkers + 1 < want) {
			struct err werr = ERR_INIT;

			if (docker_open(&workers[nworkers].d, conn->host, &werr) < 0)
				break;
			workers[nworkers++].run = &run;
		}
		for (w = 0; w + 1 < want && w < nworkers; w++)
			workers[w].started = pthread_create(&workers[w].thread, NULL, worker_main,
			                                    &workers[w]) == 0;
		stage_drain(d, &run);
		for (w = 0; w < nworkers; w++) {
			if (workers[w].started)
				pthread_join(workers[w].thread, NULL);
			workers[w].started = 0;
		}
		for (i = start; i < end; i++) {
			if (results[i].rc < 0 && rc == 0) {
				rc = results[i].rc;
				*err = results[i].err;
			}
		}
		start = end;
	}
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
