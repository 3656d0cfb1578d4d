/*
 * test_smoke.c - the pure parts of smoke checks and notifications: the
 * payloads (JSON escaping, every string scrubbed of secrets, the Slack
 * text), the outcome names, and the record of a release's definitions and
 * outcomes in the store (a webhook URL is never there; secrets in a check
 * are stored scrubbed) read back as rollback and `deployctl smoke` read it.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deployctl/release_checks.h"
#include "deployctl/smoke.h"
#include "deployctl/smoke_net.h"
#include "deployctl/store.h"
#include "store_fixture.h"

static void test_smoke__on_names(void)
{
	char buf[64];

	CHECK_INT(notify_on_bit("rolled_back"), NOTIFY_ON_ROLLED_BACK);
	CHECK_INT(notify_on_bit("running"), 0);
	CHECK_STR(notify_on_format(buf, sizeof(buf), NOTIFY_ON_ALL),
	          "succeeded,failed,rolled_back,interrupted");
	CHECK_INT(notify_on_parse("failed,interrupted,bogus"),
	          NOTIFY_ON_FAILED | NOTIFY_ON_INTERRUPTED);
	CHECK_INT(notify_format_parse("json"), NOTIFY_JSON);
	CHECK_INT(notify_format_parse("teams"), -1);
	CHECK_STR(notify_format_name(NOTIFY_COMMAND), "command");
}

static void test_smoke__payloads(void)
{
	struct strv secrets = { 0 };
	struct notify_event ev = {
		.project = "shop",
		.release = 7,
		.kind = "apply",
		.status = "rolled_back",
		.source_kind = "git",
		.commit = "0123456789abcdef0123",
		.subject = "say \"hi\"\n\tand leave",
		.who = "alice",
		.duration_s = 1.5,
		.reason = "smoke check 'api' failed: body lacks hunter2-secret",
		.failed_check = "api",
	};
	const char *want =
	        "{\"text\":\"deployctl: shop release 7 (apply) rolled_back - git "
	        "0123456789ab \\\"say \\\"hi\\\"\\n\\u0009and leave\\\" by alice in 1.5s";
	char *json = NULL, *slack = NULL;

	strv_push(&secrets, "hunter2-secret");
	CHECK_INT(notify_payload(&json, NOTIFY_JSON, &ev, &secrets), 0);
	CHECK(json && strstr(json, "\"release\":7,\"project\":\"shop\""));
	CHECK(json && strstr(json, "\"subject\":\"say \\\"hi\\\"\\n\\u0009and leave\""));
	CHECK(json && strstr(json, "\"failed_check\":\"api\""));
	CHECK(json && strstr(json, "\"host\":null"));
	CHECK(json && strstr(json, "\"duration_s\":1.500}"));
	CHECK(json && !strstr(json, "hunter2"));
	CHECK(json && strstr(json, "body lacks ***"));
	CHECK_INT(notify_payload(&slack, NOTIFY_SLACK, &ev, &secrets), 0);
	CHECK(slack && !strncmp(slack, want, strlen(want)));
	CHECK(slack && strstr(slack, "failing check: api; reason: smoke check"));
	CHECK(slack && strstr(slack, ",\"deployctl\":{\"release\":7"));
	CHECK(slack && !strstr(slack, "hunter2"));
	free(json);
	free(slack);
	strv_free(&secrets);
}

static void test_smoke__store_round_trip(void)
{
	struct store *s = open_memory();
	struct err err = ERR_INIT;
	char name[] = "api", url[] = "http://127.0.0.1:8080/t?k=tok-0123456789", get[] = "GET",
	     ok[] = "ok", hook[] = "HOOK", shop[] = "shop", a0[] = "notify-send", a1[] = "a b",
	     name2[] = "inside", url2[] = "http://api:8080/health", back_net[] = "back",
	     curl[] = "curlimages/curl:8.11.1", api[] = "api";
	char *argv[] = { a0, a1 };
	struct smoke_check checks[2] = { {
		                                 .name = name,
		                                 .url = url,
		                                 .method = get,
		                                 .expect_status = 204,
		                                 .body_contains = ok,
		                                 .timeout_ns = 2000000000LL,
		                                 .retries = 4,
		                                 .interval_ns = 500000000LL,
		                         },
		                         {
		                                 .name = name2,
		                                 .url = url2,
		                                 .method = get,
		                                 .expect_status = 200,
		                                 .timeout_ns = 1000000000LL,
		                                 .retries = 1,
		                                 .network = back_net,
		                                 .image = curl,
		                                 .service = api,
		                         } };
	struct notify_target targets[2] = {
		{ .url_env = hook, .format = NOTIFY_SLACK, .on = NOTIFY_ON_ALL },
		{ .command = { .v = argv, .n = 2 },
		  .format = NOTIFY_COMMAND,
		  .on = NOTIFY_ON_FAILED },
	};
	struct project p = {
		.name = shop, .smoke = checks, .nsmoke = 2, .notify = targets, .nnotify = 2
	};
	struct project back = { 0 };
	struct strv secrets = { 0 };
	struct smoke_result sr = { .ran = true, .status = 500, .attempts = 4, .duration_s = 1.25 };
	struct notify_result nr = { .event = "failed", .outcome = "sent", .attempts = 2 };
	struct store_smoke_row *rows = NULL;
	struct store_notify_row *nrows = NULL;
	size_t n = 0, nn = 0;
	int64_t id = 0;

	snprintf(sr.reason, sizeof(sr.reason), "status 500, expected 204");
	snprintf(nr.detail, sizeof(nr.detail), "HTTP 200");
	strv_push(&secrets, "tok-0123456789");
	id = begin(s, "shop", "h", 0);
	CHECK_INT(store_release_smoke_add(s, id, &p, &secrets, &err), 0);
	CHECK_INT(store_release_smoke_result(s, id, 1, &sr, &err), 0);
	CHECK_INT(store_release_notify_result(s, id, 2, &nr, &err), 0);
	CHECK_INT(store_release_smoke_rows(&rows, &n, s, id, &err), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK(rows[0].network == NULL && rows[0].image == NULL);
		CHECK_STR(rows[1].network, "back");
		CHECK_STR(rows[1].image, "curlimages/curl:8.11.1");
		CHECK_STR(rows[1].service, "api");
		CHECK_STR(rows[0].url, "http://127.0.0.1:8080/t?k=***");
		CHECK_STR(rows[0].outcome, "failed");
		CHECK_INT(rows[0].status, 500);
		CHECK_INT(rows[0].attempts, 4);
		CHECK_STR(rows[0].reason, "status 500, expected 204");
	}
	CHECK_INT(store_release_notify_rows(&nrows, &nn, s, id, &err), 0);
	CHECK_INT(nn, 2);
	if (nn == 2) {
		CHECK(nrows[0].outcome == NULL && nrows[0].event == NULL);
		CHECK_STR(nrows[0].url_env, "HOOK");
		CHECK_STR(nrows[1].outcome, "sent");
		CHECK_STR(nrows[1].on, "failed");
	}
	CHECK_INT(store_release_smoke_load(&back, s, id, &err), 0);
	CHECK_INT(back.nsmoke, 2);
	CHECK_INT(back.nnotify, 2);
	if (back.nsmoke == 2 && back.nnotify == 2) {
		CHECK(back.smoke[0].network == NULL);
		CHECK_STR(back.smoke[1].network, "back");
		CHECK_STR(back.smoke[1].image, "curlimages/curl:8.11.1");
		CHECK_INT(back.smoke[0].expect_status, 204);
		CHECK_INT(back.smoke[0].retries, 4);
		CHECK_INT(back.smoke[0].interval_ns, 500000000LL);
		CHECK_STR(back.smoke[0].body_contains, "ok");
		CHECK_INT(back.notify[1].format, NOTIFY_COMMAND);
		CHECK_INT(back.notify[1].command.n, 2);
		if (back.notify[1].command.n == 2)
			CHECK_STR(back.notify[1].command.v[1], "a b");
		CHECK_INT(back.notify[1].on, NOTIFY_ON_FAILED);
	}
	store_smoke_rows_free(rows, n);
	store_notify_rows_free(nrows, nn);
	model_project_release(&back);
	strv_free(&secrets);
	store_free(s);
}

/* curl -i's output, as an in-network check reads it (deploy/smoke_net.c). */
static void test_smoke__curl_parse(void)
{
	static const char one[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	                          "X-Empty:\r\n\r\nok\r\nmore";
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service "
	                           "Unavailable\r\ncontent-type:  application/json  \r\n\r\n{}";
	static const char h2[] = "HTTP/2 204\r\n\r\n";
	struct httpc_resp r = { 0 };

	CHECK_INT(smoke_net_parse(&r, one, sizeof(one) - 1, "content-type", 1024), 0);
	CHECK_INT(r.status, 200);
	CHECK_STR(r.header, "text/plain");
	CHECK_STR(r.body, "ok\r\nmore");
	CHECK_INT(r.body_len, 8);
	CHECK(!r.truncated);
	/* a 1xx head first: the answer is the second head */
	CHECK_INT(smoke_net_parse(&r, cont, sizeof(cont) - 1, "Content-Type", 1024), 0);
	CHECK_INT(r.status, 503);
	CHECK_STR(r.header, "application/json");
	CHECK_STR(r.body, "{}");
	/* cut at max_body */
	CHECK_INT(smoke_net_parse(&r, one, sizeof(one) - 1, NULL, 2), 0);
	CHECK(r.truncated && r.body_len == 2 && r.header == NULL);
	CHECK_STR(r.body, "ok");
	CHECK_INT(smoke_net_parse(&r, h2, sizeof(h2) - 1, "X-Missing", 1024), 0);
	CHECK_INT(r.status, 204);
	CHECK(r.header == NULL && r.body_len == 0);
	/* no response at all: curl printed only its error */
	CHECK_INT(smoke_net_parse(&r, "curl: (7) Failed", 16, NULL, 1024), ERR_INVALID);
	CHECK_INT(smoke_net_parse(&r, "", 0, NULL, 1024), ERR_INVALID);
	httpc_resp_release(&r);
}

int main(void)
{
	RUN(test_smoke__on_names);
	RUN(test_smoke__payloads);
	RUN(test_smoke__store_round_trip);
	RUN(test_smoke__curl_parse);
	return CHECK_DONE();
}
