/*
 * store.c - opening the release database: the state directory (0700,
 * trusted only when ours and writable by no one else), the database file
 * (0600, built under a temporary name and linked into place, so it is
 * never an empty file; never a symlink; an empty or log-less one is an
 * error, not a fresh start), read-only opening for the commands that only
 * read, the connection pragmas, the fingerprint key, and the schema
 * version. The helpers the rest of the store module shares (errors,
 * statements, write transactions, timestamps) are store_util.c; pins and
 * tags, store_pins.c.
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
#include "deployctl/statedir.h"
#include "store_internal.h"

static int store_pragmas(struct store *s, bool read_only, struct err *err)
{
	/*
	 * busy_timeout first, so switching to WAL waits for another process
	 * instead of failing; journal_mode stays "memory" for ":memory:". A
	 * read-only connection changes nothing: the mode is in the file.
	 */
	static const char sql[] = "PRAGMA busy_timeout = 5000;"
	                          "PRAGMA foreign_keys = ON;"
	                          "PRAGMA journal_mode = WAL;"
	                          "PRAGMA synchronous = NORMAL;";
	static const char sql_ro[] = "PRAGMA busy_timeout = 5000;"
	                             "PRAGMA foreign_keys = ON;";

	return store_exec(s, read_only ? sql_ro : sql, err);
}

/* A connection to path with flags (SQLITE_OPEN_*), pragmas set, not migrated. */
static int store_connect(struct store **out, const char *path, int flags, struct err *err)
{
	struct store *s = NULL;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		rc = err_set(err, ERR_NOMEM, "out of memory opening database '%s'", path);
		goto out;
	}
	/* NOFOLLOW: a symlink planted as the database is refused, never written through */
	if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		rc = err_set(err, ERR_STORE, "cannot open database '%s': %s", path,
		             s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto out;
	}
	sqlite3_extended_result_codes(s->db, 1);
	rc = store_pragmas(s, !(flags & SQLITE_OPEN_READWRITE), err);
	if (rc)
		goto out;
	*out = s;
	s = NULL;
out:
	store_free(s);
	return rc;
}

int store_open_file(struct store **out, const char *path, struct err *err)
{
	struct store *s = NULL;
	int rc;

	*out = NULL;
	rc = store_connect(&s, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
	                   err);
	if (!rc)
		rc = store_migrate(s, store_migrations, store_migrations_count, err);
	if (!rc) {
		*out = s;
		s = NULL;
	}
	store_free(s);
	return rc;
}

/*
 * The write-ahead log and shared-memory files beside path: when present,
 * not symlinks and ours (SQLite's NOFOLLOW covers only the database);
 * *any_out tells whether one exists.
 */
static int store_check_sidecars(bool *any_out, const char *path, struct err *err)
{
	static const char *const suffix[] = { "-wal", "-shm" };
	char side[4200];
	struct stat st;
	size_t i;

	*any_out = false;
	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		if ((size_t)snprintf(side, sizeof(side), "%s%s", path, suffix[i]) >= sizeof(side))
			return err_set(err, ERR_IO, "database path too long: '%s'", path);
		if (lstat(side, &st) < 0) {
			if (errno == ENOENT)
				continue;
			return err_set(err, ERR_IO, "cannot stat '%s': %s", side, strerror(errno));
		}
		*any_out = true;
		if (statedir_check_file(&st, side, "database file", err) < 0)
			return err->code;
	}
	return 0;
}

/*
 * An existing database file, before SQLite sees it: not a symlink, ours,
 * and not empty; the same for its log files. ERR_NOTFOUND when there is
 * none (and no log of one either: a log without its database is a lost
 * history, an error).
 */
static int store_check_db(const char *path, struct err *err)
{
	struct stat st;
	bool sidecars;

	if (store_check_sidecars(&sidecars, path, err) < 0)
		return err->code;
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			return err_set(err, ERR_IO, "cannot stat database '%s': %s", path,
			               strerror(errno));
		if (sidecars)
			return err_set(
			        err, ERR_STORE,
			        "database '%s' is missing but its write-ahead log is there: "
			        "refusing to start a new history; restore the database from "
			        "a backup, or remove its -wal and -shm files to start afresh",
			        path);
		return ERR_NOTFOUND;
	}
	if (statedir_check_file(&st, path, "database", err) < 0)
		return err->code;
	/* A database is at least one page: an empty file is a truncated history. */
	if (st.st_size == 0)
		return err_set(err, ERR_STORE,
		               "database '%s' exists but is empty (0 bytes): refusing to start a "
		               "new history over it; restore it from a backup, or remove it to "
		               "start afresh",
		               path);
	return 0;
}

