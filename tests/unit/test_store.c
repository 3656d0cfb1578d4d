/*
 * test_store.c - opening the release store: schema migrations and
 * user_version (an embedded table, a test table, a schema-1 database with a
 * release), file and directory modes, refusing an untrusted or broken state
 * directory, read-only opening. Releases are test_store_release.c;
 * snapshots, pins and tags test_store_snapshot.c.
 * Runs on ":memory:" and on temporary directories under /tmp.
 */
#include "store_fixture.h"

static void test_store__migrations_set_user_version(void)
{
	struct store *s = open_memory();
	size_t i;
	int found = 0;
	sqlite3_stmt *st = NULL;
	static const char *const tables[] = { "releases",          "release_actions",
		                              "release_services",  "release_env",
		                              "release_ports",     "release_labels",
		                              "release_resources", "events" };

	if (!s)
		return;
	CHECK(store_migrations_count >= 1);
	CHECK_STR(store_migrations[0].name, "0001_init");
	CHECK_INT(store_schema_version(s),
	          (int)strtol(store_migrations[store_migrations_count - 1].name, NULL, 10));
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		CHECK_INT(sqlite3_prepare_v2(s->db,
		                             "SELECT count(*) FROM sqlite_schema"
		                             " WHERE type = 'table' AND name = ?1",
		                             -1, &st, NULL),
		          SQLITE_OK);
		sqlite3_bind_text(st, 1, tables[i], -1, SQLITE_STATIC);
		CHECK_INT(sqlite3_step(st), SQLITE_ROW);
		found = sqlite3_column_int(st, 0);
		if (found != 1)
			fprintf(stderr, "missing table %s\n", tables[i]);
		CHECK_INT(found, 1);
		sqlite3_finalize(st);
		st = NULL;
	}
	/* foreign keys are enforced: an action for a release that does not exist */
	{
		struct store_action a = { 1, "create", "service", "web#1", "new", "done", NULL };
		struct err err = ERR_INIT;

		CHECK_INT(store_release_action_add(s, 999, &a, &err), ERR_STORE);
		CHECK(strstr(err.msg, "FOREIGN KEY") != NULL);
	}
	store_free(s);
}

static void test_store__migrate_table(void)
{
	static const struct store_migration good[] = {
		{ "0001_one", "CREATE TABLE one (x INTEGER);" },
		{ "0002_two", "CREATE TABLE two (y INTEGER);" },
	};
	static const struct store_migration bad[] = {
		{ "0001_one", "CREATE TABLE one (x INTEGER);" },
		{ "0002_two", "CREATE TABLE two (y INTEGER);" },
		{ "0003_broken", "CREATE TABLE three (z INTEGER); THIS IS NOT SQL;" },
	};
	static const struct store_migration unordered[] = {
		{ "0002_two", "SELECT 1;" },
		{ "0001_one", "SELECT 1;" },
	};
	static const struct store_migration unnumbered[] = {
		{ "init", "SELECT 1;" },
	};
	struct store s = { .db = NULL, .path = (char *)":memory:" };
	struct err err = ERR_INIT;

	CHECK_INT(sqlite3_open(":memory:", &s.db), SQLITE_OK);
	CHECK_INT(store_migrate(&s, good, 1, &err), 0);
	CHECK_INT(store_schema_version(&s), 1);
	/* a later binary applies only what is new */
	CHECK_INT(store_migrate(&s, good, 2, &err), 0);
	CHECK_INT(store_schema_version(&s), 2);
	CHECK_INT(store_migrate(&s, good, 2, &err), 0);
	/* a failing migration leaves nothing behind and the version unchanged */
	CHECK_INT(store_migrate(&s, bad, 3, &err), ERR_STORE);
	CHECK(strstr(err.msg, "0003_broken") != NULL);
	CHECK_INT(store_schema_version(&s), 2);
	CHECK_INT(sqlite3_exec(s.db, "SELECT * FROM three", NULL, NULL, NULL), SQLITE_ERROR);
	CHECK(sqlite3_get_autocommit(s.db) != 0);
	/* an older binary refuses */
	err_clear(&err);
	CHECK_INT(store_migrate(&s, good, 1, &err), ERR_STORE);
	CHECK(strstr(err.msg, "database schema 2 is newer than this deployctl (1)") != NULL);
	err_clear(&err);
	CHECK_INT(store_migrate(&s, unordered, 2, &err), ERR_STORE);
	err_clear(&err);
	CHECK_INT(store_migrate(&s, unnumbered, 1, &err), ERR_STORE);
	sqlite3_close(s.db);
}

