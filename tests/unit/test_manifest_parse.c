/*
 * test_manifest_parse.c - the YAML node tree: positions, anchors, merge
 * keys, duplicate keys, syntax errors, alias bombs, empty documents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deployctl/buf.h"
#include "deployctl/err.h"
#include "deployctl/source.h"
#include "manifest_node.h"

static struct mnode *parse_ok(const char *text)
{
	struct err err = ERR_INIT;
	struct mnode *n = NULL;
	int rc = mnode_parse(&n, "t.yaml", text, strlen(text), &err);

	CHECK_INT(rc, 0);
	if (rc)
		fprintf(stderr, "unexpected error: %s\n", err.msg);
	return n;
}

static int parse_err(struct err *err, const char *text)
{
	struct mnode *n = (struct mnode *)1;
	int rc = mnode_parse(&n, "t.yaml", text, strlen(text), err);

	CHECK(n == (struct mnode *)1); /* untouched on failure */
	return rc;
}

static const char *sval(const struct mnode *n, const char *key)
{
	const struct mnode *v = mnode_get(n, key);

	return v && v->type == MNODE_SCALAR ? v->value : NULL;
}

static void test_manifest_parse__positions(void)
{
	struct mnode *root = parse_ok("services:\n"
	                              "  web:\n"
	                              "    image: nginx\n"
	                              "    ports:\n"
	                              "      - \"80:80\"\n"
	                              "      -   443\n");
	const struct mnode *web, *ports;

	if (!root)
		return;
	CHECK_INT(root->type, MNODE_MAP);
	CHECK_INT(root->line, 1);
	CHECK_INT(root->col, 1);
	CHECK_STR(root->file, "t.yaml");
	web = mnode_get(mnode_get(root, "services"), "web");
	CHECK(web != NULL);
	if (!web)
		goto out;
	CHECK_INT(web->type, MNODE_MAP);
	CHECK_INT(web->keys[0]->line, 3);
	CHECK_INT(web->keys[0]->col, 5);
	CHECK_INT(mnode_get(web, "image")->line, 3);
	CHECK_INT(mnode_get(web, "image")->col, 12);
	ports = mnode_get(web, "ports");
	CHECK_INT(ports->type, MNODE_SEQ);
	CHECK_INT(ports->n, 2);
	CHECK_INT(ports->items[0]->line, 5);
	CHECK_INT(ports->items[0]->col, 9);
	CHECK_STR(ports->items[0]->value, "80:80");
	CHECK_INT(ports->items[1]->line, 6);
	CHECK_INT(ports->items[1]->col, 11);
	CHECK(mnode_get(web, "nope") == NULL);
	CHECK(mnode_get(ports, "image") == NULL);
	CHECK_STR(mnode_type_name(ports), "sequence");
	CHECK_STR(mnode_type_name(web), "mapping");
	CHECK_STR(mnode_type_name(ports->items[0]), "scalar");
out:
	mnode_free(root);
}

static void test_manifest_parse__quoted_vs_plain(void)
{
	struct mnode *root = parse_ok("a: null\n"
	                              "b: \"null\"\n"
	                              "c: 'x'\n"
	                              "d: ~\n"
	                              "e:\n"
	                              "f: !!str null\n"
	                              "g: |\n"
	                              "  text\n");

	if (!root)
		return;
	CHECK(mnode_get(root, "a")->plain);
	CHECK(mnode_is_null(mnode_get(root, "a")));
	CHECK(!mnode_get(root, "b")->plain);
	CHECK(!mnode_is_null(mnode_get(root, "b")));
	CHECK_STR(sval(root, "b"), "null");
	CHECK(!mnode_get(root, "c")->plain);
	CHECK(mnode_is_null(mnode_get(root, "d")));
	CHECK(mnode_is_null(mnode_get(root, "e")));
	CHECK_STR(sval(root, "e"), "");
	CHECK(!mnode_is_null(mnode_get(root, "f")));
	CHECK(!mnode_get(root, "g")->plain);
	CHECK_STR(sval(root, "g"), "text\n");
	CHECK(!mnode_is_null(root));
	mnode_free(root);
}

