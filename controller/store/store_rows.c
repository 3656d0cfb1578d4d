/*
 * store_rows.c - the one row reader of the store module: a table of column
 * descriptors (which struct field each result column lands in, and as
 * what) drives copying a row, stepping a statement to its end into a grown
 * array, and freeing what was copied. A reader of a new table is a column
 * table, not another prepare/step/grow/copy loop.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

static void *store_field(void *elem, const struct store_col *c)
{
	return (char *)elem + c->offset;
}

static void store_row_release(void *elem, const struct store_row_desc *d)
{
	size_t i;

	for (i = 0; i < d->ncols; i++) {
		char **p = store_field(elem, &d->cols[i]);

		if (d->cols[i].kind != STORE_COL_TEXT)
			continue;
		free(*p);
		*p = NULL;
	}
}

int store_row_fill(void *elem, sqlite3_stmt *st, const struct store_row_desc *d)
{
	size_t i;

	memset(elem, 0, d->size);
	for (i = 0; i < d->ncols; i++) {
		const struct store_col *c = &d->cols[i];
		void *f = store_field(elem, c);
		int col = (int)i;

		switch (c->kind) {
		case STORE_COL_TEXT:
			if (store_column_dup(f, st, col)) {
				store_row_release(elem, d);
				return ERR_NOMEM;
			}
			break;
		case STORE_COL_INT64:
			*(int64_t *)f = sqlite3_column_int64(st, col);
			break;
		case STORE_COL_INT:
			*(int *)f = sqlite3_column_int(st, col);
			break;
		case STORE_COL_UINT:
			*(unsigned *)f = (unsigned)sqlite3_column_int64(st, col);
			break;
		case STORE_COL_LONG:
			*(long *)f = (long)sqlite3_column_int64(st, col);
			break;
		case STORE_COL_BOOL:
			*(bool *)f = sqlite3_column_int(st, col) != 0;
			break;
		case STORE_COL_DOUBLE:
			*(double *)f = sqlite3_column_double(st, col);
			break;
		}
	}
	return 0;
}

void store_rows_free(void *v, size_t n, const struct store_row_desc *d)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		store_row_release((char *)v + i * d->size, d);
	free(v);
}

int store_rows_read(void **out, size_t *n, struct store *s, sqlite3_stmt *st,
                    const struct store_row_desc *d, struct err *err)
{
	void *v = NULL;
	size_t len = 0, alloc = 0;
	int step, rc = 0;

	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (store_grow(&v, &alloc, len, d->size) ||
		    store_row_fill((char *)v + len * d->size, st, d)) {
			rc = err_set(err, ERR_NOMEM, "%s", d->nomem);
			goto out;
		}
		len++;
	}
	if (step != SQLITE_DONE) {
		rc = store_fail(s, err, d->fail);
		goto out;
	}
	*out = v;
	*n = len;
	v = NULL;
	len = 0;
out:
	store_rows_free(v, len, d);
	return rc;
}

int store_rows_by_release(void **out, size_t *n, struct store *s, const char *sql, int64_t release,
                          const struct store_row_desc *d, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = store_prepare(&st, s, sql, err);
	if (!rc) {
		sqlite3_bind_int64(st, 1, release);
		rc = store_rows_read(out, n, s, st, d, err);
	}
	sqlite3_finalize(st);
	return rc;
}

int store_rows_kvv(struct kvv *out, struct store *s, sqlite3_stmt *st, const char *fail,
                   const char *nomem, struct err *err)
{
	struct kvv v = { 0 };
	int rc = 0, step;

	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *key = sqlite3_column_text(st, 0);
		const unsigned char *value = sqlite3_column_text(st, 1);

		if (!key || !value || kvv_set(&v, (const char *)key, (const char *)value)) {
			rc = err_set(err, ERR_NOMEM, "%s", nomem);
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		rc = store_fail(s, err, fail);
		goto out;
	}
	*out = v;
	v.v = NULL;
	v.n = 0;
out:
	kvv_free(&v);
	return rc;
}
