/*
 * test_store.c - the release store: schema migrations and user_version,
 * file and directory modes, release round trips, secrets kept out of the
 * database file, latest-by-status, interrupted releases and events;
 * schema 2: migrating a schema-1 database, snapshot reads, repo digests,
 * copying a snapshot, pins and tags.
 * Runs on ":memory:" and on temporary directories under /tmp.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "deployctl/hash.h"
#include "deployctl/model.h"
#include "deployctl/store.h"
#include "store_internal.h"

#define SECRET_VALUE "hunter2-very-secret-value-4711"

static char *tmpdir_new(void)
{
	char tmpl[] = "/tmp/deployctl-test-store-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

static void tmpdir_remove(const char *dir)
{
	static const char *const names[] = { "state/" STORE_DB_NAME,
		                             "state/" STORE_DB_NAME "-wal",
		                             "state/" STORE_DB_NAME "-shm",
		                             STORE_DB_NAME,
		                             STORE_DB_NAME "-wal",
		                             STORE_DB_NAME "-shm",
		                             STORE_KEY_NAME,
		                             "state/" STORE_KEY_NAME,
		                             "state" };
	char path[512];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (unlink(path) < 0 && errno == EISDIR)
			rmdir(path);
		rmdir(path);
	}
	rmdir(dir);
}

/* Run a query returning one integer on a raw connection to path. */
static long long raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -12345;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

/* Does the file at path contain needle anywhere? -1 if unreadable. */
static int file_contains(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rbe");
	size_t len = strlen(needle), n, i;
	char *data = NULL;
	long size;
	int found = 0;

	if (!f)
		return errno == ENOENT ? 0 : -1;
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -1;
	}
	data = malloc((size_t)size + 1);
	n = data ? fread(data, 1, (size_t)size, f) : 0;
	fclose(f);
	for (i = 0; n >= len && i <= n - len; i++) {
		if (!memcmp(data + i, needle, len)) {
			found = 1;
			break;
		}
	}
	free(data);
	return found;
}

/* The schema version the embedded migrations end at. */
static int last_version(void)
{
	return (int)strtol(store_migrations[store_migrations_count - 1].name, NULL, 10);
}

static struct store *open_memory(void)
{
	struct err err = ERR_INIT;
	struct store *s = NULL;

	CHECK_INT(store_open_file(&s, ":memory:", &err), 0);
	CHECK(s != NULL);
	if (err.code)
		fprintf(stderr, "store_open_file: %s\n", err.msg);
	return s;
}

static int64_t begin(struct store *s, const char *project, const char *host, long pid)
{
	struct store_release_info info = {
		.project = project,
		.kind = "apply",
		.source_kind = "git",
		.source = "0123456789abcdef0123456789abcdef01234567",
		.ref = "main",
		.subject = "deploy web",
		.who = "alice",
		.host = host,
		.pid = pid,
	};
	struct err err = ERR_INIT;
	int64_t id = -1;

	CHECK_INT(store_release_begin(&id, s, &info, &err), 0);
	return id;
}

