/*
 * manifest_parse.c - libyaml events to the mnode tree (manifest_node.h):
 * positions from event marks, aliases expanded as bounded deep copies,
 * merge keys applied, duplicate keys rejected. The only file that includes
 * <yaml.h>.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "deployctl/err.h"
#include "deployctl/source.h"
#include "manifest_node.h"

struct anchor {
	char *name;
	const struct mnode *node; /* borrowed: lives in the tree or in orphans */
};

struct pctx {
	yaml_parser_t parser;
	const char *file;
	const char *text; /* the input, for positions of reader errors */
	size_t len;
	struct err *err;
	size_t nodes;    /* every node allocated, copies included */
	size_t expanded; /* scalar bytes added by aliases and merge keys */
	struct anchor *anchors;
	size_t nanchors;
	/* merge sources: kept until the end, since anchors may point into them */
	struct mnode **orphans;
	size_t norphans;
};

/* One key/value candidate of a mapping being built. */
struct ment {
	const char *key;
	size_t order;
	struct mnode *k;
	struct mnode *v;
	bool merged;
	bool drop; /* shadowed by an earlier pair with the same key */
};

static int parse_node(struct pctx *c, struct mnode **out, yaml_event_t *ev, unsigned depth);

static int node_new(struct pctx *c, struct mnode **out, enum mnode_type type, unsigned line,
                    unsigned col)
{
	struct mnode *n;

	if (c->nodes >= MNODE_MAX_NODES)
		return err_set_at(c->err, ERR_INVALID, c->file, line, col,
		                  "document has more than %d nodes (alias expansion?)",
		                  MNODE_MAX_NODES);
	n = calloc(1, sizeof(*n));
	if (!n)
		return err_set(c->err, ERR_NOMEM, "out of memory");
	c->nodes++;
	n->type = type;
	n->file = c->file;
	n->line = line;
	n->col = col;
	*out = n;
	return 0;
}

/* Append child (and key, for maps); takes both even on failure. */
static int node_append(struct pctx *c, struct mnode *n, struct mnode *key, struct mnode *child)
{
	struct mnode **items, **keys;

	items = realloc(n->items, (n->n + 1) * sizeof(*items));
	if (!items)
		goto nomem;
	n->items = items;
	if (n->type == MNODE_MAP) {
		keys = realloc(n->keys, (n->n + 1) * sizeof(*keys));
		if (!keys)
			goto nomem;
		n->keys = keys;
		n->keys[n->n] = key;
	}
	n->items[n->n++] = child;
	return 0;
nomem:
	mnode_free(key);
	mnode_free(child);
	return err_set(c->err, ERR_NOMEM, "out of memory");
}

/* 1-based line and column (in characters, as libyaml's marks) of byte off of text. */
static void text_mark(const char *text, size_t off, unsigned *line, unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static int syntax_error(struct pctx *c)
{
	const yaml_parser_t *p = &c->parser;
	unsigned line, col;

	if (p->error == YAML_MEMORY_ERROR)
		return err_set(c->err, ERR_NOMEM, "out of memory parsing YAML");
	/* the reader (encoding) stage has no mark, only a byte offset */
	if (p->error == YAML_READER_ERROR) {
		text_mark(c->text, p->problem_offset < c->len ? p->problem_offset : c->len, &line,
		          &col);
		return err_set_at(c->err, ERR_INVALID, c->file, line, col, "%s at byte %zu",
		                  p->problem ? p->problem : "cannot read input", p->problem_offset);
	}
	if (p->context)
		return err_set_at(c->err, ERR_INVALID, c->file, (unsigned)p->problem_mark.line + 1,
		                  (unsigned)p->problem_mark.column + 1, "%s %s",
		                  p->problem ? p->problem : "YAML syntax error", p->context);
	return err_set_at(c->err, ERR_INVALID, c->file, (unsigned)p->problem_mark.line + 1,
	                  (unsigned)p->problem_mark.column + 1, "%s",
	                  p->problem ? p->problem : "YAML syntax error");
}

static int next_event(struct pctx *c, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&c->parser, ev))
		return syntax_error(c);
	return 0;
}

