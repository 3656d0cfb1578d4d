/*
 * test_store_release.c - releases in the store: round trips, secrets kept
 * out of the database file, latest-by-status, interrupted releases, closing
 * a release with its actions, and events.
 * Runs on ":memory:" and on temporary directories under /tmp.
 */
#include "store_fixture.h"

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

int main(void)
{
	RUN(test_store__release_round_trip);
	RUN(test_store__secrets_fingerprint_only);
	RUN(test_store__latest_by_status);
	RUN(test_store__mark_interrupted);
	RUN(test_store__release_close);
	RUN(test_store__events);
	return CHECK_DONE();
}
