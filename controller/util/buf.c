/*
 * buf.c - growable strings (git's strbuf invariants) with a size cap, so a
 * runaway response or file fails instead of eating memory.
 */
#include "deployctl/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/err.h"

static char buf_empty[1];

void buf_init(struct buf *b, size_t cap)
{
	b->ptr = buf_empty;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap ? cap : BUF_DEFAULT_CAP;
	b->toobig = 0;
}

void buf_release(struct buf *b)
{
	size_t cap = b->cap;

	if (b->alloc)
		free(b->ptr);
	buf_init(b, cap);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->alloc)
		b->ptr[0] = '\0';
}

static int buf_grow(struct buf *b, size_t extra)
{
	size_t want, n;
	char *p;

	if (extra > b->cap || b->len > b->cap - extra) {
		b->toobig = 1;
		return ERR_NOMEM;
	}
	want = b->len + extra + 1;
	if (want <= b->alloc)
		return 0;
	n = b->alloc ? b->alloc : 64;
	while (n < want)
		n *= 2;
	p = realloc(b->alloc ? b->ptr : NULL, n);
	if (!p)
		return ERR_NOMEM;
	if (!b->alloc)
		p[0] = '\0';
	b->ptr = p;
	b->alloc = n;
	return 0;
}

int buf_add(struct buf *b, const void *data, size_t len)
{
	if (buf_grow(b, len) < 0)
		return ERR_NOMEM;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return ERR_FAIL;
	if (buf_grow(b, (size_t)n) < 0)
		return ERR_NOMEM;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *buf_detach(struct buf *b)
{
	char *s;

	if (!b->alloc) {
		s = strdup("");
	} else {
		s = b->ptr;
	}
	buf_init(b, b->cap);
	return s;
}

size_t buf_utf8_invalid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, k;
	unsigned long cp;

	while (i < len) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if (u[i] >= 0xc2 && u[i] <= 0xdf) {
			n = 1;
			cp = u[i] & 0x1f;
		} else if (u[i] >= 0xe0 && u[i] <= 0xef) {
			n = 2;
			cp = u[i] & 0x0f;
		} else if (u[i] >= 0xf0 && u[i] <= 0xf4) {
			n = 3;
			cp = u[i] & 0x07;
		} else {
			return i; /* a continuation byte, 0xc0/0xc1 (overlong), or above 0xf4 */
		}
		if (len - i <= n)
			return i;
		for (k = 1; k <= n; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (u[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return len;
}