/*
 * Deep copy of src for alias (its name, or NULL for a merge key) at
 * line:col, counted against MNODE_MAX_NODES and MNODE_MAX_EXPANDED; depth
 * bounds nesting. Scalars share their storage with the original.
 */
static int node_copy(struct pctx *c, struct mnode **out, const struct mnode *src, const char *alias,
                     unsigned depth, unsigned line, unsigned col)
{
	struct mnode *n = NULL, *k = NULL, *v = NULL;
	size_t i;
	int rc;

	if (depth > MNODE_MAX_DEPTH)
		return err_set_at(c->err, ERR_INVALID, c->file, line, col,
		                  "nesting deeper than %d levels", MNODE_MAX_DEPTH);
	/* blame the alias, not the anchored original */
	if (c->nodes >= MNODE_MAX_NODES)
		return err_set_at(c->err, ERR_INVALID, c->file, line, col,
		                  "document has more than %d nodes (alias expansion?)",
		                  MNODE_MAX_NODES);
	rc = node_new(c, &n, src->type, src->line, src->col);
	if (rc)
		return rc;
	n->plain = src->plain;
	if (src->type == MNODE_SCALAR) {
		size_t len = mnode_scalar_bytes(src);

		if (len > MNODE_MAX_EXPANDED - c->expanded) {
			if (alias)
				rc = err_set_at(c->err, ERR_INVALID, c->file, line, col,
				                "alias '*%s' expands the document beyond %u MiB of "
				                "scalars",
				                alias, MNODE_MAX_EXPANDED >> 20);
			else
				rc = err_set_at(
				        c->err, ERR_INVALID, c->file, line, col,
				        "merge key '<<' expands the document beyond %u MiB of "
				        "scalars",
				        MNODE_MAX_EXPANDED >> 20);
			goto out;
		}
		c->expanded += len;
		n->value = mnode_value_ref(src->value);
	}
	for (i = 0; i < src->n; i++) {
		if (src->type == MNODE_MAP) {
			rc = node_copy(c, &k, src->keys[i], alias, depth + 1, line, col);
			if (rc)
				goto out;
		}
		rc = node_copy(c, &v, src->items[i], alias, depth + 1, line, col);
		if (rc)
			goto out;
		rc = node_append(c, n, k, v);
		k = v = NULL;
		if (rc)
			goto out;
	}
	*out = n;
	n = NULL;
	rc = 0;
out:
	mnode_free(k);
	mnode_free(v);
	mnode_free(n);
	return rc;
}

static int anchor_add(struct pctx *c, const char *name, const struct mnode *node)
{
	struct anchor *a;
	char *copy = strdup(name);

	if (!copy)
		return err_set(c->err, ERR_NOMEM, "out of memory");
	a = realloc(c->anchors, (c->nanchors + 1) * sizeof(*a));
	if (!a) {
		free(copy);
		return err_set(c->err, ERR_NOMEM, "out of memory");
	}
	c->anchors = a;
	a[c->nanchors].name = copy;
	a[c->nanchors].node = node;
	c->nanchors++;
	return 0;
}

static int alias_expand(struct pctx *c, struct mnode **out, const char *name, unsigned depth,
                        unsigned line, unsigned col)
{
	size_t i;

	/* the latest definition of a name wins, as anchors may be redefined */
	for (i = c->nanchors; i-- > 0;)
		if (!strcmp(c->anchors[i].name, name))
			return node_copy(c, out, c->anchors[i].node, name, depth, line, col);
	return err_set_at(c->err, ERR_INVALID, c->file, line, col, "unknown anchor '%s'", name);
}

