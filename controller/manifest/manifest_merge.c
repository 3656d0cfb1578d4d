/*
 * manifest_merge.c - Compose's "Merge and override" rules on node trees,
 * shared by the project files (compose.yaml under compose.override.yaml,
 * -f files in order, the documents of one file) and by extends: mappings
 * merge key by key; inside a service, command, entrypoint and
 * healthcheck.test are replaced; environment, labels, extra_hosts, sysctls,
 * depends_on, networks (sequence or mapping) merge as mappings; ports,
 * volumes, secrets, configs and devices are unique by target (the later
 * entry wins); other sequences append (exact duplicates dropped); scalars
 * are replaced. A value tagged !override replaces what was merged so far
 * whole; one tagged !reset removes it. The trees returned carry no tags and
 * no !reset entries, so the readers never see them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "manifest_internal.h"

/* ---- node construction ---- */

static struct mnode *node_new(enum mnode_type type, const struct mnode *at)
{
	struct mnode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->type = type;
	n->file = at->file;
	n->line = at->line;
	n->col = at->col;
	return n;
}

static struct mnode *scalar_new(const struct mnode *at, const char *value, size_t len, bool plain)
{
	struct mnode *n = node_new(MNODE_SCALAR, at);

	if (!n)
		return NULL;
	n->plain = plain;
	n->value = mnode_value_new(value, strnlen(value, len));
	if (!n->value) {
		free(n);
		return NULL;
	}
	return n;
}

/* Append key (may be NULL for sequences) and item to n; takes both, even on failure. */
static int node_push(struct mnode *n, struct mnode *key, struct mnode *item)
{
	struct mnode **ni = NULL, **nk = NULL;

	if (!item || (n->type == MNODE_MAP && !key))
		goto fail;
	ni = realloc(n->items, (n->n + 1) * sizeof(*ni));
	if (!ni)
		goto fail;
	n->items = ni;
	if (n->type == MNODE_MAP) {
		nk = realloc(n->keys, (n->n + 1) * sizeof(*nk));
		if (!nk)
			goto fail;
		n->keys = nk;
		nk[n->n] = key;
	}
	ni[n->n++] = item;
	return 0;
fail:
	mnode_free(key);
	mnode_free(item);
	return ERR_NOMEM;
}

/* A deep copy; with strip, without tags and !reset entries (what the readers get). */
static struct mnode *copy(const struct mnode *src, bool strip)
{
	struct mnode *n = node_new(src->type, src);
	size_t i;

	if (!n)
		return NULL;
	n->plain = src->plain;
	n->tag = strip ? MNODE_TAG_NONE : src->tag;
	if (src->type == MNODE_SCALAR) {
		n->value = mnode_value_ref(src->value);
		return n;
	}
	for (i = 0; i < src->n; i++) {
		if (strip && src->items[i]->tag == MNODE_TAG_RESET)
			continue;
		if (node_push(n, src->type == MNODE_MAP ? copy(src->keys[i], strip) : NULL,
		              copy(src->items[i], strip))) {
			mnode_free(n);
			return NULL;
		}
	}
	return n;
}

struct mnode *manifest_node_copy(const struct mnode *src)
{
	return copy(src, true);
}

/* Within a merge, tags are kept: a later file's !reset and !override apply to what came before. */
static struct mnode *copy_raw(const struct mnode *src)
{
	return copy(src, false);
}

/* ---- merging ---- */

static bool in_list(const char *key, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(key, list[i]))
			return true;
	return false;
}

static const char *const replaced_keys[] = { "command", "entrypoint", "test" };
static const char *const mapping_keys[] = { "environment", "labels",      "extra_hosts",
	                                    "sysctls",     "annotations", "depends_on",
	                                    "networks",    "storage_opt", "args" };
