/*
 * manifest_include.c - the project files as trees: each file's YAML
 * documents merged into one (manifest_merge.c), the files of a project
 * merged in order (compose.yaml then compose.override.yaml, or the -f
 * files), or kept apart in the layout of several disjoint files, where a
 * file that another one names in extends: {file: ...} or include: is not a
 * project file of its own; then the top-level include: entries, each
 * included file (or list of files, merged) a part of its own whose
 * services, networks and volumes must not clash with the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_internal.h"

#define INCLUDE_MAX_FILES SOURCE_MAX_FILES

int manifest_tree_from_text(struct manifest_ctx *c, struct mnode **out, const char *name,
                            const char *text, size_t len)
{
	struct err e = ERR_INIT;
	struct mnode **docs = NULL, *t = NULL, *nt;
	size_t n = 0, i;
	int rc;

	*out = NULL;
	rc = mnode_parse_docs(&docs, &n, name, text, len, &e);
	if (rc == ERR_NOMEM)
		return manifest_nomem(c);
	if (rc) {
		errlist_push(c->errs, &e);
		return ERR_INVALID;
	}
	for (i = 0; i < n; i++) {
		if (docs[i]->type != MNODE_MAP && n > 1) {
			manifest_error(c, docs[i], "(top level)",
			               "a document of several must be a mapping to be merged");
			rc = ERR_INVALID;
			break;
		}
		nt = manifest_merge_file(t, docs[i]);
		mnode_free(t);
		t = nt;
		if (!t) {
			rc = manifest_nomem(c);
			break;
		}
	}
	for (i = 0; i < n; i++)
		mnode_free(docs[i]);
	free(docs);
	if (rc)
		mnode_free(t);
	else
		*out = t;
	return rc;
}

/* path (relative to the file of node at) as a repository path; *out new. */
static int relative_to(struct manifest_ctx *c, char **out, const struct mnode *at, const char *rel,
                       const char *path)
{
	struct err e = ERR_INIT;
	char *dir = manifest_base_dir(c, at);
	int rc;

	if (!dir)
		return manifest_nomem(c);
	rc = rel[0] == '/' ? ERR_INVALID : source_join(out, dir, rel, &e);
	free(dir);
	if (rc == ERR_NOMEM)
		return manifest_nomem(c);
	if (rc)
		manifest_error(c, at, path, "%s",
		               rel[0] == '/' ? "must be a path relative to the manifest" : e.msg);
	return rc;
}

/* The file names a tree refers to by extends: {file: } and include:, resolved, onto out. */
static int referenced(struct manifest_ctx *c, struct strv *out, const struct mnode *root)
{
	const struct mnode *services = mnode_get(root, "services"),
	                   *inc = mnode_get(root, "include");
	const struct mnode *x, *f;
	char *full = NULL;
	size_t i, j;
	int rc = 0;

	for (i = 0; services && services->type == MNODE_MAP && i < services->n && !rc; i++) {
		x = mnode_get(services->items[i], "extends");
		f = mnode_get(x, "file");
		if (f && f->type == MNODE_SCALAR && relative_to(c, &full, f, f->value, "") == 0) {
			rc = strv_push(out, full) ? manifest_nomem(c) : 0;
			free(full);
			full = NULL;
		}
	}
	for (i = 0; inc && inc->type == MNODE_SEQ && i < inc->n && !rc; i++) {
		x = inc->items[i]->type == MNODE_MAP ? mnode_get(inc->items[i], "path")
		                                     : inc->items[i];
		for (j = 0; x && !rc && j < (x->type == MNODE_SEQ ? x->n : 1); j++) {
			f = x->type == MNODE_SEQ ? x->items[j] : x;
			if (f->type != MNODE_SCALAR || relative_to(c, &full, f, f->value, ""))
				continue;
			rc = strv_push(out, full) ? manifest_nomem(c) : 0;
			free(full);
			full = NULL;
		}
	}
	return rc;
}

int manifest_drop_referenced(struct manifest_ctx *c, struct mnode **roots, size_t *n)
{
	struct strv refs = { NULL, 0 };
	struct errlist quiet;
	struct errlist *errs = c->errs;
	size_t i, j, k;
	int rc = 0;

	/* Bad paths are reported where they are resolved for real, not twice. */
	errlist_init(&quiet);
	c->errs = &quiet;
	for (i = 0; i < *n && !rc; i++)
		if (roots[i])
			rc = referenced(c, &refs, roots[i]);
	c->errs = errs;
	c->spare = rc ? NULL : calloc(*n ? *n : 1, sizeof(*c->spare));
	if (!rc && !c->spare)
		rc = manifest_nomem(c);
	for (i = 0, k = 0; !rc && i < *n; i++) {
		bool drop = false;

		for (j = 0; roots[i] && j < refs.n && !drop; j++)
			drop = !strcmp(refs.v[j], roots[i]->file ? roots[i]->file : "");
		if (drop)
			c->spare[c->nspare++] = roots[i];
		else
			roots[k++] = roots[i];
	}
	if (!rc)
		*n = k;
	strv_free(&refs);
	return rc;
}

/* Read, parse and merge the files of one include: entry into *out (NULL when none read). */
/* A listed file that is not a part (c->spare), taken out of the list; NULL if none. */
static struct mnode *spare_take(struct manifest_ctx *c, const char *name)
{
	struct mnode *t;
	size_t i;

