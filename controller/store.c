/*
 * store.c - opening the release database: the state directory (0700), the
 * database file (0600, created before SQLite sees it so no umask can widen
 * it), the connection pragmas, and the small helpers the rest of the store
 * module shares (errors, statements, write transactions, timestamps).
 */
#include "deployctl/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/store_internal.h"

void store_now(char out[STORE_TIME_SIZE])
{
	time_t now = time(NULL);
	struct tm tm;

	if (!gmtime_r(&now, &tm) || !strftime(out, STORE_TIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, STORE_TIME_SIZE, "1970-01-01T00:00:00Z");
}

int store_fail(struct store *s, struct err *err, const char *what)
{
	return err_set(err, ERR_STORE, "%s: %s", what, s && s->db ? sqlite3_errmsg(s->db) : "?");
}

int store_exec(struct store *s, const char *sql, struct err *err)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return err_set(err, ERR_STORE, "database '%s': %s", s->path, sqlite3_errmsg(s->db));
	return 0;
}

int store_prepare(sqlite3_stmt **out, struct store *s, const char *sql, struct err *err)
{
	*out = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, out, NULL) != SQLITE_OK) {
		sqlite3_finalize(*out);
		*out = NULL;
		return err_set(err, ERR_STORE, "database '%s': %s", s->path, sqlite3_errmsg(s->db));
	}
	return 0;
}

int store_bind_text(sqlite3_stmt *st, int idx, const char *str)
{
	if (!str)
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_text(st, idx, str, -1, SQLITE_TRANSIENT);
}

int store_column_dup(char **out, sqlite3_stmt *st, int col)
{
	const unsigned char *text;

	*out = NULL;
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return 0;
	text = sqlite3_column_text(st, col);
	if (!text)
		return ERR_NOMEM;
	*out = strdup((const char *)text);
	return *out ? 0 : ERR_NOMEM;
}

int store_tx_begin(struct store_tx *tx, struct store *s, struct err *err)
{
	int rc;

	tx->nested = !sqlite3_get_autocommit(s->db);
	tx->open = false;
	rc = store_exec(s, tx->nested ? "SAVEPOINT deployctl_tx" : "BEGIN IMMEDIATE", err);
	if (!rc)
		tx->open = true;
	return rc;
}

int store_tx_commit(struct store_tx *tx, struct store *s, struct err *err)
{
	int rc;

	if (!tx->open)
		return 0;
	rc = store_exec(s, tx->nested ? "RELEASE deployctl_tx" : "COMMIT", err);
	if (rc) {
		store_tx_rollback(tx, s);
		return rc;
	}
	tx->open = false;
	return 0;
}

void store_tx_rollback(struct store_tx *tx, struct store *s)
{
	if (!tx->open)
		return;
	tx->open = false;
	if (tx->nested) {
		sqlite3_exec(s->db, "ROLLBACK TO deployctl_tx; RELEASE deployctl_tx", NULL, NULL,
		             NULL);
		return;
	}
	/* A failed COMMIT may already have ended the transaction. */
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Create path 0600 unless it exists; umask-proof. */
static int store_create_file(const char *path, struct err *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		return err_set(err, ERR_IO, "cannot create database '%s': %s", path,
		               strerror(errno));
	}
	if (fchmod(fd, 0600) < 0) {
		int e = errno;

		close(fd);
		return err_set(err, ERR_IO, "cannot chmod database '%s': %s", path, strerror(e));
	}
	if (close(fd) < 0)
		return err_set(err, ERR_IO, "cannot create database '%s': %s", path,
		               strerror(errno));
	return 0;
}

static int store_pragmas(struct store *s, struct err *err)
{
	/*
	 * busy_timeout first, so switching to WAL waits for another process
	 * instead of failing; journal_mode stays "memory" for ":memory:".
	 */
	static const char sql[] = "PRAGMA busy_timeout = 5000;"
	                          "PRAGMA foreign_keys = ON;"
	                          "PRAGMA journal_mode = WAL;"
	                          "PRAGMA synchronous = NORMAL;";

	return store_exec(s, sql, err);
}

int store_open_file(struct store **out, const char *path, struct err *err)
{
	struct store *s = NULL;
	int rc;

	*out = NULL;
	if (strcmp(path, ":memory:") && strncmp(path, "file:", 5)) {
		rc = store_create_file(path, err);
		if (rc)
			return rc;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		rc = err_set(err, ERR_NOMEM, "out of memory opening database '%s'", path);
		goto out;
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		rc = err_set(err, ERR_STORE, "cannot open database '%s': %s", path,
		             s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto out;
	}
	sqlite3_extended_result_codes(s->db, 1);
	rc = store_pragmas(s, err);
	if (rc)
		goto out;
	rc = store_migrate(s, store_migrations, store_migrations_count, err);
	if (rc)
		goto out;
	*out = s;
	s = NULL;
out:
	store_free(s);
	return rc;
}

/* mkdir dir 0700 if missing; an existing dir is left as it is. */
static int store_make_dir(const char *dir, struct err *err)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0) {
		/* umask can only narrow 0700; make it exact anyway */
		if (chmod(dir, 0700) < 0)
			return err_set(err, ERR_IO, "cannot chmod state directory '%s': %s", dir,
			               strerror(errno));
		return 0;
	}
	if (errno == ENOENT)
		return err_set(
		        err, ERR_IO,
		        "cannot create state directory '%s': parent directory does not exist", dir);
	if (errno != EEXIST)
		return err_set(err, ERR_IO, "cannot create state directory '%s': %s", dir,
		               strerror(errno));
	if (stat(dir, &st) < 0)
		return err_set(err, ERR_IO, "cannot stat state directory '%s': %s", dir,
		               strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(err, ERR_IO, "state directory '%s' is not a directory", dir);
	return 0;
}

int store_open(struct store **out, const char *dir, struct err *err)
{
	struct buf path;
	int rc;

	*out = NULL;
	if (!dir || !*dir)
		return err_set(err, ERR_INVALID, "empty state directory");
	rc = store_make_dir(dir, err);
	if (rc)
		return rc;
	buf_init(&path, 4096);
	if (buf_printf(&path, "%s/%s", dir, STORE_DB_NAME)) {
		buf_release(&path);
		return err_set(err, ERR_IO, "state directory path too long: '%s'", dir);
	}
	rc = store_open_file(out, path.ptr, err);
	buf_release(&path);
	return rc;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	/* sqlite3_close_v2 accepts NULL; all statements are finalized by now */
	sqlite3_close_v2(s->db);
	free(s->path);
	free(s);
}

int store_schema_version(struct store *s)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}
