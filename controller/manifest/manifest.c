/*
 * manifest.c - the Compose loader's top level: read every manifest file,
 * parse it to a node tree, merge the files (a service, network or volume
 * may be defined once across all of them), read the top-level keys, then
 * check, sort and hand over the model. The helpers every reader of the
 * tree uses are below it, in manifest_scalar.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "manifest_internal.h"

/* Where a service, network or volume was first defined, for "defined twice". */
struct manifest_seen {
	const char *section; /* "services", "networks", "volumes" */
	const char *name;    /* borrowed from the model */
	struct loc loc;
};

static bool project_name_ok(const char *name)
{
	size_t i;

	if (!islower((unsigned char)name[0]) && !isdigit((unsigned char)name[0]))
		return false;
	for (i = 1; name[i]; i++)
		if (!islower((unsigned char)name[i]) && !isdigit((unsigned char)name[i]) &&
		    name[i] != '_' && name[i] != '-')
			return false;
	return i <= 64;
}

/* ---- top level ---- */

static bool seen_twice(struct manifest_ctx *c, struct manifest_seen *seen, size_t nseen,
                       const char *section, const struct mnode *key, const char *path)
{
	size_t i;

	for (i = 0; i < nseen; i++) {
		if (strcmp(seen[i].section, section) || strcmp(seen[i].name, key->value))
			continue;
		manifest_error(c, key, path, "defined twice (first at %s:%u:%u)", seen[i].loc.file,
		               seen[i].loc.line, seen[i].loc.col);
		return true;
	}
	return false;
}

struct manifest_load_state {
	struct manifest_seen *seen;
	size_t nseen;
	char *name;                 /* top-level name:, interpolated */
	const struct mnode *name_n; /* where it was set */
};

static int seen_add(struct manifest_ctx *c, struct manifest_load_state *st, const char *section,
                    const char *name, const struct mnode *key)
{
	struct manifest_seen *ns = realloc(st->seen, (st->nseen + 1) * sizeof(*ns));

	if (!ns)
		return manifest_nomem(c);
	st->seen = ns;
	ns[st->nseen].section = section;
	ns[st->nseen].name = name;
	ns[st->nseen].loc.file = key->file;
	ns[st->nseen].loc.line = key->line;
	ns[st->nseen].loc.col = key->col;
	st->nseen++;
	return 0;
}

/*
 * Is the service (its profiles: node, or NULL) enabled by the active
 * profiles? A disabled one is remembered with its profiles for messages.
 */
static int profiles_enabled(struct manifest_ctx *c, bool *on, const struct mnode *key,
                            const struct mnode *prof, const char *spath)
{
	char path[MANIFEST_PATH_MAX];
	struct strv want = { NULL, 0 };
	struct buf b;
	size_t i, j;
	int rc;

	*on = true;
	if (!prof)
		return 0;
	rc = manifest_strings(c, &want, prof,
	                      manifest_path_key(path, sizeof(path), spath, "profiles"), false);
	if (rc || !want.n)
		goto out;
	*on = false;
	for (i = 0; c->profiles && i < c->profiles->n && !*on; i++)
		for (j = 0; j < want.n && !*on; j++)
			*on = !strcmp(c->profiles->v[i], want.v[j]);
	if (*on)
		goto out;
	buf_init(&b, 4096);
	for (j = 0; j < want.n; j++)
		if (buf_printf(&b, "%s'%s'", j ? " or " : "", want.v[j]))
			rc = ERR_NOMEM;
	if (rc || kvv_set(&c->disabled, key->value, b.ptr))
		rc = manifest_nomem(c);
	buf_release(&b);
out:
	strv_free(&want);
	return rc == ERR_NOMEM ? rc : 0;
}

