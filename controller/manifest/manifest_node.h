/*
 * manifest_node.h - internal to the manifest module: a YAML document as a
 * tree of nodes with positions, built from libyaml events by
 * manifest_parse.c. Aliases are expanded (deep copies that share their
 * scalars' storage, bounded by MNODE_MAX_NODES nodes and MNODE_MAX_EXPANDED
 * scalar bytes against "billion laughs"), merge keys (<<: *a and
 * <<: [*a, *b]) are applied (explicit keys win, earlier sources win), and
 * duplicate keys in one mapping are an error.
 */
#ifndef DEPLOYCTL_MANIFEST_NODE_H
#define DEPLOYCTL_MANIFEST_NODE_H

#include <stdbool.h>
#include <stddef.h>

#include "deployctl/err.h"

#define MNODE_MAX_NODES 200000
#define MNODE_MAX_DEPTH 64
/*
 * Scalar bytes (keys and values) that aliases and merge keys may add to one
 * document: what the rest of the loader would copy, however little the
 * shared storage costs here.
 */
#define MNODE_MAX_EXPANDED (16u << 20)

enum mnode_type { MNODE_SCALAR = 0, MNODE_SEQ, MNODE_MAP };

/* Compose's merge tags: !reset drops the value merged so far, !override replaces it whole. */
enum mnode_tag { MNODE_TAG_NONE = 0, MNODE_TAG_RESET, MNODE_TAG_OVERRIDE };

struct mnode {
	enum mnode_type type;
	const char *file; /* borrowed from the caller of mnode_parse() */
	unsigned line;    /* 1-based */
	unsigned col;     /* 1-based */
	/* MNODE_SCALAR */
	char *value; /* never NULL for a scalar; from mnode_value_new(), may be shared */
	bool plain;  /* unquoted (so null/true/numbers are recognised) */
	enum mnode_tag tag;
	/* MNODE_SEQ: items[0..n); MNODE_MAP: keys[i] -> items[i], keys are scalars */
	struct mnode **keys;
	struct mnode **items;
	size_t n;
};

/*
 * Parse the one document of text. *out is new (mnode_free()), or NULL for
 * an empty document. file is borrowed and must outlive the tree. A YAML
 * syntax error stops at the first one: ERR_INVALID with file:line:col; so
 * does a second document (a file read for extends holds one).
 */
int mnode_parse(struct mnode **out, const char *file, const char *text, size_t len,
                struct err *err);
/*
 * Every document of text, in order: *docs is a new array of *n trees
 * (empty documents left out; free each with mnode_free() and the array).
 */
int mnode_parse_docs(struct mnode ***docs, size_t *n, const char *file, const char *text,
                     size_t len, struct err *err);
void mnode_free(struct mnode *n);

/*
 * Scalar storage: a new value holding s[0..len) (NULL when out of memory),
 * and one more holder of a value (returns it). mnode_free() drops a holder;
 * a value is never changed once made.
 */
char *mnode_value_new(const char *s, size_t len);
char *mnode_value_ref(char *value);
/* Bytes of every scalar (keys and values) in the tree n, however shared. */
size_t mnode_scalar_bytes(const struct mnode *n);

/* Borrowed value of key in a mapping, or NULL (also when n is not a map). */
const struct mnode *mnode_get(const struct mnode *n, const char *key);
/* An unquoted "", "~", "null", "Null" or "NULL" scalar. */
bool mnode_is_null(const struct mnode *n);
/* "scalar", "sequence" or "mapping", for messages. */
const char *mnode_type_name(const struct mnode *n);

#endif
