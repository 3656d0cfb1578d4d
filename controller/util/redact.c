/*
 * redact.c - the scrubber that replaces secret values in text by "***",
 * and the finder of a URL's userinfo password. Plain string work with no
 * knowledge of where the secrets come from: model/ collects them.
 */
#include "deployctl/redact.h"

#include <string.h>

size_t redact_scrub(char *s, const char *const *secrets, size_t n)
{
	size_t masklen = strlen(REDACT_MASK), count = 0, i, best, len;
	char *r = s, *w = s;

	if (!s)
		return 0;
	while (*r) {
		best = 0;
		for (i = 0; i < n; i++) {
			if (!secrets[i])
				continue;
			len = strlen(secrets[i]);
			if (len >= REDACT_MIN_LEN && len > best && !strncmp(r, secrets[i], len))
				best = len;
		}
		if (!best) {
			*w++ = *r++;
			continue;
		}
		/* best >= REDACT_MIN_LEN > masklen: the write position stays behind. */
		memcpy(w, REDACT_MASK, masklen);
		w += masklen;
		r += best;
		count++;
	}
	*w = '\0';
	return count;
}

static bool scheme_char(char c, bool first)
{
	bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

	return alpha || (!first && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
}

bool redact_url_password(size_t *off, size_t *len, const char *url)
{
	const char *auth, *end, *at, *colon, *p;

	for (p = url; *p && scheme_char(*p, p == url); p++)
		;
	if (p == url || strncmp(p, "://", 3))
		return false;
	auth = p + 3;
	end = auth + strcspn(auth, "/?#");
	/* The userinfo ends at the last '@' of the authority (an '@' may be in it, unescaped). */
	for (at = NULL, p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return false;
	colon = memchr(auth, ':', (size_t)(at - auth));
	if (!colon || colon + 1 == at)
		return false;
	*off = (size_t)(colon + 1 - url);
	*len = (size_t)(at - colon - 1);
	return true;
}
