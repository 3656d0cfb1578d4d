/*
 * manifest_service_env.c - a service's environment: env_file (one path or
 * a list, each relative to the manifest's directory, required or not) and
 * environment (a mapping or a list of KEY=VALUE, KEY taken from the
 * variables), in Compose's order, environment over env_file. Environment
 * values never appear in a message.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "manifest_internal.h"

/* ---- environment ---- */

/* Read one env file (path relative to the manifest's directory) into env. */
static int env_file_one(struct manifest_ctx *c, struct kvv *env, const struct mnode *v,
                        const char *path, const char *rel, bool required)
{
	struct err e = ERR_INIT;
	char *dir = NULL, *full = NULL, *text = NULL;
	size_t len;
	int rc;

	dir = manifest_base_dir(c, v); /* the project directory, as Compose resolves it */
	if (!dir)
		return manifest_nomem(c);
	if (!c->src) {
		manifest_error(c, v, path, "env_file cannot be read here");
		rc = ERR_INVALID;
		goto out;
	}
	rc = manifest_join(c, &full, dir, rel, v, path);
	if (rc)
		goto out;
	rc = c->src->read(c->src->ctx, &text, &len, full, &e);
	if (rc == ERR_NOTFOUND && !required) {
		rc = 0;
		goto out;
	}
	if (rc == ERR_NOTFOUND) {
		manifest_error(c, v, path, "env file '%s' not found", full);
		rc = ERR_INVALID;
		goto out;
	}
	if (rc) {
		manifest_error(c, v, path, "env file '%s': %s", full, e.msg);
		manifest_read_failed(c, rc);
		rc = ERR_INVALID;
		goto out;
	}
	rc = manifest_charge(c, v, path, "env_file", len);
	if (!rc)
		rc = manifest_envfile_parse_vars(env, full, text, len, c->vars, c->errs);
	if (rc == ERR_NOMEM)
		rc = manifest_nomem(c);
out:
	free(dir);
	free(full);
	free(text);
	return rc;
}

/* An env_file entry's long form, as its keys are read. */
struct env_file_long {
	const struct mnode *path; /* read once the entry is known good */
	bool required;
};

static int read_node(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                     const struct mnode *key, const struct mnode *v, const char *path)
{
	(void)c;
	(void)k;
	(void)key;
	(void)path;
	*(const struct mnode **)field = v;
	return 0;
}

/* services.<name>.env_file[i] in the long form: the first bad key ends it. */
static const struct manifest_key env_file_keys[] = {
	{ .key = "format", .kind = MK_REFUSED, .why = "not supported yet" },
	{ .key = "path",
	  .kind = MK_FIELD,
	  .offset = offsetof(struct env_file_long, path),
	  .field = read_node },
	{ .key = "required", .kind = MK_BOOL, .offset = offsetof(struct env_file_long, required) },
	{ .key = NULL, .flags = MKF_FIRST },
};

static int env_file_item(struct manifest_ctx *c, void *arg, const struct mnode *x,
                         const char *ipath)
{
	char kpath[MANIFEST_PATH_MAX], *rel = NULL;
	struct env_file_long o = { NULL, true };
	int r = 0;

	if (x->type == MNODE_MAP) {
		r = manifest_read_map(c, env_file_keys, &o, x, ipath);
		if (!r && !o.path) {
			manifest_error(c, x, ipath, "missing required key 'path'");
			r = ERR_INVALID;
		}
		manifest_path_key(kpath, sizeof(kpath), ipath, "path");
	} else {
		o.path = x;
		manifest_path_key(kpath, sizeof(kpath), NULL, ipath);
	}
	if (!r)
		r = manifest_string(c, &rel, o.path, kpath);
	if (!r)
		r = env_file_one(c, arg, o.path, kpath, rel, o.required);
	free(rel);
	return r;
}

