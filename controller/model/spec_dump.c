/*
 * spec_dump.c - the canonical spec's text from its JSON tree: the bytes
 * json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT) gives, without what makes
 * that slow for a spec (about 95,000 instructions a service, most of a
 * no-op's hashing): a loop check that prints each array's and object's
 * address into a hash table, and a callback per token. The rules are
 * jansson's (src/dump.c): keys sorted by their bytes, "," and ":" with no
 * space, '"' and '\\' escaped, \b \f \n \r \t as such and the other
 * control characters as \u00XX in upper case, everything else (UTF-8
 * included: jansson checked it when the string was made) as it is,
 * integers in decimal. A real number is not part of a spec: a tree with
 * one is handed to json_dumps() itself. tests/unit/test_spec_text.c holds
 * the two to the same bytes.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "deployctl/err.h"
#include "spec_internal.h"

/*
 * An object's members up to this many are sorted on the stack, by
 * insertion: the spec's objects are mostly built in key order already.
 */
#define DUMP_STACK_KEYS 64

struct dump_key {
	const char *key;
	size_t len;
	json_t *value;
};

static int dump_key_cmp(const void *a, const void *b)
{
	const struct dump_key *x = a, *y = b;
	int c = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static void dump_keys_sort(struct dump_key *k, size_t n)
{
	struct dump_key t;
	size_t i, j;

	if (n > DUMP_STACK_KEYS) {
		qsort(k, n, sizeof(*k), dump_key_cmp);
		return;
	}
	for (i = 1; i < n; i++) {
		t = k[i];
		for (j = i; j > 0 && dump_key_cmp(&k[j - 1], &t) > 0; j--)
			k[j] = k[j - 1];
		k[j] = t;
	}
}

static int dump_string(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t i, from = 0;
	unsigned char c;
	int rc = buf_putc(b, '"');

	for (i = 0; !rc && i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		rc = buf_add(b, s + from, i - from);
		from = i + 1;
		if (rc)
			break;
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			rc = buf_add(b, esc, 2);
			break;
		case '\b':
			rc = buf_add(b, "\\b", 2);
			break;
		case '\f':
			rc = buf_add(b, "\\f", 2);
			break;
		case '\n':
			rc = buf_add(b, "\\n", 2);
			break;
		case '\r':
			rc = buf_add(b, "\\r", 2);
			break;
		case '\t':
			rc = buf_add(b, "\\t", 2);
			break;
		default:
			esc[1] = 'u';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			rc = buf_add(b, esc, 6);
			break;
		}
	}
	if (!rc)
		rc = buf_add(b, s + from, len - from);
	return rc ? rc : buf_putc(b, '"');
}

static int dump_integer(struct buf *b, json_int_t v)
{
	char text[24], *p = text + sizeof(text);
	/* in unsigned arithmetic, so the most negative value has a magnitude too */
	unsigned long long m = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		*--p = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	if (v < 0)
		*--p = '-';
	return buf_add(b, p, (size_t)(text + sizeof(text) - p));
}

static int dump_value(struct buf *b, const json_t *v);

static int dump_object(struct buf *b, const json_t *o)
{
	struct dump_key stack[DUMP_STACK_KEYS], *keys = stack;
	size_t i, n = json_object_size(o);
	void *it;
	int rc;

	if (n > DUMP_STACK_KEYS && !(keys = malloc(n * sizeof(*keys))))
		return ERR_NOMEM;
	i = 0;
	for (it = json_object_iter((json_t *)o); it && i < n;
	     it = json_object_iter_next((json_t *)o, it), i++) {
		keys[i].key = json_object_iter_key(it);
		keys[i].len = strlen(keys[i].key);
		keys[i].value = json_object_iter_value(it);
	}
	n = i;
	dump_keys_sort(keys, n);
	rc = buf_putc(b, '{');
	for (i = 0; !rc && i < n; i++) {
		if (i)
			rc = buf_putc(b, ',');
		if (!rc)
			rc = dump_string(b, keys[i].key, keys[i].len);
		if (!rc)
			rc = buf_putc(b, ':');
		if (!rc)
			rc = dump_value(b, keys[i].value);
	}
	if (keys != stack)
		free(keys);
	return rc ? rc : buf_putc(b, '}');
}

static int dump_array(struct buf *b, const json_t *a)
{
	size_t i, n = json_array_size(a);
	int rc = buf_putc(b, '[');

	for (i = 0; !rc && i < n; i++) {
		if (i)
			rc = buf_putc(b, ',');
		if (!rc)
			rc = dump_value(b, json_array_get(a, i));
	}
	return rc ? rc : buf_putc(b, ']');
}

/* 0, ERR_NOMEM, or ERR_INVALID for what jansson must render (a real). */
static int dump_value(struct buf *b, const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_REAL) {
	case JSON_OBJECT:
		return dump_object(b, v);
	case JSON_ARRAY:
		return dump_array(b, v);
	case JSON_STRING:
		return dump_string(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return dump_integer(b, json_integer_value(v));
	case JSON_TRUE:
		return buf_add(b, "true", 4);
	case JSON_FALSE:
		return buf_add(b, "false", 5);
	case JSON_NULL:
		return buf_add(b, "null", 4);
	default:
		return ERR_INVALID;
	}
}

char *spec_json_dumps(const json_t *o)
{
	struct buf b;
	int rc;

	if (!json_is_object(o) && !json_is_array(o))
		return NULL; /* as json_dumps() without JSON_ENCODE_ANY */
	buf_init(&b, BUF_DEFAULT_CAP);
	rc = dump_value(&b, o);
	if (rc == ERR_INVALID) {
		buf_release(&b);
		return json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	}
	if (rc) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}