static int load_services(struct manifest_ctx *c, struct manifest_load_state *st,
                         const struct mnode *n, size_t tree)
{
	char path[MANIFEST_PATH_MAX];
	struct mnode *merged = NULL;
	struct service *ns;
	bool on;
	size_t i;
	int rc = 0;

	if (mnode_is_null(n))
		return 0;
	if (manifest_expect(c, n, MNODE_MAP, "services"))
		return ERR_INVALID;
	for (i = 0; i < n->n; i++) {
		const struct mnode *key = n->keys[i];
		struct service *s;

		manifest_path_key(path, sizeof(path), "services", key->value);
		if (!manifest_name_ok(key->value)) {
			manifest_error(c, key, path,
			               "invalid service name '%s': use letters, digits, '_', '.' "
			               "and '-', starting with a letter or digit",
			               key->value);
			continue;
		}
		if (seen_twice(c, st->seen, st->nseen, "services", key, path))
			continue;
		mnode_free(merged);
		merged = NULL;
		rc = manifest_extends_resolve(c, &merged, tree, key, n->items[i]);
		if (rc == ERR_NOMEM)
			return rc;
		if (rc) {
			rc = seen_add(c, st, "services", key->value, key);
			if (rc)
				return rc;
			continue;
		}
		rc = profiles_enabled(c, &on, key,
		                      mnode_get(merged ? merged : n->items[i], "profiles"), path);
		if (!rc && !on)
			rc = seen_add(c, st, "services", key->value, key);
		if (rc) {
			mnode_free(merged);
			return rc;
		}
		if (!on)
			continue;
		if (c->p->nservices >= MANIFEST_MAX_SERVICES) {
			manifest_error(c, key, path, "too many services (at most %d)",
			               MANIFEST_MAX_SERVICES);
			mnode_free(merged);
			return ERR_INVALID;
		}
		ns = realloc(c->p->services, (c->p->nservices + 1) * sizeof(*ns));
		if (!ns) {
			mnode_free(merged);
			return manifest_nomem(c);
		}
		c->p->services = ns;
		s = &ns[c->p->nservices++];
		memset(s, 0, sizeof(*s));
		s->stop_grace_ns = -1;
		s->replicas = 1;
		manifest_rollout_init(&s->rollout);
		s->name = strdup(key->value);
		if (!s->name) {
			mnode_free(merged);
			return manifest_nomem(c);
		}
		rc = seen_add(c, st, "services", s->name, key);
		if (!rc)
			rc = manifest_service_build(c, s, key, merged ? merged : n->items[i]);
		if (rc == ERR_NOMEM)
			break;
		rc = 0;
	}
	mnode_free(merged);
	return rc;
}

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
static int load_resource(struct manifest_ctx *c, const struct mnode *v, const char *path,
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

static int load_networks(struct manifest_ctx *c, struct manifest_load_state *st,
                         const struct mnode *n)
{
	char path[MANIFEST_PATH_MAX];
	struct project_network *nn, *net;
	size_t i;
	int rc;

	if (mnode_is_null(n))
		return 0;
	if (manifest_expect(c, n, MNODE_MAP, "networks"))
		return ERR_INVALID;
	for (i = 0; i < n->n; i++) {
		const struct mnode *key = n->keys[i];

		manifest_path_key(path, sizeof(path), "networks", key->value);
		if (!manifest_name_ok(key->value)) {
			manifest_error(c, key, path, "invalid network name '%s'", key->value);
			continue;
		}
		if (seen_twice(c, st->seen, st->nseen, "networks", key, path))
			continue;
		nn = realloc(c->p->networks, (c->p->nnetworks + 1) * sizeof(*nn));
		if (!nn)
			return manifest_nomem(c);
		c->p->networks = nn;
		net = &nn[c->p->nnetworks++];
		memset(net, 0, sizeof(*net));
		net->name = strdup(key->value);
		if (!net->name)
			return manifest_nomem(c);
		net->loc.file = key->file;
		net->loc.line = key->line;
		net->loc.col = key->col;
		rc = seen_add(c, st, "networks", net->name, key);
		if (!rc)
			rc = load_resource(c, n->items[i], path, net, &net->driver, &net->external,
			                   &net->external_name, &net->labels, &net->internal);
		if (rc == ERR_NOMEM)
			return rc;
	}
	return 0;
}

static int load_volumes(struct manifest_ctx *c, struct manifest_load_state *st,
                        const struct mnode *n)
{
	char path[MANIFEST_PATH_MAX];
	struct project_volume *nv, *vol;
	size_t i;
	int rc;

	if (mnode_is_null(n))
		return 0;
	if (manifest_expect(c, n, MNODE_MAP, "volumes"))
		return ERR_INVALID;
	for (i = 0; i < n->n; i++) {
		const struct mnode *key = n->keys[i];

		manifest_path_key(path, sizeof(path), "volumes", key->value);
		if (!manifest_name_ok(key->value)) {
			manifest_error(c, key, path, "invalid volume name '%s'", key->value);
			continue;
		}
		if (seen_twice(c, st->seen, st->nseen, "volumes", key, path))
			continue;
		nv = realloc(c->p->volumes, (c->p->nvolumes + 1) * sizeof(*nv));
		if (!nv)
			return manifest_nomem(c);
		c->p->volumes = nv;
		vol = &nv[c->p->nvolumes++];
		memset(vol, 0, sizeof(*vol));
		vol->name = strdup(key->value);
		if (!vol->name)
			return manifest_nomem(c);
		vol->loc.file = key->file;
		vol->loc.line = key->line;
		vol->loc.col = key->col;
		rc = seen_add(c, st, "volumes", vol->name, key);
		if (!rc)
			rc = load_resource(c, n->items[i], path, NULL, &vol->driver, &vol->external,
			                   &vol->external_name, &vol->labels, NULL);
		if (rc == ERR_NOMEM)
			return rc;
	}
	return 0;
}

static bool env_key_ok(const char *k)
{
	size_t i;

	if (!isalpha((unsigned char)k[0]) && k[0] != '_')
		return false;
	for (i = 1; k[i]; i++)
		if (!isalnum((unsigned char)k[i]) && k[i] != '_')
			return false;
	return true;
}

static int load_secret_keys(struct manifest_ctx *c, const struct mnode *n, const char *path)
{
	char ipath[MANIFEST_PATH_MAX], q[80];
	char *key = NULL;
	size_t i, m;
	bool dup;
	int rc;

	if (manifest_expect(c, n, MNODE_SEQ, path))
		return ERR_INVALID;
	for (i = 0; i < n->n; i++) {
		manifest_path_index(ipath, sizeof(ipath), path, i);
		rc = manifest_string(c, &key, n->items[i], ipath);
		if (rc == ERR_NOMEM)
			return rc;
		if (rc)
			continue;
		if (!env_key_ok(key)) {
			manifest_error(c, n->items[i], ipath,
			               "invalid environment variable name \"%s\"",
			               manifest_quote(q, sizeof(q), n->items[i]));
			free(key);
			key = NULL;
			continue;
		}
		for (m = 0, dup = false; m < c->p->secret_keys.n; m++)
			dup = dup || !strcmp(c->p->secret_keys.v[m], key);
		rc = !dup && strv_push(&c->p->secret_keys, key) ? manifest_nomem(c) : 0;
		free(key);
		key = NULL;
		if (rc)
			return rc;
	}
	return 0;
}

static int load_x_deployctl(struct manifest_ctx *c, const struct mnode *n)
{
	char path[MANIFEST_PATH_MAX];
	size_t i;

	if (mnode_is_null(n))
		return 0;
	if (manifest_expect(c, n, MNODE_MAP, "x-deployctl"))
		return ERR_INVALID;
	for (i = 0; i < n->n; i++) {
		const char *k = n->keys[i]->value;

		manifest_path_key(path, sizeof(path), "x-deployctl", k);
		if (!strcmp(k, "rollout")) {
			if (manifest_rollout_default(c, n->items[i], path) == ERR_NOMEM)
				return ERR_NOMEM;
			continue;
		}
		if (!strcmp(k, "env")) {
			if (manifest_load_env_rules(c, n->items[i], path) == ERR_NOMEM)
				return ERR_NOMEM;
			continue;
		}
		if (!strcmp(k, "host_dir")) {
			if (manifest_set_string(c, &c->p->host_dir, n->items[i], path) == ERR_NOMEM)
				return ERR_NOMEM;
			if (c->p->host_dir && c->p->host_dir[0] != '/')
				manifest_error(c, n->items[i], path, "must be an absolute path");
			continue;
		}
		if (!strcmp(k, "tls")) {
			if (manifest_load_tls(c, n->items[i], path) == ERR_NOMEM)
				return ERR_NOMEM;
			continue;
		}
		if (!strcmp(k, "smoke") || !strcmp(k, "notify")) {
			int r = k[0] == 's' ? manifest_load_smoke(c, n->items[i], path)
			                    : manifest_load_notify(c, n->items[i], path);

			if (r == ERR_NOMEM)
				return r;
			continue;
		}
		if (strcmp(k, "secrets"))
			manifest_error(c, n->keys[i], "x-deployctl", "unknown key '%s'", k);
		else if (load_secret_keys(c, n->items[i], path) == ERR_NOMEM)
			return ERR_NOMEM;
	}
	return 0;
}

static int load_name(struct manifest_ctx *c, struct manifest_load_state *st, const struct mnode *n)
{
	char *s = NULL, q[80];
	int rc;

	rc = manifest_string(c, &s, n, "name");
	if (rc)
		return rc == ERR_NOMEM ? rc : 0;
	if (st->name && strcmp(st->name, s)) {
		manifest_error(c, n, "name", "differs from \"%s\" set at %s:%u:%u", st->name,
		               st->name_n->file, st->name_n->line, st->name_n->col);
		free(s);
		return 0;
	}
	if (!project_name_ok(s)) {
		manifest_error(c, n, "name",
		               "invalid project name \"%s\": use lower-case letters, digits, '_' "
		               "and '-', starting with a letter or digit",
		               manifest_quote(q, sizeof(q), n));
		free(s);
		return 0;
	}
	free(st->name);
	st->name = s;
	st->name_n = n;
	return 0;
}

static int load_file(struct manifest_ctx *c, struct manifest_load_state *st,
                     const struct mnode *root, size_t tree)
{
	static const char *const order[] = { "name",    "x-deployctl", "volumes", "networks",
		                             "configs", "secrets",     "services" };
	size_t i, k;
	int rc;

	if (!root)
		return 0;
	if (manifest_expect(c, root, MNODE_MAP, "(top level)"))
		return 0;
	for (i = 0; i < root->n; i++) {
		const char *key = root->keys[i]->value;
		bool known = false;

		for (k = 0; k < sizeof(order) / sizeof(order[0]); k++)
			known = known || !strcmp(key, order[k]);
		if (known || !strncmp(key, "x-", 2))
			continue;
		if (!strcmp(key, "version"))
			manifest_warn(c, root->keys[i], "version", "obsolete, ignored");
		else if (!strcmp(key, "include"))
			continue; /* read before (manifest_include.c) */
		else if (!strcmp(key, "models"))
			manifest_error(c, root->keys[i], key,
			               "not supported: AI model runner models");
		else
			manifest_error(c, root->keys[i], "(top level)", "unknown key '%s'", key);
	}
	/* A fixed order, so declarations are known before services refer to them. */
	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		const struct mnode *v = mnode_get(root, order[k]);

		if (!v || (k == 0 && tree >= c->nproject))
			continue; /* an included file's name: is not the project's */
		if (k == 0)
			rc = load_name(c, st, v);
		else if (k == 1)
			rc = load_x_deployctl(c, v);
		else if (k == 2)
			rc = load_volumes(c, st, v);
		else if (k == 3)
			rc = load_networks(c, st, v);
		else if (k == 4)
			rc = manifest_load_configs(c, v);
		else if (k == 5)
			rc = manifest_load_secrets(c, v);
		else
			rc = load_services(c, st, v, tree);
		if (rc == ERR_NOMEM)
			return rc;
	}
	return 0;
}