static void test_store__open_dir_modes_and_reopen(void)
{
	char *dir = tmpdir_new();
	char state[512], db[600], wal[700];
	struct store *s = NULL;
	struct err err = ERR_INIT;
	struct stat st;
	mode_t old;
	int64_t id;

	CHECK(dir != NULL);
	if (!dir)
		return;
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(db, sizeof(db), "%s/%s", state, STORE_DB_NAME);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	old = umask(0); /* the modes must not depend on the umask */
	CHECK_INT(store_open(&s, state, &err), 0);
	umask(old);
	CHECK(s != NULL);
	CHECK_INT(stat(state, &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_INT(st.st_mode & 07777, 0700);
	CHECK_INT(stat(db, &st), 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_INT(st.st_mode & 07777, 0600);
	id = begin(s, "web", "host1", 1);
	CHECK_INT(id, 1);
	/* WAL mode: the write-ahead log exists while the store is open, with the same mode */
	CHECK_INT(stat(wal, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	store_free(s);
	s = NULL;

	/* reopening migrates nothing and keeps the data */
	CHECK_INT(store_open(&s, state, &err), 0);
	if (s) {
		struct store_release r;

		CHECK_INT(store_schema_version(s), last_version());
		CHECK_INT(store_release_get(&r, s, id, &err), 0);
		CHECK_STR(r.project, "web");
		store_release_release(&r);
		CHECK_INT(begin(s, "web", "host1", 1), 2);
	}
	store_free(s);
	s = NULL;
	CHECK_INT(stat(db, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);

	/* a database from a newer deployctl is refused */
	CHECK_INT(raw_exec(db, "PRAGMA user_version = 99"), SQLITE_OK);
	CHECK_INT(store_open(&s, state, &err), ERR_STORE);
	CHECK(s == NULL);
	{
		char want[128];

		snprintf(want, sizeof(want), "database schema 99 is newer than this deployctl (%d)",
		         last_version());
		CHECK(strstr(err.msg, want) != NULL);
	}
	store_free(s);
	tmpdir_remove(dir);
	free(dir);
}

/* Open path for writing with flags (O_CREAT, O_TRUNC), write text if any, close: checked. */
static void write_file(const char *path, int flags, const char *text)
{
	int fd = open(path, O_WRONLY | flags | O_CLOEXEC, 0600);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	if (text)
		CHECK_INT(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
}

static void test_store__open_errors(void)
{
	char *dir = tmpdir_new();
	char path[512];
	struct store *s = NULL;
	struct err err = ERR_INIT;

	CHECK(dir != NULL);
	if (!dir)
		return;
	/* missing parent: only the last component is created */
	snprintf(path, sizeof(path), "%s/missing/state", dir);
	CHECK_INT(store_open(&s, path, &err), ERR_IO);
	CHECK(s == NULL);
	CHECK(strstr(err.msg, path) != NULL);
	CHECK(strstr(err.msg, "parent directory does not exist") != NULL);

	/* the state path is a file */
	err_clear(&err);
	snprintf(path, sizeof(path), "%s/state", dir);
	write_file(path, O_CREAT, NULL);
	CHECK_INT(store_open(&s, path, &err), ERR_IO);
	CHECK(strstr(err.msg, "not a directory") != NULL);
	unlink(path);

	/* a file that is not a database */
	err_clear(&err);
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_DB_NAME);
	write_file(path, O_CREAT, "this is not a sqlite database, not at all!!");
	CHECK_INT(store_open(&s, dir, &err), ERR_STORE);
	CHECK(s == NULL);
	CHECK(strstr(err.msg, path) != NULL);
	unlink(path);
	tmpdir_remove(dir);
	free(dir);
}

/* The state directory and database are trusted only when they deserve it. */
static void test_store__open_refuses_untrusted(void)
{
	char *dir = tmpdir_new();
	char state[512], db[600], target[600], want[800];
	struct store *s = NULL;
	struct err err = ERR_INIT;
	struct stat st;

	CHECK(dir != NULL);
	if (!dir)
		return;
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(db, sizeof(db), "%s/%s", state, STORE_DB_NAME);
	snprintf(target, sizeof(target), "%s/elsewhere.db", dir);

	/* a group- or world-writable state directory is refused, read or write */
	CHECK_INT(mkdir(state, 0700), 0);
	CHECK_INT(chmod(state, 0770), 0);
	CHECK_INT(store_open(&s, state, &err), ERR_IO);
	CHECK(s == NULL);
	CHECK(strstr(err.msg, "is writable by its group (mode 0770)") != NULL);
	CHECK(strstr(err.msg, state) != NULL);
	err_clear(&err);
	CHECK_INT(chmod(state, 0707), 0);
	CHECK_INT(store_open_readonly(&s, state, &err), ERR_IO);
	CHECK(strstr(err.msg, "is writable by everyone") != NULL);
	err_clear(&err);
	CHECK_INT(chmod(state, 0700), 0);

	/* owned by another user (only root can make one) */
	if (geteuid() == 0) {
		CHECK_INT(chown(state, 65534, 65534), 0);
		CHECK_INT(store_open(&s, state, &err), ERR_IO);
		CHECK(strstr(err.msg, "is owned by uid 65534") != NULL);
		err_clear(&err);
		CHECK_INT(chown(state, 0, 0), 0);
	}

	/* a planted symlink is not followed, and nothing is created where it points */
	CHECK_INT(symlink(target, db), 0);
	CHECK_INT(store_open(&s, state, &err), ERR_IO);
	CHECK(s == NULL);
	CHECK(strstr(err.msg, "is a symbolic link") != NULL);
	CHECK(lstat(target, &st) < 0 && errno == ENOENT);
	err_clear(&err);
	CHECK_INT(store_open_readonly(&s, state, &err), ERR_IO);
	CHECK(strstr(err.msg, "is a symbolic link") != NULL);
	err_clear(&err);
	CHECK_INT(unlink(db), 0);

	/* nor is a planted log symlink, and a log without its database is a lost history */
	{
		char wal[700];

		snprintf(wal, sizeof(wal), "%s-wal", db);
		CHECK_INT(symlink(target, wal), 0);
		CHECK_INT(store_open(&s, state, &err), ERR_IO);
		CHECK(strstr(err.msg, "-wal' is a symbolic link") != NULL);
		err_clear(&err);
		CHECK_INT(unlink(wal), 0);
		write_file(wal, O_CREAT, NULL);
		CHECK_INT(store_open(&s, state, &err), ERR_STORE);
		CHECK(strstr(err.msg, "is missing but its write-ahead log is there") != NULL);
		CHECK(lstat(db, &st) < 0 && errno == ENOENT);
		err_clear(&err);
		CHECK_INT(unlink(wal), 0);
	}

	/* a database truncated to 0 bytes is an error, never a fresh start */
	CHECK_INT(store_open(&s, state, &err), 0);
	CHECK_INT(begin(s, "web", "host1", 1), 1);
	store_free(s);
	s = NULL;
	write_file(db, O_TRUNC, NULL);
	CHECK_INT(store_open(&s, state, &err), ERR_STORE);
	CHECK(s == NULL);
	snprintf(want, sizeof(want), "database '%s' exists but is empty (0 bytes)", db);
	CHECK(strstr(err.msg, want) != NULL);
	CHECK_INT(stat(db, &st), 0);
	CHECK_INT((long long)st.st_size, 0); /* left as found */
	err_clear(&err);
	CHECK_INT(store_open_readonly(&s, state, &err), ERR_STORE);
	CHECK(strstr(err.msg, want) != NULL);
	err_clear(&err);

	/* a database writable by others is refused */
	CHECK_INT(unlink(db), 0);
	CHECK_INT(store_open(&s, state, &err), 0);
	store_free(s);
	s = NULL;
	CHECK_INT(chmod(db, 0666), 0);
	CHECK_INT(store_open(&s, state, &err), ERR_IO);
	CHECK(strstr(err.msg, "database") && strstr(err.msg, "writable by everyone"));
	store_free(s);
	tmpdir_remove(dir);
	unlink(target);
	free(dir);
}

/* Read-only opening writes nothing and reads an absent database as empty. */
static void test_store__open_readonly(void)
{
	char *dir = tmpdir_new();
	char state[512], db[600], wal[700];
	struct store *s = NULL;
	struct store_release *v = NULL;
	struct err err = ERR_INIT;
	struct stat st;
	size_t n = 9;

	CHECK(dir != NULL);
	if (!dir)
		return;
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(db, sizeof(db), "%s/%s", state, STORE_DB_NAME);
	snprintf(wal, sizeof(wal), "%s-wal", db);

	/* no state directory at all: an empty history, nothing created */
	CHECK_INT(store_open_readonly(&s, state, &err), 0);
	CHECK(s != NULL);
	CHECK_INT(store_release_list(&v, &n, s, NULL, 0, &err), 0);
	CHECK_INT(n, 0);
	store_release_list_free(v, n);
	store_free(s);
	s = NULL;
	CHECK(stat(state, &st) < 0 && errno == ENOENT);

	CHECK_INT(store_open(&s, state, &err), 0);
	CHECK_INT(begin(s, "web", "host1", 1), 1);
	store_free(s);
	s = NULL;
	CHECK_INT(store_open_readonly(&s, state, &err), 0);
	CHECK(s != NULL);
	if (s) {
		CHECK_INT(store_release_list(&v, &n, s, NULL, 0, &err), 0);
		CHECK_INT(n, 1);
		store_release_list_free(v, n);
		/* writing is refused */
		CHECK(begin_quiet(s) != 0);
	}
	store_free(s);
	/* an older schema (1) is migrated in memory, the file stays as it was */
	tmpdir_remove(dir);
	CHECK_INT(mkdir(dir, 0700), 0);
	CHECK_INT(mkdir(state, 0700), 0);
	{
		struct store raw = { 0 };

		raw.path = db;
		CHECK_INT(sqlite3_open(db, &raw.db), SQLITE_OK);
		CHECK_INT(store_migrate(&raw, store_migrations, 1, &err), 0);
		CHECK_INT(begin(&raw, "old", "host1", 1), 1);
		sqlite3_close(raw.db);
	}
	s = NULL;
	CHECK_INT(store_open_readonly(&s, state, &err), 0);
	if (err.code)
		fprintf(stderr, "store_open_readonly: %s\n", err.msg);
	if (s)
		CHECK_INT(store_schema_version(s), last_version());
	store_free(s);
	CHECK_INT(raw_int(db, "PRAGMA user_version"), 1);
	tmpdir_remove(dir);
	free(dir);
}

/* A schema-1 database with a release migrates to the latest schema, data kept. */
static void test_store__migrate_from_schema_1(void)
{
	struct store s = { 0 };
	struct err err = ERR_INIT;
	struct store_release r;
	struct kvv digests = { 0 };
	bool tagged = true;

	s.path = (char *)":memory:";
	CHECK_INT(sqlite3_open(":memory:", &s.db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(s.db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), SQLITE_OK);
	CHECK(store_migrations_count >= 2);
	CHECK_STR(store_migrations[1].name, "0002_pins_tags_digests");
	CHECK_INT(store_migrate(&s, store_migrations, 1, &err), 0);
	CHECK_INT(store_schema_version(&s), 1);
	CHECK_INT(begin(&s, "shop", "host1", 1), 1);
	CHECK_INT(
	        sqlite3_exec(s.db,
	                     "INSERT INTO release_services (release_id, service, image, spec_hash,"
	                     " replicas, spec_json) VALUES (1, 'web', 'nginx', 'h', 1, '{}')",
	                     NULL, NULL, NULL),
	        SQLITE_OK);
	/* schema 1 has no pins table */
	CHECK_INT(store_pin_set(&s, "shop", 1, NULL, "alice", NULL, &err), ERR_STORE);
	err_clear(&err);

	CHECK_INT(store_migrate(&s, store_migrations, store_migrations_count, &err), 0);
	CHECK_INT(store_schema_version(&s), last_version());
	CHECK_INT(store_release_get(&r, &s, 1, &err), 0);
	CHECK_STR(r.project, "shop");
	store_release_release(&r);
	CHECK_INT(store_release_digests(&digests, &s, 1, &err), 0);
	CHECK_INT(digests.n, 0); /* the new column is NULL for old rows */
	CHECK_INT(store_release_service_set_digest(&s, 1, "web", "nginx@sha256:0123", &err), 0);
	CHECK_INT(store_release_digests(&digests, &s, 1, &err), 0);
	CHECK_STR(kvv_get(&digests, "web"), "nginx@sha256:0123");
	kvv_free(&digests);
	CHECK_INT(store_pin_set(&s, "shop", 1, NULL, "alice", NULL, &err), 0);
	CHECK_INT(store_release_tagged(&tagged, &s, 1, &err), 0);
	CHECK(!tagged);
	sqlite3_close(s.db);
}

int main(void)
{
	RUN(test_store__migrations_set_user_version);
	RUN(test_store__migrate_table);
	RUN(test_store__open_dir_modes_and_reopen);
	RUN(test_store__open_errors);
	RUN(test_store__open_refuses_untrusted);
	RUN(test_store__open_readonly);
	RUN(test_store__migrate_from_schema_1);
	return CHECK_DONE();
}
