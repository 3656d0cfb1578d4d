/*
 * manifest_render.c - the resolved project back to Compose, for `deployctl
 * config`: the model becomes a node tree (a service's keys rendered by the
 * key table of manifest_keys.c: the plain kinds here from the row's field,
 * keys with shapes of their own by the renderer the row names), then the
 * tree is printed as block YAML or as JSON. Secret environment values are
 * printed as their fingerprints only.
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

/* ---- building the tree ---- */

/* A new scalar; plain means printed bare (numbers, booleans, null). NULL when out of memory. */
static struct mnode *node_scalar(struct manifest_render *r, const char *v, bool plain)
{
	struct mnode *n = calloc(1, sizeof(*n));

	if (n)
		n->value = mnode_value_new(v, strlen(v));
	if (!n || !n->value) {
		free(n);
		r->nomem = true;
		return NULL;
	}
	n->plain = plain;
	return n;
}

static struct mnode *node_new(struct manifest_render *r, enum mnode_type type)
{
	struct mnode *n = calloc(1, sizeof(*n));

	if (!n)
		r->nomem = true;
	else
		n->type = type;
	return n;
}

/* Append val (taken, may be NULL after a failure) to seq, or under key to a map. */
static struct mnode *node_put(struct manifest_render *r, struct mnode *parent, const char *key,
                              struct mnode *val)
{
	struct mnode **ni, **nk = NULL, *k = NULL;

	if (!parent || !val)
		goto fail;
	if (key && !(k = node_scalar(r, key, false)))
		goto fail;
	ni = realloc(parent->items, (parent->n + 1) * sizeof(*ni));
	if (!ni)
		goto fail;
	parent->items = ni;
	if (key) {
		nk = realloc(parent->keys, (parent->n + 1) * sizeof(*nk));
		if (!nk)
			goto fail;
		parent->keys = nk;
		nk[parent->n] = k;
	}
	ni[parent->n++] = val;
	return val;
fail:
	r->nomem = true;
	mnode_free(k);
	mnode_free(val);
	return NULL;
}

struct mnode *manifest_render_str(struct manifest_render *r, struct mnode *map, const char *key,
                                  const char *v)
{
	struct mnode *n;
	struct buf b;
	const char *p;

	if (!v)
		return NULL;
	if (!strchr(v, '$'))
		return node_put(r, map, key, node_scalar(r, v, false));
	/* "$" is written "$$", so the printed project reads back as the same values */
	buf_init(&b, 0);
	for (p = v; *p; p++)
		if ((*p == '$' && buf_putc(&b, '$')) || buf_putc(&b, *p))
			r->nomem = true;
	n = r->nomem ? NULL : node_scalar(r, b.ptr, false);
	buf_release(&b);
	return node_put(r, map, key, n);
}

struct mnode *manifest_render_num(struct manifest_render *r, struct mnode *map, const char *key,
                                  int64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%" PRId64, v);
	return node_put(r, map, key, node_scalar(r, num, true));
}

struct mnode *manifest_render_bool(struct manifest_render *r, struct mnode *map, const char *key,
                                   bool v)
{
	return node_put(r, map, key, node_scalar(r, v ? "true" : "false", true));
}

struct mnode *manifest_render_map(struct manifest_render *r, struct mnode *parent, const char *key)
{
	return node_put(r, parent, key, node_new(r, MNODE_MAP));
}

struct mnode *manifest_render_seq(struct manifest_render *r, struct mnode *parent, const char *key)
{
	return node_put(r, parent, key, node_new(r, MNODE_SEQ));
}

void manifest_render_list(struct manifest_render *r, struct mnode *map, const char *key,
                          const struct strv *v, bool always)
{
	struct mnode *seq;
	size_t i;

	if (!v->n && !always)
		return;
	seq = manifest_render_seq(r, map, key);
	for (i = 0; seq && i < v->n; i++)
		manifest_render_str(r, seq, NULL, v->v[i]);
}