/* ---- finishing ---- */

static int service_cmp(const void *a, const void *b)
{
	return strcmp(((const struct service *)a)->name, ((const struct service *)b)->name);
}

static int network_cmp(const void *a, const void *b)
{
	return strcmp(((const struct project_network *)a)->name,
	              ((const struct project_network *)b)->name);
}

static int volume_cmp(const void *a, const void *b)
{
	return strcmp(((const struct project_volume *)a)->name,
	              ((const struct project_volume *)b)->name);
}

/* The implicit "default" network, when a service uses it and no file declares it. */
static int add_default_network(struct manifest_ctx *c)
{
	struct project_network *nn;
	size_t i, j;
	bool used = false;

	for (i = 0; i < c->p->nservices; i++)
		for (j = 0; j < c->p->services[i].nnetworks; j++)
			used = used || !strcmp(c->p->services[i].networks[j].name, "default");
	if (!used || model_network_find(c->p, "default"))
		return 0;
	nn = realloc(c->p->networks, (c->p->nnetworks + 1) * sizeof(*nn));
	if (!nn)
		return manifest_nomem(c);
	c->p->networks = nn;
	memset(&nn[c->p->nnetworks], 0, sizeof(*nn));
	nn[c->p->nnetworks].loc.file = c->p->files.n ? c->p->files.v[0] : NULL;
	nn[c->p->nnetworks].name = strdup("default");
	c->p->nnetworks++;
	return nn[c->p->nnetworks - 1].name ? 0 : manifest_nomem(c);
}

