/*
 * manifest_table.c - the one reader of a mapping by a key table (struct
 * manifest_key rows: key, kind, field offset, validator or reader), below
 * every table: the service keys (manifest_keys.c), the sub-keys of
 * manifest_service*.c, configs, secrets and env rules (manifest_files.c),
 * x-deployctl's lists (manifest_list.c) and jobs. The plain kinds (string,
 * bool, duration, size, integer, list, pairs, nested mapping) are read
 * here; the others name their reader in their row.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_internal.h"

const struct manifest_key *manifest_key_find(const struct manifest_key *table, const char *key)
{
	for (; table->key; table++)
		if (!strcmp(table->key, key))
			return table;
	return NULL;
}

static int read_string(struct manifest_ctx *c, const struct manifest_key *k, char **dst,
                       const struct mnode *v, const char *path)
{
	char q[80];
	int rc = manifest_set_string(c, dst, v, path);

	/* Compose takes an empty value as the key left out: platform: ${P:-} */
	if (!rc && (k->flags & MKF_EMPTY_OK) && *dst && !**dst) {
		free(*dst);
		*dst = NULL;
		return 0;
	}
	if (rc || !k->valid || k->valid(*dst))
		return rc;
	if (k->hint)
		manifest_error(c, v, path, "%s \"%s\": %s", k->what,
		               manifest_quote(q, sizeof(q), v), k->hint);
	else
		manifest_error(c, v, path, "%s \"%s\"", k->what, manifest_quote(q, sizeof(q), v));
	/* A bad mode is dropped so the cross-key checks do not build on it. */
	if (k->flags & MKF_DROP_BAD) {
		free(*dst);
		*dst = NULL;
	}
	return ERR_INVALID;
}

static int read_row(struct manifest_ctx *c, const struct manifest_key *k, void *obj,
                    const struct mnode *key, const struct mnode *v, const char *path)
{
	void *field = (char *)obj + k->offset;
	int rc;

	switch (k->kind) {
	case MK_STRING:
		return read_string(c, k, field, v, path);
	case MK_BOOL:
		return manifest_bool(c, field, v, path);
	case MK_DURATION:
		return manifest_duration(c, field, v, path);
	case MK_BYTES:
		return manifest_bytes(c, field, v, path);
	case MK_INT:
		return manifest_int(c, field, v, path, k->min, k->max);
	case MK_STRINGS:
		rc = manifest_strings(c, field, v, path, k->flags & MKF_SINGLE);
		if (k->flags & MKF_SORT)
			strv_sort(field);
		return rc;
	case MK_PAIRS:
		if ((k->flags & MKF_NULL_OK) && mnode_is_null(v))
			return 0;
		if ((k->flags & MKF_MAP) && manifest_expect(c, v, MNODE_MAP, path))
			return ERR_INVALID;
		c->from = (k->flags & MKF_FROM) ? &((struct service *)obj)->label_from : NULL;
		rc = manifest_pairs(c, field, v, path);
		c->from = NULL;
		return rc;
	case MK_MAP:
		return manifest_read_map(c, k->sub, obj, v, path);
	case MK_CUSTOM:
		return k->fn(c, obj, v, path);
	case MK_FIELD:
		return k->field(c, field, k, key, v, path);
	case MK_LATER:
	case MK_SKIP:
		return 0;
	case MK_IGNORED:
		manifest_warn(c, key, path, "%s", k->why);
		return 0;
	case MK_REFUSED:
		manifest_error(c, key, path, "%s", k->why);
		return ERR_INVALID;
	}
	return 0;
}

int manifest_read_key(struct manifest_ctx *c, const struct manifest_key *k, void *obj,
                      const struct mnode *key, const struct mnode *v, const char *path)
{
	int rc = read_row(c, k, obj, key, v, path);

	if (!rc && (k->flags & MKF_WARN))
		manifest_warn(c, key, path, "%s", k->why);
	return rc;
}

int manifest_read_map(struct manifest_ctx *c, const struct manifest_key *table, void *obj,
                      const struct mnode *v, const char *path)
{
	char kpath[MANIFEST_PATH_MAX];
	const struct manifest_key *end = table;
	size_t i;
	int rc = 0, r;

	while (end->key)
		end++;
	if ((end->flags & MKF_NULL_OK) && mnode_is_null(v))
		return 0;
	if (manifest_expect(c, v, MNODE_MAP, path))
		return ERR_INVALID;
	for (i = 0; i < v->n && !(rc && (end->flags & MKF_FIRST)); i++) {
		const char *name = v->keys[i]->value;
		const struct manifest_key *k = manifest_key_find(table, name);

		manifest_path_key(kpath, sizeof(kpath), path, name);
		if (!k && !(end->flags & MKF_NO_EXT) && !strncmp(name, "x-", 2))
			continue; /* extensions are allowed at any depth */
		if (k) {
			r = manifest_read_key(c, k, obj, v->keys[i], v->items[i], kpath);
		} else if (end->why) {
			manifest_error(c, v->keys[i], kpath, "%s", end->why);
			r = ERR_INVALID;
		} else {
			manifest_error(c, v->keys[i], path, "unknown %s '%s'%s",
			               end->what ? end->what : "key", name,
			               end->hint ? end->hint : "");
			r = ERR_INVALID;
		}
		if (r == ERR_NOMEM)
			return r;
		rc = rc ? rc : r;
	}
	return rc;
}