/*
 * Make path a new, migrated database: built 0600 under a temporary name
 * and linked into place, so that path is either absent or a database,
 * never an empty file that a crash left. Another deployctl that made it
 * first wins; ours is dropped.
 */
static int store_create_db(const char *path, struct err *err)
{
	struct store *s = NULL;
	struct buf tmp;
	int fd, rc;

	buf_init(&tmp, 4200);
	if (buf_printf(&tmp, "%s.new-%ld", path, (long)getpid())) {
		buf_release(&tmp);
		return err_set(err, ERR_IO, "database path too long: '%s'", path);
	}
	unlink(tmp.ptr); /* left by an earlier process with our pid */
	fd = open(tmp.ptr, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = err_set(err, ERR_IO, "cannot create database '%s': %s", tmp.ptr,
		             strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) < 0) { /* umask-proof */
		rc = err_set(err, ERR_IO, "cannot chmod database '%s': %s", tmp.ptr,
		             strerror(errno));
		close(fd);
		goto out_unlink;
	}
	close(fd);
	rc = store_connect(&s, tmp.ptr, SQLITE_OPEN_READWRITE, err);
	if (!rc)
		rc = store_migrate(s, store_migrations, store_migrations_count, err);
	store_free(s); /* checkpoints the write-ahead log into the file */
	if (rc)
		goto out_unlink;
	if (link(tmp.ptr, path) < 0 && errno != EEXIST)
		rc = err_set(err, ERR_IO, "cannot create database '%s': %s", path, strerror(errno));
out_unlink:
	unlink(tmp.ptr);
out:
	buf_release(&tmp);
	return rc;
}

/* dir/deployctl.db into *out (new). */
static int store_db_path(struct buf *out, const char *dir, struct err *err)
{
	buf_init(out, 4096);
	if (!dir || !*dir)
		return err_set(err, ERR_INVALID, "empty state directory");
	if (buf_printf(out, "%s/%s", dir, STORE_DB_NAME)) {
		buf_release(out);
		return err_set(err, ERR_IO, "state directory path too long: '%s'", dir);
	}
	return 0;
}