static void sort_project(struct project *p)
{
	if (p->nservices > 1)
		qsort(p->services, p->nservices, sizeof(*p->services), service_cmp);
	if (p->nnetworks > 1)
		qsort(p->networks, p->nnetworks, sizeof(*p->networks), network_cmp);
	if (p->nvolumes > 1)
		qsort(p->volumes, p->nvolumes, sizeof(*p->volumes), volume_cmp);
	strv_sort(&p->secret_keys);
}

static void refs_free(struct manifest_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nrefs; i++) {
		free(c->refs[i].service);
		free(c->refs[i].name);
		free(c->refs[i].path);
		free(c->refs[i].alias);
	}
	free(c->refs);
	c->refs = NULL;
	c->nrefs = 0;
}

/* Keys of from whose values took a secret variable: into keys, the values into parts. */
static int mark_from(struct manifest_ctx *c, const struct kvv *from, struct strv *keys,
                     struct strv *parts)
{
	char name[256];
	const char *list, *val;
	size_t i, n;
	bool secret;

	for (i = 0; i < from->n; i++) {
		secret = false;
		for (list = from->v[i].value; *list; list += n + (list[n] == ',')) {
			n = strcspn(list, ",");
			snprintf(name, sizeof(name), "%.*s", (int)n, list);
			if (!model_env_is_secret(c->p, name))
				continue;
			secret = true;
			val = kvv_get(c->vars, name);
			if (val && *val && strv_push(parts, val) < 0)
				return manifest_nomem(c);
		}
		if (secret && strv_push(keys, from->v[i].key) < 0)
			return manifest_nomem(c);
	}
	strv_sort(keys);
	return 0;
}

