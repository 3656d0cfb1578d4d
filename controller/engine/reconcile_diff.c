/*
 * reconcile_diff.c - desired model + one list call's worth of observed
 * containers -> an ordered plan where every action carries its reason.
 * Pure: the only lookup is the old-spec callback (the release snapshot in
 * the state database), which is what lets a reason say what changed.
 * This file orders the services by dependency, adds the followers of a
 * replaced service and sorts the plan into stages; one service's actions
 * are reconcile_diff_service.c, networks and volumes
 * reconcile_diff_resource.c, the plan as data reconcile_plan.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "deployctl/reconcile.h"
#include "deployctl/spec.h"
#include "reconcile_diff_internal.h"

struct svc_name {
	const char *name;
	unsigned index;
};

static int svc_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct svc_name *)a)->name, ((const struct svc_name *)b)->name);
}

/*
 * Dependency depth of every service (0 without depends_on, else one more
 * than its deepest dependency), computed once in topological order (Kahn):
 * each service and each depends_on edge is visited once, however dense the
 * graph. *out new, one entry per service. Cycles were refused by the
 * loader; a service on one would keep the depth reached so far.
 */
static int dep_levels(unsigned **out, const struct project *p)
{
	size_t n = p->nservices, nedges = 0, i, k, head = 0, tail = 0;
	struct svc_name *byname = calloc(n + 1, sizeof(*byname));
	unsigned *level = calloc(n + 1, sizeof(*level));
	unsigned *waiting = calloc(n + 1, sizeof(*waiting)); /* deps not yet levelled */
	size_t *first = calloc(n + 2, sizeof(*first)), *queue = calloc(n + 1, sizeof(*queue));
	unsigned *dependents = NULL;
	int rc = ERR_NOMEM;

	if (!byname || !level || !waiting || !first || !queue)
		goto out;
	for (i = 0; i < n; i++) {
		byname[i].name = p->services[i].name;
		byname[i].index = (unsigned)i;
		nedges += p->services[i].ndeps;
	}
	qsort(byname, n, sizeof(*byname), svc_name_cmp);
	dependents = calloc(nedges + 1, sizeof(*dependents));
	if (!dependents)
		goto out;
	/* dependents of t: dependents[first[t] .. first[t + 1]) */
	for (i = 0; i < n; i++)
		for (k = 0; k < p->services[i].ndeps; k++) {
			struct svc_name key = { p->services[i].deps[k].service, 0 }, *t;

			t = bsearch(&key, byname, n, sizeof(*byname), svc_name_cmp);
			if (t && t->index != i) {
				first[t->index + 2]++;
				waiting[i]++;
			}
		}
	for (i = 2; i < n + 2; i++)
		first[i] += first[i - 1];
	for (i = 0; i < n; i++)
		for (k = 0; k < p->services[i].ndeps; k++) {
			struct svc_name key = { p->services[i].deps[k].service, 0 }, *t;

			t = bsearch(&key, byname, n, sizeof(*byname), svc_name_cmp);
			if (t && t->index != i)
				dependents[first[t->index + 1]++] = (unsigned)i;
		}
	for (i = 0; i < n; i++)
		if (!waiting[i])
			queue[tail++] = i;
	while (head < tail) {
		size_t t = queue[head++];

		for (k = first[t]; k < first[t + 1]; k++) {
			unsigned s = dependents[k];

			if (level[s] < level[t] + 1)
				level[s] = level[t] + 1;
			if (--waiting[s] == 0)
				queue[tail++] = s;
		}
	}
	*out = level;
	level = NULL;
	rc = 0;
out:
	free(byname);
	free(level);
	free(waiting);
	free(first);
	free(queue);
	free(dependents);
	return rc;
}

/* Which service does a "service:NAME[:opt]" reference name? Into buf; NULL if none. */
static const char *service_ref(char *buf, size_t size, const char *v)
{
	if (!v || strncmp(v, "service:", 8))
		return NULL;
	snprintf(buf, size, "%s", v + 8);
	buf[strcspn(buf, ":")] = '\0';
	return buf;
}

/* Does the plan create or replace a container of service x? */
static bool plan_renews(const struct plan *plan, const char *x)
{
	size_t i;

	for (i = 0; i < plan->n; i++)
		if ((plan->v[i].kind == ACTION_CREATE || plan->v[i].kind == ACTION_REPLACE) &&
		    !strcmp(plan->v[i].target, x))
			return true;
	return false;
}

static bool plan_has(const struct plan *plan, const char *service, unsigned replica)
{
	size_t i;

	for (i = 0; i < plan->n; i++)
		if (plan->v[i].replica == replica && !strcmp(plan->v[i].target, service))
			return true;
	return false;
}

/*
 * A service that shares another's container (network_mode, pid or ipc
 * "service:X", volumes_from "service:X") points at that container's ID:
 * when X gets a new container, the follower must be recreated too, though
 * its own spec did not change.
 */
