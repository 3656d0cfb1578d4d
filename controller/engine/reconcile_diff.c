/*
 * reconcile_diff.c - desired model + one list call's worth of observed
 * containers -> an ordered plan where every action carries its reason.
 * Pure: the only lookup is the old-spec callback (the release snapshot in
 * the state database), which is what lets a reason say what changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "deployctl/reconcile.h"
#include "deployctl/spec.h"

/* Stages: removals free names and ports first, resources before containers. */
#define LEVEL_REMOVE    0
#define LEVEL_RESOURCES 1
#define LEVEL_SERVICES  2
/* Stages per dependency level: the replicas of a replace roll in groups. */
#define LEVELS_PER_DEP 64

static const char *const action_names[] = {
	[ACTION_REMOVE] = "remove",
	[ACTION_NETWORK_CREATE] = "network-create",
	[ACTION_VOLUME_CREATE] = "volume-create",
	[ACTION_CREATE] = "create",
	[ACTION_REPLACE] = "replace",
	[ACTION_START] = "start",
	[ACTION_NETWORK_REMOVE] = "network-remove",
	[ACTION_VOLUME_REMOVE] = "volume-remove",
};

const char *reconcile_action_name(enum action_kind k)
{
	return action_names[k];
}

const char *reconcile_action_target_type(enum action_kind k)
{
	switch (k) {
	case ACTION_NETWORK_CREATE:
	case ACTION_NETWORK_REMOVE:
		return "network";
	case ACTION_VOLUME_CREATE:
	case ACTION_VOLUME_REMOVE:
		return "volume";
	default:
		return "service";
	}
}

void reconcile_plan_release(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].target);
		free(p->v[i].container_id);
		free(p->v[i].container_name);
		free(p->v[i].docker_name);
		free(p->v[i].reason);
		free(p->v[i].retain_name);
		free(p->v[i].reuse_id);
		free(p->v[i].reuse_name);
		free(p->v[i].order_why);
	}
	free(p->v);
	strv_free(&p->notes);
	strv_free(&p->warnings);
	memset(p, 0, sizeof(*p));
}

#define RETAINED_MARK "--r"