int manifest_mark_interpolated_secrets(struct manifest_ctx *c)
{
	size_t i;

	for (i = 0; i < c->p->nservices; i++) {
		struct service *s = &c->p->services[i];

		size_t k;

		if (mark_from(c, &s->env_from, &s->secret_env, &s->secret_parts) < 0 ||
		    mark_from(c, &s->label_from, &s->secret_labels, &s->secret_parts) < 0)
			return ERR_NOMEM;
		for (k = 0; k < s->vars_elsewhere.n; k++) {
			const char *name = s->vars_elsewhere.v[k], *val;

			if (!model_env_is_secret(c->p, name))
				continue;
			s->secret_elsewhere = true;
			val = kvv_get(c->vars, name);
			if (val && *val && strv_push(&s->secret_parts, val) < 0)
				return manifest_nomem(c);
		}
	}
	return 0;
}

/* Compose's project name from a directory name: lower case, [a-z0-9_-], from the first letter or
 * digit. */
static char *name_normalise(const char *dir)
{
	char *out = malloc(strlen(dir) + 1);
	size_t i, n = 0;

	if (!out)
		return NULL;
	for (i = 0; dir[i]; i++) {
		char ch = (char)tolower((unsigned char)dir[i]);

		if (!islower((unsigned char)ch) && !isdigit((unsigned char)ch) &&
		    (!n || (ch != '_' && ch != '-')))
			continue;
		out[n++] = ch;
	}
	out[n < 64 ? n : 64] = '\0';
	return out;
}

/* The project name, by Compose's precedence. 0 or ERR_NOMEM; problems reported. */
static int project_name(struct manifest_ctx *c, struct manifest_load_state *st,
                        const struct manifest_opts *opts, bool quiet)
{
	const char *env = kvv_get(c->vars, "COMPOSE_PROJECT_NAME");
	const char *given = opts && opts->project_name ? opts->project_name
	                    : env && *env              ? env
	                                               : NULL;
	struct project *p = c->p;

	if (given) {
		if (!project_name_ok(given))
			errlist_add(c->errs, ERR_INVALID, NULL, 0, 0,
			            "invalid project name '%s'%s: use lower-case letters, digits, "
			            "'_' and '-', starting with a letter or digit",
			            given,
			            opts && opts->project_name ? "" : " ($COMPOSE_PROJECT_NAME)");
		p->name = strdup(given);
	} else if (st->name) {
		p->name = st->name;
		st->name = NULL;
	} else if (opts && opts->default_name) {
		p->name = name_normalise(opts->default_name);
		if (p->name && !project_name_ok(p->name))
			errlist_add(c->errs, ERR_INVALID, p->files.n ? p->files.v[0] : NULL, 0, 0,
			            "no project name: the directory name '%s' makes none; set "
			            "top-level name:, $COMPOSE_PROJECT_NAME or --project",
			            opts->default_name);
	} else {
		if (!quiet)
			errlist_add(c->errs, ERR_INVALID, p->files.n ? p->files.v[0] : NULL, 0, 0,
			            "no project name: set top-level name:, $COMPOSE_PROJECT_NAME "
			            "or --project");
		return 0;
	}
	return p->name ? 0 : manifest_nomem(c);
}

/* Parse every file to its tree; merged into one (opts->merge) or kept apart. */
static int project_trees(struct manifest_ctx *c, struct mnode ***out, size_t *nout,
                         const char *const *texts, const size_t *lens, size_t n, bool merge)
{
	struct mnode **roots = calloc(n ? n : 1, sizeof(*roots)), *merged = NULL, *nt;
	size_t i, len;
	int rc = 0;

	if (!roots)
		return manifest_nomem(c);
	for (i = 0; i < n && rc != ERR_NOMEM; i++) {
		len = lens ? lens[i] : strlen(texts[i]);
		if (len > SOURCE_MAX_FILE) {
			errlist_add(c->errs, ERR_INVALID, c->p->files.v[i], 0, 0,
			            "file is larger than %u bytes", SOURCE_MAX_FILE);
			continue;
		}
		rc = manifest_tree_from_text(c, &roots[i], c->p->files.v[i], texts[i], len);
	}
	if (rc != ERR_NOMEM && merge && n) {
		for (i = 0; i < n && rc != ERR_NOMEM; i++) {
			if (!roots[i])
				continue;
			nt = manifest_merge_file(merged, roots[i]);
			mnode_free(merged);
			merged = nt;
			rc = merged ? 0 : manifest_nomem(c);
		}
		for (i = 0; i < n; i++)
			mnode_free(roots[i]);
		roots[0] = merged;
		n = 1;
	} else if (rc != ERR_NOMEM) {
		rc = manifest_drop_referenced(c, roots, &n);
	}
	/* merged: the tags have done their work */
	for (i = 0; i < n && rc != ERR_NOMEM; i++) {
		if (!roots[i])
			continue;
		nt = manifest_node_copy(roots[i]);
		mnode_free(roots[i]);
		roots[i] = nt;
		rc = nt ? rc : manifest_nomem(c);
	}
	c->nproject = n;
	if (rc != ERR_NOMEM)
		rc = manifest_include(c, &roots, &n);
	*out = roots;
	*nout = n;
	return rc == ERR_NOMEM ? rc : 0;
}

