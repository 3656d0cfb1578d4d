/*
 * manifest_service_host.c - the service keys that shape the container's
 * host side and runtime (container_name, platform, network_mode, pid, ipc,
 * sysctls, ulimits, devices, dns, resource keys, privileges, volumes_from,
 * links, external_links, profiles, pull_policy) and the configs/secrets
 * references, plus the cross-key checks run once a service is read
 * (manifest_service_finish). Every problem is reported.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "manifest_internal.h"

/* ---- simple keys ---- */

int manifest_key_pull_policy(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                             const char *path)
{
	char q[80];
	int rc = manifest_set_string(c, &s->pull_policy, v, path);

	if (rc)
		return rc;
	if (!strcmp(s->pull_policy, "if_not_present")) {
		free(s->pull_policy);
		s->pull_policy = strdup("missing");
		return s->pull_policy ? 0 : manifest_nomem(c);
	}
	if (!strcmp(s->pull_policy, "missing") || !strcmp(s->pull_policy, "always") ||
	    !strcmp(s->pull_policy, "never"))
		return 0;
	if (!strcmp(s->pull_policy, "daily") || !strcmp(s->pull_policy, "weekly") ||
	    (!strncmp(s->pull_policy, "every_", 6) && s->pull_policy[6])) {
		/* deployctl keeps no pull times: the image is pulled when absent */
		manifest_warn(c, v, path,
		              "\"%s\" is taken as missing: deployctl pulls an image "
		              "only when it is absent (or with always)",
		              s->pull_policy);
		free(s->pull_policy);
		s->pull_policy = strdup("missing");
		return s->pull_policy ? 0 : manifest_nomem(c);
	}
	if (!strcmp(s->pull_policy, "build"))
		return 0; /* with build:, the image is built from the commit (checked there) */
	else
		manifest_error(
		        c, v, path,
		        "invalid pull_policy \"%s\": use missing (or if_not_present), always "
		        "or never",
		        manifest_quote(q, sizeof(q), v));
	free(s->pull_policy);
	s->pull_policy = NULL;
	return ERR_INVALID;
}

int manifest_key_profiles(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                          const char *path)
{
	char ipath[MANIFEST_PATH_MAX];
	size_t i, first = s->profiles.n;
	int rc = manifest_strings(c, &s->profiles, v, path, false);

	for (i = first; i < s->profiles.n; i++) {
		if (manifest_name_ok(s->profiles.v[i]))
			continue;
		manifest_path_index(ipath, sizeof(ipath), path, i - first);
		manifest_error(c, v->items[i - first], ipath,
		               "invalid profile name: use letters, digits, '_', '.' and '-'");
		rc = rc ? rc : ERR_INVALID;
	}
	strv_sort(&s->profiles);
	return rc;
}

/* ---- expose, ulimits, devices ---- */

static int expose_one(struct manifest_ctx *c, void *arg, const struct mnode *x, const char *ipath)
{
	struct strv *out = arg;
	char *str = NULL, *slash, *end, q[80], item[32];
	const char *proto = "tcp";
	unsigned long lo, hi, p;
	int rc = manifest_string(c, &str, x, ipath);

	if (rc)
		return rc;
	slash = strchr(str, '/');
	if (slash) {
		*slash = '\0';
		proto = slash + 1;
	}
	lo = strtoul(str, &end, 10);
	hi = lo;
	if (*end == '-' && isdigit((unsigned char)end[1]))
		hi = strtoul(end + 1, &end, 10);
	if (!isdigit((unsigned char)*str) || *end || !lo || hi > 65535 || hi < lo ||
	    hi - lo >= MANIFEST_MAX_PORTS ||
	    (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))) {
		manifest_error(c, x, ipath,
		               "invalid port \"%s\": use PORT, PORT-PORT, with /tcp, /udp or /sctp",
		               manifest_quote(q, sizeof(q), x));
		rc = ERR_INVALID;
	}
	for (p = lo; !rc && p <= hi; p++) {
		size_t k;
		bool dup = false;

		snprintf(item, sizeof(item), "%lu/%s", p, proto);
		for (k = 0; k < out->n && !dup; k++)
			dup = !strcmp(out->v[k], item);
		if (!dup && strv_push(out, item))
			rc = manifest_nomem(c);
	}
	free(str);
	return rc;
}