/* The one integer a query on s gives. */
static long long raw_count(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Try to begin a release; its error code (a read-only store refuses). */
static int begin_quiet(struct store *s)
{
	struct store_release_info info = {
		.project = "web",
		.kind = "apply",
		.source_kind = "git",
		.source = "x",
		.who = "alice",
		.host = "h",
		.pid = 1,
	};
	struct err err = ERR_INIT;
	int64_t id = -1;

	return store_release_begin(&id, s, &info, &err);
}

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

static void test_store__open_errors(void)
{
	char *dir = tmpdir_new();
	char path[512];
	struct store *s = NULL;
	struct err err = ERR_INIT;
	int fd;

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
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK_INT(store_open(&s, path, &err), ERR_IO);
	CHECK(strstr(err.msg, "not a directory") != NULL);
	unlink(path);

	/* a file that is not a database */
	err_clear(&err);
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_DB_NAME);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK_INT(write(fd, "this is not a sqlite database, not at all!!", 43), 43);
		close(fd);
	}
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
	int fd;

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
		fd = open(wal, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		CHECK(fd >= 0);
		if (fd >= 0)
			close(fd);
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
	fd = open(db, O_WRONLY | O_TRUNC | O_CLOEXEC);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
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

/* A hand-built project with one service "web" and a secret in its env. */
static void project_build(struct project *p, struct service *svc, struct svc_port *port)
{
	memset(p, 0, sizeof(*p));
	memset(svc, 0, sizeof(*svc));
	memset(port, 0, sizeof(*port));
	p->name = strdup("shop");
	CHECK_INT(strv_push(&p->secret_keys, "STRIPE"), 0);
	svc->name = strdup("web");
	svc->image = strdup("nginx:1.25");
	svc->image_id = strdup("sha256:abc");
	svc->replicas = 2;
	CHECK_INT(kvv_set(&svc->env, "DB_PASSWORD", SECRET_VALUE), 0);
	CHECK_INT(kvv_set(&svc->env, "STRIPE", "sk_live_listed_secret_99"), 0);
	CHECK_INT(kvv_set(&svc->env, "MODE", "production"), 0);
	CHECK_INT(kvv_set(&svc->labels, "team", "payments"), 0);
	port->host_ip = strdup("127.0.0.1");
	port->host_port = 8080;
	port->container_port = 80;
	port->protocol = strdup("tcp");
	svc->ports = port;
	svc->nports = 1;
}

static void project_clear(struct project *p, struct service *svc, struct svc_port *port)
{
	free(port->host_ip);
	free(port->protocol);
	free(svc->name);
	free(svc->image);
	free(svc->image_id);
	kvv_free(&svc->env);
	kvv_free(&svc->labels);
	strv_free(&p->secret_keys);
	free(p->name);
}

static void test_store__release_round_trip(void)
{
	struct store *s = open_memory();
	struct err err = ERR_INIT;
	struct project p;
	struct service svc;
	struct svc_port port;
	struct store_action a1 = { 1,         "network-create", "network", "default",
		                   "missing", "done",           NULL };
	struct store_action a2 = {
		2, "create", "service", "web#1", "new", "failed", "no such image"
	};
	struct store_action a3 = { 0, "create", "service", "web#2", "new", "skipped", NULL };
	struct store_release *list = NULL, r;
	struct store_action_row *acts = NULL;
	struct store_service_row *svcs = NULL;
	struct kvv nets = { 0 };
	size_t n = 0;
	char *spec = NULL;
	int64_t id, id2;

	if (!s)
		return;
	project_build(&p, &svc, &port);
	id = begin(s, "shop", "host1", 42);
	CHECK_INT(id, 1);
	CHECK_INT(store_release_action_add(s, id, &a1, &err), 0);
	CHECK_INT(store_release_action_add(s, id, &a2, &err), 0);
	CHECK_INT(store_release_action_add(s, id, &a3, &err), 0);
	CHECK_INT(store_release_service_add(s, id, &p, &svc, "hash-web",
	                                    "{\"image\":\"nginx:1.25\"}", &err),
	          0);
	CHECK_INT(store_release_resource_add(s, id, "network", "default", "shop_default", &err), 0);
	CHECK_INT(store_release_resource_add(s, id, "volume", "data", "shop_data", &err), 0);

	/* while running: no finished_at, duration -1 */
	CHECK_INT(store_release_get(&r, s, id, &err), 0);
	CHECK_STR(r.status, "running");
	CHECK(r.finished_at == NULL);
	CHECK(r.duration_s < 0);
	store_release_release(&r);

	CHECK_INT(store_release_finish(s, id, RELEASE_FAILED, "create web#1 failed", &err), 0);
	CHECK_INT(store_release_get(&r, s, id, &err), 0);
	CHECK_INT(r.id, id);
	CHECK_STR(r.project, "shop");
	CHECK_STR(r.kind, "apply");
	CHECK_STR(r.source_kind, "git");
	CHECK_STR(r.ref, "main");
	CHECK_STR(r.subject, "deploy web");
	CHECK_STR(r.who, "alice");
	CHECK_STR(r.host, "host1");
	CHECK_INT(r.pid, 42);
	CHECK_STR(r.status, "failed");
	CHECK_STR(r.message, "create web#1 failed");
	CHECK_INT(r.rollback_of, 0);
	/* to the millisecond, so durations keep sub-second precision */
	CHECK(r.started_at && strlen(r.started_at) == 24 && r.started_at[10] == 'T' &&
	      r.started_at[19] == '.' && r.started_at[23] == 'Z');
	CHECK(r.finished_at != NULL);
	CHECK(r.duration_s >= 0 && r.duration_s < 5);
	store_release_release(&r);

	CHECK_INT(store_release_actions(&acts, &n, s, id, &err), 0);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_INT(acts[0].seq, 1);
		CHECK_STR(acts[0].action, "network-create");
		CHECK(acts[0].error == NULL);
		CHECK_STR(acts[1].outcome, "failed");
		CHECK_STR(acts[1].error, "no such image");
		CHECK_INT(acts[2].seq, 3);
		CHECK_STR(acts[2].target, "web#2");
	}
	store_action_rows_free(acts, n);

	CHECK_INT(store_release_services(&svcs, &n, s, id, &err), 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(svcs[0].service, "web");
		CHECK_STR(svcs[0].image, "nginx:1.25");
		CHECK_STR(svcs[0].image_id, "sha256:abc");
		CHECK_STR(svcs[0].spec_hash, "hash-web");
		CHECK_INT(svcs[0].replicas, 2);
	}
	store_service_rows_free(svcs, n);
	CHECK_INT(store_service_spec(&spec, s, id, "web", &err), 0);
	CHECK_STR(spec, "{\"image\":\"nginx:1.25\"}");
	free(spec);
	spec = NULL;
	CHECK_INT(store_service_spec(&spec, s, id, "db", &err), ERR_NOTFOUND);
	CHECK(spec == NULL);
	err_clear(&err);

	CHECK_INT(store_release_resources(&nets, s, id, "network", &err), 0);
	CHECK_INT(nets.n, 1);
	CHECK_STR(kvv_get(&nets, "default"), "shop_default");
	kvv_free(&nets);

	/* ports and labels are queryable */
	CHECK_INT(sqlite3_exec(s->db,
	                       "SELECT 1 FROM release_ports WHERE host_ip = '127.0.0.1' AND"
	                       " host_port = 8080 AND container_port = 80 AND protocol = 'tcp'",
	                       NULL, NULL, NULL),
	          SQLITE_OK);
	{
		sqlite3_stmt *st = NULL;

		sqlite3_prepare_v2(
		        s->db,
		        "SELECT (SELECT count(*) FROM release_ports WHERE host_port = 8080"
		        " AND container_port = 80), (SELECT value FROM release_labels"
		        " WHERE key = 'team')",
		        -1, &st, NULL);
		CHECK_INT(sqlite3_step(st), SQLITE_ROW);
		CHECK_INT(sqlite3_column_int(st, 0), 1);
		CHECK_STR((const char *)sqlite3_column_text(st, 1), "payments");
		sqlite3_finalize(st);
	}

	/* list: newest first, by project, with a limit */
	id2 = begin(s, "shop", "host1", 43);
	CHECK_INT(store_release_finish(s, id2, RELEASE_SUCCEEDED, NULL, &err), 0);
	CHECK_INT(begin(s, "other", "host1", 44), 3);
	CHECK_INT(store_release_list(&list, &n, s, "shop", 0, &err), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_INT(list[0].id, id2);
		CHECK_STR(list[0].status, "succeeded");
		CHECK(list[0].message == NULL);
		CHECK_INT(list[1].id, id);
	}
	store_release_list_free(list, n);
	CHECK_INT(store_release_list(&list, &n, s, NULL, 1, &err), 0);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_STR(list[0].project, "other");
	store_release_list_free(list, n);
	CHECK_INT(store_release_list(&list, &n, s, "nope", 0, &err), 0);
	CHECK_INT(n, 0);
	store_release_list_free(list, n);

	CHECK_INT(store_release_get(&r, s, 999, &err), ERR_NOTFOUND);
	err_clear(&err);
	CHECK_INT(store_release_finish(s, 999, RELEASE_FAILED, NULL, &err), ERR_NOTFOUND);
	err_clear(&err);
	CHECK_INT(store_release_finish(s, id, RELEASE_RUNNING, NULL, &err), ERR_INVALID);
	project_clear(&p, &svc, &port);
	store_free(s);
}