static void test_manifest_parse__anchors_and_merge(void)
{
	struct mnode *root = parse_ok("x-base: &base\n"          /* 1 */
	                              "  image: nginx\n"         /* 2 */
	                              "  restart: always\n"      /* 3 */
	                              "x-more: &more\n"          /* 4 */
	                              "  restart: no\n"          /* 5 */
	                              "  user: root\n"           /* 6 */
	                              "  init: true\n"           /* 7 */
	                              "web:\n"                   /* 8 */
	                              "  <<: *base\n"            /* 9 */
	                              "  image: httpd\n"         /* 10 */
	                              "api:\n"                   /* 11 */
	                              "  <<: [*base, *more]\n"   /* 12 */
	                              "  init: false\n"          /* 13 */
	                              "copy: *base\n"            /* 14 */
	                              "inline:\n"                /* 15 */
	                              "  <<: {a: 1, image: x}\n" /* 16 */
	                              "  b: 2\n");               /* 17 */
	const struct mnode *web, *api, *copy, *inl;

	if (!root)
		return;
	web = mnode_get(root, "web");
	CHECK_INT(web->n, 2); /* no "<<" key left */
	CHECK(mnode_get(web, "<<") == NULL);
	CHECK_STR(sval(web, "image"), "httpd"); /* explicit wins */
	CHECK_INT(mnode_get(web, "image")->line, 10);
	CHECK_STR(sval(web, "restart"), "always");
	CHECK_INT(mnode_get(web, "restart")->line, 3); /* merged keep their place */
	CHECK_INT(mnode_get(web, "restart")->col, 12);

	api = mnode_get(root, "api");
	CHECK_INT(api->n, 4);
	CHECK_STR(sval(api, "image"), "nginx");
	CHECK_STR(sval(api, "restart"), "always"); /* earlier source wins */
	CHECK_STR(sval(api, "user"), "root");
	CHECK_STR(sval(api, "init"), "false");
	CHECK_INT(mnode_get(api, "user")->line, 6);

	copy = mnode_get(root, "copy");
	CHECK_INT(copy->type, MNODE_MAP);
	CHECK_INT(copy->n, 2);
	CHECK_STR(sval(copy, "image"), "nginx");
	CHECK_INT(copy->line, 1); /* the anchor starts the node */

	inl = mnode_get(root, "inline");
	CHECK_INT(inl->n, 3);
	CHECK_STR(sval(inl, "a"), "1");
	CHECK_STR(sval(inl, "image"), "x");
	CHECK_STR(sval(inl, "b"), "2");
	mnode_free(root);
}

static void test_manifest_parse__anchor_on_scalar_and_seq(void)
{
	struct mnode *root = parse_ok("a: &v hello\n"
	                              "b: *v\n"
	                              "c: &l [1, 2]\n"
	                              "d: *l\n"
	                              "e: &v again\n"
	                              "f: *v\n"
	                              "'<<': literal\n");

	if (!root)
		return;
	CHECK_STR(sval(root, "b"), "hello");
	CHECK_INT(mnode_get(root, "d")->type, MNODE_SEQ);
	CHECK_INT(mnode_get(root, "d")->n, 2);
	CHECK_STR(mnode_get(root, "d")->items[1]->value, "2");
	CHECK_STR(sval(root, "f"), "again");    /* redefined anchor */
	CHECK_STR(sval(root, "<<"), "literal"); /* a quoted "<<" is an ordinary key */
	mnode_free(root);
}

static void test_manifest_parse__merge_errors(void)
{
	struct err err = ERR_INIT;

	CHECK_INT(parse_err(&err, "a:\n  <<: 5\n"), ERR_INVALID);
	CHECK(strstr(err.msg, "merge key") != NULL);
	CHECK_INT(err.line, 2);
	CHECK_INT(err.col, 7);
	err_clear(&err);
	CHECK_INT(parse_err(&err, "a:\n  <<: [{x: 1}, 3]\n"), ERR_INVALID);
	CHECK(strstr(err.msg, "merge key") != NULL);
	CHECK_INT(err.col, 16);
	err_clear(&err);
	CHECK_INT(parse_err(&err, "a: *nope\n"), ERR_INVALID);
	CHECK_STR(err.msg, "unknown anchor 'nope'");
	CHECK_INT(err.line, 1);
	CHECK_INT(err.col, 4);
}

