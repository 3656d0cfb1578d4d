/*
 * manifest_service_net.c - the service keys that wire a container to the
 * outside: ports (short and long forms, ranges expanded onto svc_port),
 * volumes and tmpfs (svc_mount, with named-volume references) and networks
 * (svc_network with aliases; manifest_service.c adds the implicit "default").
 * Every problem is reported and the next entry is read.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_internal.h"

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

static int port_long(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                     const char *path)
{
	char kpath[MANIFEST_PATH_MAX], q[80];
	char *ip = NULL, *proto = NULL, *pub = NULL, *mode = NULL;
	const struct mnode *target_n = NULL;
	uint64_t target = 0;
	unsigned hlo = 0, hhi = 0;
	size_t i;
	int rc = 0, r;

	for (i = 0; i < v->n; i++) {
		const char *k = v->keys[i]->value;
		const struct mnode *x = v->items[i];

		manifest_path_key(kpath, sizeof(kpath), path, k);
		r = 0;
		if (!strcmp(k, "target")) {
			target_n = x;
			r = manifest_uint(c, &target, x, kpath, 65535);
			if (!r && !target) {
				manifest_error(c, x, kpath, "invalid port \"0\"");
				r = ERR_INVALID;
			}
		} else if (!strcmp(k, "published")) {
			r = manifest_set_string(c, &pub, x, kpath);
			if (!r && *pub && port_range(pub, &hlo, &hhi, 1)) {
				manifest_error(c, x, kpath, "invalid port \"%s\"",
				               manifest_quote(q, sizeof(q), x));
				r = ERR_INVALID;
			}
		} else if (!strcmp(k, "host_ip")) {
			r = manifest_set_string(c, &ip, x, kpath);
			if (!r && !ip_ok(ip)) {
				manifest_error(c, x, kpath, "invalid IP address \"%s\"",
				               manifest_quote(q, sizeof(q), x));
				r = ERR_INVALID;
			}
		} else if (!strcmp(k, "protocol")) {
			r = manifest_set_string(c, &proto, x, kpath);
			if (!r && !proto_ok(proto)) {
				manifest_error(c, x, kpath,
				               "invalid protocol \"%s\": use tcp, udp or sctp",
				               manifest_quote(q, sizeof(q), x));
				r = ERR_INVALID;
			}
		} else if (!strcmp(k, "mode")) {
			r = manifest_set_string(c, &mode, x, kpath);
			if (!r && strcmp(mode, "host") && strcmp(mode, "ingress")) {
				manifest_error(c, x, kpath,
				               "invalid mode \"%s\": use host or ingress",
				               manifest_quote(q, sizeof(q), x));
				r = ERR_INVALID;
			}
		} else if (!strcmp(k, "name") || !strcmp(k, "app_protocol")) {
			r = 0; /* descriptive only */
		} else {
			manifest_error(c, v->keys[i], path, "unknown key '%s'", k);
			r = ERR_INVALID;
		}
		rc = rc ? rc : r;
	}
	if (!target_n) {
		manifest_error(c, v, path, "missing required key 'target'");
		rc = rc ? rc : ERR_INVALID;
	}
	if (!rc)
		rc = port_add(c, s, ip ? ip : "", hlo, (unsigned)target, proto ? proto : "tcp");
	if (!rc && hhi > hlo)
		s->ports[s->nports - 1].host_port_end = hhi; /* published: "8080-8081" */
	/* Only Swarm has a routing mesh to opt out of: on one host the key changes nothing,
	 * so it stays out of the spec (and of the hash of a container deployed before). */
	if (!rc && mode && !strcmp(mode, "host") && c->p->target && !strcmp(c->p->target, "swarm"))
		s->ports[s->nports - 1].host_mode = true;
	free(ip);
	free(proto);
	free(pub);
	free(mode);
	return rc;
}

