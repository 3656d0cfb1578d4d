/*
 * fuzz_webhook.c - webhook verification and payload checks
 * (daemon/webhook.c): the first byte picks the signature header (GitHub,
 * Gitea, GitLab token, none) and whether the signature is made right (so
 * that the body's shape, content type, event and replay checks are
 * reached), the rest up to the first "\n" is the header's value (or the
 * event name), and what follows is the body. Each input is checked twice
 * (the second is a replay when the first was accepted).
 */
#include "deployctl/hash.h"
#include "deployctl/webhook.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char secret[] = "fuzz-secret";
	static struct webhook *w;
	static double now; /* monotonic, as the caller's clock is */
	struct webhook_request r = { 0 };
	struct err err = ERR_INIT;
	char sig[7 + HASH_HEX_LEN + 1], *s, *nl;
	unsigned mode;

	if (!size)
		return 0;
	if (!w && webhook_new(&w, secret, sizeof(secret) - 1, 1e9, 1000000, &err) < 0)
		return 0;
	mode = data[0];
	s = fuzz_string(data + 1, size - 1);
	if (!s)
		return 0;
	nl = memchr(s, '\n', size - 1);
	r.body = nl ? nl + 1 : s + size - 1;
	r.body_len = nl ? (size - 1) - (size_t)(nl + 1 - s) : 0;
	if (nl)
		*nl = '\0';
	r.event = (mode & 8) ? s : NULL;
	r.content_type = (mode & 16) ? "application/json; charset=utf-8" : NULL;
	if (mode & 32) { /* a signature made right over the body */
		memcpy(sig, "sha256=", 7);
		hash_hmac_sha256_hex(sig + 7, secret, sizeof(secret) - 1, r.body, r.body_len);
	}
	switch (mode & 3) {
	case 0:
		r.github_sig = (mode & 32) ? sig : s;
		break;
	case 1:
		r.gitea_sig = (mode & 32) ? sig + 7 : s;
		break;
	case 2:
		r.gitlab_token = (mode & 32) ? secret : s;
		break;
	default:
		break;
	}
	webhook_check(w, &r, now += 1 + (mode >> 6));
	webhook_check(w, &r, now += 1);
	free(s);
	return 0;
}
