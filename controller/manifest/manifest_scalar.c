/*
 * manifest_scalar.c - what every reader of the node tree uses, below the
 * loader (manifest.c) and the key readers (manifest_keys.c,
 * manifest_service*.c): error and warning reporting at a node with its key
 * path, key paths, quoting what the user wrote, the one loop over a
 * sequence's items or a mapping's entries, and typed scalars after
 * interpolation (string, bool, integers, durations, sizes, lists, pairs).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deployctl/buf.h"
#include "manifest_internal.h"

/* ---- reporting ---- */

static void manifest_vreport(struct manifest_ctx *c, struct errlist *l, const struct mnode *n,
                             const char *path, const char *fmt, va_list ap)
        __attribute__((format(printf, 5, 0)));

static void manifest_vreport(struct manifest_ctx *c, struct errlist *l, const struct mnode *n,
                             const char *path, const char *fmt, va_list ap)
{
	char msg[400];

	if (!l)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	(void)c;
	if (n)
		errlist_add(l, ERR_INVALID, n->file, n->line, n->col, "%s: %s", path, msg);
	else
		errlist_add(l, ERR_INVALID, NULL, 0, 0, "%s: %s", path, msg);
}

void manifest_error(struct manifest_ctx *c, const struct mnode *n, const char *path,
                    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	manifest_vreport(c, c->errs, n, path, fmt, ap);
	va_end(ap);
}

void manifest_warn(struct manifest_ctx *c, const struct mnode *n, const char *path, const char *fmt,
                   ...)
{
	va_list ap;

	va_start(ap, fmt);
	manifest_vreport(c, c->warns, n, path, fmt, ap);
	va_end(ap);
}

int manifest_nomem(struct manifest_ctx *c)
{
	if (!c->fatal) {
		c->fatal = ERR_NOMEM;
		errlist_add(c->errs, ERR_NOMEM, NULL, 0, 0, "out of memory");
	}
	return ERR_NOMEM;
}

int manifest_charge(struct manifest_ctx *c, const struct mnode *n, const char *path,
                    const char *what, size_t bytes)
{
	/* said once: the services after the first one past it are refused too */
	if (c->copied > MANIFEST_MAX_COPIED)
		return ERR_INVALID;
	if (bytes > MANIFEST_MAX_COPIED - c->copied) {
		manifest_error(c, n, path,
		               "%s copies the project's services beyond %u MiB (extends and "
		               "env_file, every service together)",
		               what, MANIFEST_MAX_COPIED >> 20);
		c->copied = SIZE_MAX;
		return ERR_INVALID;
	}
	c->copied += bytes;
	return 0;
}

/* Key paths longer than the buffer are cut: they only label messages. */
static const char *path_done(char *out, size_t size, int n)
{
	if (n < 0 || (size_t)n >= size)
		out[size - 1] = '\0';
	return out;
}

const char *manifest_path_key(char *out, size_t size, const char *base, const char *key)
{
	if (base && *base)
		return path_done(out, size, snprintf(out, size, "%s.%s", base, key));
	return path_done(out, size, snprintf(out, size, "%s", key));
}

const char *manifest_path_index(char *out, size_t size, const char *base, size_t i)
{
	return path_done(out, size, snprintf(out, size, "%s[%zu]", base, i));
}

const char *manifest_quote(char *out, size_t size, const struct mnode *n)
{
	const char *s = n && n->type == MNODE_SCALAR ? n->value : "";
	size_t i, o = 0, max = size > 64 ? 64 : size;

	if (!size)
		return out;
	for (i = 0; s[i] && o + 1 < max; i++)
		out[o++] = isprint((unsigned char)s[i]) ? s[i] : '?';
	if (s[i] && o >= 3)
		memcpy(out + o - 3, "...", 3);
	out[o] = '\0';
	return out;
}

/* ---- walking a collection ---- */

/*
 * One walk: the entries of a mapping (by fn_entry) or the items of a
 * sequence (by fn_item); with both set, whichever v is.
 */