static const char *const unique_keys[] = { "ports", "volumes", "secrets", "configs", "devices" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A sequence written as a mapping: "k=v" (or "k:v" for extra_hosts), "name" alone -> null. */
static struct mnode *seq_to_map(const struct mnode *seq, const char *key)
{
	struct mnode *m = node_new(MNODE_MAP, seq);
	const char *seps = !strcmp(key, "extra_hosts") ? ":=" : "=";
	size_t i, k;

	for (i = 0; m && i < seq->n; i++) {
		const struct mnode *x = seq->items[i];

		if (x->type != MNODE_SCALAR) {
			mnode_free(m);
			return NULL;
		}
		k = strcspn(x->value, seps);
		if (node_push(m, scalar_new(x, x->value, k, false),
		              x->value[k] ? scalar_new(x, x->value + k + 1,
		                                       strlen(x->value + k + 1), false)
		                          : scalar_new(x, "", 0, true))) {
			mnode_free(m);
			return NULL;
		}
	}
	return m;
}

/* What makes a ports/volumes/secrets/configs/devices entry unique: its target. */
static char *unique_id(const struct mnode *x, const char *key)
{
	static const char *const port_fields[] = { "host_ip", "published", "target", "protocol" };
	const struct mnode *t;
	struct buf b;
	size_t i;

	if (x->type == MNODE_MAP) {
		if (!strcmp(key, "ports")) {
			buf_init(&b, 4096);
			for (i = 0; i < COUNT(port_fields); i++) {
				t = mnode_get(x, port_fields[i]);
				if (buf_printf(&b, "%s|",
				               t && t->type == MNODE_SCALAR ? t->value : "")) {
					buf_release(&b);
					return NULL;
				}
			}
			return buf_detach(&b);
		}
		t = mnode_get(x, "target");
		if (!t)
			t = mnode_get(x, "source");
		return strdup(t && t->type == MNODE_SCALAR ? t->value : "");
	}
	if (x->type != MNODE_SCALAR)
		return strdup("");
	if (!strcmp(key, "volumes") || !strcmp(key, "devices")) {
		const char *colon = strchr(x->value, ':');
		const char *end;

		if (!colon)
			return strdup(x->value);
		end = strchr(colon + 1, ':');
		return strndup(colon + 1, end ? (size_t)(end - colon - 1) : strlen(colon + 1));
	}
	return strdup(x->value);
}

/* How a mapping merges: MERGE_SERVICE turns the service rules on below it. */
enum merge_level { MERGE_PLAIN = 0, MERGE_FILE, MERGE_SERVICES, MERGE_SERVICE };

static struct mnode *merge(const struct mnode *base, const struct mnode *over, const char *key,
                           enum merge_level level);

/* The level of the value under key k of a mapping at level. */
static enum merge_level level_below(enum merge_level level, const char *k)
{
	if (level == MERGE_FILE)
		return !strcmp(k, "services") ? MERGE_SERVICES : MERGE_PLAIN;
	if (level == MERGE_SERVICES)
		return MERGE_SERVICE;
	return level == MERGE_SERVICE ? MERGE_SERVICE : MERGE_PLAIN;
}

static struct mnode *merge_map(const struct mnode *base, const struct mnode *over,
                               enum merge_level level, bool drop_extends)
{
	struct mnode *m = node_new(MNODE_MAP, over);
	size_t i, j;

	for (i = 0; m && i < base->n; i++) {
		const char *k = base->keys[i]->value;
		const struct mnode *o = mnode_get(over, k);

		if ((drop_extends && !strcmp(k, "extends")) ||
		    base->items[i]->tag == MNODE_TAG_RESET || (o && o->tag == MNODE_TAG_RESET))
			continue;
		if (node_push(m, copy_raw(base->keys[i]),
		              o ? merge(base->items[i], o, k, level_below(level, k))
		                : copy_raw(base->items[i])))
			goto fail;
	}
	for (j = 0; m && j < over->n; j++) {
		const char *k = over->keys[j]->value;

		if ((drop_extends && !strcmp(k, "extends")) || mnode_get(base, k) ||
		    over->items[j]->tag == MNODE_TAG_RESET)
			continue;
		if (node_push(m, copy_raw(over->keys[j]), copy_raw(over->items[j])))
			goto fail;
	}
	return m;
fail:
	mnode_free(m);
	return NULL;
}

static struct mnode *merge_seq(const struct mnode *base, const struct mnode *over, const char *key)
{
	struct mnode *m = node_new(MNODE_SEQ, over);
	bool unique = in_list(key, unique_keys, COUNT(unique_keys));
	char *id = NULL, *oid = NULL;
	size_t i, j;

	for (i = 0; m && i < base->n; i++) {
		bool dup = false;

		if (unique && !(id = unique_id(base->items[i], key)))
			goto fail;
		for (j = 0; j < over->n && !dup; j++) {
			const struct mnode *o = over->items[j];

			if (unique) {
				if (!(oid = unique_id(o, key)))
					goto fail;
				dup = !strcmp(id, oid);
				free(oid);
				oid = NULL;
			} else {
				dup = o->type == MNODE_SCALAR &&
				      base->items[i]->type == MNODE_SCALAR &&
				      !strcmp(o->value, base->items[i]->value);
			}
		}
		free(id);
		id = NULL;
		if (!dup && node_push(m, NULL, copy_raw(base->items[i])))
			goto fail;
	}
	for (j = 0; m && j < over->n; j++)
		if (node_push(m, NULL, copy_raw(over->items[j])))
			goto fail;
	return m;
fail:
	free(id);
	mnode_free(m);
	return NULL;
}

static struct mnode *merge(const struct mnode *base, const struct mnode *over, const char *key,
                           enum merge_level level)
{
	struct mnode *b2 = NULL, *o2 = NULL, *m;
	bool rules = level == MERGE_SERVICE;

	if (over->tag == MNODE_TAG_OVERRIDE ||
	    (rules && in_list(key, replaced_keys, COUNT(replaced_keys))))
		return copy_raw(over);
	if (rules && in_list(key, mapping_keys, COUNT(mapping_keys)) &&
	    (base->type == MNODE_SEQ || over->type == MNODE_SEQ) && base->type != MNODE_SCALAR &&
	    over->type != MNODE_SCALAR) {
		if (base->type == MNODE_SEQ && !(b2 = seq_to_map(base, key)))
			return base->type == MNODE_SEQ ? copy_raw(over) : NULL;
		if (over->type == MNODE_SEQ && !(o2 = seq_to_map(over, key))) {
			mnode_free(b2);
			return copy_raw(over);
		}
		m = merge_map(b2 ? b2 : base, o2 ? o2 : over, MERGE_PLAIN, false);
		mnode_free(b2);
		mnode_free(o2);
		return m;
	}
	if (base->type == MNODE_MAP && over->type == MNODE_MAP)
		return merge_map(base, over, level, false);
	if (base->type == MNODE_SEQ && over->type == MNODE_SEQ)
		return merge_seq(base, over, rules ? key : "");
	return copy_raw(over);
}

struct mnode *manifest_merge_service(const struct mnode *base, const struct mnode *over)
{
	struct mnode *raw = merge_map(base, over, MERGE_SERVICE, true);
	struct mnode *m = raw ? copy(raw, true) : NULL;

	mnode_free(raw);
	return m;
}

struct mnode *manifest_merge_file(const struct mnode *base, const struct mnode *over)
{
	if (!base)
		return copy_raw(over);
	if (base->type != MNODE_MAP || over->type != MNODE_MAP)
		return copy_raw(over);
	return merge_map(base, over, MERGE_FILE, false);
}