static void test_manifest_parse__duplicate_key(void)
{
	struct err err = ERR_INIT;
	char buf[600];

	CHECK_INT(parse_err(&err, "services:\n"
	                          "  web:\n"
	                          "    image: a\n"
	                          "    user: x\n"
	                          "    image: b\n"),
	          ERR_INVALID);
	CHECK_STR(err.msg, "duplicate key 'image' (first at line 3)");
	CHECK_INT(err.line, 5);
	CHECK_INT(err.col, 5);
	CHECK_STR(err_format(buf, sizeof(buf), &err),
	          "t.yaml:5:5: duplicate key 'image' (first at line 3)");
	/* a key that also comes from a merge is not a duplicate */
	err_clear(&err);
	{
		struct mnode *root = parse_ok("b: &b {k: 1}\nc: {<<: *b, k: 2}\n");

		CHECK_STR(sval(mnode_get(root, "c"), "k"), "2");
		mnode_free(root);
	}
}

static void test_manifest_parse__bad_keys(void)
{
	struct err err = ERR_INIT;

	CHECK_INT(parse_err(&err, "? [a, b]\n: 1\n"), ERR_INVALID);
	CHECK(strstr(err.msg, "keys must be scalars") != NULL);
	CHECK_INT(err.line, 1);
	CHECK_INT(err.col, 3);
}

static void test_manifest_parse__syntax_error(void)
{
	struct err err = ERR_INIT;

	CHECK_INT(parse_err(&err, "services:\n"
	                          "  web:\n"
	                          "    image: nginx\n"
	                          "   bad: [\n"),
	          ERR_INVALID);
	CHECK_STR(err.src, "t.yaml");
	CHECK_INT(err.line, 4);
	CHECK(err.col > 0);
	CHECK(err.msg[0] != '\0');
	err_clear(&err);
	CHECK_INT(parse_err(&err, "a: b: c\n"), ERR_INVALID);
	CHECK_INT(err.line, 1);
	CHECK_INT(err.col, 5);
	CHECK_STR(err.msg, "mapping values are not allowed in this context");
	err_clear(&err);
	CHECK_INT(parse_err(&err, "a: \"unterminated\n"), ERR_INVALID);
	CHECK(strstr(err.msg, "while scanning a quoted scalar") != NULL);
}

static void test_manifest_parse__bad_encoding(void)
{
	struct err err = ERR_INIT;

	CHECK_INT(parse_err(&err, "a: \xff\xfe\n"), ERR_INVALID);
	CHECK(strstr(err.msg, "byte 3") != NULL);
	CHECK_STR(err.src, "t.yaml");
	/* placed, though libyaml's reader gives only a byte offset */
	CHECK_INT(err.line, 1);
	CHECK_INT(err.col, 4);
	err = (struct err)ERR_INIT;
	CHECK_INT(parse_err(&err, "a: 1\nb: \xc3\xa9\xff\n"), ERR_INVALID);
	CHECK_INT(err.line, 2);
	CHECK_INT(err.col, 5);
}

/* Failures deep inside anchors and merges must not leak (valgrind). */
static void test_manifest_parse__error_paths(void)
{
	static const char *const bad[] = {
		"a: &a {x: 1}\nb: {<<: *a, y: 1, y: 2}\n",
		"a: &a {x: 1}\nb: {<<: [*a, {z: 1}], c: [1, *a]}\nc: [\n",
		"a: &a [1, 2]\nb: &b {k: *a}\nc: {<<: *b}\nd: {<<: *b, e: *nope}\n",
		"a: &a {x: 1}\nb:\n  <<: *a\n  ? {k: 1}\n  : v\n",
		"a: &a {x: {y: {z: 1}}}\nb: [[[[*a, *a]]]]\n\tc: 1\n",
	};
	struct err err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		CHECK_INT(parse_err(&err, bad[i]), ERR_INVALID);
		CHECK(err.line > 0);
	}
}

static void test_manifest_parse__alias_bomb(void)
{
	struct err err = ERR_INIT;
	const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	                   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	                   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	                   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	                   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	                   "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	                   "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";

	CHECK_INT(parse_err(&err, bomb), ERR_INVALID);
	CHECK(strstr(err.msg, "nodes") != NULL);
	CHECK_INT(err.line, 6);
}

