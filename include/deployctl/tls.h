/*
 * tls.h - X.509 certificates and private keys in PEM, read with libcrypto
 * for "deployctl check": validity dates, the names a certificate covers
 * (subjectAltName, wildcards as RFC 6125 allows them) and whether a private
 * key belongs to it. No function here ever puts key material in a message.
 */
#ifndef DEPLOYCTL_TLS_H
#define DEPLOYCTL_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deployctl/err.h"

/* The certificates of one PEM file, the leaf (the server's own) first. */
struct tls_cert;

/* Certificates kept from one file; the rest of a longer chain is ignored. */
#define TLS_MAX_CHAIN 16

/*
 * Parse every CERTIFICATE block of pem (len bytes; need not be
 * NUL-terminated) into *out (new: free with tls_cert_free()). ERR_INVALID
 * when there is none or one does not parse, ERR_NOMEM.
 */
int tls_cert_parse(struct tls_cert **out, const char *pem, size_t len, struct err *err);
void tls_cert_free(struct tls_cert *c);

/* Number of certificates parsed (1 for a lone certificate). */
size_t tls_cert_count(const struct tls_cert *c);

/*
 * Validity, unix seconds: the leaf's notBefore, and the earliest notAfter of
 * the chain (an expired intermediate breaks the chain as surely as the leaf).
 */
int64_t tls_cert_not_before(const struct tls_cert *c);
int64_t tls_cert_not_after(const struct tls_cert *c);

/* The leaf's subject as one line ("CN=shop.example.com,O=Example"), truncated to size. */
void tls_cert_subject(char *out, size_t size, const struct tls_cert *c);

/*
 * The leaf's subjectAltName DNS and IP entries, ", "-separated, into out
 * (truncated with "..."); "" when it has none.
 */
void tls_cert_names(char *out, size_t size, const struct tls_cert *c);

/*
 * Does the leaf cover host name (or IP address literal) name? Only
 * subjectAltName counts (RFC 6125 6.4.4: the CN is not consulted when the
 * certificate has DNS names, and browsers no longer consult it at all).
 */
bool tls_cert_covers(const struct tls_cert *c, const char *name);

/*
 * RFC 6125 6.4.3 matching of one DNS-ID pattern against a host name:
 * case-insensitive, a trailing dot ignored, a wildcard only as the whole
 * leftmost label ("*.example.com" matches "a.example.com", not
 * "a.b.example.com" nor "example.com"), and never with fewer than two
 * labels after it ("*.com" matches nothing).
 */
bool tls_name_match(const char *pattern, const char *name);

/*
 * Does the private key in pem (len bytes) belong to the leaf? 0 when it
 * does; ERR_INVALID with a message when it does not, when it does not parse,
 * or when it is encrypted (check cannot know the passphrase); ERR_NOMEM.
 * The message never quotes the key.
 */
int tls_key_check(const struct tls_cert *c, const char *pem, size_t len, struct err *err);

/* Does pem hold a "-----BEGIN ... CERTIFICATE-----" / "... PRIVATE KEY-----" block? */
bool tls_pem_has_cert(const char *pem, size_t len);
bool tls_pem_has_key(const char *pem, size_t len);

#endif
