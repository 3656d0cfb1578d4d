/*
 * manifest_render_tree.c - the node tree that `deployctl config` prints:
 * new scalars, mappings and sequences put under a key (strings, numbers,
 * booleans, lists, durations, pairs), then the tree printed as block YAML
 * (quoted only where a plain scalar would read back differently) or as
 * JSON. It knows nothing of the model: manifest_render.c and
 * manifest_render_keys.c above it do.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deployctl/buf.h"
#include "deployctl/hash.h"
#include "deployctl/model_secret.h"
#include "manifest_internal.h"

/* ---- building the tree ---- */

/* A new scalar; plain means printed bare (numbers, booleans, null). NULL when out of memory. */
struct mnode *manifest_render_scalar(struct manifest_render *r, const char *v, bool plain)
{
	struct mnode *n = calloc(1, sizeof(*n));

	if (n)
		n->value = mnode_value_new(v, strlen(v));
	if (!n || !n->value) {
		free(n);
		r->nomem = true;
		return NULL;
	}
	n->plain = plain;
	return n;
}

struct mnode *manifest_render_node(struct manifest_render *r, enum mnode_type type)
{
	struct mnode *n = calloc(1, sizeof(*n));

	if (!n)
		r->nomem = true;
	else
		n->type = type;
	return n;
}

/* Append val (taken, may be NULL after a failure) to seq, or under key to a map. */
struct mnode *manifest_render_put(struct manifest_render *r, struct mnode *parent, const char *key,
                                  struct mnode *val)
{
	struct mnode **ni, **nk = NULL, *k = NULL;

	if (!parent || !val)
		goto fail;
	if (key && !(k = manifest_render_scalar(r, key, false)))
		goto fail;
	ni = realloc(parent->items, (parent->n + 1) * sizeof(*ni));
	if (!ni)
		goto fail;
	parent->items = ni;
	if (key) {
		nk = realloc(parent->keys, (parent->n + 1) * sizeof(*nk));
		if (!nk)
			goto fail;
		parent->keys = nk;
		nk[parent->n] = k;
	}
	ni[parent->n++] = val;
	return val;
fail:
	r->nomem = true;
	mnode_free(k);
	mnode_free(val);
	return NULL;
}

struct mnode *manifest_render_str(struct manifest_render *r, struct mnode *map, const char *key,
                                  const char *v)
{
	struct mnode *n;
	struct buf b;
	const char *p;

	if (!v)
		return NULL;
	if (!strchr(v, '$'))
		return manifest_render_put(r, map, key, manifest_render_scalar(r, v, false));
	/* "$" is written "$$", so the printed project reads back as the same values */
	buf_init(&b, 0);
	for (p = v; *p; p++)
		if ((*p == '$' && buf_putc(&b, '$')) || buf_putc(&b, *p))
			r->nomem = true;
	n = r->nomem ? NULL : manifest_render_scalar(r, b.ptr, false);
	buf_release(&b);
	return manifest_render_put(r, map, key, n);
}

struct mnode *manifest_render_num(struct manifest_render *r, struct mnode *map, const char *key,
                                  int64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%" PRId64, v);
	return manifest_render_put(r, map, key, manifest_render_scalar(r, num, true));
}

struct mnode *manifest_render_bool(struct manifest_render *r, struct mnode *map, const char *key,
                                   bool v)
{
	return manifest_render_put(r, map, key,
	                           manifest_render_scalar(r, v ? "true" : "false", true));
}

struct mnode *manifest_render_map(struct manifest_render *r, struct mnode *parent, const char *key)
{
	return manifest_render_put(r, parent, key, manifest_render_node(r, MNODE_MAP));
}

struct mnode *manifest_render_seq(struct manifest_render *r, struct mnode *parent, const char *key)
{
	return manifest_render_put(r, parent, key, manifest_render_node(r, MNODE_SEQ));
}

void manifest_render_list(struct manifest_render *r, struct mnode *map, const char *key,
                          const struct strv *v, bool always)
{
	struct mnode *seq;
	size_t i;

	if (!v->n && !always)
		return;
	seq = manifest_render_seq(r, map, key);
	for (i = 0; seq && i < v->n; i++)
		manifest_render_str(r, seq, NULL, v->v[i]);
}

/* Nanoseconds as a Compose duration: "1m30s", "500ms", "0s". */
void manifest_render_duration(struct manifest_render *r, struct mnode *map, const char *key,
                              int64_t ns)
{
	static const struct {
		const char *unit;
		int64_t ns;
	} units[] = { { "h", 3600000000000LL }, { "m", 60000000000LL }, { "s", 1000000000LL },
		      { "ms", 1000000LL },      { "us", 1000LL },       { "ns", 1 } };
	char text[96];
	size_t i, len = 0;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ns < units[i].ns)
			continue;
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%" PRId64 "%s",
		                        ns / units[i].ns, units[i].unit);
		ns %= units[i].ns;
	}
	if (!len)
		snprintf(text, sizeof(text), "0s");
	manifest_render_str(r, map, key, text);
}