	for (i = 0; i < c->nspare; i++) {
		if (!c->spare[i] || strcmp(c->spare[i]->file, name))
			continue;
		t = c->spare[i];
		c->spare[i] = NULL;
		return t;
	}
	return NULL;
}

/* Is name one of the parts already (an include cycle, or a file included twice)? */
static bool is_part(struct mnode **roots, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (roots[i] && roots[i]->file && !strcmp(roots[i]->file, name))
			return true;
	return false;
}

static int include_read(struct manifest_ctx *c, struct mnode **out, struct mnode **roots,
                        size_t nroots, const struct mnode *paths, const char *path)
{
	struct err e = ERR_INIT;
	struct mnode *merged = NULL, *t = NULL, *nt;
	char *full = NULL, *text = NULL;
	size_t j, len, count = paths->type == MNODE_SEQ ? paths->n : 1;
	int rc = 0;

	for (j = 0; j < count && !rc; j++) {
		const struct mnode *f = paths->type == MNODE_SEQ ? paths->items[j] : paths;
		char *rel = NULL;

		rc = manifest_string(c, &rel, f, path);
		if (!rc)
			rc = relative_to(c, &full, f, rel, path);
		free(rel);
		if (!rc && is_part(roots, nroots, full)) {
			manifest_error(c, f, path, "'%s' is loaded already (an include cycle?)",
			               full);
			rc = ERR_INVALID;
		}
		if (!rc && (t = spare_take(c, full)))
			goto merge;
		if (!rc && !c->src) {
			manifest_error(c, f, path, "file '%s' cannot be read here", full);
			rc = ERR_INVALID;
		}
		if (!rc && c->p->files.n >= INCLUDE_MAX_FILES) {
			manifest_error(c, f, path, "too many files (at most %u)",
			               INCLUDE_MAX_FILES);
			rc = ERR_INVALID;
		}
		if (!rc) {
			rc = c->src->read(c->src->ctx, &text, &len, full, &e);
			if (rc == ERR_NOTFOUND)
				manifest_error(c, f, path, "file '%s' not found in the repository",
				               full);
			else if (rc)
				manifest_error(c, f, path, "file '%s': %s", full, e.msg);
			if (rc == ERR_NOMEM || rc == ERR_IO || rc == ERR_GIT)
				c->fatal = c->fatal ? c->fatal : rc;
			rc = rc ? ERR_INVALID : 0;
		}
		if (!rc)
			rc = strv_push(&c->p->files, full) ? manifest_nomem(c) : 0;
		if (!rc)
			rc = manifest_tree_from_text(c, &t, c->p->files.v[c->p->files.n - 1], text,
			                             len);
	merge:
		free(text);
		text = NULL;
		free(full);
		full = NULL;
		if (rc || !t)
			continue;
		nt = manifest_merge_file(merged, t);
		mnode_free(merged);
		mnode_free(t);
		t = NULL;
		merged = nt;
		if (!merged)
			rc = manifest_nomem(c);
	}
	if (!rc && merged) {
		t = manifest_node_copy(merged);
		mnode_free(merged);
		merged = t;
		rc = merged ? 0 : manifest_nomem(c);
	}
	if (rc)
		mnode_free(merged);
	else
		*out = merged;
	return rc;
}

/* The include: of root: each entry's tree appended to *roots. */
static int include_one(struct manifest_ctx *c, struct mnode ***roots, size_t *n,
                       const struct mnode *inc)
{
	char path[MANIFEST_PATH_MAX], kpath[MANIFEST_PATH_MAX];
	struct mnode **grown, *t;
	size_t i, k;
	int rc;

	if (manifest_expect(c, inc, MNODE_SEQ, "include"))
		return 0;
	for (i = 0; i < inc->n; i++) {
		const struct mnode *x = inc->items[i], *paths = x;

		manifest_path_index(path, sizeof(path), "include", i);
		if (x->type == MNODE_MAP) {
			paths = mnode_get(x, "path");
			for (k = 0; k < x->n; k++) {
				const char *key = x->keys[k]->value;

				manifest_path_key(kpath, sizeof(kpath), path, key);
				if (strcmp(key, "path") && strcmp(key, "project_directory") &&
				    strcmp(key, "env_file"))
					manifest_error(c, x->keys[k], path, "unknown key '%s'",
					               key);
			}
			if (!paths) {
				manifest_error(c, x, path, "missing required key 'path'");
				continue;
			}
		}
		rc = manifest_include_options(c, x, paths, path);
		if (rc == ERR_NOMEM)
			return rc;
		if (x->type == MNODE_MAP)
			manifest_path_key(path, sizeof(path), path, "path");
		t = NULL;
		rc = include_read(c, &t, *roots, *n, paths, path);
		if (rc == ERR_NOMEM)
			return rc;
		if (rc || !t)
			continue;
		grown = realloc(*roots, (*n + 1) * sizeof(*grown));
		if (!grown) {
			mnode_free(t);
			return manifest_nomem(c);
		}
		*roots = grown;
		grown[(*n)++] = t;
	}
	return 0;
}

int manifest_include(struct manifest_ctx *c, struct mnode ***roots, size_t *n)
{
	size_t i;
	int rc;

	/* *n grows as files are included: their own include: entries are read in turn. */
	for (i = 0; i < *n; i++) {
		const struct mnode *inc = mnode_get((*roots)[i], "include");

		if (!inc)
			continue;
		rc = include_one(c, roots, n, inc);
		if (rc)
			return rc;
	}
	return 0;
}
