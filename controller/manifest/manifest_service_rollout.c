/*
 * manifest_service_rollout.c - x-deployctl.rollout: how a service is
 * replaced (timeout, order, parallelism, settle, drain), read at the top level as
 * the default for every service and under services.<name>.x-deployctl, whose
 * fields win one by one. None of it shapes the container, so none of it
 * enters the spec hash.
 */
#include <stddef.h>
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

/* A duration from k->min to 24h. */
static int read_duration(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                         const struct mnode *key, const struct mnode *v, const char *path)
{
	int64_t ns = 0, min = k->min, *out = field;
	int rc;

	(void)key;
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

static int read_order(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                      const struct mnode *key, const struct mnode *v, const char *path)
{
	enum rollout_order *out = field;
	char *s = NULL, q[80];
	int rc;

	(void)k;
	(void)key;
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

static int read_parallelism(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                            const struct mnode *key, const struct mnode *v, const char *path)
{
	unsigned *out = field;
	char *s = NULL, *end = NULL, q[80];
	unsigned long u = 0;
	int rc;

	(void)k;
	(void)key;
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

#define RO(field) offsetof(struct svc_rollout, field)

/* x-deployctl.rollout, top level or a service's (null: nothing set; no x- keys). */
static const struct manifest_key rollout_keys[] = {
	{ .key = "drain", .kind = MK_FIELD, .offset = RO(drain_ns), .field = read_duration },
	{ .key = "order", .kind = MK_FIELD, .offset = RO(order), .field = read_order },
	{ .key = "parallelism",
	  .kind = MK_FIELD,
	  .offset = RO(parallelism),
	  .field = read_parallelism },
	{ .key = "settle", .kind = MK_FIELD, .offset = RO(settle_ns), .field = read_duration },
	{ .key = "timeout",
	  .kind = MK_FIELD,
	  .offset = RO(timeout_ns),
	  .field = read_duration,
	  .min = 1000000 },
	{ .key = NULL, .flags = MKF_NULL_OK | MKF_NO_EXT },
};

int manifest_rollout_read(struct manifest_ctx *c, struct svc_rollout *out, const struct mnode *v,
                          const char *path)
{
	return manifest_read_map(c, rollout_keys, out, v, path);
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

static int read_rollout(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                        const struct mnode *key, const struct mnode *v, const char *path)
{
	(void)k;
	(void)key;
	return manifest_rollout_read(c, field, v, path);
}

/* services.<name>.x-deployctl (null: nothing set; no x- keys). */
static const struct manifest_key service_x_keys[] = {
	{ .key = "rollout",
	  .kind = MK_FIELD,
	  .offset = offsetof(struct service, rollout),
	  .field = read_rollout },
	{ .key = NULL, .flags = MKF_NULL_OK | MKF_NO_EXT },
};

int manifest_service_x_deployctl(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                                 const char *path)
{
	return manifest_read_map(c, service_x_keys, s, v, path);
}

void manifest_rollout_check(struct manifest_ctx *c, const struct service *s,
                            const struct mnode *order_n, const char *path)
{
	unsigned port = model_service_fixed_host_port(s);

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
