/*
 * manifest_walk.c - the two loops every reader of a Compose collection
 * shares, written once: each item of a sequence (services.<name>.ports[i],
 * volumes[i], ...) and each entry of a mapping (networks.<name>,
 * depends_on.<name>, ...), with the item's key path, every problem
 * reported, the first failure kept and ERR_NOMEM returned at once.
 */
#include <stddef.h>

#include "manifest_internal.h"

int manifest_each_item(struct manifest_ctx *c, const struct mnode *v, const char *path,
                       manifest_item_fn fn, void *arg)
{
	char ipath[MANIFEST_PATH_MAX];
	size_t i;
	int rc = 0, r;

	if (manifest_expect(c, v, MNODE_SEQ, path))
		return ERR_INVALID;
	for (i = 0; i < v->n; i++) {
		manifest_path_index(ipath, sizeof(ipath), path, i);
		r = fn(c, arg, v->items[i], ipath);
		if (r == ERR_NOMEM)
			return r;
		rc = rc ? rc : r;
	}
	return rc;
}

int manifest_each_entry(struct manifest_ctx *c, const struct mnode *v, const char *path,
                        manifest_entry_fn fn, void *arg)
{
	char kpath[MANIFEST_PATH_MAX];
	size_t i;
	int rc = 0, r;

	if (manifest_expect(c, v, MNODE_MAP, path))
		return ERR_INVALID;
	for (i = 0; i < v->n; i++) {
		manifest_path_key(kpath, sizeof(kpath), path, v->keys[i]->value);
		r = fn(c, arg, v->keys[i], v->items[i], kpath);
		if (r == ERR_NOMEM)
			return r;
		rc = rc ? rc : r;
	}
	return rc;
}