int manifest_key_ports(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                       const char *path)
{
	char ipath[MANIFEST_PATH_MAX];
	size_t i, first;
	int rc = 0, r;

	if (manifest_expect(c, v, MNODE_SEQ, path))
		return ERR_INVALID;
	for (i = 0; i < v->n; i++) {
		const struct mnode *x = v->items[i];

		manifest_path_index(ipath, sizeof(ipath), path, i);
		first = s->nports;
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
		if (r == ERR_NOMEM)
			return r;
		rc = rc ? rc : r;
	}
	return rc;
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

/* The long form's bind: {create_host_path}; propagation and selinux are not supported yet. */
static int bind_options(struct manifest_ctx *c, bool *create, const struct mnode *v,
                        const char *path)
{
	char kpath[MANIFEST_PATH_MAX];
	size_t i;
	int rc = 0, r;

	if (manifest_expect(c, v, MNODE_MAP, path))
		return ERR_INVALID;
	for (i = 0; i < v->n; i++) {
		const char *k = v->keys[i]->value;

		manifest_path_key(kpath, sizeof(kpath), path, k);
		if (!strcmp(k, "create_host_path")) {
			r = manifest_bool(c, create, v->items[i], kpath);
		} else if (!strncmp(k, "x-", 2)) {
			r = 0;
		} else {
			manifest_error(c, v->keys[i], kpath, "not supported yet");
			r = ERR_INVALID;
		}
		rc = rc ? rc : r;
	}
	return rc;
}

static int volume_long(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                       const char *path)
{
	char kpath[MANIFEST_PATH_MAX], q[80];
	char *type = NULL, *source = NULL, *target = NULL;
	enum mount_type t = MOUNT_VOLUME;
	bool ro = false, create = true;
	size_t i;
	int rc = 0, r;

	for (i = 0; i < v->n; i++) {
		const char *k = v->keys[i]->value;
		const struct mnode *x = v->items[i];

		manifest_path_key(kpath, sizeof(kpath), path, k);
		if (!strcmp(k, "type")) {
			r = manifest_set_string(c, &type, x, kpath);
			if (!r && !strcmp(type, "volume"))
				t = MOUNT_VOLUME;
			else if (!r && !strcmp(type, "bind"))
				t = MOUNT_BIND;
			else if (!r && !strcmp(type, "tmpfs"))
				t = MOUNT_TMPFS;
			else if (!r) {
				manifest_error(
				        c, x, kpath,
				        "invalid mount type \"%s\": use volume, bind or tmpfs",
				        manifest_quote(q, sizeof(q), x));
				r = ERR_INVALID;
			}
		} else if (!strcmp(k, "source")) {
			r = manifest_set_string(c, &source, x, kpath);
		} else if (!strcmp(k, "target")) {
			r = manifest_set_string(c, &target, x, kpath);
		} else if (!strcmp(k, "read_only")) {
			r = manifest_bool(c, &ro, x, kpath);
		} else if (!strncmp(k, "x-", 2)) {
			continue; /* extensions, as the Compose schema allows them */
		} else if (!strcmp(k, "bind")) {
			r = bind_options(c, &create, x, kpath);
		} else if (!strcmp(k, "volume") || !strcmp(k, "tmpfs") ||
		           !strcmp(k, "consistency") || !strcmp(k, "image")) {
			manifest_error(c, v->keys[i], kpath, "not supported yet");
			r = ERR_INVALID;
		} else {
			manifest_error(c, v->keys[i], path, "unknown key '%s'", k);
			r = ERR_INVALID;
		}
		rc = rc ? rc : r;
	}
	if (!type) {
		manifest_error(c, v, path, "missing required key 'type'");
		rc = rc ? rc : ERR_INVALID;
	}
	if (!rc && t == MOUNT_VOLUME && source && !*source) {
		free(source);
		source = NULL;
	}
	if (!rc)
		rc = mount_finish(c, s, v, path, t, source, target, ro);
	if (!rc && !create && s->nmounts)
		s->mounts[s->nmounts - 1].no_create = true;
	free(type);
	free(source);
	free(target);
	return rc;
}

int manifest_key_volumes(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                         const char *path)
{
	char ipath[MANIFEST_PATH_MAX];
	size_t i;
	int rc = 0, r;

	if (manifest_expect(c, v, MNODE_SEQ, path))
		return ERR_INVALID;
	for (i = 0; i < v->n; i++) {
		manifest_path_index(ipath, sizeof(ipath), path, i);
		if (v->items[i]->type == MNODE_MAP)
			r = volume_long(c, s, v->items[i], ipath);
		else
			r = volume_short(c, s, v->items[i], ipath);
		if (r == ERR_NOMEM)
			return r;
		rc = rc ? rc : r;
	}
	return rc;
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

static int network_opts(struct manifest_ctx *c, struct svc_network *net, const struct mnode *v,
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
		if (!strcmp(k, "aliases")) {
			r = manifest_strings(c, &net->aliases, v->items[i], kpath, false);
			strv_sort(&net->aliases);
		} else if (!strcmp(k, "ipv4_address") || !strcmp(k, "ipv6_address")) {
			char **dst = k[3] == '4' ? &net->ipv4_address : &net->ipv6_address;

			r = manifest_set_string(c, dst, v->items[i], kpath);
			if (!r && !ip_ok(*dst)) {
				manifest_error(c, v->items[i], kpath, "invalid IP address");
				r = ERR_INVALID;
			}
		} else if (!strcmp(k, "link_local_ips") || !strcmp(k, "mac_address") ||
		           !strcmp(k, "priority") || !strcmp(k, "gw_priority") ||
		           !strcmp(k, "driver_opts")) {
			manifest_error(c, v->keys[i], kpath, "not supported yet");
			r = ERR_INVALID;
		} else {
			manifest_error(c, v->keys[i], path, "unknown key '%s'", k);
			r = ERR_INVALID;
		}
		rc = rc ? rc : r;
	}
	return rc;
}

int manifest_key_networks(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                          const char *path)
{
	char ipath[MANIFEST_PATH_MAX];
	struct svc_network *net;
	char *name = NULL;
	size_t i;
	int rc = 0, r;

	if (v->type == MNODE_MAP) {
		for (i = 0; i < v->n; i++) {
			manifest_path_key(ipath, sizeof(ipath), path, v->keys[i]->value);
			r = manifest_network_add(c, s, v->keys[i], ipath, v->keys[i]->value, &net);
			if (!r)
				r = network_opts(c, net, v->items[i], ipath);
			if (r == ERR_NOMEM)
				return r;
			rc = rc ? rc : r;
		}
		return rc;
	}
	if (v->type != MNODE_SEQ) {
		manifest_error(c, v, path, "expected a mapping or a sequence, got a %s",
		               mnode_is_null(v) ? "null" : mnode_type_name(v));
		return ERR_INVALID;
	}
	for (i = 0; i < v->n; i++) {
		manifest_path_index(ipath, sizeof(ipath), path, i);
		r = manifest_string(c, &name, v->items[i], ipath);
		if (!r)
			r = manifest_network_add(c, s, v->items[i], ipath, name, &net);
		free(name);
		name = NULL;
		if (r == ERR_NOMEM)
			return r;
		rc = rc ? rc : r;
	}
	return rc;
}