/*
 * manifest_load_texts() with each text's length (lens NULL: up to its NUL),
 * so that a NUL byte read from a file reaches the parser, which refuses it.
 */
static int load_texts(struct project **out, const char *const *names, const char *const *texts,
                      const size_t *lens, size_t n, const struct source *src,
                      const struct manifest_opts *opts, struct errlist *errs, struct errlist *warns)
{
	static const struct kvv no_vars = { NULL, 0 };
	struct manifest_ctx c = { 0 };
	struct manifest_load_state st = { 0 };
	struct mnode **trees = NULL;
	struct project *p = NULL;
	size_t i, ntrees = 0, start = errs->n + errs->dropped;
	int rc = 0;

	p = calloc(1, sizeof(*p));
	c.p = p;
	c.src = src;
	c.vars = opts && opts->vars ? &opts->vars->vars : &no_vars;
	c.errs = errs;
	c.warns = warns;
	c.profiles = opts ? opts->profiles : NULL;
	if (!p) {
		rc = ERR_NOMEM;
		errlist_add(errs, ERR_NOMEM, NULL, 0, 0, "out of memory");
		goto out;
	}
	if (!n)
		errlist_add(errs, ERR_INVALID, opts && opts->dir ? opts->dir : NULL, 0, 0,
		            "no manifests (*.yml or *.yaml files) found");
	for (i = 0; i < n; i++) {
		if (strv_push(&p->files, names[i])) {
			rc = manifest_nomem(&c);
			goto out;
		}
	}
	rc = project_trees(&c, &trees, &ntrees, texts, lens, n, opts && opts->merge);
	if (rc)
		goto out;
	c.trees = calloc(ntrees + c.nspare + 1, sizeof(*c.trees));
	if (!c.trees) {
		rc = manifest_nomem(&c);
		goto out;
	}
	for (i = 0; i < ntrees; i++) {
		c.trees[i].name = trees[i] ? (char *)trees[i]->file : p->files.v[0];
		c.trees[i].root = trees[i];
	}
	c.ntrees = c.nmanifests = ntrees;
	/* files only extends names: found there, not read again */
	for (i = 0; i < c.nspare; i++) {
		if (!c.spare[i])
			continue;
		c.trees[c.ntrees].name = (char *)c.spare[i]->file;
		c.trees[c.ntrees++].root = c.spare[i];
		c.spare[i] = NULL;
	}
	for (i = 0; i < ntrees; i++) {
		rc = load_file(&c, &st, trees[i], i);
		if (rc)
			goto out;
	}
	rc = project_name(&c, &st, opts, !n || errs->n + errs->dropped > start);
	if (rc || add_default_network(&c)) {
		rc = manifest_nomem(&c);
		goto out;
	}
	/* a service built without image: is tagged <project>-<service>, as Compose does */
	for (i = 0; p->name && i < p->nservices; i++) {
		struct service *s = &p->services[i];
		struct buf tag;

		if (!s->build.context || s->image)
			continue;
		buf_init(&tag, 512);
		if (buf_printf(&tag, "%s-%s", p->name, s->name) < 0 ||
		    !(s->image = buf_detach(&tag))) {
			buf_release(&tag);
			rc = manifest_nomem(&c);
			goto out;
		}
		for (char *q = s->image; *q; q++)
			*q = (char)tolower((unsigned char)*q);
	}
	sort_project(p);
	if (manifest_mark_interpolated_secrets(&c) < 0) {
		rc = ERR_NOMEM;
		goto out;
	}
	manifest_files_finish(&c);
	manifest_rollout_finish(&c);
	manifest_smoke_finish(&c);
	manifest_check(&c);
	rc = c.fatal;
out:
	if (!rc && errs->n + errs->dropped > start)
		rc = ERR_INVALID;
	if (!rc) {
		*out = p;
		p = NULL;
	}
	errlist_sort(errs);
	if (warns)
		errlist_sort(warns);
	refs_free(&c);
	for (i = c.nmanifests; i < c.ntrees; i++) {
		mnode_free(c.trees[i].root);
		if (c.trees[i].owned)
			free(c.trees[i].name);
	}
	for (i = 0; i < c.nspare; i++)
		mnode_free(c.spare[i]);
	free(c.spare);
	free(c.trees);
	kvv_free(&c.disabled);
	strv_free(&c.warned);
	for (i = 0; trees && i < ntrees; i++)
		mnode_free(trees[i]);
	free(trees);
	free(st.seen);
	free(st.name);
	model_project_free(p);
	return rc;
}