static void test_store__secrets_fingerprint_only(void)
{
	char *dir = tmpdir_new();
	char db[512], wal[512];
	char fp[HASH_FINGERPRINT_SIZE];
	struct store *s = NULL;
	struct err err = ERR_INIT;
	struct project p;
	struct service svc;
	struct svc_port port;
	int64_t id;

	CHECK(dir != NULL);
	if (!dir)
		return;
	snprintf(db, sizeof(db), "%s/%s", dir, STORE_DB_NAME);
	snprintf(wal, sizeof(wal), "%s/%s-wal", dir, STORE_DB_NAME);
	project_build(&p, &svc, &port);
	CHECK_INT(store_open(&s, dir, &err), 0);
	if (!s)
		goto out;
	id = begin(s, "shop", "host1", 1);
	CHECK_INT(store_release_service_add(s, id, &p, &svc, "h", "{}", &err), 0);
	/* a failing snapshot (same service twice) rolls back as a whole */
	CHECK_INT(store_release_service_add(s, id, &p, &svc, "h", "{}", &err), ERR_STORE);
	err_clear(&err);
	/* nests inside a caller's transaction */
	CHECK_INT(store_exec(s, "BEGIN IMMEDIATE", &err), 0);
	svc.name[0] = 'W';
	CHECK_INT(store_release_service_add(s, id, &p, &svc, "h", "{}", &err), 0);
	CHECK_INT(store_exec(s, "ROLLBACK", &err), 0);
	svc.name[0] = 'w';
	CHECK_INT(store_release_finish(s, id, RELEASE_SUCCEEDED, NULL, &err), 0);
	hash_fingerprint(fp, store_key(s, &err), SECRET_VALUE);
	store_free(s);
	s = NULL;

	CHECK_INT(raw_int(db, "SELECT count(*) FROM release_services"), 1);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM release_env"), 3);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM release_ports"), 1);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM release_env WHERE is_secret = 1"
	                      " AND value IS NULL AND fingerprint LIKE 'hmac:%'"),
	          2);
	CHECK_INT(raw_int(db,
	                  "SELECT count(*) FROM release_env WHERE key = 'MODE'"
	                  " AND value = 'production' AND fingerprint IS NULL AND is_secret = 0"),
	          1);
	{
		char sql[256];

		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM release_env WHERE key = 'DB_PASSWORD'"
		         " AND fingerprint = '%s'",
		         fp);
		CHECK_INT(raw_int(db, sql), 1);
	}
	/* not a byte of either secret anywhere in the files */
	CHECK_INT(file_contains(db, SECRET_VALUE), 0);
	CHECK_INT(file_contains(db, "sk_live_listed_secret_99"), 0);
	CHECK_INT(file_contains(wal, SECRET_VALUE), 0);
	CHECK_INT(file_contains(db, "production"), 1); /* the scan does see plain values */
out:
	project_clear(&p, &svc, &port);
	tmpdir_remove(dir);
	free(dir);
}

static void test_store__latest_by_status(void)
{
	struct store *s = open_memory();
	struct err err = ERR_INIT;
	struct store_release_info info = {
		.project = "shop",
		.kind = "rollback",
		.source_kind = "dir",
		.source = "dir:abc",
		.who = "bob",
		.host = "h",
		.pid = 7,
		.rollback_of = 1,
	};
	struct store_release r;
	int64_t a, b, c, id = -1;

	if (!s)
		return;
	CHECK_INT(store_release_latest(&id, s, "shop", NULL, &err), 0);
	CHECK_INT(id, 0);
	a = begin(s, "shop", "h", 1);
	b = begin(s, "shop", "h", 1);
	CHECK_INT(store_release_begin(&c, s, &info, &err), 0);
	begin(s, "other", "h", 1);
	CHECK_INT(store_release_finish(s, a, RELEASE_SUCCEEDED, NULL, &err), 0);
	CHECK_INT(store_release_finish(s, b, RELEASE_FAILED, "boom", &err), 0);
	CHECK_INT(store_release_latest(&id, s, "shop", NULL, &err), 0);
	CHECK_INT(id, c);
	CHECK_INT(store_release_latest(&id, s, "shop", "succeeded", &err), 0);
	CHECK_INT(id, a);
	CHECK_INT(store_release_latest(&id, s, "shop", "failed", &err), 0);
	CHECK_INT(id, b);
	CHECK_INT(store_release_latest(&id, s, "shop", "rolled_back", &err), 0);
	CHECK_INT(id, 0);
	CHECK_INT(store_release_get(&r, s, c, &err), 0);
	CHECK_STR(r.kind, "rollback");
	CHECK_INT(r.rollback_of, 1);
	CHECK(r.ref == NULL && r.subject == NULL);
	store_release_release(&r);
	/* the schema refuses a kind it does not know */
	info.kind = "deploy";
	CHECK_INT(store_release_begin(&c, s, &info, &err), ERR_STORE);
	CHECK_STR(store_status_name(RELEASE_ROLLED_BACK), "rolled_back");
	CHECK_STR(store_status_name(RELEASE_INTERRUPTED), "interrupted");
	store_free(s);
}

