/*
 * manifest_render.c - the resolved project back to Compose, for `deployctl
 * config`: the model becomes a node tree (a service's keys rendered by the
 * key table of manifest_keys.c: the plain kinds here from the row's field,
 * keys with shapes of their own by the renderer the row names, in
 * manifest_render_keys.c; networks, volumes, configs and secrets here),
 * then the tree is printed as block YAML or as JSON (manifest_render_tree.c).
 * Secret environment values are printed as their fingerprints only.
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

/* The field of row k in s, rendered as its kind says; unset values are left out. */
void manifest_render_row(struct manifest_render *r, struct mnode *map, const struct manifest_key *k,
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
		manifest_render_pairs(r, map, k->key, field);
		break;
	case MK_MAP:
		m = manifest_render_node(r, MNODE_MAP);
		for (sub = k->sub; m && sub->key; sub++)
			manifest_render_row(r, m, sub, s);
		if (m && !m->n)
			mnode_free(m);
		else
			manifest_render_put(r, map, k->key, m);
		break;
	default: /* read into other rows' fields, or not kept */
		break;
	}
}

/* ---- the project ---- */

static void render_service(struct manifest_render *r, struct mnode *services,
                           const struct service *s)
{
	const struct manifest_key *k;
	struct mnode *m = manifest_render_map(r, services, s->name);

	for (k = manifest_service_keys(); m && k->key; k++)
		manifest_render_row(r, m, k, s);
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
	manifest_render_pairs(r, m, "labels", labels);
	if (external || named)
		manifest_render_str(r, m, "name", docker_name);
}

static void render_ipam(struct manifest_render *r, struct mnode *map,
                        const struct project_resource *n)
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
		const struct project_resource *n = &p->networks[i];
		char *name = model_res_docker_name(p, RES_NETWORK, n->name);

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
		const struct project_resource *v = &p->volumes[i];
		char *name = model_res_docker_name(p, RES_VOLUME, v->name);

		if (!name)
			r->nomem = true;
		render_resource(r, m, v->name, name, v->driver, v->external, v->external_name,
		                &v->labels, false);
		free(name);
	}
}

/*
 * A config written inline (content:) is its own source: its content, with
 * every secret value of the project hidden, or only the fingerprint when a
 * secret variable was interpolated into it (as an environment value).
 */
static void render_content(struct manifest_render *r, struct mnode *one,
                           const struct project_file *f, const struct strv *secrets)
{
	char *shown = NULL;
	size_t i;

	for (i = 0; i < f->content_vars.n; i++)
		if (model_env_is_secret(r->p, f->content_vars.v[i]))
			break;
	if (i == f->content_vars.n) {
		manifest_render_scrubbed(r, one, "content", f->content, secrets);
		return;
	}
	if (model_secret_shown(&shown, r->k, NULL, MODEL_SECRET_INTERPOLATED, f->content) < 0)
		r->nomem = true;
	manifest_render_str(r, one, "content", shown);
	free(shown);
}

/*
 * configs: and secrets: name their source (a file or a variable), never
 * the content, except a config's own (render_content()).
 */
static void render_files(struct manifest_render *r, struct mnode *root, const char *key,
                         const struct project_file *v, size_t n)
{
	struct strv secrets = { NULL, 0 };
	bool configs = !strcmp(key, "configs");
	struct mnode *m, *one;
	size_t i;

	if (!n)
		return;
	if (configs && model_secrets_collect(&secrets, r->p) < 0)
		r->nomem = true;
	m = manifest_render_map(r, root, key);
	for (i = 0; m && i < n; i++) {
		one = manifest_render_map(r, m, v[i].name);
		if (configs && !v[i].file && !v[i].environment && !v[i].external)
			render_content(r, one, &v[i], &secrets);
		manifest_render_str(r, one, "environment", v[i].environment);
		if (v[i].external)
			manifest_render_bool(r, one, "external", true);
		manifest_render_str(r, one, "file", v[i].file);
	}
	strv_free(&secrets);
}

static struct mnode *render_project(struct manifest_render *r)
{
	struct mnode *root = manifest_render_node(r, MNODE_MAP), *services, *x = NULL;
	size_t i;

	manifest_render_str(r, root, "name", r->p->name);
	services = manifest_render_map(r, root, "services");
	for (i = 0; services && i < r->p->nservices; i++)
		render_service(r, services, &r->p->services[i]);
	render_networks(r, root);
	render_volumes(r, root);
	render_files(r, root, "configs", r->p->configs, r->p->nconfigs);
	render_files(r, root, "secrets", r->p->secrets, r->p->nsecrets);
	if (r->p->secret_keys.n || r->p->nsmoke || r->p->nnotify)
		x = manifest_render_map(r, root, "x-deployctl");
	if (r->p->secret_keys.n)
		manifest_render_list(r, x, "secrets", &r->p->secret_keys, false);
	manifest_render_smoke(r, x); /* smoke checks and notify targets (manifest_smoke.c) */
	manifest_render_jobs(r, root);
	return root;
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
		rc = manifest_print_json_node(&b, root, 0) || buf_putc(&b, '\n') ? ERR_NOMEM : 0;
	else
		rc = manifest_print_yaml_map(&b, root, 0, false);
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
