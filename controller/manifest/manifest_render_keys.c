/*
 * manifest_render_keys.c - the renderers of the service keys with shapes
 * of their own, named by their rows of the key table (manifest_keys.c):
 * command and entrypoint, environment and labels (each secret value in its
 * shown form, as release records and plans show it), ports, volumes,
 * healthcheck, depends_on, deploy, configs and secrets, and the rest.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deployctl/buf.h"
#include "deployctl/hash.h"
#include "deployctl/model_secret.h"
#include "manifest_internal.h"

/* ---- the keys with shapes of their own ---- */

MANIFEST_RENDER_FN(strv)
{
	manifest_render_list(r, map, k->key, (const struct strv *)((const char *)s + k->offset),
	                     false);
}

MANIFEST_RENDER_FN(string)
{
	manifest_render_str(r, map, k->key, *(char *const *)((const char *)s + k->offset));
}

MANIFEST_RENDER_FN(none)
{
	(void)r, (void)map, (void)s, (void)k;
}

MANIFEST_RENDER_FN(command)
{
	(void)k;
	if (s->has_command)
		manifest_render_list(r, map, "command", &s->command, true);
}

MANIFEST_RENDER_FN(entrypoint)
{
	(void)k;
	if (s->has_entrypoint)
		manifest_render_list(r, map, "entrypoint", &s->entrypoint, true);
}

/*
 * env or labels of s, each secret value (by name, x-deployctl.secrets, a URL
 * password, or interpolated from a secret) in its shown form, as release
 * records and plans show it.
 */
static void render_secret_pairs(struct manifest_render *r, struct mnode *map, const char *key,
                                const struct service *s, const struct kvv *v, bool labels)
{
	enum model_secret why;
	struct mnode *m;
	char *shown;
	size_t i;

	if (!v->n)
		return;
	m = manifest_render_map(r, map, key);
	for (i = 0; m && i < v->n; i++) {
		const struct kv *e = &v->v[i];

		why = labels ? model_label_secret(s, e->key, e->value)
		             : model_env_secret(r->p, s, e->key, e->value);
		if (why == MODEL_SECRET_NONE) {
			manifest_render_str(r, m, e->key, e->value);
			continue;
		}
		shown = NULL;
		if (model_secret_shown(&shown, r->k, s, why, e->value) < 0) {
			r->nomem = true;
			return;
		}
		manifest_render_str(r, m, e->key, shown);
		free(shown);
	}
}

MANIFEST_RENDER_FN(environment)
{
	(void)k;
	render_secret_pairs(r, map, "environment", s, &s->env, false);
}

MANIFEST_RENDER_FN(labels)
{
	(void)k;
	render_secret_pairs(r, map, "labels", s, &s->labels, true);
}

MANIFEST_RENDER_FN(ports)
{
	char num[24];
	struct mnode *seq, *m;
	size_t i;

	(void)k;
	if (!s->nports)
		return;
	seq = manifest_render_seq(r, map, "ports");
	for (i = 0; seq && i < s->nports; i++) {
		const struct svc_port *pt = &s->ports[i];

		m = manifest_render_map(r, seq, NULL);
		if (pt->host_ip && *pt->host_ip)
			manifest_render_str(r, m, "host_ip", pt->host_ip);
		if (pt->host_mode)
			manifest_render_str(r, m, "mode", "host");
		manifest_render_str(r, m, "protocol", pt->protocol);
		if (pt->host_port && pt->host_port_end) {
			snprintf(num, sizeof(num), "%u-%u", pt->host_port, pt->host_port_end);
			manifest_render_str(r, m, "published", num);
		} else if (pt->host_port) {
			snprintf(num, sizeof(num), "%u", pt->host_port);
			manifest_render_str(r, m, "published", num);
		}
		manifest_render_num(r, m, "target", pt->container_port);
	}
}

MANIFEST_RENDER_FN(volumes)
{
	static const char *const types[] = { "volume", "bind", "tmpfs" };
	struct mnode *seq, *m;
	size_t i;

	(void)k;
	if (!s->nmounts)
		return;
	seq = manifest_render_seq(r, map, "volumes");
	for (i = 0; seq && i < s->nmounts; i++) {
		const struct svc_mount *mt = &s->mounts[i];

		m = manifest_render_map(r, seq, NULL);
		/* a writable bind from git says so: the printed project loads back the same */
		if (mt->read_only || mt->content_hash[0])
			manifest_render_bool(r, m, "read_only", mt->read_only);
		manifest_render_str(r, m, "source", mt->rel ? mt->rel : mt->source);
		manifest_render_str(r, m, "target", mt->target);
		manifest_render_str(r, m, "type", types[mt->type]);
		if (mt->rel) {
			/* where a relative bind comes from: its content in git, or the host */
			struct mnode *x = manifest_render_map(r, m, "x-deployctl");
			char fp[32];

			snprintf(fp, sizeof(fp), "sha256:%.12s", mt->content_hash);
			if (mt->content_hash[0] && !mt->read_only)
				manifest_render_str(r, x, "copy", "per-release");
			if (mt->content_hash[0])
				manifest_render_str(r, x, "from_git", fp);
			else
				manifest_render_str(r, x, "host_path", mt->source);
		}
	}
}

