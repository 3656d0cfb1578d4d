/*
 * manifest_service_net.c - the service keys that wire a container to the
 * outside: ports (short and long forms, ranges expanded onto svc_port),
 * volumes and tmpfs (svc_mount, with named-volume references) and networks
 * (svc_network with aliases; manifest_service.c adds the implicit "default").
 * Every problem is reported and the next entry is read.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_internal.h"

/* A key of a long form that Compose has and deployctl does not read yet. */
#define NOT_YET(name)                                                                              \
	{                                                                                          \
		.key = name, .kind = MK_REFUSED, .why = "not supported yet"                        \
	}

/* ---- ports ---- */

/* "N" or "N-M" with min <= N <= M <= 65535. */
static int port_range(const char *s, unsigned *lo, unsigned *hi, unsigned min)
{
	unsigned long a, b;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	a = strtoul(s, &end, 10);
	b = a;
	if (*end == '-') {
		if (!isdigit((unsigned char)end[1]))
			return -1;
		b = strtoul(end + 1, &end, 10);
	}
	if (*end || a < min || a > 65535 || b > 65535 || b < a)
		return -1;
	*lo = (unsigned)a;
	*hi = (unsigned)b;
	return 0;
}

static bool ip_ok(const char *ip)
{
	unsigned char addr[16];

	return inet_pton(AF_INET, ip, addr) == 1 || inet_pton(AF_INET6, ip, addr) == 1;
}

static bool proto_ok(const char *p)
{
	return !strcmp(p, "tcp") || !strcmp(p, "udp") || !strcmp(p, "sctp");
}

static int port_add(struct manifest_ctx *c, struct service *s, const char *ip, unsigned host,
                    unsigned container, const char *proto)
{
	struct svc_port *np = realloc(s->ports, (s->nports + 1) * sizeof(*np));

	if (!np)
		return manifest_nomem(c);
	s->ports = np;
	np[s->nports] = (struct svc_port){
		.host_ip = strdup(ip),
		.protocol = strdup(proto),
		.host_port = host,
		.container_port = container,
	};
	s->nports++;
	if (!np[s->nports - 1].host_ip || !np[s->nports - 1].protocol)
		return manifest_nomem(c);
	return 0;
}

/* Expand host range [hlo, hhi] (hlo 0: none) onto container range [clo, chi]. */
static int port_expand(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                       const char *path, const char *ip, unsigned hlo, unsigned hhi, unsigned clo,
                       unsigned chi, const char *proto)
{
	char q[80];
	unsigned i;
	int rc;

	if (hlo && hhi > hlo && clo == chi) {
		/* "8000-9000:80": Docker picks a free host port in the range, as Compose */
		rc = port_add(c, s, ip, hlo, clo, proto);
		if (!rc)
			s->ports[s->nports - 1].host_port_end = hhi;
		return rc;
	}
	if (hlo && hhi - hlo != chi - clo) {
		manifest_error(c, v, path,
		               "invalid port \"%s\": host and container port ranges differ in size",
		               manifest_quote(q, sizeof(q), v));
		return ERR_INVALID;
	}
	if (s->nports + (chi - clo) + 1 > MANIFEST_MAX_PORTS) {
		manifest_error(c, v, path, "too many ports (at most %d per service)",
		               MANIFEST_MAX_PORTS);
		return ERR_INVALID;
	}
	for (i = 0; i <= chi - clo; i++) {
		rc = port_add(c, s, ip, hlo ? hlo + i : 0, clo + i, proto);
		if (rc)
			return rc;
	}
	return 0;
}

