/*
 * spec_text.c - the canonical spec JSON as text, written straight from the
 * jansson tree: compact, object keys in byte order, strings escaped as
 * jansson escapes them (\" \\ \b \f \n \r \t, other control characters as
 * \u00XX, everything else as is). Byte for byte what json_dumps(o,
 * JSON_SORT_KEYS | JSON_COMPACT) gives — the spec hash of every running
 * container depends on it, and tests/unit/test_spec_text.c holds it to that
 * — but without jansson's per-container cycle check (a pointer printed and
 * hashed for every object and array), which was most of a no-op's cost of
 * rendering 50 specs. A tree it does not handle (a real number, a string
 * that is not UTF-8) gives NULL, and the caller asks jansson instead.
 */
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "spec_internal.h"

#define SPEC_TEXT_MAX_DEPTH 64

/* Length of the valid UTF-8 sequence at s (of n bytes), or 0 (jansson's rules). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xC2 || s[0] > 0xF4)
		return 0; /* continuation byte, overlong 2-byte lead, or past U+10FFFF */
	len = s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
	if (n < len)
		return 0;
	cp = s[0] & (0x7F >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

static int put_string(struct buf *b, const char *str, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0, k;

	if (buf_putc(b, '"') < 0)
		return -1;
	while (i < n) {
		const char *esc = NULL;
		char u[7];

		if (s[i] >= 0x80) {
			k = utf8_len(s + i, n - i);
			if (!k)
				return -1;
			i += k;
			continue;
		}
		if (s[i] >= 0x20 && s[i] != '"' && s[i] != '\\') {
			i++;
			continue;
		}
		if (buf_add(b, str + run, i - run) < 0)
			return -1;
		switch (s[i]) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			memcpy(u, "\\u00", 4);
			u[4] = hex[s[i] >> 4];
			u[5] = hex[s[i] & 15];
			u[6] = '\0';
			esc = u;
		}
		if (buf_puts(b, esc) < 0)
			return -1;
		run = ++i;
	}
	if (buf_add(b, str + run, n - run) < 0 || buf_putc(b, '"') < 0)
		return -1;
	return 0;
}

struct key_ref {
	const char *key;
	size_t len;
	json_t *value;
};

static int key_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	int r = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);

	return r ? r : (x->len > y->len) - (x->len < y->len);
}

/* As "%" JSON_INTEGER_FORMAT would print it, without a printf per number. */
static int put_integer(struct buf *b, json_int_t v)
{
	char d[24], *p = d + sizeof(d);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return buf_add(b, p, (size_t)(d + sizeof(d) - p));
}

static int put_value(struct buf *b, const json_t *v, unsigned depth);

static int put_object(struct buf *b, const json_t *o, unsigned depth)
{
	struct key_ref stack[32], *keys = stack;
	size_t n = json_object_size(o), i = 0;
	void *it;
	int rc = -1;

	if (n > sizeof(stack) / sizeof(stack[0]) && !(keys = malloc(n * sizeof(*keys))))
		return -1;
	for (it = json_object_iter((json_t *)o); it && i < n;
	     it = json_object_iter_next((json_t *)o, it), i++) {
		keys[i].key = json_object_iter_key(it);
		keys[i].len = json_object_iter_key_len(it);
		keys[i].value = json_object_iter_value(it);
	}
	qsort(keys, i, sizeof(*keys), key_cmp);
	if (buf_putc(b, '{') < 0)
		goto out;
	for (n = i, i = 0; i < n; i++)
		if ((i && buf_putc(b, ',') < 0) || put_string(b, keys[i].key, keys[i].len) < 0 ||
		    buf_putc(b, ':') < 0 || put_value(b, keys[i].value, depth + 1) < 0)
			goto out;
	rc = buf_putc(b, '}');
out:
	if (keys != stack)
		free(keys);
	return rc;
}

static int put_value(struct buf *b, const json_t *v, unsigned depth)
{
	size_t i;

	if (depth > SPEC_TEXT_MAX_DEPTH)
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return put_object(b, v, depth);
	case JSON_ARRAY:
		if (buf_putc(b, '[') < 0)
			return -1;
		for (i = 0; i < json_array_size(v); i++)
			if ((i && buf_putc(b, ',') < 0) ||
			    put_value(b, json_array_get(v, i), depth + 1) < 0)
				return -1;
		return buf_putc(b, ']');
	case JSON_STRING:
		return put_string(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return put_integer(b, json_integer_value(v));
	case JSON_TRUE:
		return buf_puts(b, "true");
	case JSON_FALSE:
		return buf_puts(b, "false");
	case JSON_NULL:
		return buf_puts(b, "null");
	default:
		return -1; /* a real: jansson's own formatting */
	}
}

char *spec_text(const json_t *o)
{
	struct buf b;

	if (!o || !json_is_object(o))
		return NULL;
	buf_init(&b, 0);
	if (put_value(&b, o, 0) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}
