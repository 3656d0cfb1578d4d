/*
 * manifest_extends.c - services.<name>.extends: a service built on another
 * one, in the same file ({service: base} or "base") or in another file of
 * the repository ({file: other.yml, service: base}, relative to the
 * manifest, read through the source). The result is a new node tree, the
 * base merged under the service by Compose's "Merge and override" rules
 * (manifest_merge.c). Nodes keep their file and position, so relative paths of a base in
 * another file stay relative to that file and messages point at it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "manifest_internal.h"

#define EXTENDS_MAX_DEPTH 16

struct ext_frame {
	size_t tree;
	const char *service;
};

/* ---- finding the base ---- */

/* Index in c->trees of path (read and parsed through the source when not loaded yet). */
static int tree_for(struct manifest_ctx *c, size_t *out, const struct mnode *at, const char *path,
                    const char *rel)
{
	struct err e = ERR_INIT;
	struct manifest_tree *nt;
	struct mnode *root = NULL;
	char *dir = NULL, *full = NULL, *text = NULL, *slash;
	size_t i, len;
	int rc;

	dir = strdup(at->file ? at->file : "");
	if (!dir)
		return manifest_nomem(c);
	slash = strrchr(dir, '/');
	*(slash ? slash : dir) = '\0';
	rc = rel[0] == '/' ? ERR_INVALID : source_join(&full, dir, rel, &e);
	if (rc == ERR_NOMEM) {
		rc = manifest_nomem(c);
		goto out;
	}
	if (rc) {
		manifest_error(c, at, path, "%s",
		               rel[0] == '/' ? "must be a path relative to the manifest" : e.msg);
		goto out;
	}
	for (i = 0; i < c->ntrees; i++) {
		if (!strcmp(c->trees[i].name, full)) {
			*out = i;
			goto out;
		}
	}
	if (!c->src) {
		manifest_error(c, at, path, "file '%s' cannot be read here", full);
		rc = ERR_INVALID;
		goto out;
	}
	rc = c->src->read(c->src->ctx, &text, &len, full, &e);
	if (rc) {
		if (rc == ERR_NOTFOUND)
			manifest_error(c, at, path, "file '%s' not found in the repository", full);
		else
			manifest_error(c, at, path, "file '%s': %s", full, e.msg);
		if (rc == ERR_NOMEM || rc == ERR_IO || rc == ERR_GIT)
			c->fatal = c->fatal ? c->fatal : rc;
		rc = ERR_INVALID;
		goto out;
	}
	nt = realloc(c->trees, (c->ntrees + 1) * sizeof(*nt));
	if (!nt) {
		rc = manifest_nomem(c);
		goto out;
	}
	c->trees = nt;
	nt[c->ntrees].name = full;
	nt[c->ntrees].root = NULL;
	nt[c->ntrees].owned = true;
	full = NULL;
	*out = c->ntrees++;
	rc = mnode_parse(&root, nt[*out].name, text, len, &e);
	if (rc == ERR_NOMEM) {
		rc = manifest_nomem(c);
	} else if (rc) {
		errlist_push(c->errs, &e);
		rc = ERR_INVALID;
	}
	if (root) {
		/* a base file merges nothing: its tags mean nothing */
		struct mnode *plain = manifest_node_copy(root);

		mnode_free(root);
		root = plain;
		if (!root)
			rc = manifest_nomem(c);
	}
	nt[*out].root = root;
out:
	free(dir);
	free(full);
	free(text);
	return rc;
}

static int resolve(struct manifest_ctx *c, struct mnode **out, struct ext_frame *stack,
                   size_t depth, const struct mnode *key, const struct mnode *val);

static int extends_spec(struct manifest_ctx *c, char **file, char **service,
                        const struct mnode *ext, const char *path)
{
	char kpath[MANIFEST_PATH_MAX];
	size_t i;
	int rc = 0;

	if (ext->type == MNODE_SCALAR)
		return manifest_string(c, service, ext, path);
	if (manifest_expect(c, ext, MNODE_MAP, path))
		return ERR_INVALID;
	for (i = 0; i < ext->n && !rc; i++) {
		const char *k = ext->keys[i]->value;

		manifest_path_key(kpath, sizeof(kpath), path, k);
		if (!strcmp(k, "service"))
			rc = manifest_set_string(c, service, ext->items[i], kpath);
		else if (!strcmp(k, "file"))
			rc = manifest_set_string(c, file, ext->items[i], kpath);
		else {
			manifest_error(c, ext->keys[i], path,
			               "unknown key '%s': use service and file", k);
			rc = ERR_INVALID;
		}
	}
	if (!rc && !*service) {
		manifest_error(c, ext, path, "missing required key 'service'");
		rc = ERR_INVALID;
	}
	return rc;
}