char *reconcile_retained_name(const char *canonical, const char *release)
{
	struct buf b;

	buf_init(&b, 0);
	if (buf_printf(&b, "%s" RETAINED_MARK "%s", canonical, release ? release : "0") < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

bool reconcile_is_retained(const char *name)
{
	const char *m = name ? strstr(name, RETAINED_MARK) : NULL;
	const char *last = NULL;

	while (m) {
		last = m;
		m = strstr(m + 1, RETAINED_MARK);
	}
	if (!last || !last[3])
		return false;
	for (last += 3; *last; last++)
		if (*last < '0' || *last > '9')
			return false;
	return true;
}

#define FAILED_MARK "--failed-r"

char *reconcile_failed_name(const char *canonical, const char *release)
{
	struct buf b;

	buf_init(&b, 0);
	if (buf_printf(&b, "%s" FAILED_MARK "%s", canonical, release ? release : "0") < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

#define NEXT_MARK "--next-r"

char *reconcile_next_name(const char *canonical, const char *release)
{
	struct buf b;

	buf_init(&b, 0);
	if (buf_printf(&b, "%s" NEXT_MARK "%s", canonical, release ? release : "0") < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* Does name end in mark followed by digits only? */
static bool marked(const char *name, const char *mark)
{
	const char *m = name ? strstr(name, mark) : NULL;

	while (m && strstr(m + 1, mark))
		m = strstr(m + 1, mark);
	if (!m || !m[strlen(mark)])
		return false;
	for (m += strlen(mark); *m; m++)
		if (*m < '0' || *m > '9')
			return false;
	return true;
}

bool reconcile_is_failed(const char *name)
{
	return marked(name, FAILED_MARK);
}

bool reconcile_is_kept(const char *name)
{
	return reconcile_is_retained(name) || reconcile_is_failed(name) || marked(name, NEXT_MARK);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct action_args {
	enum action_kind kind;
	const char *target;
	unsigned replica;
	const char *container_id;
	const char *container_name;
	const char *docker_name;
	unsigned level;
	const struct service *service;
	const char *hash;
	char *retain_name; /* taken */
	const char *reuse_id;
	const char *reuse_name;
	bool start_first;
	char *order_why; /* taken */
};

/*
 * Add an action. Ownership is stated here once: plan_add takes reason,
 * a->retain_name and a->order_why (new strings or NULL), even when it
 * fails; its callers never free them after the call.
 */
static int plan_add(struct plan *p, const struct action_args *a, char *reason)
{
	struct action *v, *n;

	if (!reason) {
		free(a->retain_name);
		free(a->order_why);
		return ERR_NOMEM;
	}
	v = realloc(p->v, (p->n + 1) * sizeof(*v));
	if (!v) {
		free(reason);
		free(a->retain_name);
		free(a->order_why);
		return ERR_NOMEM;
	}
	p->v = v;
	n = &v[p->n];
	memset(n, 0, sizeof(*n));
	n->kind = a->kind;
	n->replica = a->replica;
	n->start_first = a->start_first;
	n->retain_name = a->retain_name;
	n->order_why = a->order_why;
	n->reuse_id = dup_or_null(a->reuse_id);
	n->reuse_name = dup_or_null(a->reuse_name);
	n->level = a->level;
	n->service = a->service;
	n->reason = reason;
	if (a->hash)
		snprintf(n->spec_hash, sizeof(n->spec_hash), "%s", a->hash);
	n->target = strdup(a->target);
	n->container_id = dup_or_null(a->container_id);
	n->container_name = dup_or_null(a->container_name);
	n->docker_name = dup_or_null(a->docker_name);
	p->n++;
	if (!n->target || (a->container_id && !n->container_id) || (a->reuse_id && !n->reuse_id) ||
	    (a->reuse_name && !n->reuse_name) || (a->container_name && !n->container_name) ||
	    (a->docker_name && !n->docker_name))
		return ERR_NOMEM;
	return 0;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	struct buf b;
	va_list ap;
	int rc;

	buf_init(&b, 0);
	va_start(ap, f);
	rc = buf_vprintf(&b, f, ap);
	va_end(ap);
	if (rc < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

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

static bool strv_has(const struct strv *v, const char *s)
{
	size_t i;

	if (!v)
		return false;
	for (i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return true;
	return false;
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
		reason = fmt("spec changed (hash %.12s -> %.12s)",
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
		char *name = model_network_docker_name(p, s->networks[i].name);
		int rc = name ? strv_push(out, name) : ERR_NOMEM;

		free(name);
		if (rc < 0)
			return rc;
	}
	strv_sort(out);
	return 0;
}

static bool strv_equal(const struct strv *a, const struct strv *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
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
		*reason = c->owner ? fmt("adopted from state %.12s (%s:%s)", c->owner,
		                         c->owner_host ? c->owner_host : "?",
		                         c->owner_state ? c->owner_state : "?")
		                   : fmt("adopted (no owner label)");
		return ACTION_REPLACE;
	}
	if (!spec_hash_matches(c->spec_hash, hash, in->desired, s)) {
		*reason = replace_reason(in, s, c, hash);
		return ACTION_REPLACE;
	}
	if (strcmp(c->name, want_name)) {
		*reason = fmt("renamed by hand (to '%s')", c->name);
		return ACTION_REPLACE;
	}
	/* With network_mode, Docker reports "host"/"none"/...: nothing to compare. */
	if (!s->network_mode && !strv_equal(&c->networks, want_nets)) {
		*reason = fmt("networks changed by hand (%zu attached, %zu expected)",
		              c->networks.n, want_nets->n);
		return ACTION_REPLACE;
	}
	if (!strcmp(c->state, "running") || !strcmp(c->state, "restarting"))
		return -1;
	if (!strcmp(c->state, "paused")) {
		*reason = fmt("paused by hand");
		return ACTION_REPLACE;
	}
	if (!strcmp(c->state, "dead") || !strcmp(c->state, "removing")) {
		*reason = fmt("container is %s", c->state);
		return ACTION_REPLACE;
	}
	*reason = fmt("stopped (%s)", c->status && *c->status ? c->status : c->state);
	return ACTION_START;
}

/* The first fixed host port s binds (so two containers of it cannot run at once), or 0. */
static unsigned fixed_host_port(const struct service *s)
{
	size_t i;

	for (i = 0; i < s->nports; i++)
		if (s->ports[i].host_port)
			return s->ports[i].host_port;
	return 0;
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
		*why = fmt("start-first: set in x-deployctl.rollout.order%s%s",
		           shared ? "; the old and the new container share " : "",
		           shared ? shared : "");
		if (shared && *why &&
		    !(*warning = fmt("%s: start-first: the old and the new container will both "
		                     "run on %s during the replace",
		                     s->name, shared))) {
			free(*why);
			*why = NULL;
		}
	} else if (s->rollout.order == ROLLOUT_STOP_FIRST) {
		*why = fmt("stop-first: set in x-deployctl.rollout.order");
	} else if (shared) {
		*why = fmt("stop-first: mounts %s", shared);
	} else if (fixed_host_port(s)) {
		*why = fmt("stop-first: publishes host port %u", fixed_host_port(s));
	} else {
		*start_first = true;
		*why = fmt("start-first: default");
	}
	return *why ? 0 : ERR_NOMEM;
}

/* Set a's order for a replace of s; a warning goes to the plan once per service. */
static int plan_replace_order(struct plan *plan, struct action_args *a, const struct service *s)
{
	char *warning = NULL;
	int rc = replace_order(&a->start_first, &a->order_why, &warning, s);

	if (rc == 0 && warning && !strv_has(&plan->warnings, warning))
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
                                                    const struct service *s, unsigned r,
                                                    const char *hash)
{
	const struct docker_container *best = NULL;
	size_t i;

	for (i = 0; i < in->ncontainers; i++) {
		const struct docker_container *o = &in->containers[i];
		bool next = marked(o->name, NEXT_MARK);

		if ((in->adopt && in->adopt[i]) || (!reconcile_is_retained(o->name) && !next) ||
		    !o->service || strcmp(o->service, s->name) || o->replica != r ||
		    !spec_hash_matches(o->spec_hash, hash, in->desired, s) ||
		    (!next && !strcmp(o->state, "running")))
			continue;
		if (!best || (o->release && best->release &&
		              strtoll(o->release, NULL, 10) > strtoll(best->release, NULL, 10)))
			best = o;
	}
	return best;
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

/* Append " (reusing ...)" to a reason; takes reason. */
static char *with_reuse(char *reason, const struct docker_container *reuse)
{
	char *r;

	if (!reuse || !reason)
		return reason;
	r = fmt("%s (bringing back the retained container of release %s)", reason,
	        reuse->release ? reuse->release : "?");
	free(reason);
	return r;
}

/* One replica of a service; level is the service's first stage. */
static int diff_replica(struct plan *plan, const struct reconcile_input *in,
                        const struct service *s, const char *hash, unsigned level, unsigned r,
                        unsigned have, const struct docker_container *c,
                        const struct strv *want_nets, struct strv *kept_nets,
                        struct strv *kept_vols)
{
	const struct project *p = in->desired;
	unsigned par = s->rollout.parallelism ? s->rollout.parallelism : 1;
	const struct docker_container *reuse = find_reusable(in, s, r, hash);
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
		if (!have && !strv_has(in->prev_services, s->name))
			reason = fmt("new service");
		else if (have && r > have)
			reason = fmt("scaled up (replicas %u)", s->replicas);
		else
			reason = fmt("missing");
		rc = plan_add(plan, &a, with_reuse(reason, reuse));
	} else if ((kind = container_drift(&reason, in, s, c, hash, name, want_nets)) < 0) {
		for (k = 0; k < c->networks.n && rc == 0; k++)
			rc = strv_push(kept_nets, c->networks.v[k]);
		for (k = 0; k < c->volumes.n && rc == 0; k++)
			rc = strv_push(kept_vols, c->volumes.v[k]);
	} else if (kind == ACTION_START) {
		a.kind = ACTION_START;
		a.container_id = c->id;
		a.reuse_id = a.reuse_name = NULL;
		rc = plan_add(plan, &a, reason);
	} else {
		/* Replicas roll `parallelism` at a time: one stage per group. */
		unsigned group = (r - 1) / par;

		a.kind = ACTION_REPLACE;
		a.container_id = c->id;
		a.level = level + (group < LEVELS_PER_DEP - 1 ? group : LEVELS_PER_DEP - 1);
		a.retain_name = reconcile_retained_name(name, c->release);
		reason = with_reuse(reason, reuse);
		rc = a.retain_name && reason ? plan_replace_order(plan, &a, s) : ERR_NOMEM;
		if (rc == 0) {
			rc = plan_add(plan, &a, reason);
		} else {
			free(reason);
			free(a.retain_name);
			free(a.order_why);
		}
	}
	free(name);
	return rc;
}

static int diff_service(struct plan *plan, const struct reconcile_input *in, size_t si,
                        unsigned dep_level, bool *claimed, struct strv *kept_nets,
                        struct strv *kept_vols)
{
	const struct project *p = in->desired;
	const struct service *s = &p->services[si];
	const char *hash = in->hashes[si];
	struct strv want_nets = { 0 };
	unsigned r, have = 0;
	size_t i;
	int rc;

	rc = wanted_networks(&want_nets, p, s);
	if (rc < 0)
		goto out;
	for (i = 0; i < in->ncontainers; i++)
		if (in->containers[i].service && !strcmp(in->containers[i].service, s->name) &&
		    !reconcile_is_kept(in->containers[i].name))
			have++;
	for (r = 1; r <= s->replicas && rc == 0; r++) {
		const struct docker_container *c = NULL;

		for (i = 0; i < in->ncontainers; i++) {
			const struct docker_container *o = &in->containers[i];

			if (!claimed[i] && o->service && !strcmp(o->service, s->name) &&
			    o->replica == r && !reconcile_is_kept(o->name)) {
				claimed[i] = true;
				c = o;
				break;
			}
		}
		rc = diff_replica(plan, in, s, hash, LEVEL_SERVICES + dep_level * LEVELS_PER_DEP, r,
		                  have, c, &want_nets, kept_nets, kept_vols);
	}
	if (rc < 0)
		goto out;
	/* What is left of this service: scaled down (kept, stopped), or duplicates (deleted). */
	for (i = 0; i < in->ncontainers; i++) {
		const struct docker_container *o = &in->containers[i];
		bool dup = o->replica && o->replica <= s->replicas;
		struct action_args a = { .kind = ACTION_REMOVE,
			                 .target = s->name,
			                 .replica = o->replica,
			                 .container_id = o->id,
			                 .container_name = o->name,
			                 .level = LEVEL_REMOVE };

		if (claimed[i] || !o->service || strcmp(o->service, s->name) ||
		    reconcile_is_kept(o->name))
			continue;
		claimed[i] = true;
		if (!dup && !(a.retain_name = reconcile_retained_name(o->name, o->release))) {
			rc = ERR_NOMEM;
			goto out;
		}
		rc = plan_add(plan, &a,
		              dup ? fmt("duplicate of replica %u", o->replica)
		                  : fmt("scaled down (replicas %u)", s->replicas));
		if (rc < 0)
			goto out;
	}
out:
	strv_free(&want_nets);
	return rc;
}

static const struct docker_network *find_network(const struct reconcile_input *in, const char *key,
                                                 const char *docker_name)
{
	size_t i;

	for (i = 0; i < in->nnetworks; i++)
		if (in->networks[i].key && !strcmp(in->networks[i].key, key) &&
		    !strcmp(in->networks[i].name, docker_name))
			return &in->networks[i];
	return NULL;
}

static const struct docker_volume *find_volume(const struct reconcile_input *in, const char *key,
                                               const char *docker_name)
{
	size_t i;

	for (i = 0; i < in->nvolumes; i++)
		if (in->volumes[i].key && !strcmp(in->volumes[i].key, key) &&
		    !strcmp(in->volumes[i].name, docker_name))
			return &in->volumes[i];
	return NULL;
}

/* Without a network/volume listing: can the kept containers vouch for every resource? */
static bool resources_proven(const struct reconcile_input *in, const struct strv *kept_nets,
                             const struct strv *kept_vols)
{
	const struct project *p = in->desired;
	size_t i, owned = 0;
	bool ok = true;

	for (i = 0; i < p->nnetworks && ok; i++) {
		char *name = model_network_docker_name(p, p->networks[i].name);

		ok = name && strv_has(kept_nets, name) &&
		     (p->networks[i].external || strv_has(in->prev_networks, p->networks[i].name));
		owned += !p->networks[i].external;
		free(name);
	}
	/* A network dropped since the last release must be found to be removed. */
	if (ok && in->prev_networks && in->prev_networks->n != owned)
		ok = false;
	for (i = 0; i < p->nvolumes && ok; i++) {
		char *name = model_volume_docker_name(p, p->volumes[i].name);

		ok = name && strv_has(kept_vols, name);
		free(name);
	}
	return ok && in->prev_networks && in->prev_volumes;
}

static int diff_resources(struct plan *plan, const struct reconcile_input *in)
{
	const struct project *p = in->desired;
	size_t i;
	int rc = 0;

	for (i = 0; i < p->nnetworks && rc == 0; i++) {
		const struct project_network *n = &p->networks[i];
		char *name = model_network_docker_name(p, n->name);
		struct action_args a = { .kind = ACTION_NETWORK_CREATE,
			                 .target = n->name,
			                 .docker_name = name,
			                 .level = LEVEL_RESOURCES };

		if (!name)
			return ERR_NOMEM;
		if (!n->external && !find_network(in, n->name, name))
			rc = plan_add(plan, &a,
			              fmt(strv_has(in->prev_networks, n->name) ? "missing"
			                                                       : "new network"));
		free(name);
	}
	for (i = 0; i < p->nvolumes && rc == 0; i++) {
		const struct project_volume *v = &p->volumes[i];
		char *name = model_volume_docker_name(p, v->name);
		struct action_args a = { .kind = ACTION_VOLUME_CREATE,
			                 .target = v->name,
			                 .docker_name = name,
			                 .level = LEVEL_RESOURCES };

		if (!name)
			return ERR_NOMEM;
		if (!v->external && !find_volume(in, v->name, name))
			rc = plan_add(plan, &a,
			              fmt(strv_has(in->prev_volumes, v->name) ? "missing"
			                                                      : "new volume"));
		free(name);
	}
	for (i = 0; i < in->nnetworks && rc == 0; i++) {
		const struct docker_network *n = &in->networks[i];
		const struct project_network *want = n->key ? model_network_find(p, n->key) : NULL;
		struct action_args a = { .kind = ACTION_NETWORK_REMOVE,
			                 .target = n->key ? n->key : n->name,
			                 .container_id = n->id,
			                 .docker_name = n->name,
			                 .level = (unsigned)-1 };

		if (!want || want->external)
			rc = plan_add(plan, &a, fmt("network removed from manifests"));
	}
	for (i = 0; i < in->nvolumes && rc == 0; i++) {
		const struct docker_volume *v = &in->volumes[i];

		if (!v->key || !model_volume_find(p, v->key))
			rc = strv_push(&plan->notes, v->name);
	}
	return rc;
}

static int action_cmp(const void *a, const void *b)
{
	const struct action *x = a, *y = b;
	int c;

	if (x->level != y->level)
		return x->level < y->level ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	c = strcmp(x->target, y->target);
	if (c)
		return c;
	return x->replica < y->replica ? -1 : x->replica > y->replica;
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
			rc = a.retain_name ? plan_replace_order(plan, &a, s) : ERR_NOMEM;
			if (rc == 0) {
				rc = plan_add(plan, &a,
				              fmt("follows %s, which gets a new container "
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

int reconcile_diff(struct plan *out, const struct reconcile_input *in, struct err *err)
{
	struct plan plan = { 0 };
	struct strv kept_nets = { 0 }, kept_vols = { 0 };
	bool *claimed = calloc(in->ncontainers + 1, sizeof(*claimed));
	unsigned *levels = NULL;
	size_t i;
	unsigned last = LEVEL_SERVICES;
	int rc = 0;

	if (!claimed || dep_levels(&levels, in->desired) < 0) {
		free(claimed);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < in->desired->nservices && rc == 0; i++)
		rc = diff_service(&plan, in, i, levels[i], claimed, &kept_nets, &kept_vols);
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
			rc = a.retain_name ? plan_add(&plan, &a,
			                              fmt("retained but still running (an "
			                                  "interrupted rollout)"))
			                   : ERR_NOMEM;
			continue;
		}
		if (o->service && !(a.retain_name = reconcile_retained_name(o->name, o->release))) {
			rc = ERR_NOMEM;
			break;
		}
		rc = plan_add(
		        &plan, &a,
		        fmt(o->service ? "service removed from manifests" : "no service label"));
	}
	if (rc < 0)
		goto out;
	if (in->have_resources) {
		rc = diff_resources(&plan, in);
		if (rc < 0)
			goto out;
	} else {
		strv_sort(&kept_nets);
		strv_sort(&kept_vols);
		plan.need_resources = !resources_proven(in, &kept_nets, &kept_vols);
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
		qsort(plan.v, plan.n, sizeof(*plan.v), action_cmp);
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
	return rc;
}
