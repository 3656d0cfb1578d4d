/*
 * manifest_list.c - the one reader of "a list of maps, each read by a key
 * table" (x-deployctl.smoke, x-deployctl.notify, x-deployctl.tls): the
 * sequence check, the bound on entries, growing the array, each entry's
 * location and defaults, then its map read through manifest_read_map()
 * and the entry's own checks.
 */
#include <stdlib.h>
#include <string.h>

#include "manifest_internal.h"

/* The element at index i of the list's array. */
static void *element(const struct manifest_list *l, size_t i)
{
	return (char *)*l->items + i * l->size;
}

int manifest_read_list(struct manifest_ctx *c, const struct manifest_list *l, const struct mnode *n,
                       const char *path)
{
	char ipath[MANIFEST_PATH_MAX];
	struct loc *loc;
	void *grown, *e;
	size_t i;
	int rc;

	if (mnode_is_null(n))
		return 0;
	if (manifest_expect(c, n, MNODE_SEQ, path))
		return 0;
	for (i = 0; i < n->n; i++) {
		const struct mnode *v = n->items[i];

		manifest_path_index(ipath, sizeof(ipath), path, i);
		if (*l->n >= l->max) {
			manifest_error(c, v, ipath, "more than %zu %s", l->max, l->what);
			return 0;
		}
		grown = realloc(*l->items, (*l->n + 1) * l->size);
		if (!grown)
			return manifest_nomem(c);
		*l->items = grown;
		e = element(l, (*l->n)++);
		memset(e, 0, l->size);
		loc = (struct loc *)((char *)e + l->loc_offset);
		loc->file = v->file;
		loc->line = v->line;
		loc->col = v->col;
		if (l->init)
			l->init(e);
		if (manifest_expect(c, v, MNODE_MAP, ipath))
			continue;
		/* The table readers take a struct service; the plain kinds touch only the row's
		 * offset. */
		rc = manifest_read_map(c, l->keys, (struct service *)e, v, ipath);
		if (rc == ERR_NOMEM)
			return rc;
		if (l->finish && l->finish(c, e, v, ipath, rc) == ERR_NOMEM)
			return ERR_NOMEM;
	}
	return 0;
}
