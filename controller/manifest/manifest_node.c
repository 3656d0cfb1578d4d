/*
 * manifest_node.c - the mnode tree (manifest_node.h) itself: scalar
 * storage shared by the copies aliases make (reference counted, its length
 * kept), freeing, lookup of a mapping's key, null and type names. Building
 * it from YAML is manifest_parse.c, the only file that sees libyaml.
 */
#include "manifest_node.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/err.h"
#include "deployctl/source.h"

/* A scalar's storage, shared by the copies that aliases make. */
struct mvalue {
	size_t refs;
	size_t len;
	char s[];
};

static struct mvalue *mvalue_of(char *value)
{
	return (struct mvalue *)(void *)(value - offsetof(struct mvalue, s));
}

char *mnode_value_new(const char *s, size_t len)
{
	struct mvalue *v;

	if (len > SIZE_MAX - sizeof(*v) - 1)
		return NULL;
	v = malloc(sizeof(*v) + len + 1);
	if (!v)
		return NULL;
	v->refs = 1;
	v->len = len;
	memcpy(v->s, s, len);
	v->s[len] = '\0';
	return v->s;
}

char *mnode_value_ref(char *value)
{
	mvalue_of(value)->refs++;
	return value;
}

size_t mnode_scalar_bytes(const struct mnode *n)
{
	size_t i, total = 0;

	if (!n)
		return 0;
	if (n->type == MNODE_SCALAR)
		return mvalue_of(n->value)->len;
	for (i = 0; i < n->n; i++)
		total += (n->keys ? mnode_scalar_bytes(n->keys[i]) : 0) +
		         mnode_scalar_bytes(n->items[i]);
	return total;
}

static void mnode_value_unref(char *value)
{
	struct mvalue *v;

	if (!value)
		return;
	v = mvalue_of(value);
	if (--v->refs == 0)
		free(v);
}

void mnode_free(struct mnode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n; i++) {
		if (n->keys)
			mnode_free(n->keys[i]);
		if (n->items)
			mnode_free(n->items[i]);
	}
	free(n->keys);
	free(n->items);
	mnode_value_unref(n->value);
	free(n);
}

const struct mnode *mnode_get(const struct mnode *n, const char *key)
{
	size_t i;

	if (!n || n->type != MNODE_MAP)
		return NULL;
	for (i = 0; i < n->n; i++)
		if (!strcmp(n->keys[i]->value, key))
			return n->items[i];
	return NULL;
}

bool mnode_is_null(const struct mnode *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (!n || n->type != MNODE_SCALAR || !n->plain)
		return false;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (!strcmp(n->value, nulls[i]))
			return true;
	return false;
}

const char *mnode_type_name(const struct mnode *n)
{
	if (!n)
		return "null";
	switch (n->type) {
	case MNODE_SCALAR:
		return "scalar";
	case MNODE_SEQ:
		return "sequence";
	case MNODE_MAP:
		return "mapping";
	}
	return "node";
}