int manifest_load_texts(struct project **out, const char *const *names, const char *const *texts,
                        size_t n, const struct source *src, const struct manifest_opts *opts,
                        struct errlist *errs, struct errlist *warns)
{
	return load_texts(out, names, texts, NULL, n, src, opts, errs, warns);
}

/* Compose's file names, in its order of preference. */
static const char *const compose_names[] = { "compose.yaml", "compose.yml", "docker-compose.yaml",
	                                     "docker-compose.yml" };
static const char *const override_names[] = { "compose.override.yaml", "compose.override.yml",
	                                      "docker-compose.override.yaml",
	                                      "docker-compose.override.yml" };

#define NAMES(a) (sizeof(a) / sizeof((a)[0]))

/* Index in list of dir/name, or -1. */
static long list_find(char **list, size_t n, const char *dir, const char *name)
{
	size_t i, dl = strlen(dir);

	for (i = 0; i < n; i++) {
		const char *f = list[i];

		if (dl && (strncmp(f, dir, dl) || f[dl] != '/'))
			continue;
		if (!strcmp(f + (dl ? dl + 1 : 0), name))
			return (long)i;
	}
	return -1;
}

/*
 * The project files of the listing of dir, as Compose picks them: moves the
 * chosen names to the front of list and sets *n to their count, or leaves
 * list alone (the disjoint-files layout) and returns false.
 */
static bool pick_compose_files(char **list, size_t *n, const char *dir, struct errlist *warns)
{
	long base = -1, over = -1, k;
	size_t i, others = 0;
	char *tmp;

	for (i = 0; i < NAMES(compose_names); i++) {
		k = list_find(list, *n, dir, compose_names[i]);
		if (k >= 0 && base < 0)
			base = k;
		else if (k >= 0)
			others++;
	}
	if (base < 0)
		return false;
	if (others && warns)
		errlist_add(warns, ERR_INVALID, list[base], 0, 0,
		            "several Compose files in '%s': using this one, as Compose does",
		            *dir ? dir : ".");
	for (i = 0; i < NAMES(override_names) && over < 0; i++)
		over = list_find(list, *n, dir, override_names[i]);
	tmp = list[0];
	list[0] = list[base];
	list[base] = tmp;
	if (over == 0)
		over = base;
	if (over > 0) {
		tmp = list[1];
		list[1] = list[over];
		list[over] = tmp;
	}
	/* the rest stay in the list (freed with it) but are not read */
	for (i = over > 0 ? 2 : 1; i < *n; i++) {
		free(list[i]);
		list[i] = NULL;
	}
	*n = over > 0 ? 2 : 1;
	return true;
}

/* The project files' names (new list), and whether they merge. Errors go to errs. */
static int project_files(char ***out, size_t *nout, bool *merge, const struct source *src,
                         const struct manifest_opts *opts, struct errlist *errs,
                         struct errlist *warns)
{
	struct err e = ERR_INIT;
	const char *dir = opts->dir ? opts->dir : "manifests";
	char **list = NULL;
	size_t n = 0, i;
	int rc;

	if (opts->files && opts->files->n) {
		list = calloc(opts->files->n, sizeof(*list));
		for (i = 0; list && i < opts->files->n; i++) {
			rc = source_join(&list[i], NULL, opts->files->v[i], &e);
			if (rc) {
				source_list_free(list, opts->files->n);
				errlist_add(errs, rc, NULL, 0, 0, "-f %s: %s", opts->files->v[i],
				            e.msg);
				return rc;
			}
		}
		if (!list)
			return errlist_add(errs, ERR_NOMEM, NULL, 0, 0, "out of memory");
		*out = list;
		*nout = opts->files->n;
		*merge = true;
		return 0;
	}
	rc = src->list_manifests(src->ctx, &list, &n, dir, &e);
	if (rc == ERR_NOTFOUND && !strcmp(dir, "manifests")) {
		/* no manifests/ directory: the repository root, as Compose looks there */
		err_clear(&e);
		dir = "";
		rc = src->list_manifests(src->ctx, &list, &n, dir, &e);
	}
	if (rc) {
		if (!e.code)
			err_set(&e, rc, "cannot list manifests in '%s'", dir);
		errlist_push(errs, &e);
		return rc;
	}
	*merge = pick_compose_files(list, &n, dir, warns);
	if (!*merge && !*dir) {
		source_list_free(list, n);
		return errlist_add(errs, ERR_INVALID, NULL, 0, 0,
		                   "no compose.yaml (or compose.yml, docker-compose.yaml, "
		                   "docker-compose.yml) in the repository root, and no manifests/ "
		                   "directory");
	}
	*out = list;
	*nout = n;
	return 0;
}

