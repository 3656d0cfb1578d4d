/*
 * manifest_xdeployctl.c - the top-level x-deployctl: block (rollout
 * defaults, env rules, host_dir, tls, smoke, notify, and the secrets: list of environment
 * keys whose values are secret), and, once every file is loaded, which env
 * values and labels took their value from a secret variable.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "manifest_internal.h"

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

int manifest_load_x_deployctl(struct manifest_ctx *c, const struct mnode *n)
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
		if (!strcmp(k, "smoke_image")) {
			if (manifest_set_string(c, &c->p->smoke_image, n->items[i], path) ==
			    ERR_NOMEM)
				return ERR_NOMEM;
			if (c->p->smoke_image && !c->p->smoke_image[0])
				manifest_error(c, n->items[i], path, "must not be empty");
			continue;
		}
		if (!strcmp(k, "target")) {
			if (manifest_set_string(c, &c->p->target, n->items[i], path) == ERR_NOMEM)
				return ERR_NOMEM;
			if (c->p->target && strcmp(c->p->target, "swarm") &&
			    strcmp(c->p->target, "docker"))
				manifest_error(c, n->items[i], path,
				               "must be \"docker\" (containers) or \"swarm\"");
			continue;
		}
		if (!strcmp(k, "jobs")) {
			if (manifest_load_jobs(c, n->items[i], path) == ERR_NOMEM)
				return ERR_NOMEM;
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

/* One service's (or job's) values interpolated from secret variables. */
static int mark_service(struct manifest_ctx *c, struct service *s)
{
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
	return 0;
}

int manifest_mark_interpolated_secrets(struct manifest_ctx *c)
{
	size_t i;

	for (i = 0; i < c->p->nservices; i++)
		if (mark_service(c, &c->p->services[i]) < 0)
			return ERR_NOMEM;
	/* A job's environment and command are recorded and its output kept: the same rules. */
	for (i = 0; i < c->p->njobs; i++)
		if (mark_service(c, &c->p->jobs[i].svc) < 0)
			return ERR_NOMEM;
	return 0;
}