int manifest_service_env_files(struct manifest_ctx *c, struct kvv *env, const struct mnode *v,
                               const char *path)
{
	char *rel = NULL;
	int rc;

	if (v->type == MNODE_SCALAR && !mnode_is_null(v)) {
		rc = manifest_string(c, &rel, v, path);
		if (!rc)
			rc = env_file_one(c, env, v, path, rel, true);
		free(rel);
		return rc;
	}
	return manifest_each_item(c, v, path, env_file_item, env);
}

/* KEY alone in environment: the variable's value, which Docker takes as UTF-8 JSON. */
/*
 * env key taken whole from the variable of the same name (`- KEY` or
 * `KEY:` with no value): refused unless valid UTF-8; the variable is noted
 * as the value's source (a secret variable makes the value secret). Frees
 * *used in every case.
 */
static int env_from_var(struct manifest_ctx *c, struct kvv *env, const struct mnode *at,
                        const char *path, const char *key, const char *from, struct strv *used)
{
	size_t len = strlen(from), bad = buf_utf8_invalid(from, len);

	if (bad < len) {
		manifest_error(c, at, path,
		               "variable %s is not valid UTF-8 (byte %zu of its value)", key, bad);
		strv_free(used);
		return ERR_INVALID;
	}
	if (kvv_set(env, key, from) || (*from && strv_push(used, key))) {
		strv_free(used);
		return manifest_nomem(c);
	}
	return manifest_note_from(c, key, used);
}

/* A value from environment:'s mapping form; never quoted in messages. */
static int env_value(struct manifest_ctx *c, struct kvv *env, const char *key,
                     const struct mnode *v, const char *path)
{
	struct strv used = { 0 }, *outer = c->used_vars;
	const char *from;
	char *s = NULL;
	int rc;

	if (mnode_is_null(v)) {
		from = kvv_get(c->vars, key);
		return from ? env_from_var(c, env, v, path, key, from, &used) : 0;
	}
	if (v->type != MNODE_SCALAR) {
		manifest_error(c, v, path, "expected a string, number or boolean, got a %s",
		               mnode_type_name(v));
		return ERR_INVALID;
	}
	c->used_vars = &used;
	rc = manifest_string(c, &s, v, path);
	c->used_vars = outer;
	if (!rc && kvv_set(env, key, s))
		rc = manifest_nomem(c);
	if (!rc)
		rc = manifest_note_from(c, key, &used);
	strv_free(&used);
	free(s);
	return rc;
}

static bool env_key_ok(const char *k)
{
	return *k && !strchr(k, '=');
}

static int env_entry(struct manifest_ctx *c, void *arg, const struct mnode *key,
                     const struct mnode *val, const char *kpath)
{
	if (!env_key_ok(key->value)) {
		manifest_error(c, key, kpath, "invalid variable name");
		return ERR_INVALID;
	}
	return env_value(c, arg, key->value, val, kpath);
}

static int env_item(struct manifest_ctx *c, void *arg, const struct mnode *x, const char *ipath)
{
	struct strv used = { 0 }, *outer = c->used_vars;
	struct kvv *env = arg;
	char *s = NULL, *eq;
	const char *from;
	int r;

	c->used_vars = &used;
	r = manifest_string(c, &s, x, ipath);
	c->used_vars = outer;
	if (!r) {
		eq = strchr(s, '=');
		if (eq)
			*eq = '\0';
		if (!*s) {
			manifest_error(c, x, ipath, "invalid variable name");
			r = ERR_INVALID;
		} else if (eq) {
			r = kvv_set(env, s, eq + 1) ? manifest_nomem(c) : 0;
			r = r ? r : manifest_note_from(c, s, &used);
		} else if ((from = kvv_get(c->vars, s))) {
			r = env_from_var(c, env, x, ipath, s, from, &used);
		}
	}
	strv_free(&used);
	free(s);
	return r;
}

int manifest_service_environment(struct manifest_ctx *c, struct kvv *env, const struct mnode *v,
                                 const char *path)
{
	if (mnode_is_null(v))
		return 0;
	return manifest_each(c, v, path, env_entry, env_item, env);
}