/* Nanoseconds as a Compose duration: "1m30s", "500ms", "0s". */
void manifest_render_duration(struct manifest_render *r, struct mnode *map, const char *key,
                              int64_t ns)
{
	static const struct {
		const char *unit;
		int64_t ns;
	} units[] = { { "h", 3600000000000LL }, { "m", 60000000000LL }, { "s", 1000000000LL },
		      { "ms", 1000000LL },      { "us", 1000LL },       { "ns", 1 } };
	char text[96];
	size_t i, len = 0;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ns < units[i].ns)
			continue;
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%" PRId64 "%s",
		                        ns / units[i].ns, units[i].unit);
		ns %= units[i].ns;
	}
	if (!len)
		snprintf(text, sizeof(text), "0s");
	manifest_render_str(r, map, key, text);
}

static void render_pairs(struct manifest_render *r, struct mnode *map, const char *key,
                         const struct kvv *v)
{
	struct mnode *m;
	size_t i;

	if (!v->n)
		return;
	m = manifest_render_map(r, map, key);
	for (i = 0; m && i < v->n; i++)
		manifest_render_str(r, m, v->v[i].key, v->v[i].value);
}

/* The field of row k in s, rendered as its kind says; unset values are left out. */
static void render_row(struct manifest_render *r, struct mnode *map, const struct manifest_key *k,
                       const struct service *s)
{
	const void *field = (const char *)s + k->offset;
	const struct manifest_key *sub;
	struct mnode *m;

	if (k->render) {
		k->render(r, map, s, k);
		return;
	}
	switch (k->kind) {
	case MK_STRING:
		manifest_render_str(r, map, k->key, *(char *const *)field);
		break;
	case MK_BOOL:
		if (*(const bool *)field)
			manifest_render_bool(r, map, k->key, true);
		break;
	case MK_DURATION:
		if (*(const int64_t *)field >= 0)
			manifest_render_duration(r, map, k->key, *(const int64_t *)field);
		break;
	case MK_BYTES:
	case MK_INT:
		if (*(const int64_t *)field)
			manifest_render_num(r, map, k->key, *(const int64_t *)field);
		break;
	case MK_STRINGS:
		manifest_render_list(r, map, k->key, field, false);
		break;
	case MK_PAIRS:
		render_pairs(r, map, k->key, field);
		break;
	case MK_MAP:
		m = node_new(r, MNODE_MAP);
		for (sub = k->sub; m && sub->key; sub++)
			render_row(r, m, sub, s);
		if (m && !m->n)
			mnode_free(m);
		else
			node_put(r, map, k->key, m);
		break;
	default: /* read into other rows' fields, or not kept */
		break;
	}
}

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
			node_put(r, m, n->name, node_scalar(r, "null", true));
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
	render_pairs(r, m, "args", &b->args);
	manifest_render_str(r, m, "context", b->context);
	manifest_render_str(r, m, "dockerfile", b->dockerfile);
	render_pairs(r, m, "labels", &b->labels);
	manifest_render_str(r, m, "target", b->target);
	x = manifest_render_map(r, m, "x-deployctl");
	snprintf(tree, sizeof(tree), "%.12s", b->tree_id);
	manifest_render_str(r, x, "tree", tree);
}

/* ---- the project ---- */

static void render_service(struct manifest_render *r, struct mnode *services,
                           const struct service *s)
{
	const struct manifest_key *k;
	struct mnode *m = manifest_render_map(r, services, s->name);

	for (k = manifest_service_keys(); m && k->key; k++)
		render_row(r, m, k, s);
}

static void render_resource(struct manifest_render *r, struct mnode *map, const char *key,
                            const char *docker_name, const char *driver, bool external, bool named,
                            const struct kvv *labels, bool internal)
{
	struct mnode *m = manifest_render_map(r, map, key);

	manifest_render_str(r, m, "driver", driver);
	if (external)
		manifest_render_bool(r, m, "external", true);
	if (internal)
		manifest_render_bool(r, m, "internal", true);
	render_pairs(r, m, "labels", labels);
	if (external || named)
		manifest_render_str(r, m, "name", docker_name);
}

static void render_ipam(struct manifest_render *r, struct mnode *map,
                        const struct project_network *n)
{
	struct mnode *ipam, *seq, *e;
	size_t i;

	if (n->enable_ipv6)
		manifest_render_bool(r, map, "enable_ipv6", true);
	if (!n->nipam && !n->ipam_driver)
		return;
	ipam = manifest_render_map(r, map, "ipam");
	seq = manifest_render_seq(r, ipam, "config");
	for (i = 0; seq && i < n->nipam; i++) {
		e = manifest_render_map(r, seq, NULL);
		manifest_render_str(r, e, "gateway", n->ipam[i].gateway);
		manifest_render_str(r, e, "ip_range", n->ipam[i].ip_range);
		manifest_render_str(r, e, "subnet", n->ipam[i].subnet);
	}
	manifest_render_str(r, ipam, "driver", n->ipam_driver);
}

