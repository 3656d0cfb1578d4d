/*
 * hash.h - sha256 (OpenSSL libcrypto) as lower-case hex, and the secret
 * fingerprint format used wherever a secret would otherwise be shown.
 */
#ifndef DEPLOYCTL_HASH_H
#define DEPLOYCTL_HASH_H

#include <stdbool.h>
#include <stddef.h>

#define HASH_HEX_LEN 64

/* out receives 64 hex digits and a NUL. */
void hash_sha256_hex(char out[HASH_HEX_LEN + 1], const void *data, size_t len);

/* Incremental form, for hashing several pieces (a directory's files). */
struct hash_ctx;
/* new, free with hash_ctx_free(); NULL on allocation failure. */
struct hash_ctx *hash_ctx_new(void);
void hash_ctx_add(struct hash_ctx *h, const void *data, size_t len);
/* Finish into out and free h. */
void hash_ctx_final(char out[HASH_HEX_LEN + 1], struct hash_ctx *h);
void hash_ctx_free(struct hash_ctx *h);

/*
 * The fingerprint stored and printed for a secret value:
 * "sha256:" + first 12 hex digits of sha256(value). out must hold 20 bytes.
 */
#define HASH_FINGERPRINT_SIZE 20
void hash_fingerprint(char out[HASH_FINGERPRINT_SIZE], const char *value);

/* HMAC-SHA256 of data under key, as 64 lower-case hex digits (webhook signatures). */
void hash_hmac_sha256_hex(char out[HASH_HEX_LEN + 1], const void *key, size_t keylen,
                          const void *data, size_t len);
/* Equal bytes, compared in time independent of where they differ (secrets, signatures). */
bool hash_equal(const void *a, size_t alen, const void *b, size_t blen);

#endif
