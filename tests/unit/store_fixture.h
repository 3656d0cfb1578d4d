/*
 * store_fixture.h - what the store's unit tests share: temporary state
 * directories, raw SQLite reads of a database file, an in-memory store,
 * releases begun on it, and a hand-built project to snapshot. The
 * test_store*.c files include it, and the tests that need a release in a
 * store (test_jobs.c, test_smoke.c, test_ownership.c).
 */
#ifndef DEPLOYCTL_STORE_FIXTURE_H
#define DEPLOYCTL_STORE_FIXTURE_H

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

static inline char *tmpdir_new(void)
{
	char tmpl[] = "/tmp/deployctl-test-store-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

static inline void tmpdir_remove(const char *dir)
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
static inline long long raw_int(const char *path, const char *sql)
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

static inline int raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

/* Does the file at path contain needle anywhere? -1 if unreadable. */
static inline int file_contains(const char *path, const char *needle)
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
static inline int last_version(void)
{
	return (int)strtol(store_migrations[store_migrations_count - 1].name, NULL, 10);
}

static inline struct store *open_memory(void)
{
	struct err err = ERR_INIT;
	struct store *s = NULL;

	CHECK_INT(store_open_file(&s, ":memory:", &err), 0);
	CHECK(s != NULL);
	if (err.code)
		fprintf(stderr, "store_open_file: %s\n", err.msg);
	return s;
}

static inline int64_t begin(struct store *s, const char *project, const char *host, long pid)
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
static inline long long raw_count(struct store *s, const char *sql)
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
static inline int begin_quiet(struct store *s)
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

/* A hand-built project with one service "web" and a secret in its env. */
static inline void project_build(struct project *p, struct service *svc, struct svc_port *port)
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

static inline void project_clear(struct project *p, struct service *svc, struct svc_port *port)
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

#endif