/* "name: &name [*prev x 12]" for the 12^4 bomb below. */
static void bomb_line(struct buf *b, const char *name, const char *prev)
{
	int i;

	buf_printf(b, "%s: &%s [", name, name);
	for (i = 0; i < 12; i++)
		buf_printf(b, "%s*%s", i ? ", " : "", prev);
	buf_puts(b, "]\n");
}

/*
 * Few nodes, many bytes: one 1 MB scalar aliased 12^4 times is 20,736
 * nodes (under MNODE_MAX_NODES) but 20 GB once expanded. Refused at the
 * first alias that crosses MNODE_MAX_EXPANDED, before copying it.
 */
static void test_manifest_parse__alias_budget(void)
{
	struct err err = ERR_INIT;
	struct mnode *root;
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_puts(&b, "a: &a \"");
	for (i = 0; i < (1u << 20); i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "\"\n");
	bomb_line(&b, "b", "a"); /* 12 MiB: within the budget */
	bomb_line(&b, "c", "b"); /* the first *b crosses it */
	bomb_line(&b, "d", "c");
	bomb_line(&b, "e", "d");
	CHECK_INT(parse_err(&err, b.ptr), ERR_INVALID);
	CHECK_STR(err.src, "t.yaml");
	CHECK_INT(err.line, 3);
	CHECK_INT(err.col, 8);
	CHECK_STR(err.msg, "alias '*b' expands the document beyond 16 MiB of scalars");

	/* Within the budget, the copies are whole (and share the original's bytes). */
	buf_release(&b);
	buf_init(&b, 0);
	buf_puts(&b, "a: &a \"");
	for (i = 0; i < (1u << 20); i++)
		buf_putc(&b, 'y');
	buf_puts(&b, "\"\n");
	bomb_line(&b, "b", "a");
	root = parse_ok(b.ptr);
	if (root) {
		const struct mnode *seq = mnode_get(root, "b");

		CHECK(seq && seq->type == MNODE_SEQ && seq->n == 12);
		if (seq && seq->n == 12) {
			CHECK_INT(strlen(seq->items[11]->value), 1u << 20);
			CHECK_INT(seq->items[11]->line, 1); /* a copy keeps its original's place */
			CHECK(!strcmp(seq->items[11]->value, sval(root, "a")));
		}
	}
	mnode_free(root);

	/*
	 * Merge keys count too: each merge copies the anchored pairs again, so
	 * the third alias of 4 MiB is refused (aliases alone would be 12 MiB).
	 */
	buf_release(&b);
	buf_init(&b, 0);
	buf_puts(&b, "base: &m {k: \"");
	for (i = 0; i < (4u << 20) - 64; i++)
		buf_putc(&b, 'z');
	buf_puts(&b, "\"}\n");
	for (i = 0; i < 3; i++)
		buf_printf(&b, "m%zu: {<<: *m}\n", i);
	err = (struct err)ERR_INIT;
	CHECK_INT(parse_err(&err, b.ptr), ERR_INVALID);
	CHECK_INT(err.line, 4);
	CHECK_INT(err.col, 10);
	CHECK_STR(err.msg, "alias '*m' expands the document beyond 16 MiB of scalars");
	buf_release(&b);
}

/* libyaml ends the input at a NUL byte: what follows would silently be lost. */
static void test_manifest_parse__nul_byte(void)
{
	static const char text[] = "a: 1\nb: \xc3\xa9x\0y\nc: 2\n";
	struct err err = ERR_INIT;
	struct mnode *n = (struct mnode *)1;

	CHECK_INT(mnode_parse(&n, "t.yaml", text, sizeof(text) - 1, &err), ERR_INVALID);
	CHECK(n == (struct mnode *)1);
	CHECK_STR(err.src, "t.yaml");
	CHECK_INT(err.line, 2);
	CHECK_INT(err.col, 6); /* characters, not bytes: the e-acute is one column */
	CHECK_STR(err.msg,
	          "NUL byte (at byte 11): a manifest is text, and YAML would stop reading here");
	err = (struct err)ERR_INIT;
	CHECK_INT(mnode_parse(&n, "t.yaml", "\0", 1, &err), ERR_INVALID);
	CHECK_INT(err.line, 1);
	CHECK_INT(err.col, 1);
}

