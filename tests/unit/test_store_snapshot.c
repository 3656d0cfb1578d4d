/*
 * test_store_snapshot.c - what a release keeps (schema 2 and later):
 * snapshot reads and repo digests, copying a snapshot, pins, tags, down
 * releases, the commit's author and date, and the legacy label HMAC.
 * Runs on ":memory:" and on temporary directories under /tmp.
 */
#include "store_fixture.h"

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
	RUN(test_store__snapshot_reads_and_digest);
	RUN(test_store__copy_snapshot);
	RUN(test_store__pins);
	RUN(test_store__tags);
	RUN(test_store__kind_down);
	RUN(test_store__commit_author_and_date);
	RUN(test_store__legacy_label);
	return CHECK_DONE();
}