int manifest_key_expose(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                        const char *path)
{
	int rc = manifest_each_item(c, v, path, expose_one, &s->expose);

	if (rc != ERR_NOMEM)
		strv_sort(&s->expose);
	return rc;
}

static int ulimit_cmp(const void *a, const void *b)
{
	return strcmp(((const struct svc_ulimit *)a)->name, ((const struct svc_ulimit *)b)->name);
}

static int ulimit_one(struct manifest_ctx *c, struct svc_ulimit *u, const struct mnode *x,
                      const char *path)
{
	char kpath[MANIFEST_PATH_MAX];
	const struct mnode *soft, *hard;
	size_t i;
	int rc;

	if (x->type == MNODE_SCALAR) {
		rc = manifest_int(c, &u->soft, x, path, -1, INT64_MAX);
		u->hard = u->soft;
		return rc;
	}
	if (manifest_expect(c, x, MNODE_MAP, path))
		return ERR_INVALID;
	for (i = 0; i < x->n; i++) {
		if (strcmp(x->keys[i]->value, "soft") && strcmp(x->keys[i]->value, "hard")) {
			manifest_error(c, x->keys[i], path, "unknown key '%s'", x->keys[i]->value);
			return ERR_INVALID;
		}
	}
	soft = mnode_get(x, "soft");
	hard = mnode_get(x, "hard");
	if (!soft || !hard) {
		manifest_error(c, x, path, "needs both soft and hard");
		return ERR_INVALID;
	}
	rc = manifest_int(c, &u->soft, soft, manifest_path_key(kpath, sizeof(kpath), path, "soft"),
	                  -1, INT64_MAX);
	if (!rc)
		rc = manifest_int(c, &u->hard, hard,
		                  manifest_path_key(kpath, sizeof(kpath), path, "hard"), -1,
		                  INT64_MAX);
	if (!rc && u->hard != -1 && (u->soft == -1 || u->soft > u->hard)) {
		manifest_error(c, x, path, "soft limit is above the hard limit");
		rc = ERR_INVALID;
	}
	return rc;
}

static int ulimit_entry(struct manifest_ctx *c, void *arg, const struct mnode *key,
                        const struct mnode *val, const char *kpath)
{
	struct service *s = arg;
	const char *name = key->value;
	struct svc_ulimit u = { NULL, 0, 0 }, *nu;
	int r;

	if (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyz") != strlen(name)) {
		manifest_error(c, key, kpath, "invalid ulimit name");
		return ERR_INVALID;
	}
	r = ulimit_one(c, &u, val, kpath);
	if (r)
		return r;
	nu = realloc(s->ulimits, (s->nulimits + 1) * sizeof(*nu));
	if (!nu)
		return manifest_nomem(c);
	s->ulimits = nu;
	u.name = strdup(name);
	nu[s->nulimits++] = u;
	return u.name ? 0 : manifest_nomem(c);
}

int manifest_key_ulimits(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                         const char *path)
{
	int rc = manifest_each_entry(c, v, path, ulimit_entry, s);

	if (rc != ERR_NOMEM && s->nulimits > 1)
		qsort(s->ulimits, s->nulimits, sizeof(*s->ulimits), ulimit_cmp);
	return rc;
}

static int device_push(struct manifest_ctx *c, struct service *s, const struct mnode *at,
                       const char *path, const char *src, const char *dst, const char *perms)
{
	struct buf b;
	int rc = 0;

	if (src[0] != '/' || dst[0] != '/') {
		manifest_error(
		        c, at, path,
		        "device paths must be absolute (CDI device names are not supported)");
		return ERR_INVALID;
	}
	if (!*perms || strspn(perms, "rwm") != strlen(perms)) {
		manifest_error(c, at, path, "invalid device permissions: use r, w and m");
		return ERR_INVALID;
	}
	buf_init(&b, 8192);
	if (buf_printf(&b, "%s:%s:%s", src, dst, perms) || strv_push(&s->devices, b.ptr))
		rc = manifest_nomem(c);
	buf_release(&b);
	return rc;
}

