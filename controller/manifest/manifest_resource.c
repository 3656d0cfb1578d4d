/*
 * manifest_resource.c - one top-level network or volume, read by a key
 * table per kind: the keys the two share (driver, external, name, labels)
 * and a network's own (internal, ipam, enable_ipv6). The loop over
 * networks: and volumes: that calls it, and refuses a name defined twice,
 * is in manifest.c.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "manifest_internal.h"

/*
 * networks.<n>.ipam: driver, config: [{subnet, gateway, ip_range}]; options
 * ignored. An MK_FIELD reader whose field is the whole resource (offset 0).
 */
static int load_ipam(struct manifest_ctx *c, void *field, const struct manifest_key *row,
                     const struct mnode *key, const struct mnode *v, const char *path)
{
	struct project_resource *net = field;
	char kpath[MANIFEST_PATH_MAX], ipath[MANIFEST_PATH_MAX], fpath[MANIFEST_PATH_MAX];
	const struct mnode *cfg;
	size_t i, j;
	int rc = 0;

	(void)row;
	(void)key;
	if (manifest_expect(c, v, MNODE_MAP, path))
		return ERR_INVALID;
	for (i = 0; i < v->n && rc != ERR_NOMEM; i++) {
		const char *k = v->keys[i]->value;

		manifest_path_key(kpath, sizeof(kpath), path, k);
		if (!strcmp(k, "driver")) {
			rc = manifest_set_string(c, &net->ipam_driver, v->items[i], kpath);
		} else if (!strcmp(k, "options") || !strncmp(k, "x-", 2)) {
			continue;
		} else if (strcmp(k, "config")) {
			manifest_error(c, v->keys[i], path, "unknown key '%s'", k);
		} else if (!manifest_expect(c, (cfg = v->items[i]), MNODE_SEQ, kpath)) {
			net->ipam = calloc(cfg->n + 1, sizeof(*net->ipam));
			if (!net->ipam)
				return manifest_nomem(c);
			for (j = 0; j < cfg->n && rc != ERR_NOMEM; j++) {
				struct net_ipam *e = &net->ipam[net->nipam++];
				const struct mnode *x = cfg->items[j], *f;
				size_t m;

				manifest_path_index(ipath, sizeof(ipath), kpath, j);
				if (manifest_expect(c, x, MNODE_MAP, ipath))
					continue;
				for (m = 0; m < x->n && rc != ERR_NOMEM; m++) {
					const char *fk = x->keys[m]->value;

					f = x->items[m];
					manifest_path_key(fpath, sizeof(fpath), ipath, fk);
					if (!strcmp(fk, "subnet"))
						rc = manifest_set_string(c, &e->subnet, f, fpath);
					else if (!strcmp(fk, "gateway"))
						rc = manifest_set_string(c, &e->gateway, f, fpath);
					else if (!strcmp(fk, "ip_range"))
						rc = manifest_set_string(c, &e->ip_range, f, fpath);
					else if (!strcmp(fk, "aux_addresses") ||
					         !strncmp(fk, "x-", 2))
						manifest_warn(c, x->keys[m], fpath, "ignored");
					else
						manifest_error(c, x->keys[m], ipath,
						               "unknown key '%s'", fk);
				}
				if (!e->subnet)
					manifest_error(c, x, ipath,
					               "missing required key 'subnet'");
			}
		}
	}
	return rc == ERR_NOMEM ? rc : 0;
}

/*
 * external: true/false, or the legacy {name: x} (then x is the Docker
 * name). An MK_FIELD reader whose field is the whole resource (offset 0).
 */
static int load_external(struct manifest_ctx *c, void *field, const struct manifest_key *row,
                         const struct mnode *key, const struct mnode *v, const char *path)
{
	struct project_resource *r = field;
	const struct mnode *nm = v->type == MNODE_MAP ? mnode_get(v, "name") : NULL;
	char npath[MANIFEST_PATH_MAX];

	(void)row;
	(void)key;
	if (v->type != MNODE_MAP)
		return manifest_bool(c, &r->external, v, path);
	r->external = true;
	if (v->n != (nm ? 1u : 0u)) {
		manifest_error(c, v, path, "expected true or false, or {name: ...}");
		return ERR_INVALID;
	}
	manifest_path_key(npath, sizeof(npath), path, "name");
	return nm ? manifest_set_string(c, &r->external_name, nm, npath) : 0;
}

#define RES_KEY(k, kd, f)                                                                          \
	{                                                                                          \
		.key = k, .kind = kd, .offset = offsetof(struct project_resource, f)               \
	}
#define RES_READER(k, fn)                                                                          \
	{                                                                                          \
		.key = k, .kind = MK_FIELD, .offset = 0, .field = fn                               \
	}
#define RES_LATER(k)                                                                               \
	{                                                                                          \
		.key = k, .kind = MK_REFUSED, .why = "not supported yet"                           \
	}
#define RES_SHARED_KEYS                                                                            \
	RES_KEY("driver", MK_STRING, driver), RES_READER("external", load_external),               \
	        RES_KEY("name", MK_STRING, external_name), RES_KEY("labels", MK_PAIRS, labels),    \
	        RES_LATER("driver_opts"), RES_LATER("attachable")

/* The keys of networks.<n> and volumes.<n>, indexed by enum res_kind; null is {}. */
static const struct manifest_key network_keys[] = {
	RES_SHARED_KEYS,
	RES_KEY("internal", MK_BOOL, internal),
	RES_KEY("enable_ipv6", MK_BOOL, enable_ipv6),
	RES_READER("ipam", load_ipam),
	{ .key = NULL, .flags = MKF_NULL_OK },
};
static const struct manifest_key volume_keys[] = {
	RES_SHARED_KEYS,
	RES_LATER("ipam"),
	RES_LATER("enable_ipv6"),
	{ .key = NULL, .flags = MKF_NULL_OK },
};
static const struct manifest_key *const resource_keys[RES__COUNT] = {
	[RES_NETWORK] = network_keys,
	[RES_VOLUME] = volume_keys,
};

int manifest_load_resource(struct manifest_ctx *c, const struct mnode *v, const char *path,
                           enum res_kind k, struct project_resource *r)
{
	char kpath[MANIFEST_PATH_MAX];
	const struct mnode *driver;
	int rc = manifest_read_map(c, resource_keys[k], r, v, path);

	if (rc == ERR_NOMEM)
		return rc;
	driver = v->type == MNODE_MAP ? mnode_get(v, "driver") : NULL;
	if (r->external && driver) {
		manifest_path_key(kpath, sizeof(kpath), path, "driver");
		manifest_error(c, driver, kpath, "an external %s takes no driver",
		               model_res_noun(k));
	}
	return 0;
}