/*
 * The lock holder closes every running release, whatever its host and
 * pid: a pid that is alive (reused, or in another pid namespace) says
 * nothing about a release. The message says what is known.
 */
static void test_store__mark_interrupted(void)
{
	struct store *s = open_memory();
	struct err err = ERR_INIT;
	struct store_release r;
	struct store_action_row *rows = NULL;
	int64_t self, alive, other, done;
	unsigned n = 99;
	size_t nrows = 0;
	char want[512];
	sqlite3_stmt *st = NULL;
	struct store_action planned = {
		.seq = 1,
		.action = "create",
		.target_type = "service",
		.target = "web#1",
		.reason = "new service",
		.outcome = "planned",
	};

	if (!s)
		return;
	self = begin(s, "shop", "host1", (long)getpid());
	alive = begin(s, "shop", "host1", (long)getppid());
	other = begin(s, "blog", "host2", 4242);
	done = begin(s, "shop", "host1", 1);
	CHECK_INT(store_release_finish(s, done, RELEASE_SUCCEEDED, NULL, &err), 0);
	CHECK_INT(store_release_action_add(s, alive, &planned, &err), 0);
	planned.seq = 2;
	CHECK_INT(store_release_action_add(s, alive, &planned, &err), 0);

	CHECK_INT(store_mark_interrupted(&n, s, "it left the state lock held by pid 9", &err), 0);
	CHECK_INT(n, 3);
	CHECK_INT(store_release_get(&r, s, self, &err), 0);
	CHECK_STR(r.status, "interrupted");
	CHECK(r.finished_at != NULL);
	snprintf(want, sizeof(want),
	         "interrupted: deployctl (pid %ld on host1, started %s) stopped before recording "
	         "an outcome; no action was recorded; it left the state lock held by pid 9",
	         (long)getpid(), r.started_at);
	CHECK_STR(r.message, want);
	store_release_release(&r);
	CHECK_INT(store_release_get(&r, s, alive, &err), 0);
	CHECK_STR(r.status, "interrupted");
	CHECK(strstr(r.message, "; 2 planned action(s), outcomes unknown;") != NULL);
	store_release_release(&r);
	CHECK_INT(store_release_actions(&rows, &nrows, s, alive, &err), 0);
	CHECK_INT(nrows, 2);
	if (nrows == 2)
		CHECK_STR(rows[1].outcome, "planned");
	store_action_rows_free(rows, nrows);
	CHECK_INT(store_release_get(&r, s, other, &err), 0);
	CHECK_STR(r.status, "interrupted");
	CHECK(strstr(r.message, "pid 4242 on host2") != NULL);
	store_release_release(&r);
	CHECK_INT(store_release_get(&r, s, done, &err), 0);
	CHECK_STR(r.status, "succeeded");
	store_release_release(&r);

	/* one event per release, in its project */
	CHECK_INT(sqlite3_prepare_v2(s->db, "SELECT project, kind, message FROM events ORDER BY id",
	                             -1, &st, NULL),
	          SQLITE_OK);
	CHECK_INT(sqlite3_step(st), SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(st, 0), "shop");
	CHECK_STR((const char *)sqlite3_column_text(st, 1), "interrupted");
	CHECK(strstr((const char *)sqlite3_column_text(st, 2), want) != NULL);
	CHECK_INT(sqlite3_step(st), SQLITE_ROW);
	CHECK_INT(sqlite3_step(st), SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(st, 0), "blog");
	CHECK_INT(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);

	/* a second pass finds nothing new */
	CHECK_INT(store_mark_interrupted(&n, s, NULL, &err), 0);
	CHECK_INT(n, 0);
	store_free(s);
}

/* Planned actions get their outcomes and the release its status in one go. */
static void test_store__release_close(void)
{
	struct store *s = open_memory();
	struct err err = ERR_INIT;
	struct store_release r;
	struct store_action_row *rows = NULL;
	size_t nrows = 0;
	int64_t id;
	struct store_action a[2] = {
		{ .seq = 1,
		  .action = "create",
		  .target_type = "service",
		  .target = "web#1",
		  .reason = "new service",
		  .outcome = "planned" },
		{ .seq = 2,
		  .action = "create",
		  .target_type = "service",
		  .target = "api#1",
		  .reason = "new service",
		  .outcome = "planned" },
	};

	if (!s)
		return;
	id = begin(s, "shop", "host1", 1);
	CHECK_INT(store_release_action_add(s, id, &a[0], &err), 0);
	CHECK_INT(store_release_action_add(s, id, &a[1], &err), 0);
	CHECK_INT(store_reserve(s, 64 * 1024, &err), 0);
	a[0].outcome = "done";
	a[1].outcome = "failed";
	a[1].error = "api#1: unhealthy";
	CHECK_INT(store_release_close(s, id, a, 2, RELEASE_ROLLED_BACK, "api#1: unhealthy", &err),
	          0);
	CHECK_INT(store_release_get(&r, s, id, &err), 0);
	CHECK_STR(r.status, "rolled_back");
	CHECK_STR(r.message, "api#1: unhealthy");
	store_release_release(&r);
	CHECK_INT(store_release_actions(&rows, &nrows, s, id, &err), 0);
	CHECK_INT(nrows, 2);
	if (nrows == 2) {
		CHECK_STR(rows[0].outcome, "done");
		CHECK_STR(rows[1].outcome, "failed");
		CHECK_STR(rows[1].error, "api#1: unhealthy");
	}
	store_action_rows_free(rows, nrows);
	/* the reserve holds nothing between releases */
	CHECK_INT(raw_count(s, "SELECT count(*) FROM store_reserve"), 0);
	/* a failure leaves the release as it was: running, actions planned */
	id = begin(s, "shop", "host1", 1);
	a[0].outcome = "planned";
	CHECK_INT(store_release_action_add(s, id, &a[0], &err), 0);
	a[0].outcome = "bogus";
	CHECK_INT(store_release_close(s, id, a, 1, RELEASE_SUCCEEDED, NULL, &err), ERR_STORE);
	CHECK_INT(store_release_get(&r, s, id, &err), 0);
	CHECK_STR(r.status, "running");
	store_release_release(&r);
	store_free(s);
}

