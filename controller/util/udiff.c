/*
 * udiff.c - unified diffs: split both texts into lines, drop the common
 * head and tail, take a longest common subsequence of the middle (dynamic
 * programming: the middle is bounded, configs are small), and print the
 * edit script as hunks with context, the form diff -u and git show.
 */
#include "deployctl/udiff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/err.h"

struct line {
	const char *p;
	size_t len; /* without the newline */
	int eol;    /* 1 if a newline ended it */
};

/* Lines of t into *out (new). */
static int split(struct line **out, size_t *n, const char *t, size_t len)
{
	struct line *v = NULL;
	size_t i = 0, k = 0, cap = 0;

	while (i < len) {
		const char *nl = memchr(t + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (t + i)) : len - i;

		if (k == cap) {
			struct line *nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (!nv) {
				free(v);
				return ERR_NOMEM;
			}
			v = nv;
		}
		v[k++] = (struct line){ t + i, l, nl != NULL };
		i += l + (nl != NULL);
	}
	*out = v;
	*n = k;
	return 0;
}

static int same(const struct line *x, const struct line *y)
{
	return x->len == y->len && x->eol == y->eol && !memcmp(x->p, y->p, x->len);
}

/* One line of the script: ' ', '-' or '+', and the line. */
struct op {
	char kind;
	const struct line *l;
};

static int emit_line(struct buf *out, char kind, const struct line *l)
{
	if (buf_putc(out, kind) < 0 || buf_add(out, l->p, l->len) < 0 || buf_putc(out, '\n') < 0)
		return ERR_NOMEM;
	if (!l->eol && buf_puts(out, "\\ No newline at end of file\n") < 0)
		return ERR_NOMEM;
	return 0;
}

/* "start,count", or "start" alone for one line, as diff -u writes a range. */
static int range(struct buf *out, const char *prefix, size_t start, size_t count)
{
	if (count == 1)
		return buf_printf(out, "%s%zu", prefix, start);
	return buf_printf(out, "%s%zu,%zu", prefix, start, count);
}

/* Print the script as hunks. */
static int emit(struct buf *out, const struct op *ops, size_t nops, unsigned context)
{
	size_t i = 0;

	while (i < nops) {
		size_t start, end, k, ai = 0, bi = 0, an = 0, bn = 0, last;

		while (i < nops && ops[i].kind == ' ')
			i++;
		if (i == nops)
			break;
		start = i > context ? i - context : 0;
		/* The hunk ends once more than 2*context unchanged lines follow a change. */
		last = i;
		for (end = i; end < nops; end++) {
			if (ops[end].kind != ' ')
				last = end;
			else if (end - last > 2 * (size_t)context)
				break;
		}
		end = last + 1 + context < nops ? last + 1 + context : nops;
		/* Line numbers: count what came before the hunk. */
		for (k = 0; k < start; k++) {
			ai += ops[k].kind != '+';
			bi += ops[k].kind != '-';
		}
		for (k = start; k < end; k++) {
			an += ops[k].kind != '+';
			bn += ops[k].kind != '-';
		}
		if (range(out, "@@ -", an ? ai + 1 : ai, an) < 0 ||
		    range(out, " +", bn ? bi + 1 : bi, bn) < 0 || buf_puts(out, " @@\n") < 0)
			return ERR_NOMEM;
		for (k = start; k < end; k++)
			if (emit_line(out, ops[k].kind, ops[k].l) < 0)
				return ERR_NOMEM;
		i = end;
	}
	return 0;
}

int udiff(struct buf *out, const char *a, size_t alen, const char *b, size_t blen,
          const char *a_label, const char *b_label, unsigned context)
{
	struct line *x = NULL, *y = NULL;
	struct op *ops = NULL;
	uint16_t *t = NULL;
	size_t nx = 0, ny = 0, head = 0, tail = 0, m, n, i, j, nops = 0;
	int rc;

	if (alen == blen && !memcmp(a, b, alen))
		return 0;
	rc = split(&x, &nx, a, alen);
	if (rc == 0)
		rc = split(&y, &ny, b, blen);
	if (rc < 0)
		goto out;
	while (head < nx && head < ny && same(&x[head], &y[head]))
		head++;
	while (tail < nx - head && tail < ny - head && same(&x[nx - 1 - tail], &y[ny - 1 - tail]))
		tail++;
	m = nx - head - tail;
	n = ny - head - tail;
	if (m > UDIFF_MAX_LINES || n > UDIFF_MAX_LINES) {
		rc = ERR_INVALID;
		goto out;
	}
	/* t[i][j]: LCS length of the middles' suffixes from i and j (fits: <= 4000). */
	t = calloc((m + 1) * (n + 1), sizeof(*t));
	ops = calloc(nx + ny + 1, sizeof(*ops));
	if (!t || !ops) {
		rc = ERR_NOMEM;
		goto out;
	}
	for (i = m; i-- > 0;)
		for (j = n; j-- > 0;)
			t[i * (n + 1) + j] = same(&x[head + i], &y[head + j])
			                             ? (uint16_t)(t[(i + 1) * (n + 1) + j + 1] + 1)
			                     : t[(i + 1) * (n + 1) + j] >= t[i * (n + 1) + j + 1]
			                             ? t[(i + 1) * (n + 1) + j]
			                             : t[i * (n + 1) + j + 1];
	for (i = 0; i < head; i++)
		ops[nops++] = (struct op){ ' ', &x[i] };
	for (i = 0, j = 0; i < m || j < n;) {
		if (i < m && j < n && same(&x[head + i], &y[head + j])) {
			ops[nops++] = (struct op){ ' ', &x[head + i] };
			i++;
			j++;
		} else if (j == n ||
		           (i < m && t[(i + 1) * (n + 1) + j] >= t[i * (n + 1) + j + 1])) {
			ops[nops++] = (struct op){ '-', &x[head + i++] };
		} else {
			ops[nops++] = (struct op){ '+', &y[head + j++] };
		}
	}
	for (i = nx - tail; i < nx; i++)
		ops[nops++] = (struct op){ ' ', &x[i] };
	if (buf_printf(out, "--- %s\n+++ %s\n", a_label, b_label) < 0 ||
	    emit(out, ops, nops, context) < 0)
		rc = ERR_NOMEM;
out:
	free(t);
	free(ops);
	free(x);
	free(y);
	return rc;
}