static int diff_followers(struct plan *plan, const struct reconcile_input *in,
                          const unsigned *levels)
{
	const struct project *p = in->desired;
	size_t si, i, k;
	int rc = 0;

	for (si = 0; si < p->nservices && rc == 0; si++) {
		const struct service *s = &p->services[si];
		const char *why = NULL, *x = NULL;
		char buf[256];

		if ((x = service_ref(buf, sizeof(buf), s->network_mode)) && plan_renews(plan, x))
			why = "network_mode";
		else if ((x = service_ref(buf, sizeof(buf), s->pid)) && plan_renews(plan, x))
			why = "pid";
		else if ((x = service_ref(buf, sizeof(buf), s->ipc)) && plan_renews(plan, x))
			why = "ipc";
		for (k = 0; !why && k < s->volumes_from.n; k++)
			if ((x = service_ref(buf, sizeof(buf), s->volumes_from.v[k])) &&
			    plan_renews(plan, x))
				why = "volumes_from";
		if (!why)
			continue;
		for (i = 0; i < in->ncontainers && rc == 0; i++) {
			const struct docker_container *c = &in->containers[i];
			char *name;
			struct action_args a = { .kind = ACTION_REPLACE,
				                 .target = s->name,
				                 .replica = c->replica,
				                 .container_id = c->id,
				                 .service = s,
				                 .hash = in->hashes[si] };

			if (!c->service || strcmp(c->service, s->name) || !c->replica ||
			    c->replica > s->replicas || reconcile_is_kept(c->name) ||
			    plan_has(plan, s->name, c->replica))
				continue;
			name = model_container_name(p, s->name, c->replica);
			a.container_name = name;
			a.level = LEVEL_SERVICES + levels[si] * LEVELS_PER_DEP;
			a.retain_name = name ? reconcile_retained_name(name, c->release) : NULL;
			rc = a.retain_name ? reconcile_plan_replace_order(plan, &a, s) : ERR_NOMEM;
			if (rc == 0) {
				rc = reconcile_plan_add(
				        plan, &a,
				        reconcile_fmt("follows %s, which gets a new container "
				                      "(%s: service:%s)",
				                      x, why, x));
			} else {
				free(a.retain_name);
				free(a.order_why);
			}
			free(name);
		}
	}
	return rc;
}

/* Is container id brought back by an action of p? */
static bool reused(const struct plan *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->v[i].reuse_id && !strcmp(p->v[i].reuse_id, id))
			return true;
	return false;
}

int reconcile_diff(struct plan *out, const struct reconcile_input *in, struct err *err)
{
	struct plan plan = { 0 };
	struct strv kept_nets = { 0 }, kept_vols = { 0 };
	bool *claimed = calloc(in->ncontainers + 1, sizeof(*claimed));
	struct reconcile_groups groups = { 0 };
	unsigned *levels = NULL;
	size_t i;
	unsigned last = LEVEL_SERVICES;
	int rc = 0;

	if (!claimed || dep_levels(&levels, in->desired) < 0 ||
	    reconcile_groups_build(&groups, in) < 0) {
		free(claimed);
		free(levels);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < in->desired->nservices && rc == 0; i++)
		rc = reconcile_diff_service(&plan, in, i, &groups, levels[i], claimed, &kept_nets,
		                            &kept_vols);
	if (rc == 0)
		rc = diff_followers(&plan, in, levels);
	/* Containers of services no longer in the manifests: kept, stopped, for a way back. */
	for (i = 0; i < in->ncontainers && rc == 0; i++) {
		const struct docker_container *o = &in->containers[i];
		struct action_args a = { .kind = ACTION_REMOVE,
			                 .target = o->service ? o->service : o->name,
			                 .replica = o->replica,
			                 .container_id = o->id,
			                 .container_name = o->name,
			                 .level = LEVEL_REMOVE };

		if (claimed[i] || reused(&plan, o->id))
			continue;
		/* A retained container still running: a rollout was interrupted. Stop it. */
		if (reconcile_is_kept(o->name)) {
			if (strcmp(o->state, "running"))
				continue;
			a.retain_name = strdup(o->name);
			rc = a.retain_name ? reconcile_plan_add(
			                             &plan, &a,
			                             reconcile_fmt("retained but still running (an "
			                                           "interrupted rollout)"))
			                   : ERR_NOMEM;
			continue;
		}
		if (o->service && !(a.retain_name = reconcile_retained_name(o->name, o->release))) {
			rc = ERR_NOMEM;
			break;
		}
		rc = reconcile_plan_add(&plan, &a,
		                        reconcile_fmt(o->service ? "service removed from manifests"
		                                                 : "no service label"));
	}
	if (rc < 0)
		goto out;
	if (in->have_resources) {
		rc = reconcile_diff_resources(&plan, in);
		if (rc < 0)
			goto out;
	} else {
		strv_sort(&kept_nets);
		strv_sort(&kept_vols);
		plan.need_resources = !reconcile_resources_proven(in, &kept_nets, &kept_vols);
		for (i = 0; i < plan.n; i++)
			if (plan.v[i].kind == ACTION_CREATE || plan.v[i].kind == ACTION_REPLACE)
				plan.need_resources = true;
	}
	/* Network removals go last, after the containers that used them. */
	for (i = 0; i < plan.n; i++)
		if (plan.v[i].level != (unsigned)-1 && plan.v[i].level >= last)
			last = plan.v[i].level + 1;
	for (i = 0; i < plan.n; i++)
		if (plan.v[i].level == (unsigned)-1)
			plan.v[i].level = last;
	if (plan.n)
		qsort(plan.v, plan.n, sizeof(*plan.v), reconcile_action_cmp);
	*out = plan;
	memset(&plan, 0, sizeof(plan));
out:
	if (rc < 0)
		rc = err_set(err, rc, "out of memory");
	reconcile_plan_release(&plan);
	strv_free(&kept_nets);
	strv_free(&kept_vols);
	free(claimed);
	free(levels);
	reconcile_groups_release(&groups);
	return rc;
}