static int port_short(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                      const char *path)
{
	char *str = NULL, *host = NULL, *cont, *slash, *colon, q[80];
	const char *proto = "tcp", *ip = "";
	unsigned hlo = 0, hhi = 0, clo, chi;
	int rc;

	rc = manifest_string(c, &str, v, path);
	if (rc)
		return rc;
	rc = ERR_INVALID;
	slash = strrchr(str, '/');
	if (slash) {
		*slash = '\0';
		proto = slash + 1;
	}
	cont = str;
	if (str[0] == '[') {
		char *close = strchr(str, ']');

		if (!close || close[1] != ':')
			goto bad;
		*close = '\0';
		ip = str + 1;
		host = close + 2;
		colon = strchr(host, ':');
		if (!colon)
			goto bad;
		*colon = '\0';
		cont = colon + 1;
	} else if ((colon = strrchr(str, ':'))) {
		*colon = '\0';
		cont = colon + 1;
		host = str;
		if ((colon = strrchr(str, ':'))) {
			/* "::1:6000:6000": an IPv6 address without brackets, as Compose takes it */
			*colon = '\0';
			ip = str;
			host = colon + 1;
		}
	}
	if (!proto_ok(proto) || port_range(cont, &clo, &chi, 1) ||
	    (host && *host && port_range(host, &hlo, &hhi, 1)) || (*ip && !ip_ok(ip)))
		goto bad;
	rc = port_expand(c, s, v, path, ip, hlo, hhi, clo, chi, proto);
	goto out;
bad:
	manifest_error(c, v, path, "invalid port \"%s\"", manifest_quote(q, sizeof(q), v));
out:
	free(str);
	return rc;
}

static bool port_mode_ok(const char *m)
{
	return !strcmp(m, "host") || !strcmp(m, "ingress");
}

/* The long form of a ports entry, as its keys are read. */
struct port_long {
	uint64_t target;
	char *published, *host_ip, *protocol, *mode;
	unsigned hlo, hhi;
};

static int read_target(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                       const struct mnode *key, const struct mnode *v, const char *path)
{
	int r = manifest_uint(c, field, v, path, 65535);

	(void)k;
	(void)key;
	if (!r && !*(uint64_t *)field) {
		manifest_error(c, v, path, "invalid port \"0\"");
		r = ERR_INVALID;
	}
	return r;
}

/* published: "8080" or "8080-8081" (field: the whole struct port_long). */
static int read_published(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                          const struct mnode *key, const struct mnode *v, const char *path)
{
	struct port_long *pl = field;
	char q[80];
	int r = manifest_set_string(c, &pl->published, v, path);

	(void)k;
	(void)key;
	if (!r && *pl->published && port_range(pl->published, &pl->hlo, &pl->hhi, 1)) {
		manifest_error(c, v, path, "invalid port \"%s\"", manifest_quote(q, sizeof(q), v));
		r = ERR_INVALID;
	}
	return r;
}

#define PL(field) offsetof(struct port_long, field)

/* services.<name>.ports[i] in the long form (x- keys are unknown here). */
static const struct manifest_key port_keys[] = {
	{ .key = "app_protocol", .kind = MK_SKIP }, /* descriptive only */
	{ .key = "host_ip",
	  .kind = MK_STRING,
	  .offset = PL(host_ip),
	  .valid = ip_ok,
	  .what = "invalid IP address" },
	{ .key = "mode",
	  .kind = MK_STRING,
	  .offset = PL(mode),
	  .valid = port_mode_ok,
	  .what = "invalid mode",
	  .hint = "use host or ingress" },
	{ .key = "name", .kind = MK_SKIP }, /* descriptive only */
	{ .key = "protocol",
	  .kind = MK_STRING,
	  .offset = PL(protocol),
	  .valid = proto_ok,
	  .what = "invalid protocol",
	  .hint = "use tcp, udp or sctp" },
	{ .key = "published", .kind = MK_FIELD, .offset = 0, .field = read_published },
	{ .key = "target", .kind = MK_FIELD, .offset = PL(target), .field = read_target },
	{ .key = NULL, .flags = MKF_NO_EXT },
};

static int port_long(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                     const char *path)
{
	struct port_long pl = { 0 };
	int rc = manifest_read_map(c, port_keys, &pl, v, path);

	if (!mnode_get(v, "target")) {
		manifest_error(c, v, path, "missing required key 'target'");
		rc = rc ? rc : ERR_INVALID;
	}
	if (!rc)
		rc = port_add(c, s, pl.host_ip ? pl.host_ip : "", pl.hlo, (unsigned)pl.target,
		              pl.protocol ? pl.protocol : "tcp");
	if (!rc && pl.hhi > pl.hlo)
		s->ports[s->nports - 1].host_port_end = pl.hhi; /* published: "8080-8081" */
	/* Only Swarm has a routing mesh to opt out of: on one host the key changes nothing,
	 * so it stays out of the spec (and of the hash of a container deployed before). */
	if (!rc && pl.mode && !strcmp(pl.mode, "host") && c->p->target &&
	    !strcmp(c->p->target, "swarm"))
		s->ports[s->nports - 1].host_mode = true;
	free(pl.host_ip);
	free(pl.protocol);
	free(pl.published);
	free(pl.mode);
	return rc;
}

