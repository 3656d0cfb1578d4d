/*
 * reconcile_diff_service.c - one service's part of the plan: for each
 * replica, whether its container is missing, stopped, drifted (spec hash,
 * networks) or up to date, whether a retained container can be reused, and
 * in which order a replace runs (start-first only when no fixed host port
 * or shared mount forbids two at once). Pure, like reconcile_diff.c. The
 * observed containers are grouped by service once per diff
 * (reconcile_groups_build()), so each service looks at its own only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "deployctl/reconcile.h"
#include "deployctl/spec.h"
#include "reconcile_diff_internal.h"

/* An observed container with a service label, for grouping by it. */
struct group_ent {
	const char *service;
	size_t i;
};

/* By service, then observed order, so a group keeps the order of in->containers. */
static int group_ent_cmp(const void *a, const void *b)
{
	const struct group_ent *x = a, *y = b;
	int c = strcmp(x->service, y->service);

	if (c)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The first of e[0..n) whose service is not before name. */
static size_t group_lower(const struct group_ent *e, size_t n, const char *name)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(e[mid].service, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int reconcile_groups_build(struct reconcile_groups *g, const struct reconcile_input *in)
{
	size_t ns = in->desired->nservices, n = 0, i, k;
	struct group_ent *e = calloc(in->ncontainers + 1, sizeof(*e));

	g->idx = calloc(in->ncontainers + 1, sizeof(*g->idx));
	g->first = calloc(ns + 1, sizeof(*g->first));
	g->count = calloc(ns + 1, sizeof(*g->count));
	if (!e || !g->idx || !g->first || !g->count) {
		free(e);
		reconcile_groups_release(g);
		return ERR_NOMEM;
	}
	for (i = 0; i < in->ncontainers; i++)
		if (in->containers[i].service) {
			e[n].service = in->containers[i].service;
			e[n++].i = i;
		}
	qsort(e, n, sizeof(*e), group_ent_cmp);
	for (i = 0; i < n; i++)
		g->idx[i] = e[i].i;
	for (i = 0; i < ns; i++) {
		const char *name = in->desired->services[i].name;

		g->first[i] = k = group_lower(e, n, name);
		while (k < n && !strcmp(e[k].service, name))
			k++;
		g->count[i] = k - g->first[i];
	}
	free(e);
	return 0;
}

void reconcile_groups_release(struct reconcile_groups *g)
{
	free(g->idx);
	free(g->first);
	free(g->count);
	g->idx = g->first = g->count = NULL;
}

/* The reason a container whose spec hash differs must be replaced. */
static char *replace_reason(const struct reconcile_input *in, const struct service *s,
                            const struct docker_container *c, const char *hash)
{
	char *old_json = NULL, *new_json = NULL, *reason = NULL;
	struct err err = ERR_INIT;

	if (c->release && in->old_spec &&
	    in->old_spec(in->old_spec_ctx, &old_json, c->release, s->name) == 0 &&
	    spec_render(&new_json, in->key, in->desired, s, true, &err) == 0)
		spec_reasons(&reason, old_json, new_json, &err);
	if (!reason)
		reason = reconcile_fmt("spec changed (hash %.12s -> %.12s)",
		                       c->spec_hash ? c->spec_hash : "none", hash);
	free(old_json);
	free(new_json);
	return reason;
}

/* Docker names of the networks a service's containers must be attached to, sorted. */
static int wanted_networks(struct strv *out, const struct project *p, const struct service *s)
{
	size_t i;

	for (i = 0; i < s->nnetworks; i++) {
		char *name = model_res_docker_name(p, RES_NETWORK, s->networks[i].name);
		int rc = name ? strv_push(out, name) : ERR_NOMEM;

		free(name);
		if (rc < 0)
			return rc;
	}
	strv_sort(out);
	return 0;
}

/*
 * Decide what one existing container of a service needs. Returns the
 * action kind, or -1 when it matches, with *reason new.
 */
static int container_drift(char **reason, const struct reconcile_input *in, const struct service *s,
                           const struct docker_container *c, const char *hash,
                           const char *want_name, const struct strv *want_nets)
{
	if (in->adopt && in->adopt[c - in->containers]) {
		*reason = c->owner ? reconcile_fmt("adopted from state %.12s (%s:%s)", c->owner,
		                                   c->owner_host ? c->owner_host : "?",
		                                   c->owner_state ? c->owner_state : "?")
		                   : reconcile_fmt("adopted (no owner label)");
		return ACTION_REPLACE;
	}
	if (!spec_hash_matches(c->spec_hash, hash, in->desired, s)) {
		*reason = replace_reason(in, s, c, hash);
		return ACTION_REPLACE;
	}
	if (strcmp(c->name, want_name)) {
		*reason = reconcile_fmt("renamed by hand (to '%s')", c->name);
		return ACTION_REPLACE;
	}
	/* With network_mode, Docker reports "host"/"none"/...: nothing to compare. */
	if (!s->network_mode && !strv_equal(&c->networks, want_nets)) {
		*reason = reconcile_fmt("networks changed by hand (%zu attached, %zu expected)",
		                        c->networks.n, want_nets->n);
		return ACTION_REPLACE;
	}
	if (!strcmp(c->state, "running") || !strcmp(c->state, "restarting"))
		return -1;
	if (!strcmp(c->state, "paused")) {
		*reason = reconcile_fmt("paused by hand");
		return ACTION_REPLACE;
	}
	if (!strcmp(c->state, "dead") || !strcmp(c->state, "removing")) {
		*reason = reconcile_fmt("container is %s", c->state);
		return ACTION_REPLACE;
	}
	*reason = reconcile_fmt("stopped (%s)", c->status && *c->status ? c->status : c->state);
	return ACTION_START;
}

/*
 * The first mount of s that another container of it must not share while
 * both run: a named volume or a bind mount, written to. Its text ("volume
 * pgdata", "/srv/data read-write") into buf; NULL if none.
 */
static const char *shared_mount(char *buf, size_t size, const struct service *s)
{
	size_t i;

	for (i = 0; i < s->nmounts; i++) {
		const struct svc_mount *m = &s->mounts[i];

		if (m->read_only || !m->source)
			continue;
		if (m->type == MOUNT_VOLUME) {
			snprintf(buf, size, "volume %s", m->source);
			return buf;
		}
		if (m->type == MOUNT_BIND) {
			snprintf(buf, size, "%s read-write", m->source);
			return buf;
		}
	}
	return NULL;
}

/*
 * How a replace of s runs, and why: stop-first when two containers of it
 * must not run at once (a volume or bind mount written to, a fixed host
 * port), else start-first; an explicit order wins. *why (new) is what the
 * plan prints, e.g. "stop-first: mounts volume pgdata"; *warning (new, or
 * NULL) when an explicit start-first shares a mount.
 */
static int replace_order(bool *start_first, char **why, char **warning, const struct service *s)
{
	char mount[300];
	const char *shared = shared_mount(mount, sizeof(mount), s);

	*warning = NULL;
	*start_first = false;
	if (s->rollout.order == ROLLOUT_START_FIRST) {
		*start_first = true;
		*why = reconcile_fmt("start-first: set in x-deployctl.rollout.order%s%s",
		                     shared ? "; the old and the new container share " : "",
		                     shared ? shared : "");
		if (shared && *why &&
		    !(*warning = reconcile_fmt(
		              "%s: start-first: the old and the new container will both "
		              "run on %s during the replace",
		              s->name, shared))) {
			free(*why);
			*why = NULL;
		}
	} else if (s->rollout.order == ROLLOUT_STOP_FIRST) {
		*why = reconcile_fmt("stop-first: set in x-deployctl.rollout.order");
	} else if (shared) {
		*why = reconcile_fmt("stop-first: mounts %s", shared);
	} else if (model_service_fixed_host_port(s)) {
		*why = reconcile_fmt("stop-first: publishes host port %u",
		                     model_service_fixed_host_port(s));
	} else {
		*start_first = true;
		*why = reconcile_fmt("start-first: default");
	}
	return *why ? 0 : ERR_NOMEM;
}

/* Set a's order for a replace of s; a warning goes to the plan once per service. */
int reconcile_plan_replace_order(struct plan *plan, struct action_args *a, const struct service *s)
{
	char *warning = NULL;
	int rc = replace_order(&a->start_first, &a->order_why, &warning, s);

	if (rc == 0 && warning && !reconcile_strv_has(&plan->warnings, warning))
		rc = strv_push(&plan->warnings, warning);
	free(warning);
	return rc;
}

/*
 * A retained container of replica r with the desired spec: the newest
 * release's. A container still under a start-first's temporary name (a
 * run killed while it brought one up or back, t1501) counts too, running
 * or not: else the next run would make another and prune that one,
 * though it may be the only container left of an earlier release.
 */
static const struct docker_container *find_reusable(const struct reconcile_input *in,
                                                    const size_t *group, size_t ngroup,
                                                    const struct service *s, unsigned r,
                                                    const char *hash)
{
	const struct docker_container *best = NULL;
	size_t k, i;

	for (k = 0; k < ngroup; k++) {
		const struct docker_container *o = &in->containers[i = group[k]];
		bool next = reconcile_is_next(o->name);

		if ((in->adopt && in->adopt[i]) || (!reconcile_is_retained(o->name) && !next) ||
		    o->replica != r || !spec_hash_matches(o->spec_hash, hash, in->desired, s) ||
		    (!next && !strcmp(o->state, "running")))
			continue;
		if (!best || (o->release && best->release &&
		              strtoll(o->release, NULL, 10) > strtoll(best->release, NULL, 10)))
			best = o;
	}
	return best;
}

/* Append " (reusing ...)" to a reason; takes reason. */
static char *with_reuse(char *reason, const struct docker_container *reuse)
{
	char *r;

	if (!reuse || !reason)
		return reason;
	r = reconcile_fmt("%s (bringing back the retained container of release %s)", reason,
	                  reuse->release ? reuse->release : "?");
	free(reason);
	return r;
}

/* One replica of a service; level is the service's first stage. */
static int diff_replica(struct plan *plan, const struct reconcile_input *in,
                        const struct reconcile_groups *g, size_t si, const char *hash,
                        unsigned level, unsigned r, unsigned have, const struct docker_container *c,
                        const struct strv *want_nets, struct strv *kept_nets,
                        struct strv *kept_vols)
{
	const struct project *p = in->desired;
	const struct service *s = &p->services[si];
	unsigned par = s->rollout.parallelism ? s->rollout.parallelism : 1;
	const struct docker_container *reuse =
	        find_reusable(in, g->idx + g->first[si], g->count[si], s, r, hash);
	char *name = model_container_name(p, s->name, r), *reason = NULL;
	struct action_args a = { .target = s->name,
		                 .replica = r,
		                 .container_name = name,
		                 .level = level,
		                 .service = s,
		                 .hash = hash,
		                 .reuse_id = reuse ? reuse->id : NULL,
		                 .reuse_name = reuse ? reuse->name : NULL };
	int kind, rc = 0;
	size_t k;

	if (!name)
		return ERR_NOMEM;
	if (!c) {
		a.kind = ACTION_CREATE;
		if (!have && !reconcile_strv_has(in->prev_services, s->name))
			reason = reconcile_fmt("new service");
		else if (have && r > have)
			reason = reconcile_fmt("scaled up (replicas %u)", s->replicas);
		else
			reason = reconcile_fmt("missing");
		rc = reconcile_plan_add(plan, &a,
		                        reconcile_note_copies(with_reuse(reason, reuse), s));
	} else if ((kind = container_drift(&reason, in, s, c, hash, name, want_nets)) < 0) {
		for (k = 0; k < c->networks.n && rc == 0; k++)
			rc = strv_push(kept_nets, c->networks.v[k]);
		for (k = 0; k < c->volumes.n && rc == 0; k++)
			rc = strv_push(kept_vols, c->volumes.v[k]);
	} else if (kind == ACTION_START) {
		a.kind = ACTION_START;
		a.container_id = c->id;
		a.reuse_id = a.reuse_name = NULL;
		rc = reconcile_plan_add(plan, &a, reason);
	} else {
		/* Replicas roll `parallelism` at a time: one stage per group. */
		unsigned group = (r - 1) / par;

		a.kind = ACTION_REPLACE;
		a.container_id = c->id;
		a.level = level + (group < LEVELS_PER_DEP - 1 ? group : LEVELS_PER_DEP - 1);
		a.retain_name = reconcile_retained_name(name, c->release);
		reason = reconcile_note_copies(with_reuse(reason, reuse), s);
		rc = a.retain_name && reason ? reconcile_plan_replace_order(plan, &a, s)
		                             : ERR_NOMEM;
		if (rc == 0) {
			rc = reconcile_plan_add(plan, &a, reason);
		} else {
			free(reason);
			free(a.retain_name);
			free(a.order_why);
		}
	}
	free(name);
	return rc;
}

int reconcile_diff_service(struct plan *plan, const struct reconcile_input *in, size_t si,
                           const struct reconcile_groups *g, unsigned dep_level, bool *claimed,
                           struct strv *kept_nets, struct strv *kept_vols)
{
	const struct project *p = in->desired;
	const struct service *s = &p->services[si];
	const char *hash = in->hashes[si];
	/* this service's observed containers: the others never match it */
	const size_t *group = g->idx + g->first[si], ngroup = g->count[si];
	struct strv want_nets = { 0 };
	unsigned r, have = 0;
	size_t k, i;
	int rc;

	rc = wanted_networks(&want_nets, p, s);
	if (rc < 0)
		goto out;
	for (k = 0; k < ngroup; k++)
		if (!reconcile_is_kept(in->containers[group[k]].name))
			have++;
	for (r = 1; r <= s->replicas && rc == 0; r++) {
		const struct docker_container *c = NULL;

		for (k = 0; k < ngroup; k++) {
			const struct docker_container *o = &in->containers[i = group[k]];

			if (!claimed[i] && o->replica == r && !reconcile_is_kept(o->name)) {
				claimed[i] = true;
				c = o;
				break;
			}
		}
		rc = diff_replica(plan, in, g, si, hash,
		                  LEVEL_SERVICES + dep_level * LEVELS_PER_DEP, r, have, c,
		                  &want_nets, kept_nets, kept_vols);
	}
	if (rc < 0)
		goto out;
	/* What is left of this service: scaled down (kept, stopped), or duplicates (deleted). */
	for (k = 0; k < ngroup; k++) {
		const struct docker_container *o = &in->containers[i = group[k]];
		bool dup = o->replica && o->replica <= s->replicas;
		struct action_args a = { .kind = ACTION_REMOVE,
			                 .target = s->name,
			                 .replica = o->replica,
			                 .container_id = o->id,
			                 .container_name = o->name,
			                 .level = LEVEL_REMOVE };

		if (claimed[i] || reconcile_is_kept(o->name))
			continue;
		claimed[i] = true;
		if (!dup && !(a.retain_name = reconcile_retained_name(o->name, o->release))) {
			rc = ERR_NOMEM;
			goto out;
		}
		rc = reconcile_plan_add(
		        plan, &a,
		        dup ? reconcile_fmt("duplicate of replica %u", o->replica)
		            : reconcile_fmt("scaled down (replicas %u)", s->replicas));
		if (rc < 0)
			goto out;
	}
out:
	strv_free(&want_nets);
	return rc;
}
