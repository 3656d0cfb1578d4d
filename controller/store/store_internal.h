/*
 * store_internal.h - what the files of the store module share (the helpers
 * are store_util.c).
 * Only the store module (and its unit test) includes this: it pulls in
 * <sqlite3.h>, which nothing else may see.
 */
#ifndef DEPLOYCTL_STORE_INTERNAL_H
#define DEPLOYCTL_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "deployctl/err.h"
#include "deployctl/store.h"
#include "store_migrations.h"

struct store {
	sqlite3 *db;
	char *path;     /* as opened, for error messages */
	char *key_path; /* dir/fingerprint.key; NULL: a random key (opened by path) */
	struct hash_key key;
	bool have_key;
	bool key_ephemeral; /* the key file could not be made: nothing keyed may be recorded */
};

/* "YYYY-MM-DDTHH:MM:SSZ" and its NUL. */
#define STORE_TIME_SIZE 32

/* Now, UTC ISO-8601 with seconds, into out. */
void store_now(char out[STORE_TIME_SIZE]);
/* The same to the millisecond ("...T10:39:56.250Z"): release start and finish, for durations. */
void store_now_ms(char out[STORE_TIME_SIZE]);

/* err_set(ERR_STORE, "<what>: <sqlite3_errmsg>"); returns ERR_STORE. */
int store_fail(struct store *s, struct err *err, const char *what);
/* Run SQL that returns no rows we need. */
int store_exec(struct store *s, const char *sql, struct err *err);
/* Prepare one statement; *out new (sqlite3_finalize()). */
int store_prepare(sqlite3_stmt **out, struct store *s, const char *sql, struct err *err);
/* Bind a copy of str, or NULL when str is NULL. */
int store_bind_text(sqlite3_stmt *st, int idx, const char *str);
/* Copy of a text column into *out (NULL for SQL NULL); 0 or ERR_NOMEM. */
int store_column_dup(char **out, sqlite3_stmt *st, int col);

/* Step a statement that returns no rows; ERR_STORE "<what>: ..." otherwise. */
int store_step_done(sqlite3_stmt *st, struct store *s, const char *what, struct err *err);
/*
 * Grow *v (of elem-sized items, zero-filled) so it holds one more than len;
 * 0 or ERR_NOMEM (then *v and *alloc are unchanged).
 */
int store_grow(void **v, size_t *alloc, size_t len, size_t elem);
/*
 * The row reader (store_rows.c): result column i of a statement lands in
 * the field of cols[i], as its kind says. A table per row struct replaces
 * the prepare/step/grow/copy loop of each reader.
 */
enum store_col_kind {
	STORE_COL_TEXT,   /* char *: a copy (store_column_dup()), NULL for SQL NULL */
	STORE_COL_INT64,  /* int64_t */
	STORE_COL_INT,    /* int */
	STORE_COL_UINT,   /* unsigned, from the column's 64-bit value */
	STORE_COL_LONG,   /* long, likewise */
	STORE_COL_BOOL,   /* bool: the column's int is not 0 */
	STORE_COL_DOUBLE, /* double */
};
struct store_col {
	enum store_col_kind kind;
	size_t offset;
};
#define STORE_COL(kind, type, field)                                                               \
	{                                                                                          \
		STORE_COL_##kind, offsetof(type, field)                                            \
	}
struct store_row_desc {
	size_t size; /* of one row struct */
	const struct store_col *cols;
	size_t ncols;
	const char *fail;  /* store_fail()'s what when a step fails: "cannot read actions" */
	const char *nomem; /* the message when memory runs out */
};
#define STORE_NCOLS(cols) (sizeof(cols) / sizeof((cols)[0]))
/*
 * Zero elem and fill it from the current row of st. ERR_NOMEM (its copies
 * freed again) or 0.
 */
int store_row_fill(void *elem, sqlite3_stmt *st, const struct store_row_desc *d);
/*
 * Step st (prepared and bound) to its end: every row into *out (new array,
 * zero-filled past the end; NULL when there is none) of *n elements.
 * ERR_STORE (d->fail) or ERR_NOMEM (d->nomem), nothing handed over then.
 * The caller still finalizes st.
 */
int store_rows_read(void **out, size_t *n, struct store *s, sqlite3_stmt *st,
                    const struct store_row_desc *d, struct err *err);
/* Prepare sql, bind release to ?1 and store_rows_read() it. */
int store_rows_by_release(void **out, size_t *n, struct store *s, const char *sql, int64_t release,
                          const struct store_row_desc *d, struct err *err);
/*
 * Step st to its end, each row's two text columns a pair of *out (new,
 * kvv_free()); a NULL column counts as no memory (nomem), a failed step as
 * ERR_STORE (fail).
 */
int store_rows_kvv(struct kvv *out, struct store *s, sqlite3_stmt *st, const char *fail,
                   const char *nomem, struct err *err);
/* Free the text fields of n rows of v, then v (NULL is fine). */
void store_rows_free(void *v, size_t n, const struct store_row_desc *d);

/* The project of a release into *out (new); ERR_NOTFOUND if no such release. */
int store_release_project(char **out, struct store *s, int64_t release, struct err *err);

/*
 * A write unit: BEGIN IMMEDIATE when no transaction is open (so a reader
 * never has to upgrade its lock and fail with SQLITE_BUSY), else a
 * SAVEPOINT, so the unit nests inside a caller's transaction.
 */
struct store_tx {
	bool nested;
	bool open;
};
int store_tx_begin(struct store_tx *tx, struct store *s, struct err *err);
/* Commit (or release the savepoint); on failure the unit is rolled back. */
int store_tx_commit(struct store_tx *tx, struct store *s, struct err *err);
/* Undo the unit if still open; harmless after a commit. */
void store_tx_rollback(struct store_tx *tx, struct store *s);

/*
 * Apply migrations m[0..n) whose number (leading digits of the name) is
 * above PRAGMA user_version, in order, each with its user_version in one
 * transaction. store_open*() call it with the embedded store_migrations;
 * tests pass their own tables. ERR_STORE when the database is newer than
 * the last of m, a name has no number, or the numbers do not increase.
 */
int store_migrate(struct store *s, const struct store_migration *m, size_t n, struct err *err);
/* The number of the last migration of m[0..n) (0 if none). */
long store_migrations_latest(const struct store_migration *m, size_t n);

#endif