MANIFEST_RENDER_FN(networks)
{
	struct mnode *m, *one;
	size_t i;

	(void)k;
	if (!s->nnetworks)
		return;
	m = manifest_render_map(r, map, "networks");
	for (i = 0; m && i < s->nnetworks; i++) {
		const struct svc_network *n = &s->networks[i];

		if (!n->aliases.n && !n->ipv4_address && !n->ipv6_address) {
			manifest_render_put(r, m, n->name, manifest_render_scalar(r, "null", true));
			continue;
		}
		one = manifest_render_map(r, m, n->name);
		manifest_render_list(r, one, "aliases", &n->aliases, false);
		manifest_render_str(r, one, "ipv4_address", n->ipv4_address);
		manifest_render_str(r, one, "ipv6_address", n->ipv6_address);
	}
}

MANIFEST_RENDER_FN(depends_on)
{
	static const char *const conditions[] = { "service_started", "service_healthy",
		                                  "service_completed_successfully" };
	struct mnode *m, *one;
	size_t i;

	(void)k;
	if (!s->ndeps)
		return;
	m = manifest_render_map(r, map, "depends_on");
	for (i = 0; m && i < s->ndeps; i++) {
		one = manifest_render_map(r, m, s->deps[i].service);
		manifest_render_str(r, one, "condition", conditions[s->deps[i].condition]);
		manifest_render_bool(r, one, "required", s->deps[i].required);
	}
}

MANIFEST_RENDER_FN(healthcheck)
{
	const struct svc_health *h = &s->health;
	struct mnode *m;

	(void)k;
	if (!h->set)
		return;
	m = manifest_render_map(r, map, "healthcheck");
	if (h->disable) {
		manifest_render_bool(r, m, "disable", true);
		return;
	}
	if (h->interval_ns)
		manifest_render_duration(r, m, "interval", h->interval_ns);
	if (h->retries)
		manifest_render_num(r, m, "retries", h->retries);
	if (h->start_period_ns)
		manifest_render_duration(r, m, "start_period", h->start_period_ns);
	manifest_render_list(r, m, "test", &h->test, false);
	if (h->timeout_ns)
		manifest_render_duration(r, m, "timeout", h->timeout_ns);
}

/* deploy: also holds what cpus, mem_limit and mem_reservation set. */
MANIFEST_RENDER_FN(deploy)
{
	struct mnode *m, *res, *lim;
	char cpus[32];

	(void)k;
	if (s->replicas == 1 && !s->nano_cpus && !s->memory_bytes && !s->mem_reservation)
		return;
	m = manifest_render_map(r, map, "deploy");
	if (s->replicas != 1)
		manifest_render_num(r, m, "replicas", s->replicas);
	if (!s->nano_cpus && !s->memory_bytes && !s->mem_reservation)
		return;
	res = manifest_render_map(r, m, "resources");
	if (s->nano_cpus || s->memory_bytes) {
		lim = manifest_render_map(r, res, "limits");
		if (s->nano_cpus) {
			snprintf(cpus, sizeof(cpus), "%g", (double)s->nano_cpus / 1e9);
			manifest_render_str(r, lim, "cpus", cpus);
		}
		if (s->memory_bytes)
			manifest_render_num(r, lim, "memory", s->memory_bytes);
	}
	if (s->mem_reservation)
		manifest_render_num(r, manifest_render_map(r, res, "reservations"), "memory",
		                    s->mem_reservation);
}

static void render_file_refs(struct manifest_render *r, struct mnode *map, const char *key,
                             const struct svc_file_ref *v, size_t n)
{
	struct mnode *seq, *m;
	size_t i;

	if (!n)
		return;
	seq = manifest_render_seq(r, map, key);
	for (i = 0; seq && i < n; i++) {
		m = manifest_render_map(r, seq, NULL);
		manifest_render_str(r, m, "gid", v[i].gid);
		if (v[i].mode)
			manifest_render_num(r, m, "mode", v[i].mode);
		manifest_render_str(r, m, "source", v[i].source);
		manifest_render_str(r, m, "target", v[i].target);
		manifest_render_str(r, m, "uid", v[i].uid);
	}
}

MANIFEST_RENDER_FN(configs)
{
	(void)k;
	render_file_refs(r, map, "configs", s->configs, s->nconfigs);
}

MANIFEST_RENDER_FN(secrets)
{
	(void)k;
	render_file_refs(r, map, "secrets", s->secrets, s->nsecrets);
}

MANIFEST_RENDER_FN(ulimits)
{
	struct mnode *m, *one;
	size_t i;

	(void)k;
	if (!s->nulimits)
		return;
	m = manifest_render_map(r, map, "ulimits");
	for (i = 0; m && i < s->nulimits; i++) {
		const struct svc_ulimit *u = &s->ulimits[i];

		if (u->soft == u->hard) {
			manifest_render_num(r, m, u->name, u->soft);
			continue;
		}
		one = manifest_render_map(r, m, u->name);
		manifest_render_num(r, one, "hard", u->hard);
		manifest_render_num(r, one, "soft", u->soft);
	}
}

/* build: the context as a repository path, and the tree it is built from. */
MANIFEST_RENDER_FN(build)
{
	const struct svc_build *b = &s->build;
	struct mnode *m, *x;
	char tree[32];

	(void)k;
	if (!b->context)
		return;
	m = manifest_render_map(r, map, "build");
	manifest_render_pairs(r, m, "args", &b->args);
	manifest_render_str(r, m, "context", b->context);
	manifest_render_str(r, m, "dockerfile", b->dockerfile);
	manifest_render_pairs(r, m, "labels", &b->labels);
	manifest_render_str(r, m, "target", b->target);
	x = manifest_render_map(r, m, "x-deployctl");
	snprintf(tree, sizeof(tree), "%.12s", b->tree_id);
	manifest_render_str(r, x, "tree", tree);
}