void manifest_render_pairs(struct manifest_render *r, struct mnode *map, const char *key,
                           const struct kvv *v)
{
	struct mnode *m;
	size_t i;

	if (!v->n)
		return;
	m = manifest_render_map(r, map, key);
	for (i = 0; m && i < v->n; i++)
		manifest_render_str(r, m, v->v[i].key, v->v[i].value);
}

/* ---- printing the tree ---- */

static bool yaml_word(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcasecmp(s, *words))
			return true;
	return false;
}

/* Could s be written bare and still read back as this string (not a number, bool or null)? */
static bool yaml_plain_ok(const char *s)
{
	static const char *const words[] = { "true", "false", "yes", "no",   "on",   "off", "y",
		                             "n",    "null",  "~",   ".inf", ".nan", NULL };
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                           "0123456789_./=+@:-$";
	char *end;
	size_t len = strlen(s);

	if (!len || strspn(s, safe) != len || strchr("-:@$", s[0]) || s[len - 1] == ':')
		return false;
	if (yaml_word(s, words) || strspn(s, "0123456789:._+-") == len)
		return false;
	(void)strtod(s, &end);
	return *end != '\0' && strncasecmp(s, "0x", 2) && strncasecmp(s, "0o", 2);
}

static int put_quoted(struct buf *b, const char *s, bool json)
{
	const unsigned char *p;
	int rc = buf_putc(b, '"');

	for (p = (const unsigned char *)s; *p && !rc; p++) {
		if (*p == '"' || *p == '\\')
			rc = buf_printf(b, "\\%c", *p);
		else if (*p == '\n')
			rc = buf_puts(b, "\\n");
		else if (*p == '\t')
			rc = buf_puts(b, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			rc = buf_printf(b, json ? "\\u%04x" : "\\x%02x", *p);
		else
			rc = buf_putc(b, (char)*p);
	}
	return rc ? rc : buf_putc(b, '"');
}

static int yaml_scalar(struct buf *b, const struct mnode *n)
{
	if (n->plain || yaml_plain_ok(n->value))
		return buf_puts(b, n->value);
	return put_quoted(b, n->value, false);
}

static int yaml_seq(struct buf *b, const struct mnode *n, unsigned ind);

/* A value after "key:" or "-", its children at column ind. */
static int yaml_value(struct buf *b, const struct mnode *n, unsigned ind)
{
	int rc;

	if (n->type == MNODE_SCALAR)
		return buf_putc(b, ' ') || yaml_scalar(b, n) || buf_putc(b, '\n') ? ERR_NOMEM : 0;
	if (!n->n)
		return buf_puts(b, n->type == MNODE_MAP ? " {}\n" : " []\n");
	rc = buf_putc(b, '\n');
	if (rc)
		return rc;
	return n->type == MNODE_MAP ? manifest_print_yaml_map(b, n, ind, false)
	                            : yaml_seq(b, n, ind);
}

int manifest_print_yaml_map(struct buf *b, const struct mnode *n, unsigned ind, bool inline_first)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n->n && !rc; i++) {
		if (i || !inline_first)
			rc = buf_printf(b, "%*s", (int)ind, "");
		if (!rc)
			rc = yaml_scalar(b, n->keys[i]);
		if (!rc)
			rc = buf_putc(b, ':');
		if (!rc)
			rc = yaml_value(b, n->items[i], ind + 2);
	}
	return rc;
}

static int yaml_seq(struct buf *b, const struct mnode *n, unsigned ind)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n->n && !rc; i++) {
		const struct mnode *it = n->items[i];

		rc = buf_printf(b, "%*s-", (int)ind, "");
		if (rc)
			break;
		if (it->type == MNODE_MAP && it->n)
			rc = buf_putc(b, ' ') ? ERR_NOMEM
			                      : manifest_print_yaml_map(b, it, ind + 2, true);
		else
			rc = yaml_value(b, it, ind + 2);
	}
	return rc;
}

int manifest_print_json_node(struct buf *b, const struct mnode *n, unsigned ind)
{
	size_t i;
	int rc;

	if (n->type == MNODE_SCALAR)
		return n->plain ? buf_puts(b, n->value) : put_quoted(b, n->value, true);
	if (!n->n)
		return buf_puts(b, n->type == MNODE_MAP ? "{}" : "[]");
	rc = buf_puts(b, n->type == MNODE_MAP ? "{\n" : "[\n");
	for (i = 0; i < n->n && !rc; i++) {
		rc = buf_printf(b, "%*s", (int)ind + 2, "");
		if (!rc && n->type == MNODE_MAP)
			rc = put_quoted(b, n->keys[i]->value, true) || buf_puts(b, ": ") ? ERR_NOMEM
			                                                                 : 0;
		if (!rc)
			rc = manifest_print_json_node(b, n->items[i], ind + 2);
		if (!rc)
			rc = buf_puts(b, i + 1 < n->n ? ",\n" : "\n");
	}
	if (!rc)
		rc = buf_printf(b, "%*s%c", (int)ind, "", n->type == MNODE_MAP ? '}' : ']');
	return rc;
}
