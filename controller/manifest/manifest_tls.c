/*
 * manifest_tls.c - x-deployctl.tls: the certificates a project serves, as a
 * list of {cert, key, names}. Only the paths and names are read here; the
 * files themselves are host files that "deployctl check" opens (a private
 * key never comes from the repository, so nothing is read through the
 * source).
 */
#include <stdlib.h>
#include <string.h>

#include "manifest_internal.h"

/* A cert or key path: absolute, or relative to the manifest ("./ssl/x.pem"). */
static int tls_path(struct manifest_ctx *c, char **dst, const struct mnode *v, const char *path)
{
	int rc = manifest_set_string(c, dst, v, path);

	if (rc)
		return rc;
	if (!**dst) {
		manifest_error(c, v, path, "empty path");
		return ERR_INVALID;
	}
	return 0;
}

static int tls_one(struct manifest_ctx *c, struct project_tls *t, const struct mnode *v,
                   const char *path)
{
	char kpath[MANIFEST_PATH_MAX];
	size_t i;
	int rc = 0, x;

	if (manifest_expect(c, v, MNODE_MAP, path))
		return ERR_INVALID;
	for (i = 0; i < v->n; i++) {
		const char *k = v->keys[i]->value;
		const struct mnode *y = v->items[i];

		manifest_path_key(kpath, sizeof(kpath), path, k);
		if (!strcmp(k, "cert"))
			x = tls_path(c, &t->cert, y, kpath);
		else if (!strcmp(k, "key"))
			x = tls_path(c, &t->key, y, kpath);
		else if (!strcmp(k, "names"))
			x = manifest_strings(c, &t->names, y, kpath, true);
		else if (!strncmp(k, "x-", 2))
			x = 0;
		else {
			manifest_error(c, v->keys[i], path,
			               "unknown key '%s': use cert, key or names", k);
			x = ERR_INVALID;
		}
		if (x == ERR_NOMEM)
			return x;
		rc = rc ? rc : x;
	}
	if (!rc && !t->cert) {
		manifest_error(c, v, path, "a tls entry needs cert: (the certificate's path)");
		rc = ERR_INVALID;
	}
	return rc;
}

int manifest_load_tls(struct manifest_ctx *c, const struct mnode *n, const char *path)
{
	char ipath[MANIFEST_PATH_MAX];
	struct project_tls *nt, *t;
	size_t i;

	if (mnode_is_null(n))
		return 0;
	if (manifest_expect(c, n, MNODE_SEQ, path))
		return 0;
	for (i = 0; i < n->n; i++) {
		manifest_path_index(ipath, sizeof(ipath), path, i);
		nt = realloc(c->p->tls, (c->p->ntls + 1) * sizeof(*nt));
		if (!nt)
			return manifest_nomem(c);
		c->p->tls = nt;
		t = &nt[c->p->ntls++];
		memset(t, 0, sizeof(*t));
		t->loc.file = n->items[i]->file;
		t->loc.line = n->items[i]->line;
		t->loc.col = n->items[i]->col;
		if (tls_one(c, t, n->items[i], ipath) == ERR_NOMEM)
			return ERR_NOMEM;
	}
	return 0;
}