/* A devices entry's long form, as its keys are read. */
struct device_long {
	char *source, *target, *permissions;
};

#define DL(field) offsetof(struct device_long, field)

/* services.<name>.devices[i] in the long form: the first bad key ends it; no x- keys. */
static const struct manifest_key device_keys[] = {
	{ .key = "permissions", .kind = MK_STRING, .offset = DL(permissions) },
	{ .key = "source", .kind = MK_STRING, .offset = DL(source) },
	{ .key = "target", .kind = MK_STRING, .offset = DL(target) },
	{ .key = NULL, .flags = MKF_NO_EXT | MKF_FIRST },
};

static int device_long(struct manifest_ctx *c, struct service *s, const struct mnode *x,
                       const char *path)
{
	struct device_long d = { NULL, NULL, NULL };
	int rc = manifest_read_map(c, device_keys, &d, x, path);

	if (!rc && !d.source) {
		manifest_error(c, x, path, "missing required key 'source'");
		rc = ERR_INVALID;
	}
	if (!rc)
		rc = device_push(c, s, x, path, d.source, d.target ? d.target : d.source,
		                 d.permissions ? d.permissions : "rwm");
	free(d.source);
	free(d.target);
	free(d.permissions);
	return rc;
}

static int device_one(struct manifest_ctx *c, void *arg, const struct mnode *x, const char *ipath)
{
	struct service *s = arg;
	char *str = NULL, *dst, *perms;
	int r;

	if (x->type == MNODE_MAP)
		return device_long(c, s, x, ipath);
	r = manifest_string(c, &str, x, ipath);
	if (!r) {
		dst = strchr(str, ':');
		if (dst)
			*dst++ = '\0';
		perms = dst ? strchr(dst, ':') : NULL;
		if (perms)
			*perms++ = '\0';
		r = device_push(c, s, x, ipath, str, dst && *dst ? dst : str,
		                perms ? perms : "rwm");
	}
	free(str);
	return r;
}

int manifest_key_devices(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                         const char *path)
{
	return manifest_each_item(c, v, path, device_one, s);
}

/* ---- volumes_from, links, external_links ---- */

static int volumes_from_one(struct manifest_ctx *c, void *arg, const struct mnode *x,
                            const char *ipath)
{
	struct strv *out = arg;
	char q[80], *str = NULL, *mode;
	struct buf b;
	bool is_c;
	int r = manifest_string(c, &str, x, ipath);

	if (r)
		return r;
	is_c = !strncmp(str, "container:", 10);
	mode = strchr(is_c ? str + 10 : str, ':');
	if (mode)
		*mode++ = '\0';
	if ((mode && strcmp(mode, "ro") && strcmp(mode, "rw")) ||
	    !(is_c ? manifest_container_name_ok(str + 10) : manifest_name_ok(str))) {
		manifest_error(c, x, ipath,
		               "invalid volumes_from \"%s\": use SERVICE[:ro|:rw] or "
		               "container:NAME[:ro|:rw]",
		               manifest_quote(q, sizeof(q), x));
		r = ERR_INVALID;
	} else {
		buf_init(&b, 4096);
		r = buf_printf(&b, "%s%s%s", is_c ? "" : "service:", str,
		               mode && !strcmp(mode, "ro") ? ":ro" : "");
		if (r || strv_push(out, b.ptr))
			r = manifest_nomem(c);
		buf_release(&b);
	}
	free(str);
	return r;
}

int manifest_key_volumes_from(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                              const char *path)
{
	return manifest_each_item(c, v, path, volumes_from_one, &s->volumes_from);
}

