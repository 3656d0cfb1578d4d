/*
 * test_webhook.c - webhook checks: GitHub, Gitea and GitLab forms against
 * the secret, refusals by kind, replay, the rate bound, and the metrics
 * labels of the verdicts.
 */
#include "check.h"
#include "deployctl/hash.h"
#include "deployctl/webhook.h"

static const char secret[] = "It's a Secret to Everybody";
static const char body[] = "{\"ref\":\"refs/heads/main\"}";

static struct webhook *make(void)
{
	struct webhook *w = NULL;
	struct err err = ERR_INIT;

	CHECK_INT(webhook_new(&w, secret, strlen(secret), 1000, 1000, &err), 0);
	return w;
}

/* GitHub's documented example: secret and payload above give this signature. */
static void test_webhook__github_documented_vector(void)
{
	char hex[HASH_HEX_LEN + 1];

	hash_hmac_sha256_hex(hex, secret, strlen(secret), "Hello, World!", 13);
	CHECK_STR(hex, "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
}

static void test_webhook__forms_and_refusals(void)
{
	struct webhook *w = make();
	struct webhook_request r = { .body = body, .body_len = strlen(body) };
	char hex[HASH_HEX_LEN + 1], sig[HASH_HEX_LEN + 8];
	double t = 1;

	hash_hmac_sha256_hex(hex, secret, strlen(secret), body, strlen(body));
	snprintf(sig, sizeof(sig), "sha256=%s", hex);
	CHECK_INT(webhook_check(w, &r, t++), WEBHOOK_UNSIGNED);
	r.github_sig = "sha256=0000";
	CHECK_INT(webhook_check(w, &r, t++), WEBHOOK_BAD_SIG);
	r.github_sig = hex; /* without "sha256=" */
	CHECK_INT(webhook_check(w, &r, t++), WEBHOOK_BAD_SIG);
	r.github_sig = sig;
	r.event = "push";
	CHECK_INT(webhook_check(w, &r, t++), WEBHOOK_PUSH);
	/* the same delivery again */
	CHECK_INT(webhook_check(w, &r, t++), WEBHOOK_REPLAY);
	/* Gitea: bare hex; GitLab: the token itself (fresh bodies, else replays) */
	r.github_sig = NULL;
	r.body = "{\"ref\":\"refs/heads/main\",\"n\":2}";
	r.body_len = strlen(r.body);
	hash_hmac_sha256_hex(hex, secret, strlen(secret), r.body, r.body_len);
	r.gitea_sig = hex;
	CHECK_INT(webhook_check(w, &r, t++), WEBHOOK_PUSH);
	r.gitea_sig = NULL;
	r.body = "{\"n\":3}";
	r.body_len = strlen(r.body);
	r.gitlab_token = "It's a Secret to Everybodx";
	CHECK_INT(webhook_check(w, &r, t++), WEBHOOK_BAD_SIG);
	r.gitlab_token = "It's a Secret to Everybody";
	r.event = "Push Hook";
	CHECK_INT(webhook_check(w, &r, t++), WEBHOOK_PUSH);
	/* signed but not JSON; signed but another event */
	r.body = "payload=%7B%7D";
	r.body_len = strlen(r.body);
	CHECK_INT(webhook_check(w, &r, t++), WEBHOOK_MALFORMED);
	r.body = "{\"zen\":1}";
	r.body_len = strlen(r.body);
	r.event = "ping";
	CHECK_INT(webhook_check(w, &r, t++), WEBHOOK_PING);
	CHECK_INT(webhook_status(WEBHOOK_UNSIGNED), 401);
	CHECK_INT(webhook_status(WEBHOOK_REPLAY), 403);
	CHECK_INT(webhook_status(WEBHOOK_RATE), 429);
	CHECK_STR(webhook_result(WEBHOOK_PUSH), "accepted");
	webhook_free(w);
}

static void test_webhook__rate_and_disabled(void)
{
	struct webhook *w = NULL;
	struct webhook_request r = { .body = body, .body_len = strlen(body) };
	struct err err = ERR_INIT;
	int i, limited = 0;

	CHECK_INT(webhook_new(&w, secret, strlen(secret), 2, 4, &err), 0);
	for (i = 0; i < 10; i++)
		limited += webhook_check(w, &r, 5.0) == WEBHOOK_RATE;
	CHECK_INT(limited, 6); /* a burst of 4, then nothing within the same instant */
	CHECK_INT(webhook_check(w, &r, 5.6), WEBHOOK_UNSIGNED); /* 1.2 tokens back */
	CHECK_INT(webhook_check(w, &r, 5.6), WEBHOOK_RATE);
	webhook_free(w);
	CHECK_INT(webhook_new(&w, NULL, 0, 10, 10, &err), 0);
	CHECK_INT(webhook_check(w, &r, 1), WEBHOOK_DISABLED);
	webhook_free(w);
}

int main(void)
{
	RUN(test_webhook__github_documented_vector);
	RUN(test_webhook__forms_and_refusals);
	RUN(test_webhook__rate_and_disabled);
	return CHECK_DONE();
}
