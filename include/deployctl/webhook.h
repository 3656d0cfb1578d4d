/*
 * webhook.h - push webhooks from GitHub (X-Hub-Signature-256), Gitea and
 * Forgejo (X-Gitea-Signature) and GitLab (X-Gitlab-Token), checked before
 * anything is fetched (daemon/webhook.c): a request rate bound, the
 * signature (HMAC-SHA256 of the body under the shared secret) or token
 * compared in constant time, a JSON object body, and no replay of a body
 * already accepted. Thread safe.
 */
#ifndef DEPLOYCTL_WEBHOOK_H
#define DEPLOYCTL_WEBHOOK_H

#include <stddef.h>

#include "deployctl/err.h"

/* Bodies remembered against replay. */
#define WEBHOOK_REPLAY_SLOTS 512

struct webhook;

/* What a request carries, by header; NULL when absent. Borrowed. */
struct webhook_request {
	const char *github_sig;   /* X-Hub-Signature-256: "sha256=<hex>" */
	const char *gitea_sig;    /* X-Gitea-Signature (or X-Forgejo-Signature): "<hex>" */
	const char *gitlab_token; /* X-Gitlab-Token */
	const char *event;        /* X-GitHub-Event, X-Gitea-Event, X-Gitlab-Event */
	const char *content_type;
	const char *body;
	size_t body_len;
};

enum webhook_verdict {
	WEBHOOK_PUSH,      /* 202: verified push: fetch and reconcile */
	WEBHOOK_PING,      /* 200: verified, nothing to do (ping, another event) */
	WEBHOOK_UNSIGNED,  /* 401: no signature or token */
	WEBHOOK_BAD_SIG,   /* 403: signature or token does not match */
	WEBHOOK_REPLAY,    /* 403: this body was accepted before */
	WEBHOOK_MALFORMED, /* 400: not a JSON object */
	WEBHOOK_RATE,      /* 429: too many requests */
	WEBHOOK_DISABLED,  /* 403: no secret configured */
};

/*
 * A checker for secret (borrowed, copied; NULL: every request is
 * WEBHOOK_DISABLED), allowing rate requests a second with bursts of
 * burst. *out new (webhook_free()).
 */
int webhook_new(struct webhook **out, const char *secret, size_t secret_len, double rate,
                unsigned burst, struct err *err);
void webhook_free(struct webhook *w);

/* Check one request received at monotonic time now. */
enum webhook_verdict webhook_check(struct webhook *w, const struct webhook_request *r, double now);

/* HTTP status, metrics label ("accepted", "unsigned", ...) and one-line text of a verdict. */
unsigned webhook_status(enum webhook_verdict v);
const char *webhook_result(enum webhook_verdict v);
const char *webhook_text(enum webhook_verdict v);

#endif