/* links: "svc" or "svc:alias"; external_links: "container" or "container:alias". */
static int link_one(struct manifest_ctx *c, struct strv *out, const struct mnode *x,
                    const char *ipath, bool external)
{
	char q[80], *str = NULL, *alias;
	struct buf b;
	int r = manifest_string(c, &str, x, ipath);

	if (r)
		return r;
	alias = strchr(str, ':');
	if (alias)
		*alias++ = '\0';
	if (!(external ? manifest_container_name_ok(str) : manifest_name_ok(str)) ||
	    (alias && !manifest_name_ok(alias))) {
		manifest_error(c, x, ipath, "invalid link \"%s\": use %s[:ALIAS]",
		               manifest_quote(q, sizeof(q), x), external ? "CONTAINER" : "SERVICE");
		r = ERR_INVALID;
	} else {
		buf_init(&b, 4096);
		r = buf_printf(&b, "%s:%s", str, alias ? alias : str);
		if (r || strv_push(out, b.ptr))
			r = manifest_nomem(c);
		buf_release(&b);
	}
	free(str);
	return r;
}

static int link_service(struct manifest_ctx *c, void *arg, const struct mnode *x, const char *ipath)
{
	return link_one(c, arg, x, ipath, false);
}

static int link_container(struct manifest_ctx *c, void *arg, const struct mnode *x,
                          const char *ipath)
{
	return link_one(c, arg, x, ipath, true);
}

int manifest_key_links(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                       const char *path)
{
	return manifest_each_item(c, v, path, link_service, &s->links);
}

int manifest_key_external_links(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                                const char *path)
{
	int rc = manifest_each_item(c, v, path, link_container, &s->external_links);

	strv_sort(&s->external_links);
	return rc;
}

/* ---- configs and secrets references ---- */

/* "0440" (octal, as Compose reads YAML 1.1), 0o440, or a decimal number; at most 0777. */
static int file_mode(struct manifest_ctx *c, unsigned *out, const struct mnode *v, const char *path)
{
	char *s = NULL, *p, *end, q[80];
	unsigned long m;
	int rc = manifest_string(c, &s, v, path);

	if (rc)
		return rc;
	p = s;
	if (!strncmp(p, "0o", 2) || !strncmp(p, "0O", 2))
		p += 2;
	m = strtoul(p, &end, p[0] == '0' || p != s ? 8 : 10);
	if (!isdigit((unsigned char)*p) || *end || m > 0777) {
		manifest_error(c, v, path, "invalid mode \"%s\": use an octal mode such as 0440",
		               manifest_quote(q, sizeof(q), v));
		rc = ERR_INVALID;
	} else {
		*out = (unsigned)m;
	}
	free(s);
	return rc;
}

static int read_file_mode(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                          const struct mnode *key, const struct mnode *v, const char *path)
{
	(void)k;
	(void)key;
	return file_mode(c, field, v, path);
}

#define FR(field) offsetof(struct svc_file_ref, field)

/* services.<name>.configs[i] and secrets[i] in the long form: the first bad key ends it. */
static const struct manifest_key file_ref_keys[] = {
	{ .key = "gid", .kind = MK_STRING, .offset = FR(gid) },
	{ .key = "mode", .kind = MK_FIELD, .offset = FR(mode), .field = read_file_mode },
	{ .key = "source", .kind = MK_STRING, .offset = FR(source) },
	{ .key = "target", .kind = MK_STRING, .offset = FR(target) },
	{ .key = "uid", .kind = MK_STRING, .offset = FR(uid) },
	{ .key = NULL, .flags = MKF_FIRST },
};

static int ref_long(struct manifest_ctx *c, struct svc_file_ref *r, const struct mnode *x,
                    const char *path)
{
	int rc = manifest_read_map(c, file_ref_keys, r, x, path);

	if (!rc && !r->source) {
		manifest_error(c, x, path, "missing required key 'source'");
		rc = ERR_INVALID;
	}
	if (!rc && (r->uid || r->gid || r->mode))
		manifest_warn(c, x, path,
		              "uid, gid and mode are recorded but not applied: the file is "
		              "bind-mounted read-only as written by deployctl (root, 0444 for "
		              "configs, 0400 for secrets)");
	return rc;
}

