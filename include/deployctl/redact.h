/*
 * redact.h - hiding secret values inside text: the one scrubber every
 * stored or printed message goes through (release messages, gate
 * diagnostics, log tails, health output, errors), and the password of a
 * URL's userinfo, which is a secret wherever the URL is.
 */
#ifndef DEPLOYCTL_REDACT_H
#define DEPLOYCTL_REDACT_H

#include <stdbool.h>
#include <stddef.h>

/* What a hidden value becomes. */
#define REDACT_MASK "***"
/*
 * Shorter secrets are not scrubbed from free text: hiding every "ab" of a
 * message would hide the message, and say which two letters the secret is.
 * Values holding such a secret are hidden whole instead.
 */
#define REDACT_MIN_LEN 4

/*
 * Replace in s, in place, every occurrence of each of the n secrets that
 * has at least REDACT_MIN_LEN bytes by REDACT_MASK; where several match at
 * one place, the longest wins. s only shrinks. Returns the number of
 * replacements. secrets may hold NULLs, which are skipped.
 */
size_t redact_scrub(char *s, const char *const *secrets, size_t n);

/*
 * The password of a URL's userinfo, "scheme://user:PASSWORD@host/...":
 * true with its offset and length in url when there is a non-empty one.
 */
bool redact_url_password(size_t *off, size_t *len, const char *url);

#endif