static void render_networks(struct manifest_render *r, struct mnode *root)
{
	const struct project *p = r->p;
	struct mnode *m;
	size_t i;

	if (!p->nnetworks)
		return;
	m = manifest_render_map(r, root, "networks");
	for (i = 0; m && i < p->nnetworks; i++) {
		const struct project_network *n = &p->networks[i];
		char *name = model_network_docker_name(p, n->name);

		if (!name)
			r->nomem = true;
		render_resource(r, m, n->name, name, n->driver, n->external, n->external_name,
		                &n->labels, n->internal);
		render_ipam(r, m->n ? m->items[m->n - 1] : NULL, n);
		free(name);
	}
}

static void render_volumes(struct manifest_render *r, struct mnode *root)
{
	const struct project *p = r->p;
	struct mnode *m;
	size_t i;

	if (!p->nvolumes)
		return;
	m = manifest_render_map(r, root, "volumes");
	for (i = 0; m && i < p->nvolumes; i++) {
		const struct project_volume *v = &p->volumes[i];
		char *name = model_volume_docker_name(p, v->name);

		if (!name)
			r->nomem = true;
		render_resource(r, m, v->name, name, v->driver, v->external, v->external_name,
		                &v->labels, false);
		free(name);
	}
}

/* configs: and secrets: name their source (a file or a variable), never the content. */
static void render_files(struct manifest_render *r, struct mnode *root, const char *key,
                         const struct project_file *v, size_t n)
{
	struct mnode *m, *one;
	size_t i;

	if (!n)
		return;
	m = manifest_render_map(r, root, key);
	for (i = 0; m && i < n; i++) {
		one = manifest_render_map(r, m, v[i].name);
		manifest_render_str(r, one, "environment", v[i].environment);
		if (v[i].external)
			manifest_render_bool(r, one, "external", true);
		manifest_render_str(r, one, "file", v[i].file);
	}
}

static struct mnode *render_project(struct manifest_render *r)
{
	struct mnode *root = node_new(r, MNODE_MAP), *services;
	size_t i;

	manifest_render_str(r, root, "name", r->p->name);
	services = manifest_render_map(r, root, "services");
	for (i = 0; services && i < r->p->nservices; i++)
		render_service(r, services, &r->p->services[i]);
	render_networks(r, root);
	render_volumes(r, root);
	render_files(r, root, "configs", r->p->configs, r->p->nconfigs);
	render_files(r, root, "secrets", r->p->secrets, r->p->nsecrets);
	if (r->p->secret_keys.n)
		manifest_render_list(r, manifest_render_map(r, root, "x-deployctl"), "secrets",
		                     &r->p->secret_keys, false);
	return root;
}

/* ---- printing the tree ---- */

static bool yaml_word(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcasecmp(s, *words))
			return true;
	return false;
}

/* Could s be written bare and still read back as this string (not a number, bool or null)? */
static bool yaml_plain_ok(const char *s)
{
	static const char *const words[] = { "true", "false", "yes", "no",   "on",   "off", "y",
		                             "n",    "null",  "~",   ".inf", ".nan", NULL };
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                           "0123456789_./=+@:-$";
	char *end;
	size_t len = strlen(s);

	if (!len || strspn(s, safe) != len || strchr("-:@$", s[0]) || s[len - 1] == ':')
		return false;
	if (yaml_word(s, words) || strspn(s, "0123456789:._+-") == len)
		return false;
	(void)strtod(s, &end);
	return *end != '\0' && strncasecmp(s, "0x", 2) && strncasecmp(s, "0o", 2);
}

