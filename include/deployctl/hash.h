/*
 * hash.h - sha256 and HMAC-SHA256 (OpenSSL libcrypto) as lower-case hex,
 * the per-state-directory key that HMACs are made with, and the secret
 * fingerprint format used wherever a secret would otherwise be shown.
 *
 * Why keyed: a fingerprint or a hash of a spec holding a secret, stored in
 * the database or in a container label, would otherwise let whoever reads
 * it test guesses of a short secret offline. With the key (32 random
 * bytes in <state>/fingerprint.key, mode 0600) they cannot.
 */
#ifndef DEPLOYCTL_HASH_H
#define DEPLOYCTL_HASH_H

#include <stdbool.h>
#include <stddef.h>

#include "deployctl/err.h"

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

/* The key of a state directory. */
#define HASH_KEY_SIZE 32
struct hash_key {
	unsigned char k[HASH_KEY_SIZE];
};

/* A fresh random key (for ":memory:" stores and tests). 0 or ERR_FAIL. */
int hash_key_random(struct hash_key *out, struct err *err);

/*
 * The key kept in the file at path: read it, or, when there is none,
 * create it with a random key (64 hex digits and a newline, mode 0600)
 * atomically: written to a temporary file opened O_CREAT|O_EXCL|O_NOFOLLOW
 * and linked into place, so two processes starting at once agree on one
 * key and a planted symlink is never followed. A key file that is not a
 * regular file, is readable by group or others, or does not hold a key is
 * refused (ERR_INVALID); I/O failures are ERR_IO.
 */
int hash_key_load(struct hash_key *out, const char *path, struct err *err);

/* HMAC-SHA256 of data under k: 64 hex digits and a NUL. */
void hash_hmac_hex(char out[HASH_HEX_LEN + 1], const struct hash_key *k, const void *data,
                   size_t len);

/*
 * The fingerprint stored and printed for a secret value:
 * "hmac:" + first 12 hex digits of HMAC-SHA256(k, value). Releases made
 * before fingerprints were keyed hold "sha256:" + 12 hex digits of
 * sha256(value) (hash_fingerprint_legacy(), only to recognise those).
 * out must hold HASH_FINGERPRINT_SIZE bytes.
 */
#define HASH_FINGERPRINT_SIZE 20
void hash_fingerprint(char out[HASH_FINGERPRINT_SIZE], const struct hash_key *k, const char *value);
void hash_fingerprint_legacy(char out[HASH_FINGERPRINT_SIZE], const char *value);

/*
 * Is v a fingerprint of either form ("hmac:" or "sha256:" and 12 hex
 * digits)? Then redacting it again keeps it, so that
 * render(parse(redacted), redact) == redacted.
 */
bool hash_is_fingerprint(const char *v);
/*
 * Is fp (of either form) the fingerprint of value? The legacy form is
 * checked without the key, the keyed one with it.
 */
bool hash_fingerprint_matches(const char *fp, const struct hash_key *k, const char *value);

/* HMAC-SHA256 of data under key, as 64 lower-case hex digits (webhook signatures). */
void hash_hmac_sha256_hex(char out[HASH_HEX_LEN + 1], const void *key, size_t keylen,
                          const void *data, size_t len);
/* Equal bytes, compared in time independent of where they differ (secrets, signatures). */
bool hash_equal(const void *a, size_t alen, const void *b, size_t blen);

#endif