static void report_cycle(struct manifest_ctx *c, const struct mnode *at, const char *path,
                         struct ext_frame *stack, size_t depth, size_t from)
{
	struct buf b;
	size_t i;

	buf_init(&b, 4096);
	for (i = from; i < depth; i++)
		buf_printf(&b, "%s%s", i > from ? " -> " : "", stack[i].service);
	buf_printf(&b, " -> %s", stack[from].service);
	manifest_error(c, at, path, "extends cycle: %s", b.ptr);
	buf_release(&b);
}

static int resolve(struct manifest_ctx *c, struct mnode **out, struct ext_frame *stack,
                   size_t depth, const struct mnode *key, const struct mnode *val)
{
	char path[MANIFEST_PATH_MAX];
	const struct mnode *ext = mnode_get(val, "extends"), *base, *services, *bkey = NULL;
	struct mnode *merged_base = NULL;
	char *file = NULL, *service = NULL;
	size_t t = stack[depth - 1].tree, i;
	int rc;

	*out = NULL;
	if (!ext)
		return 0;
	snprintf(path, sizeof(path), "services.%s.extends", key->value);
	rc = extends_spec(c, &file, &service, ext, path);
	if (!rc && file)
		rc = tree_for(c, &t, ext, path, file);
	if (rc)
		goto out;
	for (i = 0; i < depth; i++) {
		if (stack[i].tree == t && !strcmp(stack[i].service, service)) {
			report_cycle(c, ext, path, stack, depth, i);
			rc = ERR_INVALID;
			goto out;
		}
	}
	if (depth >= EXTENDS_MAX_DEPTH) {
		manifest_error(c, ext, path, "extends chain is deeper than %d", EXTENDS_MAX_DEPTH);
		rc = ERR_INVALID;
		goto out;
	}
	services = mnode_get(c->trees[t].root, "services");
	base = mnode_get(services, service);
	for (i = 0; base && i < services->n; i++)
		if (services->items[i] == base)
			bkey = services->keys[i];
	if (!base || !bkey) {
		manifest_error(c, ext, path, "no service '%s' in %s", service, c->trees[t].name);
		rc = ERR_INVALID;
		goto out;
	}
	if (manifest_expect(c, base, MNODE_MAP, path)) {
		rc = ERR_INVALID;
		goto out;
	}
	stack[depth].tree = t;
	stack[depth].service = bkey->value;
	rc = resolve(c, &merged_base, stack, depth + 1, bkey, base);
	if (rc)
		goto out;
	*out = manifest_merge_service(merged_base ? merged_base : base, val);
	if (!*out)
		rc = manifest_nomem(c);
out:
	mnode_free(merged_base);
	free(file);
	free(service);
	return rc;
}

int manifest_extends_resolve(struct manifest_ctx *c, struct mnode **out, size_t tree,
                             const struct mnode *key, const struct mnode *val)
{
	struct ext_frame stack[EXTENDS_MAX_DEPTH + 1];
	char path[MANIFEST_PATH_MAX];
	size_t own = mnode_scalar_bytes(val), all;
	int rc;

	stack[0].tree = tree;
	stack[0].service = key->value;
	rc = resolve(c, out, stack, 1, key, val);
	if (rc || !*out)
		return rc;
	/* What the bases brought (shared storage here, copies in the model). */
	all = mnode_scalar_bytes(*out);
	snprintf(path, sizeof(path), "services.%s.extends", key->value);
	rc = manifest_charge(c, mnode_get(val, "extends"), path, "extends",
	                     all > own ? all - own : 0);
	if (rc) {
		mnode_free(*out);
		*out = NULL;
	}
	return rc;
}
