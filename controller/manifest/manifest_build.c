/*
 * manifest_build.c - services.<name>.build: the image is built from a
 * directory of the commit being deployed (its git tree, sent to the Engine
 * as a tar by the deploy layer). The string form is the context; the
 * mapping takes context, dockerfile, target, args and labels, as Compose.
 * The build id (sha256 over the context's tree id and those settings) is
 * what says an image is already built: an unchanged context is never
 * rebuilt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/hash.h"
#include "manifest_internal.h"

static int build_key(struct manifest_ctx *c, struct svc_build *b, const char *k,
                     const struct mnode *x, const struct mnode *key, const char *kpath,
                     char **context)
{
	if (!strcmp(k, "context"))
		return manifest_set_string(c, context, x, kpath);
	if (!strcmp(k, "dockerfile"))
		return manifest_set_string(c, &b->dockerfile, x, kpath);
	if (!strcmp(k, "target"))
		return manifest_set_string(c, &b->target, x, kpath);
	if (!strcmp(k, "args"))
		return manifest_pairs(c, &b->args, x, kpath);
	if (!strcmp(k, "labels"))
		return manifest_pairs(c, &b->labels, x, kpath);
	if (!strncmp(k, "x-", 2))
		return 0;
	if (!strcmp(k, "cache_from") || !strcmp(k, "cache_to") || !strcmp(k, "pull") ||
	    !strcmp(k, "no_cache") || !strcmp(k, "tags") || !strcmp(k, "platforms")) {
		manifest_warn(c, key, kpath,
		              "ignored: deployctl builds with the Engine's defaults");
		return 0;
	}
	manifest_error(c, key, kpath, "not supported yet");
	return ERR_INVALID;
}

/* The build id: what the image was built from, as one hash. */
static void build_id(struct svc_build *b)
{
	struct hash_ctx *h = hash_ctx_new();
	size_t i;

	if (!h)
		return;
	hash_ctx_add(h, b->tree_id, strlen(b->tree_id) + 1);
	hash_ctx_add(h, b->dockerfile ? b->dockerfile : "Dockerfile",
	             strlen(b->dockerfile ? b->dockerfile : "Dockerfile") + 1);
	hash_ctx_add(h, b->target ? b->target : "", strlen(b->target ? b->target : "") + 1);
	for (i = 0; i < b->args.n; i++) {
		hash_ctx_add(h, "a", 1);
		hash_ctx_add(h, b->args.v[i].key, strlen(b->args.v[i].key) + 1);
		hash_ctx_add(h, b->args.v[i].value, strlen(b->args.v[i].value) + 1);
	}
	for (i = 0; i < b->labels.n; i++) {
		hash_ctx_add(h, "l", 1);
		hash_ctx_add(h, b->labels.v[i].key, strlen(b->labels.v[i].key) + 1);
		hash_ctx_add(h, b->labels.v[i].value, strlen(b->labels.v[i].value) + 1);
	}
	hash_ctx_final(b->build_id, h);
}

int manifest_build(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                   const char *path)
{
	char kpath[MANIFEST_PATH_MAX];
	struct err e = ERR_INIT;
	char *context = NULL, *dir = NULL;
	size_t i;
	int rc = 0, r;

	if (v->type == MNODE_SCALAR) {
		rc = manifest_string(c, &context, v, path);
	} else if (manifest_expect(c, v, MNODE_MAP, path)) {
		return ERR_INVALID;
	} else {
		for (i = 0; i < v->n; i++) {
			manifest_path_key(kpath, sizeof(kpath), path, v->keys[i]->value);
			r = build_key(c, &s->build, v->keys[i]->value, v->items[i], v->keys[i],
			              kpath, &context);
			if (r == ERR_NOMEM)
				goto out;
			rc = rc ? rc : r;
		}
	}
	if (rc)
		goto out;
	if (!c->src || !c->src->tree_id) {
		manifest_error(c, v, path,
		               "build: needs a git commit (--repo): the image is built from its "
		               "tree");
		rc = ERR_INVALID;
		goto out;
	}
	dir = manifest_base_dir(c, v);
	if (!dir) {
		rc = ERR_NOMEM;
		goto out;
	}
	rc = source_join_dir(&s->build.context, dir, context ? context : ".", &e);
	if (rc == ERR_NOMEM)
		goto out;
	if (!rc && s->build.context)
		rc = c->src->tree_id(c->src->ctx, s->build.tree_id, s->build.context, &e);
	if (rc == ERR_NOMEM)
		goto out;
	if (rc) {
		manifest_error(c, v, path, "context: %s", e.msg);
		free(s->build.context);
		s->build.context = NULL;
		rc = ERR_INVALID;
		goto out;
	}
	build_id(&s->build);
out:
	free(context);
	free(dir);
	return rc == ERR_NOMEM ? manifest_nomem(c) : rc;
}