static int orphan_add(struct pctx *c, struct mnode *n)
{
	struct mnode **o = realloc(c->orphans, (c->norphans + 1) * sizeof(*o));

	if (!o) {
		mnode_free(n);
		return err_set(c->err, ERR_NOMEM, "out of memory");
	}
	c->orphans = o;
	o[c->norphans++] = n;
	return 0;
}

static bool is_merge_key(const struct mnode *k)
{
	return k->plain && !strcmp(k->value, "<<");
}

static int ment_cmp(const void *a, const void *b)
{
	const struct ment *x = a, *y = b;
	int r = strcmp(x->key, y->key);

	if (r)
		return r;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int ment_order_cmp(const void *a, const void *b)
{
	const struct ment *x = a, *y = b;

	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Build n's final key list from its explicit pairs (already in n) and the
 * merge sources: explicit keys win, then earlier sources; an explicit key
 * given twice is an error. Merged pairs are copies with their own positions.
 */
static int map_finish(struct pctx *c, struct mnode *n, struct mnode **srcs, size_t nsrcs,
                      unsigned depth)
{
	struct ment *e = NULL;
	struct mnode **keys = NULL, **items = NULL;
	size_t ne = 0, total = n->n, i, j, kept = 0, dup = SIZE_MAX, dupfirst = 0;
	int rc = 0;

	for (i = 0; i < nsrcs; i++)
		total += srcs[i]->n;
	if (!total)
		return 0;
	e = calloc(total, sizeof(*e));
	if (!e)
		return err_set(c->err, ERR_NOMEM, "out of memory");
	for (i = 0; i < n->n; i++, ne++)
		e[ne] = (struct ment){
			n->keys[i]->value, ne, n->keys[i], n->items[i], false, false
		};
	for (i = 0; i < nsrcs; i++)
		for (j = 0; j < srcs[i]->n; j++, ne++)
			e[ne] = (struct ment){ srcs[i]->keys[j]->value, ne,   srcs[i]->keys[j],
				               srcs[i]->items[j],       true, false };
	qsort(e, ne, sizeof(*e), ment_cmp);
	for (i = 0; i < ne; i++) {
		bool first = i == 0 || strcmp(e[i - 1].key, e[i].key);

		if (first) {
			kept++;
			continue;
		}
		/* e[i - 1] explicit too means e[i - 1] was the group's first */
		if (!e[i].merged && e[i].order < dup) {
			dup = e[i].order;
			dupfirst = i - 1;
		}
		e[i].drop = true;
	}
	if (dup != SIZE_MAX) {
		const struct mnode *second = NULL;

		for (i = 0; i < ne; i++)
			if (e[i].order == dup)
				second = e[i].k;
		rc = err_set_at(c->err, ERR_INVALID, c->file, second->line, second->col,
		                "duplicate key '%s' (first at line %u)", second->value,
		                e[dupfirst].k->line);
		goto out;
	}
	qsort(e, ne, sizeof(*e), ment_order_cmp);
	keys = calloc(kept, sizeof(*keys));
	items = calloc(kept, sizeof(*items));
	if (!keys || !items) {
		rc = err_set(c->err, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0, j = 0; i < ne; i++) {
		if (e[i].drop)
			continue;
		if (e[i].merged) {
			rc = node_copy(c, &keys[j], e[i].k, NULL, depth + 1, e[i].k->line,
			               e[i].k->col);
			if (!rc)
				rc = node_copy(c, &items[j], e[i].v, NULL, depth + 1, e[i].k->line,
				               e[i].k->col);
		} else {
			keys[j] = e[i].k;
			items[j] = e[i].v;
		}
		j++;
		if (rc)
			break;
	}
	if (rc) {
		/* free only the copies; explicit pairs still belong to n */
		for (i = 0, j = 0; i < ne && j < kept; i++) {
			if (e[i].drop)
				continue;
			if (e[i].merged) {
				mnode_free(keys[j]);
				mnode_free(items[j]);
			}
			j++;
		}
		goto out;
	}
	free(n->keys);
	free(n->items);
	n->keys = keys;
	n->items = items;
	n->n = kept;
	keys = items = NULL;
out:
	free(keys);
	free(items);
	free(e);
	return rc;
}

/* Record the merge sources in a "<<" value (a mapping or a list of them). */
static int merge_sources(struct pctx *c, struct mnode ***srcs, size_t *nsrcs, struct mnode *val)
{
	struct mnode **s;
	size_t i, add = val->type == MNODE_SEQ ? val->n : 1;

	if (val->type == MNODE_SCALAR)
		return err_set_at(c->err, ERR_INVALID, c->file, val->line, val->col,
		                  "merge key '<<' needs a mapping or a sequence of mappings");
	for (i = 0; val->type == MNODE_SEQ && i < val->n; i++)
		if (val->items[i]->type != MNODE_MAP)
			return err_set_at(
			        c->err, ERR_INVALID, c->file, val->items[i]->line,
			        val->items[i]->col,
			        "merge key '<<' needs a mapping or a sequence of mappings");
	s = realloc(*srcs, (*nsrcs + add) * sizeof(*s));
	if (!s)
		return err_set(c->err, ERR_NOMEM, "out of memory");
	*srcs = s;
	if (val->type == MNODE_MAP)
		s[(*nsrcs)++] = val;
	else
		for (i = 0; i < val->n; i++)
			s[(*nsrcs)++] = val->items[i];
	return 0;
}

static int parse_map(struct pctx *c, struct mnode *n, unsigned depth)
{
	yaml_event_t ev;
	struct mnode *key = NULL, *val = NULL, **srcs = NULL;
	size_t nsrcs = 0;
	int rc;

	for (;;) {
		rc = next_event(c, &ev);
		if (rc)
			goto out;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		rc = parse_node(c, &key, &ev, depth + 1);
		if (rc)
			goto out;
		if (key->type != MNODE_SCALAR) {
			rc = err_set_at(c->err, ERR_INVALID, c->file, key->line, key->col,
			                "mapping keys must be scalars, not a %s",
			                mnode_type_name(key));
			goto out;
		}
		rc = next_event(c, &ev);
		if (!rc)
			rc = parse_node(c, &val, &ev, depth + 1);
		if (rc)
			goto out;
		if (is_merge_key(key)) {
			rc = orphan_add(c, val);
			val = NULL;
			if (!rc)
				rc = merge_sources(c, &srcs, &nsrcs, c->orphans[c->norphans - 1]);
			mnode_free(key);
			key = NULL;
		} else {
			rc = node_append(c, n, key, val);
			key = val = NULL;
		}
		if (rc)
			goto out;
	}
	rc = map_finish(c, n, srcs, nsrcs, depth);
out:
	mnode_free(key);
	mnode_free(val);
	free(srcs);
	return rc;
}

static int parse_seq(struct pctx *c, struct mnode *n, unsigned depth)
{
	yaml_event_t ev;
	struct mnode *child = NULL;
	int rc;

	for (;;) {
		rc = next_event(c, &ev);
		if (rc)
			return rc;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		rc = parse_node(c, &child, &ev, depth + 1);
		if (!rc)
			rc = node_append(c, n, NULL, child);
		child = NULL;
		if (rc)
			return rc;
	}
}

static int scalar_fill(struct pctx *c, struct mnode *n, const yaml_event_t *ev)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	size_t len = ev->data.scalar.length;

	if (memchr(ev->data.scalar.value, '\0', len))
		return err_set_at(c->err, ERR_INVALID, c->file, n->line, n->col,
		                  "scalar contains a NUL character");
	n->value = mnode_value_new((const char *)ev->data.scalar.value, len);
	if (!n->value)
		return err_set(c->err, ERR_NOMEM, "out of memory");
	/* "!!str null" is a string, as if it had been quoted */
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	           !(tag && !strcmp(tag, YAML_STR_TAG));
	return 0;
}

/* The Compose merge tag on the node *ev starts (other tags are not ours). */
static enum mnode_tag tag_of(const yaml_event_t *ev)
{
	const yaml_char_t *t = ev->type == YAML_SCALAR_EVENT           ? ev->data.scalar.tag
	                       : ev->type == YAML_SEQUENCE_START_EVENT ? ev->data.sequence_start.tag
	                       : ev->type == YAML_MAPPING_START_EVENT  ? ev->data.mapping_start.tag
	                                                               : NULL;

	if (t && !strcmp((const char *)t, "!reset"))
		return MNODE_TAG_RESET;
	if (t && !strcmp((const char *)t, "!override"))
		return MNODE_TAG_OVERRIDE;
	return MNODE_TAG_NONE;
}

/* Build the node that starts with *ev; always deletes *ev. */
static int parse_node(struct pctx *c, struct mnode **out, yaml_event_t *ev, unsigned depth)
{
	unsigned line = (unsigned)ev->start_mark.line + 1,
	         col = (unsigned)ev->start_mark.column + 1;
	const yaml_char_t *anchor_name = NULL;
	char *anchor = NULL;
	struct mnode *n = NULL;
	int rc;

	if (depth > MNODE_MAX_DEPTH) {
		rc = err_set_at(c->err, ERR_INVALID, c->file, line, col,
		                "nesting deeper than %d levels", MNODE_MAX_DEPTH);
		goto out;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		rc = alias_expand(c, &n, (const char *)ev->data.alias.anchor, depth, line, col);
		goto out;
	case YAML_SCALAR_EVENT:
		anchor_name = ev->data.scalar.anchor;
		rc = node_new(c, &n, MNODE_SCALAR, line, col);
		if (!rc)
			rc = scalar_fill(c, n, ev);
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor_name = ev->data.sequence_start.anchor;
		rc = node_new(c, &n, MNODE_SEQ, line, col);
		break;
	case YAML_MAPPING_START_EVENT:
		anchor_name = ev->data.mapping_start.anchor;
		rc = node_new(c, &n, MNODE_MAP, line, col);
		break;
	default:
		rc = err_set_at(c->err, ERR_INVALID, c->file, line, col, "unexpected YAML event");
		break;
	}
	if (!rc)
		n->tag = tag_of(ev);
	if (!rc && anchor_name) {
		anchor = strdup((const char *)anchor_name);
		if (!anchor)
			rc = err_set(c->err, ERR_NOMEM, "out of memory");
	}
	yaml_event_delete(ev);
	if (rc)
		goto out;
	if (n->type == MNODE_SEQ)
		rc = parse_seq(c, n, depth);
	else if (n->type == MNODE_MAP)
		rc = parse_map(c, n, depth);
	/* registered once complete, so a node cannot alias itself */
	if (!rc && anchor)
		rc = anchor_add(c, anchor, n);
out:
	if (ev->type != YAML_NO_EVENT)
		yaml_event_delete(ev);
	free(anchor);
	if (rc) {
		mnode_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

static void pctx_release(struct pctx *c)
{
	size_t i;

	for (i = 0; i < c->nanchors; i++)
		free(c->anchors[i].name);
	free(c->anchors);
	for (i = 0; i < c->norphans; i++)
		mnode_free(c->orphans[i]);
	free(c->orphans);
	yaml_parser_delete(&c->parser);
}

/* Read the next event, which must be of type want (or alt, then *got_alt). */
static int expect_event(struct pctx *c, yaml_event_t *ev, yaml_event_type_t want,
                        yaml_event_type_t alt, bool *got_alt)
{
	yaml_mark_t mark;
	int rc = next_event(c, ev);

	if (rc)
		return rc;
	if (ev->type == want)
		return 0;
	if (got_alt && ev->type == alt) {
		*got_alt = true;
		return 0;
	}
	mark = ev->start_mark;
	yaml_event_delete(ev);
	return err_set_at(c->err, ERR_INVALID, c->file, (unsigned)mark.line + 1,
	                  (unsigned)mark.column + 1, "unexpected YAML event");
}

/*
 * libyaml takes a NUL byte for the end of the input and stops there without
 * a word: what follows would silently be missing. Refuse it where it is.
 */
static int refuse_nul(const char *file, const char *text, size_t len, struct err *err)
{
	const char *nul = memchr(text, '\0', len);
	unsigned line, col;

	if (!nul)
		return 0;
	text_mark(text, (size_t)(nul - text), &line, &col);
	return err_set_at(err, ERR_INVALID, file, line, col,
	                  "NUL byte (at byte %zu): a manifest is text, and YAML would stop "
	                  "reading here",
	                  (size_t)(nul - text));
}

int mnode_parse_docs(struct mnode ***docs, size_t *n, const char *file, const char *text,
                     size_t len, struct err *err)
{
	struct pctx c;
	yaml_event_t ev;
	struct mnode *root = NULL, **v = NULL, **grown;
	size_t nv = 0, i;
	bool end = false;
	int rc;

	memset(&c, 0, sizeof(c));
	c.file = file;
	c.text = text;
	c.len = len;
	c.err = err;
	if (len > SOURCE_MAX_FILE)
		return err_set_at(err, ERR_INVALID, file, 0, 0, "file is larger than %u bytes",
		                  SOURCE_MAX_FILE);
	rc = refuse_nul(file, text, len, err);
	if (rc)
		return rc;
	if (!yaml_parser_initialize(&c.parser))
		return err_set(err, ERR_NOMEM, "out of memory");
	yaml_parser_set_input_string(&c.parser, (const unsigned char *)text, len);

	rc = expect_event(&c, &ev, YAML_STREAM_START_EVENT, YAML_NO_EVENT, NULL);
	if (rc)
		goto out;
	yaml_event_delete(&ev);
	for (;;) {
		rc = expect_event(&c, &ev, YAML_DOCUMENT_START_EVENT, YAML_STREAM_END_EVENT, &end);
		if (rc)
			goto out;
		yaml_event_delete(&ev);
		if (end)
			break;
		rc = next_event(&c, &ev);
		if (!rc)
			rc = parse_node(&c, &root, &ev, 1);
		if (!rc)
			rc = expect_event(&c, &ev, YAML_DOCUMENT_END_EVENT, YAML_NO_EVENT, NULL);
		if (rc)
			goto out;
		yaml_event_delete(&ev);
		if (mnode_is_null(root)) {
			mnode_free(root);
			root = NULL;
			continue;
		}
		grown = realloc(v, (nv + 1) * sizeof(*v));
		if (!grown) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
		v = grown;
		v[nv++] = root;
		root = NULL;
	}
	*docs = v;
	*n = nv;
	v = NULL;
	nv = 0;
	rc = 0;
out:
	mnode_free(root);
	for (i = 0; i < nv; i++)
		mnode_free(v[i]);
	free(v);
	pctx_release(&c);
	return rc;
}

int mnode_parse(struct mnode **out, const char *file, const char *text, size_t len, struct err *err)
{
	struct mnode **docs = NULL;
	size_t n = 0, i;
	int rc = mnode_parse_docs(&docs, &n, file, text, len, err);

	if (rc)
		return rc;
	if (n > 1)
		rc = err_set_at(err, ERR_INVALID, file, docs[1]->line, docs[1]->col,
		                "a second YAML document: this file must hold one");
	else
		*out = n ? docs[0] : NULL;
	for (i = rc ? 0 : 1; i < n; i++)
		mnode_free(docs[i]);
	free(docs);
	return rc;
}
