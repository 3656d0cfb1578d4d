/*
 * err.c - the error convention: the first error set wins, later ones are
 * dropped, so the root cause is what the user reads.
 */
#include "deployctl/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void err_vset(struct err *e, int code, const char *src, unsigned line, unsigned col,
                     const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

static void err_vset(struct err *e, int code, const char *src, unsigned line, unsigned col,
                     const char *fmt, va_list ap)
{
	if (!e || e->code)
		return;
	e->code = code;
	snprintf(e->src, sizeof(e->src), "%s", src ? src : "");
	e->line = line;
	e->col = col;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, code, NULL, 0, 0, fmt, ap);
	va_end(ap);
	return code;
}

int err_set_at(struct err *e, int code, const char *src, unsigned line, unsigned col,
               const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, code, src, line, col, fmt, ap);
	va_end(ap);
	return code;
}

const char *err_format(char *buf, size_t size, const struct err *e)
{
	if (!e->src[0])
		snprintf(buf, size, "%s", e->msg);
	else if (!e->line)
		snprintf(buf, size, "%s: %s", e->src, e->msg);
	else if (!e->col)
		snprintf(buf, size, "%s:%u: %s", e->src, e->line, e->msg);
	else
		snprintf(buf, size, "%s:%u:%u: %s", e->src, e->line, e->col, e->msg);
	return buf;
}

void err_clear(struct err *e)
{
	memset(e, 0, sizeof(*e));
}

void errlist_init(struct errlist *l)
{
	l->n = 0;
	l->dropped = 0;
}

int errlist_add(struct errlist *l, int code, const char *src, unsigned line, unsigned col,
                const char *fmt, ...)
{
	va_list ap;

	if (l->n == ERRLIST_MAX) {
		l->dropped++;
		return code;
	}
	err_clear(&l->items[l->n]);
	va_start(ap, fmt);
	err_vset(&l->items[l->n], code, src, line, col, fmt, ap);
	va_end(ap);
	l->n++;
	return code;
}

void errlist_push(struct errlist *l, const struct err *e)
{
	if (l->n == ERRLIST_MAX) {
		l->dropped++;
		return;
	}
	l->items[l->n++] = *e;
}

static int err_cmp(const void *a, const void *b)
{
	const struct err *x = a, *y = b;
	int c = strcmp(x->src, y->src);

	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return strcmp(x->msg, y->msg);
}

void errlist_sort(struct errlist *l)
{
	qsort(l->items, l->n, sizeof(l->items[0]), err_cmp);
}