static void test_store__events(void)
{
	struct store *s = open_memory();
	struct err err = ERR_INIT;
	sqlite3_stmt *st = NULL;

	if (!s)
		return;
	CHECK_INT(store_event_add(s, "shop", "lock-takeover", "took the lock from pid 12", &err),
	          0);
	CHECK_INT(store_event_add(s, NULL, "note", "global", &err), 0);
	CHECK_INT(sqlite3_prepare_v2(
	                  s->db, "SELECT id, project, kind, message, at FROM events ORDER BY id",
	                  -1, &st, NULL),
	          SQLITE_OK);
	CHECK_INT(sqlite3_step(st), SQLITE_ROW);
	CHECK_INT(sqlite3_column_int(st, 0), 1);
	CHECK_STR((const char *)sqlite3_column_text(st, 1), "shop");
	CHECK_STR((const char *)sqlite3_column_text(st, 2), "lock-takeover");
	CHECK_STR((const char *)sqlite3_column_text(st, 3), "took the lock from pid 12");
	CHECK_INT(strlen((const char *)sqlite3_column_text(st, 4)), 20);
	CHECK_INT(sqlite3_step(st), SQLITE_ROW);
	CHECK_INT(sqlite3_column_type(st, 1), SQLITE_NULL);
	CHECK_INT(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	store_free(s);
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

/* Release 1 of "shop" with the hand-built snapshot, networks and volumes. */
static int64_t release_with_snapshot(struct store *s)
{
	struct err err = ERR_INIT;
	struct project p;
	struct service svc;
	struct svc_port port;
	int64_t id;

	project_build(&p, &svc, &port);
	id = begin(s, "shop", "host1", 42);
	CHECK_INT(store_release_service_add(s, id, &p, &svc, "hash-web",
	                                    "{\"image\":\"nginx:1.25\"}", &err),
	          0);
	CHECK_INT(store_release_resource_add(s, id, "network", "default", "shop_default", &err), 0);
	CHECK_INT(store_release_resource_add(s, id, "volume", "data", "shop_data", &err), 0);
	CHECK_INT(store_release_finish(s, id, RELEASE_SUCCEEDED, NULL, &err), 0);
	project_clear(&p, &svc, &port);
	return id;
}

/* Env, labels, ports and digests of a release come back as written. */
static void check_snapshot(struct store *s, int64_t id)
{
	struct err err = ERR_INIT;
	struct store_kv_row *env = NULL, *labels = NULL;
	struct store_port_row *ports = NULL;
	struct store_service_row *svcs = NULL;
	struct kvv v = { 0 };
	size_t n = 0, nl = 0, np = 0, ns = 0;
	char fp[HASH_FINGERPRINT_SIZE];

	CHECK_INT(store_release_env(&env, &n, s, id, &err), 0);
	CHECK_INT(n, 3);
	if (n == 3) {
		hash_fingerprint(fp, store_key(s, &err), SECRET_VALUE);
		CHECK_STR(env[0].key, "DB_PASSWORD");
		CHECK_STR(env[0].service, "web");
		CHECK(env[0].secret);
		CHECK(env[0].value == NULL);
		CHECK_STR(env[0].fingerprint, fp);
		CHECK_STR(env[1].key, "MODE");
		CHECK(!env[1].secret);
		CHECK_STR(env[1].value, "production");
		CHECK(env[1].fingerprint == NULL);
		CHECK_STR(env[2].key, "STRIPE");
		CHECK(env[2].secret);
		CHECK(env[2].value == NULL);
	}
	store_kv_rows_free(env, n);
	CHECK_INT(store_release_labels(&labels, &nl, s, id, &err), 0);
	CHECK_INT(nl, 1);
	if (nl == 1) {
		CHECK_STR(labels[0].key, "team");
		CHECK_STR(labels[0].value, "payments");
		CHECK(!labels[0].secret && !labels[0].fingerprint);
	}
	store_kv_rows_free(labels, nl);
	CHECK_INT(store_release_ports(&ports, &np, s, id, &err), 0);
	CHECK_INT(np, 1);
	if (np == 1) {
		CHECK_STR(ports[0].service, "web");
		CHECK_STR(ports[0].host_ip, "127.0.0.1");
		CHECK_INT(ports[0].seq, 1);
		CHECK_INT(ports[0].host_port, 8080);
		CHECK_INT(ports[0].container_port, 80);
		CHECK_STR(ports[0].protocol, "tcp");
	}
	store_port_rows_free(ports, np);
	CHECK_INT(store_release_services(&svcs, &ns, s, id, &err), 0);
	CHECK_INT(ns, 1);
	if (ns == 1) {
		CHECK_STR(svcs[0].image, "nginx:1.25");
		CHECK_STR(svcs[0].spec_hash, "hash-web");
		CHECK_INT(svcs[0].replicas, 2);
	}
	store_service_rows_free(svcs, ns);
	CHECK_INT(store_release_resources(&v, s, id, "volume", &err), 0);
	CHECK_STR(kvv_get(&v, "data"), "shop_data");
	kvv_free(&v);
	CHECK_INT(store_release_resources(&v, s, id, "network", &err), 0);
	CHECK_STR(kvv_get(&v, "default"), "shop_default");
	kvv_free(&v);
	CHECK_INT(err.code, 0);
}

static void test_store__snapshot_reads_and_digest(void)
{
	struct store *s = open_memory();
	struct err err = ERR_INIT;
	struct store_kv_row *env = NULL;
	struct kvv digests = { 0 };
	size_t n = 99;
	int64_t id;

	if (!s)
		return;
	id = release_with_snapshot(s);
	check_snapshot(s, id);
	CHECK_INT(store_release_digests(&digests, s, id, &err), 0);
	CHECK_INT(digests.n, 0);
	CHECK_INT(store_release_service_set_digest(s, id, "web", "nginx@sha256:feed", &err), 0);
	CHECK_INT(store_release_digests(&digests, s, id, &err), 0);
	CHECK_STR(kvv_get(&digests, "web"), "nginx@sha256:feed");
	kvv_free(&digests);
	/* NULL clears it */
	CHECK_INT(store_release_service_set_digest(s, id, "web", NULL, &err), 0);
	CHECK_INT(store_release_digests(&digests, s, id, &err), 0);
	CHECK_INT(digests.n, 0);
	kvv_free(&digests);
	CHECK_INT(store_release_service_set_digest(s, id, "nosuch", "x@sha256:1", &err),
	          ERR_NOTFOUND);
	CHECK(strstr(err.msg, "nosuch") != NULL);
	/* a release without a snapshot has no rows */
	CHECK_INT(store_release_env(&env, &n, s, 999, &err), 0);
	CHECK_INT(n, 0);
	CHECK(env == NULL);
	store_free(s);
}

static void test_store__copy_snapshot(void)
{
	struct store *s = open_memory();
	struct err err = ERR_INIT;
	struct kvv digests = { 0 };
	struct store_release_info info = {
		.project = "shop",
		.kind = "rollback",
		.source_kind = "git",
		.source = "0123456789abcdef0123456789abcdef01234567",
		.who = "bob",
		.host = "host1",
		.pid = 7,
	};
	int64_t from, to;

	if (!s)
		return;
	from = release_with_snapshot(s);
	CHECK_INT(store_release_service_set_digest(s, from, "web", "nginx@sha256:feed", &err), 0);
	CHECK_INT(
	        sqlite3_exec(s->db,
	                     "INSERT INTO release_depends_on (release_id, service, depends_on,"
	                     " condition, required) VALUES (1, 'web', 'db', 'service_healthy', 1)",
	                     NULL, NULL, NULL),
	        SQLITE_OK);
	info.rollback_of = from;
	CHECK_INT(store_release_begin(&to, s, &info, &err), 0);
	CHECK_INT(store_release_copy_snapshot(s, to, from, &err), 0);
	check_snapshot(s, to);
	{
		sqlite3_stmt *st = NULL;

		CHECK_INT(sqlite3_prepare_v2(s->db,
		                             "SELECT count(*) FROM release_depends_on"
		                             " WHERE release_id = 2 AND depends_on = 'db'"
		                             " AND condition = 'service_healthy'",
		                             -1, &st, NULL),
		          SQLITE_OK);
		CHECK_INT(sqlite3_step(st), SQLITE_ROW);
		CHECK_INT(sqlite3_column_int(st, 0), 1);
		sqlite3_finalize(st);
	}
	CHECK_INT(store_release_digests(&digests, s, to, &err), 0);
	CHECK_STR(kvv_get(&digests, "web"), "nginx@sha256:feed");
	kvv_free(&digests);
	/* the source is untouched */
	check_snapshot(s, from);

	/* a second copy into the same release fails and leaves it as it was */
	CHECK_INT(store_release_copy_snapshot(s, to, from, &err), ERR_STORE);
	err_clear(&err);
	check_snapshot(s, to);
	/* unknown releases */
	CHECK_INT(store_release_copy_snapshot(s, to, 999, &err), ERR_NOTFOUND);
	CHECK(strstr(err.msg, "no release 999") != NULL);
	err_clear(&err);
	CHECK_INT(store_release_copy_snapshot(s, 998, from, &err), ERR_NOTFOUND);
	store_free(s);
}

/* Count events of a kind and return the last message (new) in *msg. */
static int events_of(struct store *s, const char *kind, char **msg)
{
	sqlite3_stmt *st = NULL;
	int n = 0;

	*msg = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT message FROM events WHERE kind = ?1 ORDER BY id", -1,
	                       &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		free(*msg);
		*msg = strdup((const char *)sqlite3_column_text(st, 0));
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

static void test_store__pins(void)
{
	struct store *s = open_memory();
	struct err err = ERR_INIT;
	struct store_pin pin = { 0 }, *pins = NULL;
	size_t n = 0;
	char *msg = NULL;
	int64_t r1, r2, other;

	if (!s)
		return;
	r1 = begin(s, "shop", "host1", 1);
	r2 = begin(s, "shop", "host1", 1);
	other = begin(s, "blog", "host1", 1);
	CHECK_INT(store_pin_get(&pin, s, "shop", &err), ERR_NOTFOUND);
	CHECK(strstr(err.msg, "'shop' is not pinned") != NULL);
	err_clear(&err);
	CHECK_INT(store_pin_clear(s, "shop", &err), ERR_NOTFOUND);
	err_clear(&err);
	CHECK_INT(events_of(s, "unpinned", &msg), 0);
	free(msg);

	CHECK_INT(store_pin_set(s, "shop", r1, "badc0ffee", "alice", "health check failed", &err),
	          0);
	CHECK_INT(store_pin_get(&pin, s, "shop", &err), 0);
	CHECK_STR(pin.project, "shop");
	CHECK_INT(pin.release_id, r1);
	CHECK_STR(pin.commit, "badc0ffee");
	CHECK_STR(pin.who, "alice");
	CHECK_STR(pin.reason, "health check failed");
	CHECK(pin.pinned_at && strlen(pin.pinned_at) == 20);
	store_pin_release(&pin);
	CHECK(pin.project == NULL);
	CHECK_INT(events_of(s, "pinned", &msg), 1);
	CHECK(msg && strstr(msg, "badc0ffee") && strstr(msg, "health check failed"));
	free(msg);

	/* one pin per project: a new one replaces it; NULL commit and reason are kept NULL */
	CHECK_INT(store_pin_set(s, "shop", r2, NULL, "bob", NULL, &err), 0);
	CHECK_INT(store_pin_get(&pin, s, "shop", &err), 0);
	CHECK_INT(pin.release_id, r2);
	CHECK(pin.commit == NULL && pin.reason == NULL);
	CHECK_STR(pin.who, "bob");
	store_pin_release(&pin);

	/* a release of another project, or none at all */
	CHECK_INT(store_pin_set(s, "shop", other, NULL, "bob", NULL, &err), ERR_INVALID);
	CHECK(strstr(err.msg, "belongs to project 'blog'") != NULL);
	err_clear(&err);
	CHECK_INT(store_pin_set(s, "shop", 999, NULL, "bob", NULL, &err), ERR_NOTFOUND);
	err_clear(&err);
	CHECK_INT(store_pin_get(&pin, s, "shop", &err), 0);
	CHECK_INT(pin.release_id, r2); /* failed sets changed nothing */
	store_pin_release(&pin);

	CHECK_INT(store_pin_set(s, "blog", other, "abc", NULL, "manual", &err), 0);
	CHECK_INT(store_pin_get(&pin, s, "blog", &err), 0);
	CHECK_STR(pin.who, "unknown"); /* no $USER: still pinned */
	store_pin_release(&pin);
	CHECK_INT(store_pin_list(&pins, &n, s, &err), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(pins[0].project, "blog");
		CHECK_STR(pins[1].project, "shop");
	}
	store_pin_list_free(pins, n);

	CHECK_INT(store_pin_set(s, "shop", r1, "badc0ffee", "alice", NULL, &err), 0);
	CHECK_INT(store_pin_clear(s, "shop", &err), 0);
	CHECK_INT(store_pin_get(&pin, s, "shop", &err), ERR_NOTFOUND);
	err_clear(&err);
	CHECK_INT(events_of(s, "unpinned", &msg), 1);
	CHECK(msg && strstr(msg, "release 1") && strstr(msg, "badc0ffee") && strstr(msg, "alice"));
	free(msg);
	/* the other project's pin stays */
	CHECK_INT(store_pin_get(&pin, s, "blog", &err), 0);
	store_pin_release(&pin);
	CHECK_INT(store_pin_clear(s, "shop", &err), ERR_NOTFOUND);
	CHECK_INT(events_of(s, "unpinned", &msg), 1);
	free(msg);
	store_free(s);
}

static void test_store__tags(void)
{
	struct store *s = open_memory();
	struct err err = ERR_INIT;
	struct store_tag_row *tags = NULL;
	size_t n = 0;
	bool tagged = true;
	int64_t r1, r2, other;

	if (!s)
		return;
	CHECK(store_tag_name_valid("keep"));
	CHECK(store_tag_name_valid("v1.2_rc-3"));
	CHECK(!store_tag_name_valid(""));
	CHECK(!store_tag_name_valid(NULL));
	CHECK(!store_tag_name_valid("has space"));
	CHECK(!store_tag_name_valid("a/b"));
	CHECK(!store_tag_name_valid("x\n"));
	CHECK(store_tag_name_valid(
	        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	CHECK(!store_tag_name_valid(
	        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));

	r1 = begin(s, "shop", "host1", 1);
	r2 = begin(s, "shop", "host1", 1);
	other = begin(s, "blog", "host1", 1);
	CHECK_INT(store_release_tagged(&tagged, s, r1, &err), 0);
	CHECK(!tagged);
	CHECK_INT(store_tag_add(s, r1, "keep", &err), 0);
	CHECK_INT(store_tag_add(s, r1, "golden", &err), 0);
	CHECK_INT(store_release_tagged(&tagged, s, r1, &err), 0);
	CHECK(tagged);
	CHECK_INT(store_release_tagged(&tagged, s, r2, &err), 0);
	CHECK(!tagged);

	/* a name is unique within a project, not across projects */
	CHECK_INT(store_tag_add(s, r2, "keep", &err), ERR_INVALID);
	CHECK(strstr(err.msg, "tag 'keep' already names release 1 of project 'shop'") != NULL);
	err_clear(&err);
	CHECK_INT(store_tag_add(s, r1, "keep", &err), ERR_INVALID);
	err_clear(&err);
	CHECK_INT(store_tag_add(s, other, "keep", &err), 0);
	CHECK_INT(store_tag_add(s, r2, "bad name", &err), ERR_INVALID);
	CHECK(strstr(err.msg, "bad tag name") != NULL);
	err_clear(&err);
	CHECK_INT(store_tag_add(s, 999, "keep2", &err), ERR_NOTFOUND);
	err_clear(&err);
	/* the schema refuses a bad name even written by hand */
	CHECK(sqlite3_exec(
	              s->db,
	              "INSERT INTO release_tags VALUES (2, 'shop', 'a b', '2026-01-01T00:00:00Z')",
	              NULL, NULL, NULL) != SQLITE_OK);

	CHECK_INT(store_tag_list(&tags, &n, s, "shop", &err), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(tags[0].name, "golden");
		CHECK_STR(tags[1].name, "keep");
		CHECK_INT(tags[1].release_id, r1);
		CHECK_STR(tags[1].project, "shop");
		CHECK_INT(strlen(tags[1].created_at), 20);
	}
	store_tag_rows_free(tags, n);
	CHECK_INT(store_tag_list(&tags, &n, s, NULL, &err), 0);
	CHECK_INT(n, 3);
	if (n == 3)
		CHECK_STR(tags[0].project, "blog");
	store_tag_rows_free(tags, n);
	CHECK_INT(store_release_tags(&tags, &n, s, r1, &err), 0);
	CHECK_INT(n, 2);
	store_tag_rows_free(tags, n);

	/* deleting a release drops its tags */
	CHECK_INT(sqlite3_exec(s->db, "DELETE FROM releases WHERE id = 3", NULL, NULL, NULL),
	          SQLITE_OK);
	CHECK_INT(store_tag_list(&tags, &n, s, "blog", &err), 0);
	CHECK_INT(n, 0);
	store_tag_rows_free(tags, n);
	CHECK_INT(err.code, 0);
	store_free(s);
}

/* 0010: "deployctl down" records releases of kind down; the schema still refuses others. */
static void test_store__kind_down(void)
{
	struct store *s = open_memory();
	struct store_release_info info = {
		.project = "shop",
		.kind = "down",
		.source_kind = "git",
		.source = "0123456789abcdef0123456789abcdef01234567",
		.who = "alice",
		.host = "h",
		.pid = 1,
	};
	struct err err = ERR_INIT;
	struct store_release r;
	int64_t id = 0;
	sqlite3_stmt *st = NULL;

	if (!s)
		return;
	CHECK_INT(store_release_begin(&id, s, &info, &err), 0);
	CHECK_INT(store_release_get(&r, s, id, &err), 0);
	CHECK_STR(r.kind, "down");
	store_release_release(&r);
	info.kind = "remove";
	CHECK_INT(store_release_begin(&id, s, &info, &err), ERR_STORE);
	CHECK_INT(sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_step(st), SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	store_free(s);
}

/* A release records its commit's author and time (schema 11); NULL when not given. */
static void test_store__commit_author_and_date(void)
{
	struct store *s = open_memory();
	struct err err = ERR_INIT;
	struct store_release_info info = {
		.project = "shop",
		.kind = "apply",
		.source_kind = "git",
		.source = "0123456789abcdef0123456789abcdef01234567",
		.subject = "fix the cart",
		.author = "Ada <ada@example.invalid>",
		.committed_at = "2026-11-25T10:39:56Z",
		.who = "alice",
		.host = "h",
		.pid = 7,
	};
	struct store_release r;
	int64_t a = 0, b;

	if (!s)
		return;
	CHECK_INT(store_release_begin(&a, s, &info, &err), 0);
	b = begin(s, "shop", "h", 1);
	CHECK_INT(store_release_get(&r, s, a, &err), 0);
	CHECK_STR(r.author, "Ada <ada@example.invalid>");
	CHECK_STR(r.committed_at, "2026-11-25T10:39:56Z");
	CHECK_STR(r.subject, "fix the cart");
	store_release_release(&r);
	CHECK_INT(store_release_get(&r, s, b, &err), 0);
	CHECK(r.author == NULL);
	CHECK(r.committed_at == NULL);
	store_release_release(&r);
	store_free(s);
}

/*
 * A container made before spec hashes were keyed still runs a release's
 * spec: the release records the HMAC of its old label, not the label, and
 * the label then matches the release's row.
 */
static void test_store__legacy_label(void)
{
	static const char old_label[] =
	        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	struct store *s = NULL;
	struct err err = ERR_INIT;
	struct store_service_row *rows = NULL;
	struct project p;
	struct service svc;
	struct svc_port port;
	size_t n = 0;
	int64_t id;

	project_build(&p, &svc, &port);
	CHECK_INT(store_open_file(&s, ":memory:", &err), 0);
	if (!s)
		goto out;
	id = begin(s, "shop", "host1", 1);
	CHECK_INT(store_release_service_add(s, id, &p, &svc, "keyed-hash", "{}", &err), 0);
	CHECK_INT(store_release_services(&rows, &n, s, id, &err), 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK(rows[0].legacy_label_hmac == NULL);
		CHECK(store_service_row_label_matches(s, &rows[0], "keyed-hash"));
		CHECK(!store_service_row_label_matches(s, &rows[0], old_label));
	}
	store_service_rows_free(rows, n);
	rows = NULL;
	CHECK_INT(store_release_service_set_legacy_label(s, id, "web", old_label, &err), 0);
	CHECK_INT(store_release_service_set_legacy_label(s, id, "nope", old_label, &err),
	          ERR_NOTFOUND);
	err_clear(&err);
	CHECK_INT(store_release_services(&rows, &n, s, id, &err), 0);
	if (n == 1) {
		CHECK(rows[0].legacy_label_hmac && strcmp(rows[0].legacy_label_hmac, old_label));
		CHECK(store_service_row_label_matches(s, &rows[0], old_label));
		CHECK(store_service_row_label_matches(s, &rows[0], "keyed-hash"));
		CHECK(!store_service_row_label_matches(s, &rows[0], "ffff"));
		CHECK(!store_service_row_label_matches(s, &rows[0], NULL));
	}
	store_service_rows_free(rows, n);
out:
	project_clear(&p, &svc, &port);
	store_free(s);
}

int main(void)
{
	RUN(test_store__migrations_set_user_version);
	RUN(test_store__migrate_table);
	RUN(test_store__open_dir_modes_and_reopen);
	RUN(test_store__open_errors);
	RUN(test_store__open_refuses_untrusted);
	RUN(test_store__open_readonly);
	RUN(test_store__release_round_trip);
	RUN(test_store__secrets_fingerprint_only);
	RUN(test_store__latest_by_status);
	RUN(test_store__mark_interrupted);
	RUN(test_store__release_close);
	RUN(test_store__events);
	RUN(test_store__migrate_from_schema_1);
	RUN(test_store__snapshot_reads_and_digest);
	RUN(test_store__copy_snapshot);
	RUN(test_store__pins);
	RUN(test_store__tags);
	RUN(test_store__kind_down);
	RUN(test_store__commit_author_and_date);
	RUN(test_store__legacy_label);
	return CHECK_DONE();
}
