/*
 * manifest_walk.c - the two loops every reader of a Compose collection
 * shares, written once: each item of a sequence (services.<name>.ports[i],
 * volumes[i], ...) and each entry of a mapping (networks.<name>,
 * depends_on.<name>, ...), with the item's key path, every problem
 * reported, the first failure kept and ERR_NOMEM returned at once.
 */
#include <stddef.h>

#include "manifest_internal.h"

/* One walk: items (fn_item set) of a sequence, or entries (fn_entry) of a mapping. */
static int walk(struct manifest_ctx *c, const struct mnode *v, const char *path,
                manifest_item_fn fn_item, manifest_entry_fn fn_entry, void *arg)
{
	char ipath[MANIFEST_PATH_MAX];
	size_t i;
	int rc = 0, r;

	if (manifest_expect(c, v, fn_item ? MNODE_SEQ : MNODE_MAP, path))
		return ERR_INVALID;
	for (i = 0; i < v->n; i++) {
		if (fn_item) {
			manifest_path_index(ipath, sizeof(ipath), path, i);
			r = fn_item(c, arg, v->items[i], ipath);
		} else {
			manifest_path_key(ipath, sizeof(ipath), path, v->keys[i]->value);
			r = fn_entry(c, arg, v->keys[i], v->items[i], ipath);
		}
		if (r == ERR_NOMEM)
			return r;
		rc = rc ? rc : r;
	}
	return rc;
}

int manifest_each_item(struct manifest_ctx *c, const struct mnode *v, const char *path,
                       manifest_item_fn fn, void *arg)
{
	return walk(c, v, path, fn, NULL, arg);
}

int manifest_each_entry(struct manifest_ctx *c, const struct mnode *v, const char *path,
                        manifest_entry_fn fn, void *arg)
{
	return walk(c, v, path, NULL, fn, arg);
}