/* Default and relative targets: configs "/<name>", secrets "/run/secrets/<target>". */
static int ref_target(struct manifest_ctx *c, struct svc_file_ref *r, const struct mnode *x,
                      const char *path, bool secret)
{
	struct buf b;
	const char *t = r->target ? r->target : r->source;
	int rc = 0;

	if (r->target && r->target[0] == '/')
		return 0;
	if (r->target && !secret) {
		manifest_error(c, x, path, "target must be an absolute path");
		return ERR_INVALID;
	}
	buf_init(&b, 8192);
	if (buf_printf(&b, "%s%s", secret ? "/run/secrets/" : "/", t))
		rc = manifest_nomem(c);
	free(r->target);
	r->target = rc ? NULL : buf_detach(&b);
	buf_release(&b);
	return rc || r->target ? rc : manifest_nomem(c);
}

/* What file_ref() reads into: configs or secrets of s, and their key path. */
struct file_refs {
	struct service *s;
	const char *path;
	bool secret;
};

static int file_ref(struct manifest_ctx *c, void *arg, const struct mnode *x, const char *ipath)
{
	struct file_refs *f = arg;
	struct service *s = f->s;
	struct svc_file_ref **list = f->secret ? &s->secrets : &s->configs, *nl, *r;
	size_t *n = f->secret ? &s->nsecrets : &s->nconfigs, k;
	int r2;

	nl = realloc(*list, (*n + 1) * sizeof(*nl));
	if (!nl)
		return manifest_nomem(c);
	*list = nl;
	r = &nl[*n];
	memset(r, 0, sizeof(*r));
	if (x->type == MNODE_MAP)
		r2 = ref_long(c, r, x, ipath);
	else
		r2 = manifest_set_string(c, &r->source, x, ipath);
	if (!r2)
		r2 = ref_target(c, r, x, ipath, f->secret);
	for (k = 0; !r2 && k < *n; k++) {
		if (strcmp(nl[k].target, r->target))
			continue;
		manifest_error(c, x, ipath, "target '%s' is already used by %s[%zu]", r->target,
		               f->path, k);
		r2 = ERR_INVALID;
	}
	if (!r2)
		r2 = manifest_ref_add(c, f->secret ? MANIFEST_REF_SECRET : MANIFEST_REF_CONFIG,
		                      s->name, r->source, ipath, x);
	if (r2) {
		free(r->source);
		free(r->target);
		free(r->uid);
		free(r->gid);
		return r2;
	}
	(*n)++;
	return 0;
}

static int file_refs(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                     const char *path, bool secret)
{
	struct file_refs f = { s, path, secret };

	return manifest_each_item(c, v, path, file_ref, &f);
}

int manifest_key_configs(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                         const char *path)
{
	return file_refs(c, s, v, path, false);
}

int manifest_key_secrets(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                         const char *path)
{
	return file_refs(c, s, v, path, true);
}

/* ---- after the keys ---- */

/* The service NAME of a "service:NAME" mode, as a dependency. */
static int mode_dep(struct manifest_ctx *c, struct service *s, const struct mnode *val,
                    const char *spath, const char *key, const char *mode)
{
	char kpath[MANIFEST_PATH_MAX];
	const struct mnode *at = mnode_get(val, key);

	if (!mode || strncmp(mode, "service:", 8) || !at)
		return 0;
	manifest_path_key(kpath, sizeof(kpath), spath, key);
	return manifest_dep_add(c, s, at, kpath, mode + 8, DEP_STARTED, true, true);
}