/*
 * The project directory's .env (beside the first project file), read through
 * src, under the variables given (process environment and --env-file win):
 * into vars, its path into *path and its keys into keys. Absent: nothing.
 */
static int dotenv_load(struct manifest_vars *vars, char **path, struct strv *keys,
                       const struct source *src, const char *first,
                       const struct manifest_opts *opts, struct errlist *errs)
{
	static const struct kvv no_vars = { NULL, 0 };
	const struct kvv *given = opts->vars ? &opts->vars->vars : &no_vars;
	struct err e = ERR_INIT;
	const char *slash = strrchr(first, '/');
	char *text = NULL;
	size_t len, i;
	int rc;

	*path = malloc(strlen(first) + 6);
	if (!*path)
		return errlist_add(errs, ERR_NOMEM, NULL, 0, 0, "out of memory");
	snprintf(*path, strlen(first) + 6, "%.*s%s.env", slash ? (int)(slash - first) : 0, first,
	         slash ? "/" : "");
	rc = src->read(src->ctx, &text, &len, *path, &e);
	if (rc == ERR_NOTFOUND) {
		free(*path);
		*path = NULL;
		return 0;
	}
	if (rc) {
		errlist_add(errs, rc, *path, 0, 0, "%s", e.msg[0] ? e.msg : "cannot read file");
		return rc;
	}
	rc = manifest_envfile_parse_vars(&vars->vars, *path, text, len, given, errs);
	free(text);
	for (i = 0; !rc && i < vars->vars.n; i++)
		rc = strv_push(keys, vars->vars.v[i].key);
	for (i = 0; !rc && i < given->n; i++)
		rc = kvv_set(&vars->vars, given->v[i].key, given->v[i].value);
	if (rc == ERR_NOMEM)
		errlist_add(errs, rc, NULL, 0, 0, "out of memory");
	return rc;
}

int manifest_load(struct project **out, const struct source *src, const struct manifest_opts *opts,
                  struct errlist *errs, struct errlist *warns)
{
	struct manifest_opts o = *opts;
	struct manifest_vars dotenv_vars;
	struct strv dotenv_keys = { NULL, 0 };
	struct err e = ERR_INIT;
	char **list = NULL, **texts = NULL, *dotenv = NULL;
	size_t n = 0, i, *lens = NULL;
	int rc;

	manifest_vars_init(&dotenv_vars);
	rc = project_files(&list, &n, &o.merge, src, opts, errs, warns);
	if (rc)
		return rc;
	if (n && (rc = dotenv_load(&dotenv_vars, &dotenv, &dotenv_keys, src, list[0], opts, errs)))
		goto out;
	if (dotenv)
		o.vars = &dotenv_vars;
	if (n > SOURCE_MAX_FILES) {
		rc = errlist_add(errs, ERR_INVALID, opts->dir, 0, 0,
		                 "too many manifest files (at most %u)", SOURCE_MAX_FILES);
		goto out;
	}
	texts = calloc(n ? n : 1, sizeof(*texts));
	lens = calloc(n ? n : 1, sizeof(*lens));
	if (!texts || !lens) {
		rc = errlist_add(errs, ERR_NOMEM, NULL, 0, 0, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		rc = src->read(src->ctx, &texts[i], &lens[i], list[i], &e);
		if (rc) {
			if (!e.code)
				err_set_at(&e, rc, list[i], 0, 0, "cannot read file");
			else if (!e.src[0])
				snprintf(e.src, sizeof(e.src), "%s", list[i]);
			errlist_push(errs, &e);
			goto out;
		}
	}
	rc = load_texts(out, (const char *const *)list, (const char *const *)texts, lens, n, src,
	                &o, errs, warns);
	if (!rc && dotenv) {
		(*out)->dotenv = dotenv;
		(*out)->dotenv_keys = dotenv_keys;
		dotenv = NULL;
		dotenv_keys.v = NULL;
		dotenv_keys.n = 0;
	}
out:
	for (i = 0; texts && i < n; i++)
		free(texts[i]);
	free(texts);
	free(lens);
	source_list_free(list, n);
	free(dotenv);
	strv_free(&dotenv_keys);
	manifest_vars_release(&dotenv_vars);
	return rc;
}