/* The fingerprint key of the state directory abs is abs/fingerprint.key. */
static int store_set_key_path(struct store *s, const char *abs, struct err *err)
{
	struct buf b;

	buf_init(&b, 0);
	if (buf_printf(&b, "%s/%s", abs, STORE_KEY_NAME) < 0) {
		buf_release(&b);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	free(s->key_path);
	s->key_path = buf_detach(&b);
	return 0;
}

/* The first open names the identity: this host and the absolute state directory. */
static int store_place_identity(struct store *s, const char *dir, struct err *err)
{
	char host[256] = "", cwd[4096];
	struct buf abs;
	int rc;

	if (gethostname(host, sizeof(host) - 1) < 0 || !*host)
		snprintf(host, sizeof(host), "unknown");
	buf_init(&abs, 8192);
	if (dir[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		rc = buf_puts(&abs, dir);
	else
		rc = buf_printf(&abs, "%s/%s", cwd, dir);
	rc = rc < 0 ? err_set(err, ERR_NOMEM, "out of memory")
	            : store_identity_place(s, host, abs.ptr, err);
	buf_release(&abs);
	return rc;
}

int store_open(struct store **out, const char *dir, struct err *err)
{
	struct buf path;
	char *abs = NULL;
	int rc;

	*out = NULL;
	rc = statedir_resolve(&abs, dir, true, err);
	if (rc)
		return rc;
	rc = store_db_path(&path, abs, err);
	if (rc) {
		free(abs);
		return rc;
	}
	rc = store_check_db(path.ptr, err);
	if (rc == ERR_NOTFOUND)
		rc = store_create_db(path.ptr, err);
	if (!rc)
		rc = store_check_db(path.ptr, err);
	if (!rc)
		rc = store_connect(out, path.ptr, SQLITE_OPEN_READWRITE, err);
	if (!rc && (rc = store_migrate(*out, store_migrations, store_migrations_count, err)) == 0)
		rc = store_set_key_path(*out, abs, err);
	if (rc) {
		store_free(*out);
		*out = NULL;
	}
	free(abs);
	buf_release(&path);
	/* The host and path only name the database in messages: not worth failing for. */
	if (rc == 0) {
		struct err ignored = ERR_INIT;

		store_place_identity(*out, dir, &ignored);
	}
	return rc;
}

/*
 * A read-only connection whose schema is older than this deployctl's:
 * copied into memory and migrated there, since the file cannot be.
 */
static int store_migrate_copy(struct store **s, struct err *err)
{
	struct store *mem = NULL;
	sqlite3_backup *b;
	int rc;

	rc = store_connect(&mem, ":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, err);
	if (rc)
		return rc;
	b = sqlite3_backup_init(mem->db, "main", (*s)->db, "main");
	if (!b || sqlite3_backup_step(b, -1) != SQLITE_DONE) {
		rc = err_set(err, ERR_STORE, "cannot read database '%s': %s", (*s)->path,
		             sqlite3_errmsg(mem->db));
		sqlite3_backup_finish(b);
		store_free(mem);
		return rc;
	}
	sqlite3_backup_finish(b);
	free(mem->path);
	mem->path = (*s)->path; /* messages name the file */
	(*s)->path = NULL;
	store_free(*s);
	*s = mem;
	return store_migrate(mem, store_migrations, store_migrations_count, err);
}

int store_open_readonly(struct store **out, const char *dir, struct err *err)
{
	struct store *s = NULL;
	char *abs = NULL;
	struct buf path;
	int rc;

	*out = NULL;
	rc = statedir_resolve(&abs, dir, false, err);
	if (rc == ERR_NOTFOUND) { /* nothing recorded yet: an empty history */
		err_clear(err);
		return store_open_file(out, ":memory:", err);
	}
	if (!rc)
		rc = store_db_path(&path, abs, err);
	if (rc) {
		free(abs);
		return rc;
	}
	rc = store_check_db(path.ptr, err);
	if (rc == ERR_NOTFOUND) {
		free(abs);
		buf_release(&path);
		return store_open_file(out, ":memory:", err);
	}
	if (!rc)
		rc = store_connect(&s, path.ptr, SQLITE_OPEN_READONLY, err);
	if (!rc && store_schema_version(s) < 0) /* truncated, or not SQLite: name the file */
		rc = err_set(err, ERR_STORE, "cannot read database '%s': %s", path.ptr,
		             sqlite3_errmsg(s->db));
	if (!rc && store_schema_version(s) <
	                   store_migrations_latest(store_migrations, store_migrations_count))
		rc = store_migrate_copy(&s, err);
	else if (!rc)
		rc = store_migrate(s, store_migrations, store_migrations_count, err);
	if (!rc)
		rc = store_set_key_path(s, abs, err);
	if (!rc) {
		*out = s;
		s = NULL;
	}
	store_free(s);
	free(abs);
	buf_release(&path);
	return rc;
}

/* Is the directory holding path writable by us? */
static bool dir_writable(const char *path)
{
	char *dir = strdup(path), *slash;
	bool ok;

	if (!dir)
		return false;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	ok = access(slash ? dir : ".", W_OK) == 0;
	free(dir);
	return ok;
}

const struct hash_key *store_key(struct store *s, struct err *err)
{
	struct err load = ERR_INIT;
	int rc;

	if (s->have_key)
		return &s->key;
	if (!s->key_path) {
		if (hash_key_random(&s->key, err))
			return NULL;
		s->have_key = true;
		return &s->key;
	}
	rc = hash_key_load(&s->key, s->key_path, &load);
	/*
	 * A read-only state directory that never had a key (made before keys
	 * existed): nothing keyed was ever recorded there, so a key of this
	 * process compares as well, and nothing made with it may be recorded.
	 */
	if (rc == ERR_IO && access(s->key_path, F_OK) < 0 && errno == ENOENT &&
	    !dir_writable(s->key_path) && hash_key_random(&s->key, err) == 0) {
		s->have_key = s->key_ephemeral = true;
		return &s->key;
	}
	if (rc) {
		err_set(err, load.code, "%s", load.msg);
		return NULL;
	}
	s->have_key = true;
	return &s->key;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	/* sqlite3_close_v2 accepts NULL; all statements are finalized by now */
	sqlite3_close_v2(s->db);
	free(s->path);
	free(s->key_path);
	memset(&s->key, 0, sizeof(s->key));
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