static int port_one(struct manifest_ctx *c, void *arg, const struct mnode *x, const char *ipath)
{
	struct service *s = arg;
	size_t first = s->nports;
	int r;

	if (x->type == MNODE_MAP)
		r = port_long(c, s, x, ipath);
	else
		r = port_short(c, s, x, ipath);
	if (!r && s->nports > first) {
		r = manifest_ref_add(c, MANIFEST_REF_PORT, s->name, NULL, ipath, x);
		if (!r) {
			c->refs[c->nrefs - 1].index = first;
			c->refs[c->nrefs - 1].nports = s->nports - first;
		}
	}
	return r;
}

int manifest_key_ports(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                       const char *path)
{
	return manifest_each_item(c, v, path, port_one, s);
}

/* ---- volumes ---- */

int manifest_mount_add(struct manifest_ctx *c, struct service *s, enum mount_type type,
                       const char *source, const char *target, bool ro)
{
	struct svc_mount *nm = realloc(s->mounts, (s->nmounts + 1) * sizeof(*nm));
	struct svc_mount *m;

	if (!nm)
		return manifest_nomem(c);
	s->mounts = nm;
	m = &nm[s->nmounts++];
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->read_only = ro;
	m->source = source ? strdup(source) : NULL;
	m->target = strdup(target);
	if ((source && !m->source) || !m->target)
		return manifest_nomem(c);
	return 0;
}

/* Check source/target and add the mount (and the volume reference). */
static int mount_finish(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                        const char *path, enum mount_type type, const char *source,
                        const char *target, bool ro)
{
	char q[80];
	int rc;

	if (!target || target[0] != '/') {
		manifest_error(c, v, path,
		               "invalid volume \"%s\": the target must be an absolute path",
		               manifest_quote(q, sizeof(q), v->type == MNODE_SCALAR ? v : NULL));
		return ERR_INVALID;
	}
	if (type == MOUNT_BIND || (type == MOUNT_VOLUME && source &&
	                           (source[0] == '.' || source[0] == '~' || source[0] == '/'))) {
		if (!source || !*source) {
			manifest_error(c, v, path, "a bind mount needs a source");
			return ERR_INVALID;
		}
		if (source[0] == '.')
			return manifest_bind_relative(c, s, v, path, source, target, ro);
		if (source[0] != '/') {
			manifest_error(
			        c, v, path,
			        "a bind source starting with '~' is not supported: use a path "
			        "relative to the manifest, or an absolute one");
			return ERR_INVALID;
		}
		type = MOUNT_BIND;
	} else if (type == MOUNT_VOLUME && source) {
		if (!manifest_name_ok(source)) {
			manifest_error(c, v, path, "invalid volume name '%s'", source);
			return ERR_INVALID;
		}
		rc = manifest_ref_add(c, MANIFEST_REF_VOLUME, s->name, source, path, v);
		if (rc)
			return rc;
	} else if (type == MOUNT_TMPFS && source) {
		manifest_error(c, v, path, "a tmpfs mount takes no source");
		return ERR_INVALID;
	}
	return manifest_mount_add(c, s, type, source, target, ro);
}

