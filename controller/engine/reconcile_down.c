/*
 * reconcile_down.c - the plan of "deployctl down": every container the
 * project's label finds (live, retained from earlier releases, failed) is
 * removed, then the project's networks, then — only when asked — the
 * volumes it created. External networks and volumes carry no project label
 * (deployctl never created them), so they are never in the listings and
 * never in the plan. With keep_history the containers are stopped and kept
 * (retained) and the networks they are attached to stay. Pure, like
 * reconcile_diff().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/reconcile.h"
#include "reconcile_diff_internal.h"

/* Containers first (they hold the networks and volumes), then networks, then volumes. */
#define DOWN_LEVEL_CONTAINERS 0
#define DOWN_LEVEL_NETWORKS   1
#define DOWN_LEVEL_VOLUMES    2

struct down_add {
	enum action_kind kind;
	const char *target, *id, *name, *docker_name, *retain_name;
	unsigned replica, level;
	const char *reason;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int down_add(struct plan *p, const struct down_add *a)
{
	struct action *v = realloc(p->v, (p->n + 1) * sizeof(*v)), *n;

	if (!v)
		return ERR_NOMEM;
	p->v = v;
	n = &v[p->n++];
	memset(n, 0, sizeof(*n));
	n->kind = a->kind;
	n->replica = a->replica;
	n->level = a->level;
	n->target = strdup(a->target);
	n->reason = strdup(a->reason);
	n->container_id = dup_or_null(a->id);
	n->container_name = dup_or_null(a->name);
	n->docker_name = dup_or_null(a->docker_name);
	n->retain_name = dup_or_null(a->retain_name);
	if (!n->target || !n->reason || (a->id && !n->container_id) ||
	    (a->name && !n->container_name) || (a->docker_name && !n->docker_name) ||
	    (a->retain_name && !n->retain_name))
		return ERR_NOMEM;
	return 0;
}

/* One container: deleted, or with keep_history stopped and kept under its retained name. */
static int down_container(struct plan *p, const struct docker_container *c,
                          const struct reconcile_down_opts *o)
{
	bool retained = reconcile_is_retained(c->name);
	char *keep_as = NULL, reason[160];
	struct down_add a = { .kind = ACTION_REMOVE,
		              .target = c->service ? c->service : c->name,
		              .id = c->id,
		              .name = c->name,
		              .replica = c->replica,
		              .level = DOWN_LEVEL_CONTAINERS,
		              .reason = reason };
	int rc;

	if (o->keep_history && retained && strcmp(c->state, "running"))
		return 0; /* already what keep_history leaves behind */
	/* A retained container is named by its own name: "web#1" is the live one. */
	if (retained) {
		a.target = c->name;
		a.replica = 0;
	}
	if (o->keep_history) {
		/* A running retained one (an interrupted rollout) keeps its name; stopped. */
		keep_as = retained ? strdup(c->name) : reconcile_retained_name(c->name, c->release);
		if (!keep_as)
			return ERR_NOMEM;
		a.retain_name = keep_as;
		snprintf(reason, sizeof(reason), "down: stopped and kept for a rollback");
	} else if (retained) {
		snprintf(reason, sizeof(reason), "down: retained container of release %s",
		         c->release ? c->release : "?");
	} else if (!strcmp(c->state, "running") || !strcmp(c->state, "restarting")) {
		snprintf(reason, sizeof(reason), "down");
	} else {
		snprintf(reason, sizeof(reason), "down (%s)", c->state);
	}
	rc = down_add(p, &a);
	free(keep_as);
	return rc;
}

int reconcile_down(struct plan *out, const struct reconcile_input *in,
                   const struct reconcile_down_opts *opts, struct err *err)
{
	struct plan plan = { 0 };
	size_t i;
	int rc = 0;

	for (i = 0; i < in->ncontainers && rc == 0; i++)
		rc = down_container(&plan, &in->containers[i], opts);
	for (i = 0; i < in->nnetworks && rc == 0; i++) {
		const struct docker_resource *n = &in->networks[i];
		struct down_add a = { .kind = ACTION_NETWORK_REMOVE,
			              .target = n->key ? n->key : n->name,
			              .id = n->id,
			              .docker_name = n->name,
			              .level = DOWN_LEVEL_NETWORKS,
			              .reason = "down" };

		/* Kept containers are attached to these networks by ID: they must stay. */
		if (!opts->keep_history)
			rc = down_add(&plan, &a);
	}
	for (i = 0; i < in->nvolumes && rc == 0; i++) {
		const struct docker_resource *v = &in->volumes[i];
		struct down_add a = { .kind = ACTION_VOLUME_REMOVE,
			              .target = v->key ? v->key : v->name,
			              .docker_name = v->name,
			              .level = DOWN_LEVEL_VOLUMES,
			              .reason = "down --volumes: its data is deleted" };

		/* Without the volume label deployctl did not create it: not ours to delete. */
		if (opts->volumes && v->key)
			rc = down_add(&plan, &a);
		else
			rc = strv_push(&plan.notes, v->name);
	}
	if (rc < 0) {
		reconcile_plan_release(&plan);
		return err_set(err, rc, "out of memory");
	}
	if (plan.n)
		qsort(plan.v, plan.n, sizeof(*plan.v), reconcile_action_cmp);
	*out = plan;
	return 0;
}
