/*
 * manifest_service_rollout.c - x-deployctl.rollout: how a service is
 * replaced (timeout, order, parallelism, settle, drain), read at the top level as
 * the default for every service and under services.<name>.x-deployctl, whose
 * fields win one by one. None of it shapes the container, so none of it
 * enters the spec hash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_internal.h"

#define ROLLOUT_MAX_PARALLELISM 1000
#define ROLLOUT_MAX_DURATION_NS (24LL * 3600 * 1000000000LL)

void manifest_rollout_init(struct svc_rollout *r)
{
	r->timeout_ns = 0;
	r->order = ROLLOUT_AUTO;
	r->parallelism = 0;
	r->settle_ns = -1;
	r->drain_ns = -1;
}

static int read_duration(struct manifest_ctx *c, int64_t *out, const struct mnode *v,
                         const char *path, int64_t min)
{
	int64_t ns = 0;
	int rc;

	rc = manifest_duration(c, &ns, v, path);
	if (rc)
		return rc;
	if (ns < min || ns > ROLLOUT_MAX_DURATION_NS) {
		manifest_error(c, v, path, "expected a duration from %s to 24h",
		               min ? "1ms" : "0s");
		return ERR_INVALID;
	}
	*out = ns;
	return 0;
}

static int read_order(struct manifest_ctx *c, enum rollout_order *out, const struct mnode *v,
                      const char *path)
{
	char *s = NULL, q[80];
	int rc;

	rc = manifest_string(c, &s, v, path);
	if (rc)
		return rc;
	if (!strcmp(s, "start-first")) {
		*out = ROLLOUT_START_FIRST;
	} else if (!strcmp(s, "stop-first")) {
		*out = ROLLOUT_STOP_FIRST;
	} else {
		manifest_error(c, v, path, "expected start-first or stop-first, got \"%s\"",
		               manifest_quote(q, sizeof(q), v));
		rc = ERR_INVALID;
	}
	free(s);
	return rc;
}

static int read_parallelism(struct manifest_ctx *c, unsigned *out, const struct mnode *v,
                            const char *path)
{
	char *s = NULL, *end = NULL, q[80];
	unsigned long u = 0;
	int rc;

	rc = manifest_string(c, &s, v, path);
	if (rc)
		return rc;
	if (s[0] >= '0' && s[0] <= '9' && strlen(s) <= 9)
		u = strtoul(s, &end, 10);
	if (!end || *end || u < 1 || u > ROLLOUT_MAX_PARALLELISM) {
		manifest_error(c, v, path, "expected an integer from 1 to %d, got \"%s\"",
		               ROLLOUT_MAX_PARALLELISM, manifest_quote(q, sizeof(q), v));
		rc = ERR_INVALID;
	} else {
		*out = (unsigned)u;
	}
	free(s);
	return rc;
}

int manifest_rollout_read(struct manifest_ctx *c, struct svc_rollout *out, const struct mnode *v,
                          const char *path)
{
	char kpath[MANIFEST_PATH_MAX];
	size_t i;
	int rc = 0, r;

	if (mnode_is_null(v))
		return 0;
	if (manifest_expect(c, v, MNODE_MAP, path))
		return ERR_INVALID;
	for (i = 0; i < v->n; i++) {
		const char *k = v->keys[i]->value;
		const struct mnode *x = v->items[i];

		manifest_path_key(kpath, sizeof(kpath), path, k);
		if (!strcmp(k, "timeout")) {
			r = read_duration(c, &out->timeout_ns, x, kpath, 1000000);
		} else if (!strcmp(k, "settle")) {
			r = read_duration(c, &out->settle_ns, x, kpath, 0);
		} else if (!strcmp(k, "drain")) {
			r = read_duration(c, &out->drain_ns, x, kpath, 0);
		} else if (!strcmp(k, "order")) {
			r = read_order(c, &out->order, x, kpath);
		} else if (!strcmp(k, "parallelism")) {
			r = read_parallelism(c, &out->parallelism, x, kpath);
		} else {
			manifest_error(c, v->keys[i], path, "unknown key '%s'", k);
			r = ERR_INVALID;
		}
		if (r == ERR_NOMEM)
			return r;
		rc = rc ? rc : r;
	}
	return rc;
}

int manifest_rollout_default(struct manifest_ctx *c, const struct mnode *v, const char *path)
{
	const struct mnode *o;

	if (c->rollout_n) {
		manifest_error(c, v, path, "set twice: first at %s:%u:%u", c->rollout_n->file,
		               c->rollout_n->line, c->rollout_n->col);
		return ERR_INVALID;
	}
	c->rollout_n = v;
	manifest_rollout_init(&c->rollout);
	o = v->type == MNODE_MAP ? mnode_get(v, "order") : NULL;
	c->rollout_order_n = o;
	return manifest_rollout_read(c, &c->rollout, v, path);
}

int manifest_service_x_deployctl(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                                 const char *path)
{
	char kpath[MANIFEST_PATH_MAX];
	size_t i;
	int rc = 0, r;

	if (mnode_is_null(v))
		return 0;
	if (manifest_expect(c, v, MNODE_MAP, path))
		return ERR_INVALID;
	for (i = 0; i < v->n; i++) {
		const char *k = v->keys[i]->value;

		manifest_path_key(kpath, sizeof(kpath), path, k);
		if (!strcmp(k, "rollout")) {
			r = manifest_rollout_read(c, &s->rollout, v->items[i], kpath);
		} else {
			manifest_error(c, v->keys[i], path, "unknown key '%s'", k);
			r = ERR_INVALID;
		}
		if (r == ERR_NOMEM)
			return r;
		rc = rc ? rc : r;
	}
	return rc;
}

/* The first fixed host port s publishes, or 0. */
static unsigned fixed_host_port(const struct service *s)
{
	size_t i;

	for (i = 0; i < s->nports; i++)
		if (s->ports[i].host_port)
			return s->ports[i].host_port;
	return 0;
}

void manifest_rollout_check(struct manifest_ctx *c, const struct service *s,
                            const struct mnode *order_n, const char *path)
{
	unsigned port = fixed_host_port(s);

	if (s->rollout.order != ROLLOUT_START_FIRST || !port)
		return;
	manifest_error(c, order_n, path,
	               "start-first needs no fixed host port: the new container cannot bind %u "
	               "while the old one runs; use stop-first",
	               port);
}

void manifest_rollout_finish(struct manifest_ctx *c)
{
	const struct svc_rollout *d = &c->rollout;
	char path[MANIFEST_PATH_MAX];
	size_t i;

	if (!c->rollout_n)
		return;
	for (i = 0; i < c->p->nservices; i++) {
		struct service *s = &c->p->services[i];

		if (!s->rollout.timeout_ns)
			s->rollout.timeout_ns = d->timeout_ns;
		if (!s->rollout.parallelism)
			s->rollout.parallelism = d->parallelism;
		if (s->rollout.settle_ns < 0)
			s->rollout.settle_ns = d->settle_ns;
		if (s->rollout.drain_ns < 0)
			s->rollout.drain_ns = d->drain_ns;
		if (s->rollout.order != ROLLOUT_AUTO || d->order == ROLLOUT_AUTO)
			continue;
		s->rollout.order = d->order;
		snprintf(path, sizeof(path), "x-deployctl.rollout.order (services.%s)", s->name);
		manifest_rollout_check(c, s, c->rollout_order_n, path);
	}
}
