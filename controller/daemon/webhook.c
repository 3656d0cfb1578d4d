/*
 * webhook.c - is a webhook request a genuine push? The rate bound comes
 * first (a flood costs no HMAC), then the signature or token, compared in
 * constant time (hash_equal()), then the body's shape, then replay: only a
 * verified body is remembered, so forged requests cannot fill the memory
 * of what was seen.
 */
#include "deployctl/webhook.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deployctl/hash.h"

struct webhook {
	pthread_mutex_t mu;
	char *secret; /* NULL: webhooks are off */
	size_t secret_len;
	double rate, tokens, last;
	unsigned burst;
	char seen[WEBHOOK_REPLAY_SLOTS][HASH_HEX_LEN + 1];
	size_t next;
};

static const struct {
	unsigned status;
	const char *result, *text;
} verdicts[] = {
	[WEBHOOK_PUSH] = { 202, "accepted", "accepted: fetching and reconciling" },
	[WEBHOOK_PING] = { 200, "ping", "verified; not a push, nothing to do" },
	[WEBHOOK_UNSIGNED] = { 401, "unsigned",
	                       "no X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token" },
	[WEBHOOK_BAD_SIG] = { 403, "bad_signature", "signature or token does not match" },
	[WEBHOOK_REPLAY] = { 403, "replayed", "this delivery was already accepted" },
	[WEBHOOK_MALFORMED] = { 400, "malformed", "the body is not a JSON object" },
	[WEBHOOK_RATE] = { 429, "rate_limited", "too many requests" },
	[WEBHOOK_DISABLED] = { 403, "disabled", "webhooks are off (no --webhook-secret-file)" },
};

unsigned webhook_status(enum webhook_verdict v)
{
	return verdicts[v].status;
}

const char *webhook_result(enum webhook_verdict v)
{
	return verdicts[v].result;
}

const char *webhook_text(enum webhook_verdict v)
{
	return verdicts[v].text;
}

int webhook_new(struct webhook **out, const char *secret, size_t secret_len, double rate,
                unsigned burst, struct err *err)
{
	struct webhook *w = calloc(1, sizeof(*w));

	if (!w)
		return err_set(err, ERR_NOMEM, "out of memory");
	if (secret) {
		w->secret = malloc(secret_len + 1);
		if (!w->secret) {
			free(w);
			return err_set(err, ERR_NOMEM, "out of memory");
		}
		memcpy(w->secret, secret, secret_len);
		w->secret[secret_len] = '\0';
		w->secret_len = secret_len;
	}
	pthread_mutex_init(&w->mu, NULL);
	w->rate = rate > 0 ? rate : 5;
	w->burst = burst ? burst : 10;
	w->tokens = w->burst;
	w->last = -1;
	*out = w;
	return 0;
}

void webhook_free(struct webhook *w)
{
	if (!w)
		return;
	if (w->secret) {
		volatile char *p = w->secret;
		size_t i;

		for (i = 0; i < w->secret_len; i++)
			p[i] = 0;
		free(w->secret);
	}
	pthread_mutex_destroy(&w->mu);
	free(w);
}

/* Token bucket: rate a second, up to burst saved. Under w->mu. */
static bool take_token(struct webhook *w, double now)
{
	if (w->last >= 0) {
		w->tokens += (now - w->last) * w->rate;
		if (w->tokens > w->burst)
			w->tokens = w->burst;
	}
	w->last = now;
	if (w->tokens < 1)
		return false;
	w->tokens -= 1;
	return true;
}

/* Lower-case hex of the HMAC against a signature given in hex (either case). */
static bool sig_matches(const struct webhook *w, const char *given, const struct webhook_request *r)
{
	char want[HASH_HEX_LEN + 1], got[HASH_HEX_LEN + 1];
	size_t i, n = strlen(given);

	if (n != HASH_HEX_LEN)
		return false;
	for (i = 0; i < n; i++)
		got[i] = (given[i] >= 'A' && given[i] <= 'F') ? (char)(given[i] - 'A' + 'a')
		                                              : given[i];
	got[n] = '\0';
	hash_hmac_sha256_hex(want, w->secret, w->secret_len, r->body, r->body_len);
	return hash_equal(want, HASH_HEX_LEN, got, HASH_HEX_LEN);
}

static enum webhook_verdict verify(const struct webhook *w, const struct webhook_request *r)
{
	if (r->github_sig) {
		if (strncmp(r->github_sig, "sha256=", 7))
			return WEBHOOK_BAD_SIG;
		return sig_matches(w, r->github_sig + 7, r) ? WEBHOOK_PUSH : WEBHOOK_BAD_SIG;
	}
	if (r->gitea_sig)
		return sig_matches(w, r->gitea_sig, r) ? WEBHOOK_PUSH : WEBHOOK_BAD_SIG;
	if (r->gitlab_token)
		return hash_equal(r->gitlab_token, strlen(r->gitlab_token), w->secret,
		                  w->secret_len)
		               ? WEBHOOK_PUSH
		               : WEBHOOK_BAD_SIG;
	return WEBHOOK_UNSIGNED;
}

/* A JSON object, roughly: '{' ... '}' and no NUL inside. The fetch reads the truth. */
static bool json_object_shape(const char *b, size_t n)
{
	size_t i = 0, j = n;

	while (i < n && strchr(" \t\r\n", b[i]))
		i++;
	while (j > i && strchr(" \t\r\n", b[j - 1]))
		j--;
	return j - i >= 2 && b[i] == '{' && b[j - 1] == '}' && !memchr(b, '\0', n);
}

static bool is_push(const char *event)
{
	/* GitHub, Gitea and Forgejo say "push", GitLab "Push Hook" (and "Tag Push Hook") */
	return !event || !strcasecmp(event, "push") || !strcasecmp(event, "Push Hook") ||
	       !strcasecmp(event, "Tag Push Hook");
}

enum webhook_verdict webhook_check(struct webhook *w, const struct webhook_request *r, double now)
{
	char digest[HASH_HEX_LEN + 1];
	enum webhook_verdict v;
	size_t i;

	pthread_mutex_lock(&w->mu);
	if (!take_token(w, now)) {
		v = WEBHOOK_RATE;
		goto out;
	}
	if (!w->secret) {
		v = WEBHOOK_DISABLED;
		goto out;
	}
	v = verify(w, r);
	if (v != WEBHOOK_PUSH)
		goto out;
	if (!json_object_shape(r->body, r->body_len) ||
	    (r->content_type && strncasecmp(r->content_type, "application/json", 16))) {
		v = WEBHOOK_MALFORMED;
		goto out;
	}
	hash_sha256_hex(digest, r->body, r->body_len);
	for (i = 0; i < WEBHOOK_REPLAY_SLOTS; i++)
		if (!strcmp(w->seen[i], digest)) {
			v = WEBHOOK_REPLAY;
			goto out;
		}
	memcpy(w->seen[w->next], digest, sizeof(digest));
	w->next = (w->next + 1) % WEBHOOK_REPLAY_SLOTS;
	if (!is_push(r->event))
		v = WEBHOOK_PING;
out:
	pthread_mutex_unlock(&w->mu);
	return v;
}