/* network_mode: no networks; no ports, hostname, dns, ... where Docker refuses them. */
static void network_mode_checks(struct manifest_ctx *c, const struct service *s,
                                const struct mnode *val, const char *spath)
{
	static const char *const shared_ns_keys[] = { "hostname", "dns",         "dns_search",
		                                      "dns_opt",  "mac_address", "extra_hosts",
		                                      "expose",   "links",       "external_links" };
	char kpath[MANIFEST_PATH_MAX];
	const struct mnode *k;
	const char *m = s->network_mode;
	bool shared = !strncmp(m, "service:", 8) || !strncmp(m, "container:", 10);
	size_t i;

	if ((k = mnode_get(val, "networks")))
		manifest_error(c, k, manifest_path_key(kpath, sizeof(kpath), spath, "networks"),
		               "cannot be used with network_mode \"%s\": remove one of them", m);
	if ((k = mnode_get(val, "ports")) && s->nports &&
	    (shared || !strcmp(m, "host") || !strcmp(m, "none")))
		manifest_error(c, k, manifest_path_key(kpath, sizeof(kpath), spath, "ports"),
		               "cannot be published with network_mode \"%s\"%s", m,
		               strcmp(m, "host") ? ""
		                                 : ": the service already uses the host's ports");
	if ((k = mnode_get(val, "links")) && s->links.n && !shared)
		manifest_error(
		        c, k, manifest_path_key(kpath, sizeof(kpath), spath, "links"),
		        "cannot be used with network_mode \"%s\": links need a shared network", m);
	for (i = 0; shared && i < sizeof(shared_ns_keys) / sizeof(shared_ns_keys[0]); i++)
		if ((k = mnode_get(val, shared_ns_keys[i])))
			manifest_error(
			        c, k,
			        manifest_path_key(kpath, sizeof(kpath), spath, shared_ns_keys[i]),
			        "cannot be used with network_mode \"%s\": the network is "
			        "another container's",
			        m);
}

int manifest_service_finish(struct manifest_ctx *c, struct service *s, const struct mnode *key,
                            const struct mnode *val, const char *spath)
{
	char kpath[MANIFEST_PATH_MAX], ipath[MANIFEST_PATH_MAX];
	const struct mnode *k, *build = mnode_get(val, "build");
	size_t i;
	int rc = 0;

	if (build) {
		rc = manifest_build(c, s, build,
		                    manifest_path_key(kpath, sizeof(kpath), spath, "build"));
		if (rc == ERR_NOMEM)
			return rc;
		rc = 0;
	} else if (!mnode_get(val, "image"))
		manifest_error(c, key, spath, "missing required key 'image'");
	if (s->container_name && s->replicas > 1 && (k = mnode_get(val, "container_name")))
		manifest_error(c, k,
		               manifest_path_key(kpath, sizeof(kpath), spath, "container_name"),
		               "a fixed container name allows one container, but deploy.replicas "
		               "is %u",
		               s->replicas);
	if (s->network_mode)
		network_mode_checks(c, s, val, spath);
	rc = mode_dep(c, s, val, spath, "network_mode", s->network_mode);
	if (!rc)
		rc = mode_dep(c, s, val, spath, "pid", s->pid);
	if (!rc)
		rc = mode_dep(c, s, val, spath, "ipc", s->ipc);
	k = mnode_get(val, "volumes_from");
	manifest_path_key(kpath, sizeof(kpath), spath, "volumes_from");
	for (i = 0; !rc && k && i < s->volumes_from.n && i < k->n; i++) {
		const char *vf = s->volumes_from.v[i];
		char *name;

		if (strncmp(vf, "service:", 8))
			continue;
		name = strdup(vf + 8);
		if (!name)
			return manifest_nomem(c);
		if (strchr(name, ':'))
			*strchr(name, ':') = '\0';
		rc = manifest_dep_add(c, s, k->items[i],
		                      manifest_path_index(ipath, sizeof(ipath), kpath, i), name,
		                      DEP_STARTED, true, true);
		free(name);
	}
	k = mnode_get(val, "links");
	manifest_path_key(kpath, sizeof(kpath), spath, "links");
	for (i = 0; !rc && k && i < s->links.n && i < k->n; i++) {
		char *name = strdup(s->links.v[i]), *alias;

		if (!name)
			return manifest_nomem(c);
		alias = strchr(name, ':');
		*alias++ = '\0';
		manifest_path_index(ipath, sizeof(ipath), kpath, i);
		rc = manifest_dep_add(c, s, k->items[i], ipath, name, DEP_STARTED, true, true);
		if (!rc && !s->network_mode) {
			rc = manifest_ref_add(c, MANIFEST_REF_LINK, s->name, name, ipath,
			                      k->items[i]);
			if (!rc && !(c->refs[c->nrefs - 1].alias = strdup(alias)))
				rc = manifest_nomem(c);
		}
		free(name);
	}
	return rc == ERR_NOMEM ? rc : 0;
}