static int put_quoted(struct buf *b, const char *s, bool json)
{
	const unsigned char *p;
	int rc = buf_putc(b, '"');

	for (p = (const unsigned char *)s; *p && !rc; p++) {
		if (*p == '"' || *p == '\\')
			rc = buf_printf(b, "\\%c", *p);
		else if (*p == '\n')
			rc = buf_puts(b, "\\n");
		else if (*p == '\t')
			rc = buf_puts(b, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			rc = buf_printf(b, json ? "\\u%04x" : "\\x%02x", *p);
		else
			rc = buf_putc(b, (char)*p);
	}
	return rc ? rc : buf_putc(b, '"');
}

static int yaml_scalar(struct buf *b, const struct mnode *n)
{
	if (n->plain || yaml_plain_ok(n->value))
		return buf_puts(b, n->value);
	return put_quoted(b, n->value, false);
}

static int yaml_map(struct buf *b, const struct mnode *n, unsigned ind, bool inline_first);
static int yaml_seq(struct buf *b, const struct mnode *n, unsigned ind);

/* A value after "key:" or "-", its children at column ind. */
static int yaml_value(struct buf *b, const struct mnode *n, unsigned ind)
{
	int rc;

	if (n->type == MNODE_SCALAR)
		return buf_putc(b, ' ') || yaml_scalar(b, n) || buf_putc(b, '\n') ? ERR_NOMEM : 0;
	if (!n->n)
		return buf_puts(b, n->type == MNODE_MAP ? " {}\n" : " []\n");
	rc = buf_putc(b, '\n');
	if (rc)
		return rc;
	return n->type == MNODE_MAP ? yaml_map(b, n, ind, false) : yaml_seq(b, n, ind);
}

static int yaml_map(struct buf *b, const struct mnode *n, unsigned ind, bool inline_first)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n->n && !rc; i++) {
		if (i || !inline_first)
			rc = buf_printf(b, "%*s", (int)ind, "");
		if (!rc)
			rc = yaml_scalar(b, n->keys[i]);
		if (!rc)
			rc = buf_putc(b, ':');
		if (!rc)
			rc = yaml_value(b, n->items[i], ind + 2);
	}
	return rc;
}

static int yaml_seq(struct buf *b, const struct mnode *n, unsigned ind)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n->n && !rc; i++) {
		const struct mnode *it = n->items[i];

		rc = buf_printf(b, "%*s-", (int)ind, "");
		if (rc)
			break;
		if (it->type == MNODE_MAP && it->n)
			rc = buf_putc(b, ' ') ? ERR_NOMEM : yaml_map(b, it, ind + 2, true);
		else
			rc = yaml_value(b, it, ind + 2);
	}
	return rc;
}

static int json_node(struct buf *b, const struct mnode *n, unsigned ind)
{
	size_t i;
	int rc;

	if (n->type == MNODE_SCALAR)
		return n->plain ? buf_puts(b, n->value) : put_quoted(b, n->value, true);
	if (!n->n)
		return buf_puts(b, n->type == MNODE_MAP ? "{}" : "[]");
	rc = buf_puts(b, n->type == MNODE_MAP ? "{\n" : "[\n");
	for (i = 0; i < n->n && !rc; i++) {
		rc = buf_printf(b, "%*s", (int)ind + 2, "");
		if (!rc && n->type == MNODE_MAP)
			rc = put_quoted(b, n->keys[i]->value, true) || buf_puts(b, ": ") ? ERR_NOMEM
			                                                                 : 0;
		if (!rc)
			rc = json_node(b, n->items[i], ind + 2);
		if (!rc)
			rc = buf_puts(b, i + 1 < n->n ? ",\n" : "\n");
	}
	if (!rc)
		rc = buf_printf(b, "%*s%c", (int)ind, "", n->type == MNODE_MAP ? '}' : ']');
	return rc;
}

int manifest_render(char **out, const struct hash_key *k, const struct project *p,
                    enum manifest_format fmt, struct err *err)
{
	struct manifest_render r = { .p = p, .k = k };
	struct mnode *root;
	struct buf b;
	int rc;

	buf_init(&b, 0);
	root = render_project(&r);
	if (r.nomem || !root) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (fmt == MANIFEST_JSON)
		rc = json_node(&b, root, 0) || buf_putc(&b, '\n') ? ERR_NOMEM : 0;
	else
		rc = yaml_map(&b, root, 0, false);
	if (rc) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	*out = buf_detach(&b);
	rc = *out ? 0 : err_set(err, ERR_NOMEM, "out of memory");
out:
	mnode_free(root);
	buf_release(&b);
	return rc;
}
