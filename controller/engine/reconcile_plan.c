/*
 * reconcile_plan.c - the plan and its actions as data: action names and
 * their target types, the names of retained, failed and next containers
 * (and telling them apart), adding an action to a plan with its reason,
 * and freeing a plan. What reconcile_diff.c and the files of the diff
 * below it (reconcile_diff_service.c, reconcile_diff_resource.c) build on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "deployctl/reconcile.h"
#include "deployctl/spec.h"
#include "reconcile_diff_internal.h"

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
#define FAILED_MARK   "--failed-r"
#define NEXT_MARK     "--next-r"

/* canonical, mark, release (or "0"): new, or NULL when out of memory. */
static char *mark_name(const char *canonical, const char *mark, const char *release)
{
	struct buf b;

	buf_init(&b, 0);
	if (buf_printf(&b, "%s%s%s", canonical, mark, release ? release : "0") < 0) {
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

char *reconcile_retained_name(const char *canonical, const char *release)
{
	return mark_name(canonical, RETAINED_MARK, release);
}

bool reconcile_is_retained(const char *name)
{
	return marked(name, RETAINED_MARK);
}

char *reconcile_failed_name(const char *canonical, const char *release)
{
	return mark_name(canonical, FAILED_MARK, release);
}

char *reconcile_next_name(const char *canonical, const char *release)
{
	return mark_name(canonical, NEXT_MARK, release);
}

bool reconcile_is_failed(const char *name)
{
	return marked(name, FAILED_MARK);
}

bool reconcile_is_next(const char *name)
{
	return marked(name, NEXT_MARK);
}

bool reconcile_is_kept(const char *name)
{
	return reconcile_is_retained(name) || reconcile_is_failed(name) || marked(name, NEXT_MARK);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/*
 * Add an action. Ownership is stated here once: reconcile_plan_add takes reason,
 * a->retain_name and a->order_why (new strings or NULL), even when it
 * fails; its callers never free them after the call.
 */
int reconcile_plan_add(struct plan *p, const struct action_args *a, char *reason)
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

int reconcile_action_cmp(const void *a, const void *b)
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
	if (x->replica != y->replica)
		return x->replica < y->replica ? -1 : 1;
	return strcmp(x->container_name ? x->container_name : "",
	              y->container_name ? y->container_name : "");
}

char *reconcile_fmt(const char *f, ...)
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

bool reconcile_strv_has(const struct strv *v, const char *s)
{
	size_t i;

	if (!v)
		return false;
	for (i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return true;
	return false;
}
