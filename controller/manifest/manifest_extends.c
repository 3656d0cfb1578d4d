/*
 * manifest_extends.c - services.<name>.extends: a service built on another
 * one, in the same file ({service: base} or "base") or in another file of
 * the repository ({file: other.yml, service: base}, relative to the
 * manifest, read through the source). The result is a new node tree, the
 * base merged under the service as Compose's "Merge and override" rules say:
 * mappings merge key by key; command, entrypoint and healthcheck.test are
 * replaced; environment, labels, extra_hosts, sysctls, depends_on, networks
 * (sequence or mapping) merge as mappings; ports, volumes, secrets, configs
 * and devices are unique by target (the service's entry wins); other
 * sequences append (exact duplicates dropped); scalars are replaced.
 * Nodes keep their file and position, so relative paths of a base in
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

static struct mnode *node_copy(const struct mnode *src)
{
	struct mnode *n = node_new(src->type, src);
	size_t i;

	if (!n)
		return NULL;
	n->plain = src->plain;
	if (src->type == MNODE_SCALAR) {
		n->value = mnode_value_ref(src->value);
		return n;
	}
	for (i = 0; i < src->n; i++) {
		if (node_push(n, src->type == MNODE_MAP ? node_copy(src->keys[i]) : NULL,
		              node_copy(src->items[i]))) {
			mnode_free(n);
			return NULL;
		}
	}
	return n;
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

static struct mnode *merge(const struct mnode *base, const struct mnode *over, const char *key);

static struct mnode *merge_map(const struct mnode *base, const struct mnode *over, bool service)
{
	struct mnode *m = node_new(MNODE_MAP, over);
	size_t i, j;

	for (i = 0; m && i < base->n; i++) {
		const char *k = base->keys[i]->value;
		const struct mnode *o = mnode_get(over, k);

		if (service && !strcmp(k, "extends"))
			continue;
		if (node_push(m, node_copy(base->keys[i]),
		              o ? merge(base->items[i], o, k) : node_copy(base->items[i])))
			goto fail;
	}
	for (j = 0; m && j < over->n; j++) {
		const char *k = over->keys[j]->value;

		if ((service && !strcmp(k, "extends")) || mnode_get(base, k))
			continue;
		if (node_push(m, node_copy(over->keys[j]), node_copy(over->items[j])))
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
		if (!dup && node_push(m, NULL, node_copy(base->items[i])))
			goto fail;
	}
	for (j = 0; m && j < over->n; j++)
		if (node_push(m, NULL, node_copy(over->items[j])))
			goto fail;
	return m;
fail:
	free(id);
	mnode_free(m);
	return NULL;
}

static struct mnode *merge(const struct mnode *base, const struct mnode *over, const char *key)
{
	struct mnode *b2 = NULL, *o2 = NULL, *m;

	if (in_list(key, replaced_keys, COUNT(replaced_keys)))
		return node_copy(over);
	if (in_list(key, mapping_keys, COUNT(mapping_keys)) &&
	    (base->type == MNODE_SEQ || over->type == MNODE_SEQ) && base->type != MNODE_SCALAR &&
	    over->type != MNODE_SCALAR) {
		if (base->type == MNODE_SEQ && !(b2 = seq_to_map(base, key)))
			return base->type == MNODE_SEQ ? node_copy(over) : NULL;
		if (over->type == MNODE_SEQ && !(o2 = seq_to_map(over, key))) {
			mnode_free(b2);
			return node_copy(over);
		}
		m = merge_map(b2 ? b2 : base, o2 ? o2 : over, false);
		mnode_free(b2);
		mnode_free(o2);
		return m;
	}
	if (base->type == MNODE_MAP && over->type == MNODE_MAP)
		return merge_map(base, over, false);
	if (base->type == MNODE_SEQ && over->type == MNODE_SEQ)
		return merge_seq(base, over, key);
	return node_copy(over);
}

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
	*out = merge_map(merged_base ? merged_base : base, val, true);
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