static int walk(struct manifest_ctx *c, const struct mnode *v, const char *path,
                manifest_item_fn fn_item, manifest_entry_fn fn_entry, void *arg)
{
	char ipath[MANIFEST_PATH_MAX];
	bool items;
	size_t i;
	int rc = 0, r;

	if (fn_item && fn_entry && v->type != MNODE_MAP && v->type != MNODE_SEQ) {
		manifest_error(c, v, path, "expected a mapping or a sequence, got a %s",
		               mnode_is_null(v) ? "null" : mnode_type_name(v));
		return ERR_INVALID;
	}
	items = fn_item && (!fn_entry || v->type == MNODE_SEQ);
	if (manifest_expect(c, v, items ? MNODE_SEQ : MNODE_MAP, path))
		return ERR_INVALID;
	for (i = 0; i < v->n; i++) {
		if (items) {
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

int manifest_each(struct manifest_ctx *c, const struct mnode *v, const char *path,
                  manifest_entry_fn fn_entry, manifest_item_fn fn_item, void *arg)
{
	return walk(c, v, path, fn_item, fn_entry, arg);
}

/* ---- typed scalars ---- */

int manifest_expect(struct manifest_ctx *c, const struct mnode *n, enum mnode_type want,
                    const char *path)
{
	static const char *const names[] = { "string", "sequence", "mapping" };

	if (n->type == want)
		return 0;
	if (mnode_is_null(n))
		manifest_error(c, n, path, "expected a %s, got null", names[want]);
	else
		manifest_error(c, n, path, "expected a %s, got a %s", names[want],
		               mnode_type_name(n));
	return ERR_INVALID;
}

/* Compose's warning for a variable used without a value or default, once per variable. */
static int warn_unset(struct manifest_ctx *c, const struct mnode *n, const char *path,
                      const struct strv *unset)
{
	size_t i, j;
	bool seen;

	for (i = 0; i < unset->n; i++) {
		for (j = 0, seen = false; j < c->warned.n && !seen; j++)
			seen = !strcmp(c->warned.v[j], unset->v[i]);
		if (seen)
			continue;
		if (strv_push(&c->warned, unset->v[i]))
			return ERR_NOMEM;
		manifest_warn(c, n, path,
		              "the \"%s\" variable is not set: defaulting to a blank string",
		              unset->v[i]);
	}
	return 0;
}

int manifest_string(struct manifest_ctx *c, char **out, const struct mnode *n, const char *path)
{
	struct strv unset = { NULL, 0 };
	char msg[256];
	int rc;

	if (n->type == MNODE_SCALAR && mnode_is_null(n)) {
		manifest_error(c, n, path, "expected a string, got null");
		return ERR_INVALID;
	}
	if (manifest_expect(c, n, MNODE_SCALAR, path))
		return ERR_INVALID;
	msg[0] = '\0';
	rc = manifest_interpolate_track(out, c->used_vars, &unset, n->value, c->vars, msg,
	                                sizeof(msg));
	if (!rc)
		rc = warn_unset(c, n, path, &unset);
	strv_free(&unset);
	if (rc == ERR_NOMEM)
		return manifest_nomem(c);
	if (rc) {
		manifest_error(c, n, path, "%s", msg[0] ? msg : "invalid interpolation");
		return ERR_INVALID;
	}
	return 0;
}

int manifest_bool(struct manifest_ctx *c, bool *out, const struct mnode *n, const char *path)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	char *s = NULL, q[80];
	size_t i;
	int rc;

	if (n->type == MNODE_SCALAR && mnode_is_null(n)) {
		manifest_error(c, n, path, "expected true or false, got null");
		return ERR_INVALID;
	}
	rc = manifest_string(c, &s, n, path);
	if (rc)
		return rc;
	rc = ERR_INVALID;
	for (i = 0; i < 3; i++) {
		if (!strcmp(s, yes[i])) {
			*out = true;
			rc = 0;
		} else if (!strcmp(s, no[i])) {
			*out = false;
			rc = 0;
		}
	}
	/* YAML 1.1 booleans, which Compose v1 took: accepted, with a warning */
	if (rc && n->plain &&
	    (!strcasecmp(s, "yes") || !strcasecmp(s, "on") || !strcasecmp(s, "no") ||
	     !strcasecmp(s, "off"))) {
		*out = !strcasecmp(s, "yes") || !strcasecmp(s, "on");
		manifest_warn(c, n, path, "\"%s\" is a YAML 1.1 boolean: write %s", s,
		              *out ? "true" : "false");
		rc = 0;
	}
	if (rc)
		manifest_error(c, n, path, "expected true or false, got \"%s\"",
		               manifest_quote(q, sizeof(q), n));
	free(s);
	return rc;
}

int manifest_uint(struct manifest_ctx *c, uint64_t *out, const struct mnode *n, const char *path,
                  uint64_t max)
{
	char *s = NULL, *p, q[80];
	uint64_t v = 0;
	int rc;

	rc = manifest_string(c, &s, n, path);
	if (rc)
		return rc;
	rc = *s ? 0 : ERR_INVALID;
	for (p = s; *p && !rc; p++) {
		if (!isdigit((unsigned char)*p) || v > (max - (uint64_t)(*p - '0')) / 10)
			rc = ERR_INVALID;
		else
			v = v * 10 + (uint64_t)(*p - '0');
	}
	if (rc)
		manifest_error(c, n, path, "expected an integer from 0 to %llu, got \"%s\"",
		               (unsigned long long)max, manifest_quote(q, sizeof(q), n));
	else
		*out = v;
	free(s);
	return rc;
}

int manifest_duration(struct manifest_ctx *c, int64_t *out, const struct mnode *n, const char *path)
{
	char *s = NULL, q[80];
	int rc;

	rc = manifest_string(c, &s, n, path);
	if (rc)
		return rc;
	rc = manifest_parse_duration(out, s);
	if (rc) {
		manifest_error(c, n, path, "invalid duration \"%s\"",
		               manifest_quote(q, sizeof(q), n));
		rc = ERR_INVALID;
	}
	free(s);
	return rc;
}

/* One string of a list (or the one string), appended to the strv arg. */
static int string_item(struct manifest_ctx *c, void *arg, const struct mnode *n, const char *path)
{
	char *s = NULL;
	int rc = manifest_string(c, &s, n, path);

	if (!rc && strv_push(arg, s))
		rc = manifest_nomem(c);
	free(s);
	return rc;
}

int manifest_strings(struct manifest_ctx *c, struct strv *out, const struct mnode *n,
                     const char *path, bool allow_single)
{
	if (allow_single && n->type == MNODE_SCALAR && !mnode_is_null(n))
		return string_item(c, out, n, path);
	return manifest_each_item(c, n, path, string_item, out);
}

int manifest_note_from(struct manifest_ctx *c, const char *key, struct strv *used)
{
	struct buf b;
	size_t i;
	int rc = 0;

	if (!c->from) {
		strv_free(used);
		return 0;
	}
	buf_init(&b, 0);
	for (i = 0; i < used->n && rc == 0; i++)
		rc = buf_printf(&b, "%s%s", i ? "," : "", used->v[i]);
	if (rc == 0)
		rc = kvv_set(c->from, key, b.ptr);
	buf_release(&b);
	strv_free(used);
	return rc ? manifest_nomem(c) : 0;
}

/* manifest_string(), with the variables it used in *used when c->from is set. */
static int string_from(struct manifest_ctx *c, char **out, struct strv *used, const struct mnode *n,
                       const char *path)
{
	struct strv *outer = c->used_vars;
	int rc;

	c->used_vars = c->from ? used : outer;
	rc = manifest_string(c, out, n, path);
	c->used_vars = outer;
	return rc;
}

/* key: value of a pairs mapping (null: "") into the kvv arg. */
static int pair_entry(struct manifest_ctx *c, void *arg, const struct mnode *key,
                      const struct mnode *v, const char *path)
{
	struct strv used = { 0 };
	char *s = NULL;
	int rc;

	if (mnode_is_null(v))
		rc = kvv_set(arg, key->value, "") ? manifest_nomem(c) : 0;
	else
		rc = string_from(c, &s, &used, v, path);
	if (!rc && s && kvv_set(arg, key->value, s))
		rc = manifest_nomem(c);
	if (!rc)
		rc = manifest_note_from(c, key->value, &used);
	strv_free(&used);
	free(s);
	return rc;
}

/* "key=value" ("key" alone: "") of a pairs list into the kvv arg. */
static int pair_item(struct manifest_ctx *c, void *arg, const struct mnode *n, const char *path)
{
	struct strv used = { 0 };
	char *s = NULL, *eq;
	int rc = string_from(c, &s, &used, n, path);

	if (!rc) {
		eq = strchr(s, '=');
		if (eq)
			*eq = '\0';
		if (!*s) {
			manifest_error(c, n, path, "empty key");
			rc = ERR_INVALID;
		} else if (kvv_set(arg, s, eq ? eq + 1 : "")) {
			rc = manifest_nomem(c);
		} else {
			rc = manifest_note_from(c, s, &used);
		}
	}
	strv_free(&used);
	free(s);
	return rc;
}

int manifest_pairs(struct manifest_ctx *c, struct kvv *out, const struct mnode *n, const char *path)
{
	return manifest_each(c, n, path, pair_entry, pair_item, out);
}

int manifest_ref_add(struct manifest_ctx *c, enum manifest_ref_kind kind, const char *service,
                     const char *name, const char *path, const struct mnode *n)
{
	struct manifest_ref *r, *nr;

	nr = realloc(c->refs, (c->nrefs + 1) * sizeof(*nr));
	if (!nr)
		return manifest_nomem(c);
	c->refs = nr;
	r = &c->refs[c->nrefs];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->service = strdup(service);
	r->name = name ? strdup(name) : NULL;
	r->path = strdup(path);
	r->loc.file = n->file;
	r->loc.line = n->line;
	r->loc.col = n->col;
	c->nrefs++;
	if (!r->service || !r->path || (name && !r->name))
		return manifest_nomem(c);
	return 0;
}

bool manifest_name_ok(const char *name)
{
	size_t i;

	if (!isalnum((unsigned char)name[0]))
		return false;
	for (i = 1; name[i]; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
			return false;
	return i <= 128;
}

int manifest_set_string(struct manifest_ctx *c, char **dst, const struct mnode *v, const char *path)
{
	char *s = NULL;
	int rc = manifest_string(c, &s, v, path);

	if (rc)
		return rc;
	free(*dst);
	*dst = s;
	return 0;
}

int manifest_int(struct manifest_ctx *c, int64_t *out, const struct mnode *v, const char *path,
                 int64_t min, int64_t max)
{
	char *s = NULL, *end, q[80];
	long long x;
	int rc = manifest_string(c, &s, v, path);

	if (rc)
		return rc;
	x = strtoll(s, &end, 10);
	if (!*s || *end || x < min || x > max || (!isdigit((unsigned char)*s) && *s != '-')) {
		manifest_error(c, v, path, "expected an integer from %lld to %lld, got \"%s\"",
		               (long long)min, (long long)max, manifest_quote(q, sizeof(q), v));
		rc = ERR_INVALID;
	} else {
		*out = x;
	}
	free(s);
	return rc;
}

int manifest_bytes(struct manifest_ctx *c, int64_t *out, const struct mnode *v, const char *path)
{
	char *s = NULL, q[80];
	int rc = manifest_string(c, &s, v, path);

	if (rc)
		return rc;
	if (manifest_parse_bytes(out, s)) {
		manifest_error(c, v, path, "invalid size \"%s\"", manifest_quote(q, sizeof(q), v));
		rc = ERR_INVALID;
	}
	free(s);
	return rc;
}

int manifest_agree(struct manifest_ctx *c, int64_t *dst, int64_t n, const struct mnode *v,
                   const char *path, const char *other)
{
	if (*dst && *dst != n) {
		manifest_error(c, v, path, "differs from %s", other);
		return ERR_INVALID;
	}
	*dst = n;
	return 0;
}
