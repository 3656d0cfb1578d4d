/*
 * manifest_resource.c - one top-level network or volume: the keys the two
 * share (driver, external, name, labels) and a network's own (internal,
 * ipam, enable_ipv6). The loops over networks: and volumes: that call it,
 * and refuse a name defined twice, are in manifest.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "manifest_internal.h"

/* networks.<n>.ipam: driver, config: [{subnet, gateway, ip_range}]; options ignored. */
static int load_ipam(struct manifest_ctx *c, struct project_network *net, const struct mnode *v,
                     const char *path)
{
	char kpath[MANIFEST_PATH_MAX], ipath[MANIFEST_PATH_MAX], fpath[MANIFEST_PATH_MAX];
	const struct mnode *cfg;
	size_t i, j;
	int rc = 0;

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

/* driver, external, name, labels, internal, ipam, enable_ipv6 (networks only: net). */
int manifest_load_resource(struct manifest_ctx *c, const struct mnode *v, const char *path,
                           struct project_network *net, char **driver, bool *external,
                           char **ext_name, struct kvv *labels, bool *internal)
{
	bool is_net = net != NULL;
	char kpath[MANIFEST_PATH_MAX];
	const struct mnode *name_n = NULL, *driver_n = NULL;
	size_t i;
	int rc = 0;

	if (mnode_is_null(v))
		return 0;
	if (manifest_expect(c, v, MNODE_MAP, path))
		return ERR_INVALID;
	for (i = 0; i < v->n; i++) {
		const char *k = v->keys[i]->value;
		const struct mnode *x = v->items[i];

		manifest_path_key(kpath, sizeof(kpath), path, k);
		if (!strcmp(k, "driver")) {
			driver_n = x;
			rc = manifest_string(c, driver, x, kpath);
		} else if (!strcmp(k, "external")) {
			if (x->type == MNODE_MAP) {
				/* the legacy form, external: {name: x} */
				const struct mnode *nm = mnode_get(x, "name");

				*external = true;
				if (x->n != (nm ? 1u : 0u)) {
					manifest_error(c, x, kpath,
					               "expected true or false, or {name: ...}");
					rc = ERR_INVALID;
				} else if (nm) {
					name_n = nm;
				}
			} else {
				rc = manifest_bool(c, external, x, kpath);
			}
		} else if (!strcmp(k, "name")) {
			name_n = x;
		} else if (!strcmp(k, "labels")) {
			rc = manifest_pairs(c, labels, x, kpath);
		} else if (is_net && !strcmp(k, "internal")) {
			rc = manifest_bool(c, internal, x, kpath);
		} else if (!strncmp(k, "x-", 2)) {
			continue;
		} else if (net && !strcmp(k, "ipam")) {
			rc = load_ipam(c, net, x, kpath);
		} else if (net && !strcmp(k, "enable_ipv6")) {
			rc = manifest_bool(c, &net->enable_ipv6, x, kpath);
		} else if (!strcmp(k, "driver_opts") || !strcmp(k, "ipam") ||
		           !strcmp(k, "attachable") || !strcmp(k, "enable_ipv6")) {
			manifest_error(c, v->keys[i], kpath, "not supported yet");
			rc = ERR_INVALID;
		} else {
			manifest_error(c, v->keys[i], path, "unknown key '%s'", k);
			rc = ERR_INVALID;
		}
		if (rc == ERR_NOMEM)
			return rc;
	}
	if (name_n) {
		/* the Docker-side name, external or not (then created with it) */
		manifest_path_key(kpath, sizeof(kpath), path, "name");
		rc = manifest_string(c, ext_name, name_n, kpath);
		if (rc == ERR_NOMEM)
			return rc;
	}
	if (*external && driver_n) {
		manifest_path_key(kpath, sizeof(kpath), path, "driver");
		manifest_error(c, driver_n, kpath, "an external %s takes no driver",
		               is_net ? "network" : "volume");
	}
	return 0;
}