static int volume_short(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                        const char *path)
{
	char *str = NULL, *parts[3] = { NULL, NULL, NULL }, *p, *opt, q[80];
	size_t n = 0;
	bool ro = false;
	int rc;

	rc = manifest_string(c, &str, v, path);
	if (rc)
		return rc;
	for (p = str; n < 3;) {
		parts[n++] = p;
		p = strchr(p, ':');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (p) {
		manifest_error(c, v, path, "invalid volume \"%s\": too many ':'",
		               manifest_quote(q, sizeof(q), v));
		rc = ERR_INVALID;
		goto out;
	}
	for (opt = parts[2]; opt && *opt;) {
		size_t len = strcspn(opt, ",");

		if (len == 2 && !strncmp(opt, "ro", 2)) {
			ro = true;
		} else if (len == 2 && !strncmp(opt, "rw", 2)) {
			ro = false;
		} else {
			manifest_error(c, v, path, "invalid volume \"%s\": unsupported mode '%.*s'",
			               manifest_quote(q, sizeof(q), v), (int)len, opt);
			rc = ERR_INVALID;
			goto out;
		}
		opt += len;
		opt += *opt == ',';
	}
	if (n == 1)
		rc = mount_finish(c, s, v, path, MOUNT_VOLUME, NULL, parts[0], false);
	else
		rc = mount_finish(c, s, v, path, MOUNT_VOLUME, parts[0], parts[1], ro);
out:
	free(str);
	return rc;
}

/* The long form of a volumes entry, as its keys are read. */
struct volume_long {
	char *type, *source, *target;
	enum mount_type t;
	bool read_only, create;
};

/* type: volume, bind or tmpfs (field: the whole struct volume_long). */
static int read_mount_type(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                           const struct mnode *key, const struct mnode *v, const char *path)
{
	struct volume_long *vl = field;
	char q[80];
	int r = manifest_set_string(c, &vl->type, v, path);

	(void)k;
	(void)key;
	if (r)
		return r;
	if (!strcmp(vl->type, "volume"))
		vl->t = MOUNT_VOLUME;
	else if (!strcmp(vl->type, "bind"))
		vl->t = MOUNT_BIND;
	else if (!strcmp(vl->type, "tmpfs"))
		vl->t = MOUNT_TMPFS;
	else {
		manifest_error(c, v, path, "invalid mount type \"%s\": use volume, bind or tmpfs",
		               manifest_quote(q, sizeof(q), v));
		r = ERR_INVALID;
	}
	return r;
}

#define VL(field) offsetof(struct volume_long, field)

/* The long form's bind: {create_host_path}; propagation and selinux are not supported yet. */
static const struct manifest_key bind_keys[] = {
	{ .key = "create_host_path", .kind = MK_BOOL, .offset = VL(create) },
	{ .key = NULL, .why = "not supported yet" },
};

/* services.<name>.volumes[i] in the long form. */
static const struct manifest_key volume_keys[] = {
	{ .key = "bind", .kind = MK_MAP, .sub = bind_keys },
	NOT_YET("consistency"),
	NOT_YET("image"),
	{ .key = "read_only", .kind = MK_BOOL, .offset = VL(read_only) },
	{ .key = "source", .kind = MK_STRING, .offset = VL(source) },
	{ .key = "target", .kind = MK_STRING, .offset = VL(target) },
	NOT_YET("tmpfs"),
	{ .key = "type", .kind = MK_FIELD, .offset = 0, .field = read_mount_type },
	NOT_YET("volume"),
	{ .key = NULL },
};

static int volume_long(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                       const char *path)
{
	struct volume_long vl = { .t = MOUNT_VOLUME, .create = true };
	int rc = manifest_read_map(c, volume_keys, &vl, v, path);

	if (!vl.type) {
		manifest_error(c, v, path, "missing required key 'type'");
		rc = rc ? rc : ERR_INVALID;
	}
	if (!rc && vl.t == MOUNT_VOLUME && vl.source && !*vl.source) {
		free(vl.source);
		vl.source = NULL;
	}
	if (!rc)
		rc = mount_finish(c, s, v, path, vl.t, vl.source, vl.target, vl.read_only);
	if (!rc && !vl.create && s->nmounts)
		s->mounts[s->nmounts - 1].no_create = true;
	free(vl.type);
	free(vl.source);
	free(vl.target);
	return rc;
}

static int volume_one(struct manifest_ctx *c, void *arg, const struct mnode *x, const char *ipath)
{
	if (x->type == MNODE_MAP)
		return volume_long(c, arg, x, ipath);
	return volume_short(c, arg, x, ipath);
}

int manifest_key_volumes(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                         const char *path)
{
	return manifest_each_item(c, v, path, volume_one, s);
}

int manifest_key_tmpfs(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                       const char *path)
{
	char ipath[MANIFEST_PATH_MAX], q[80];
	size_t i, first = s->tmpfs.n;
	int rc = manifest_strings(c, &s->tmpfs, v, path, true);

	for (i = first; i < s->tmpfs.n; i++) {
		if (s->tmpfs.v[i][0] == '/')
			continue;
		if (v->type == MNODE_SEQ)
			manifest_path_index(ipath, sizeof(ipath), path, i - first);
		else
			manifest_path_key(ipath, sizeof(ipath), NULL, path);
		manifest_error(c, v, ipath, "\"%s\" is not an absolute path",
		               manifest_quote(q, sizeof(q),
		                              v->type == MNODE_SEQ ? v->items[i - first] : v));
		rc = rc ? rc : ERR_INVALID;
	}
	return rc;
}

/* ---- networks ---- */

int manifest_network_add(struct manifest_ctx *c, struct service *s, const struct mnode *at,
                         const char *path, const char *name, struct svc_network **out)
{
	struct svc_network *nn;
	size_t i;

	*out = NULL;
	if (!manifest_name_ok(name)) {
		manifest_error(c, at, path, "invalid network name '%s'", name);
		return ERR_INVALID;
	}
	for (i = 0; i < s->nnetworks; i++) {
		if (!strcmp(s->networks[i].name, name)) {
			manifest_error(c, at, path, "network '%s' listed twice", name);
			return ERR_INVALID;
		}
	}
	nn = realloc(s->networks, (s->nnetworks + 1) * sizeof(*nn));
	if (!nn)
		return manifest_nomem(c);
	s->networks = nn;
	memset(&nn[s->nnetworks], 0, sizeof(*nn));
	nn[s->nnetworks].name = strdup(name);
	if (!nn[s->nnetworks++].name)
		return manifest_nomem(c);
	*out = &nn[s->nnetworks - 1];
	return manifest_ref_add(c, MANIFEST_REF_NETWORK, s->name, name, path, at);
}

/* An IP address string (ipv4_address, ipv6_address). */
static int read_ip(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                   const struct mnode *key, const struct mnode *v, const char *path)
{
	char **dst = field;
	int r = manifest_set_string(c, dst, v, path);

	(void)k;
	(void)key;
	if (!r && !ip_ok(*dst)) {
		manifest_error(c, v, path, "invalid IP address");
		r = ERR_INVALID;
	}
	return r;
}

#define NET(field) offsetof(struct svc_network, field)

/* services.<name>.networks.<network> (null: no options; x- keys are unknown here). */
static const struct manifest_key network_keys[] = {
	{ .key = "aliases", .kind = MK_STRINGS, .offset = NET(aliases), .flags = MKF_SORT },
	NOT_YET("driver_opts"),
	NOT_YET("gw_priority"),
	{ .key = "ipv4_address", .kind = MK_FIELD, .offset = NET(ipv4_address), .field = read_ip },
	{ .key = "ipv6_address", .kind = MK_FIELD, .offset = NET(ipv6_address), .field = read_ip },
	NOT_YET("link_local_ips"),
	NOT_YET("mac_address"),
	NOT_YET("priority"),
	{ .key = NULL, .flags = MKF_NULL_OK | MKF_NO_EXT },
};

static int network_entry(struct manifest_ctx *c, void *arg, const struct mnode *key,
                         const struct mnode *val, const char *kpath)
{
	struct svc_network *net;
	int r = manifest_network_add(c, arg, key, kpath, key->value, &net);

	return r ? r : manifest_read_map(c, network_keys, net, val, kpath);
}

static int network_item(struct manifest_ctx *c, void *arg, const struct mnode *x, const char *ipath)
{
	struct svc_network *net;
	char *name = NULL;
	int r = manifest_string(c, &name, x, ipath);

	if (!r)
		r = manifest_network_add(c, arg, x, ipath, name, &net);
	free(name);
	return r;
}

int manifest_key_networks(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                          const char *path)
{
	return manifest_each(c, v, path, network_entry, network_item, s);
}