static void test_manifest_parse__too_deep(void)
{
	struct err err = ERR_INIT;
	struct buf b;
	int i;

	buf_init(&b, 0);
	for (i = 0; i < MNODE_MAX_DEPTH + 5; i++)
		buf_putc(&b, '[');
	for (i = 0; i < MNODE_MAX_DEPTH + 5; i++)
		buf_putc(&b, ']');
	CHECK_INT(parse_err(&err, b.ptr), ERR_INVALID);
	CHECK(strstr(err.msg, "nesting") != NULL);
	buf_release(&b);
}

static void test_manifest_parse__merge_tags(void)
{
	struct mnode *n = parse_ok("a: !reset []\nb: !override {x: 1}\nc: !reset null\nd: 1\n");

	CHECK_INT(mnode_get(n, "a")->tag, MNODE_TAG_RESET);
	CHECK_INT(mnode_get(n, "b")->tag, MNODE_TAG_OVERRIDE);
	CHECK_INT(mnode_get(n, "c")->tag, MNODE_TAG_RESET);
	CHECK_INT(mnode_get(n, "d")->tag, MNODE_TAG_NONE);
	mnode_free(n);
}

static void test_manifest_parse__empty_and_multidoc(void)
{
	struct err err = ERR_INIT;
	struct mnode *n = (struct mnode *)1;

	CHECK_INT(mnode_parse(&n, "t.yaml", "", 0, &err), 0);
	CHECK(n == NULL);
	n = (struct mnode *)1;
	CHECK_INT(mnode_parse(&n, "t.yaml", "# only a comment\n", 17, &err), 0);
	CHECK(n == NULL);
	n = (struct mnode *)1;
	CHECK_INT(mnode_parse(&n, "t.yaml", "---\n", 4, &err), 0);
	CHECK(n == NULL);
	/* A second document is never silently dropped: refused here, returned by _docs. */
	n = NULL;
	CHECK_INT(mnode_parse(&n, "t.yaml", "a: 1\n---\nb: 2\n", 14, &err), ERR_INVALID);
	CHECK(n == NULL);
	CHECK_STR(err.msg, "a second YAML document: this file must hold one");
	CHECK_INT(err.line, 3);
	{
		struct mnode **docs = NULL;
		size_t nd = 0;

		CHECK_INT(
		        mnode_parse_docs(&docs, &nd, "t.yaml", "a: 1\n---\n---\nb: 2\n", 18, &err),
		        0);
		CHECK_INT(nd, 2);
		if (nd == 2) {
			CHECK(mnode_get(docs[0], "a") != NULL);
			CHECK(mnode_get(docs[1], "b") != NULL);
			mnode_free(docs[0]);
			mnode_free(docs[1]);
		}
		free(docs);
	}
	n = parse_ok("- 1\n");
	CHECK_INT(n->type, MNODE_SEQ);
	mnode_free(n);
	CHECK(!mnode_is_null(NULL));
	CHECK_STR(mnode_type_name(NULL), "null");
}

static void test_manifest_parse__too_large(void)
{
	struct err err = ERR_INIT;
	struct mnode *n = NULL;

	CHECK_INT(mnode_parse(&n, "t.yaml", "a: 1\n", (size_t)SOURCE_MAX_FILE + 1, &err),
	          ERR_INVALID);
	CHECK(strstr(err.msg, "larger") != NULL);
	CHECK(n == NULL);
}

int main(void)
{
	RUN(test_manifest_parse__positions);
	RUN(test_manifest_parse__quoted_vs_plain);
	RUN(test_manifest_parse__anchors_and_merge);
	RUN(test_manifest_parse__anchor_on_scalar_and_seq);
	RUN(test_manifest_parse__merge_errors);
	RUN(test_manifest_parse__duplicate_key);
	RUN(test_manifest_parse__bad_keys);
	RUN(test_manifest_parse__syntax_error);
	RUN(test_manifest_parse__bad_encoding);
	RUN(test_manifest_parse__error_paths);
	RUN(test_manifest_parse__alias_bomb);
	RUN(test_manifest_parse__alias_budget);
	RUN(test_manifest_parse__nul_byte);
	RUN(test_manifest_parse__too_deep);
	RUN(test_manifest_parse__merge_tags);
	RUN(test_manifest_parse__empty_and_multidoc);
	RUN(test_manifest_parse__too_large);
	return CHECK_DONE();
}
