/*
 * hash.c - sha256 and HMAC-SHA256 through OpenSSL's libcrypto (a well-kept
 * implementation instead of a hand-written one), the state directory's
 * key file, and the secret fingerprint format.
 */
#include "deployctl/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void hash_hex(char out[HASH_HEX_LEN + 1], const unsigned char *md)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[HASH_HEX_LEN] = '\0';
}

void hash_sha256_hex(char out[HASH_HEX_LEN + 1], const void *data, size_t len)
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	hash_hex(out, md);
}

struct hash_ctx *hash_ctx_new(void)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		c = NULL;
	}
	return (struct hash_ctx *)c;
}

void hash_ctx_add(struct hash_ctx *h, const void *data, size_t len)
{
	EVP_DigestUpdate((EVP_MD_CTX *)h, data, len);
}

void hash_ctx_final(char out[HASH_HEX_LEN + 1], struct hash_ctx *h)
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_DigestFinal_ex((EVP_MD_CTX *)h, md, &n);
	hash_hex(out, md);
	EVP_MD_CTX_free((EVP_MD_CTX *)h);
}

void hash_ctx_free(struct hash_ctx *h)
{
	EVP_MD_CTX_free((EVP_MD_CTX *)h);
}

int hash_key_random(struct hash_key *out, struct err *err)
{
	if (RAND_bytes(out->k, HASH_KEY_SIZE) != 1)
		return err_set(err, ERR_FAIL, "cannot make a random key");
	return 0;
}

/* The key file's body: 64 hex digits and a newline. */
#define KEY_TEXT_LEN (2 * HASH_KEY_SIZE + 1)

static int key_parse(struct hash_key *out, const char *text, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const char *hi, *lo;
	size_t i;

	if (len != KEY_TEXT_LEN || text[len - 1] != '\n')
		return -1;
	for (i = 0; i < HASH_KEY_SIZE; i++) {
		hi = text[2 * i] ? strchr(digits, text[2 * i]) : NULL;
		lo = text[2 * i + 1] ? strchr(digits, text[2 * i + 1]) : NULL;
		if (!hi || !lo)
			return -1;
		out->k[i] = (unsigned char)((hi - digits) << 4 | (lo - digits));
	}
	return 0;
}

/* Read an existing key file; ERR_NOTFOUND when there is none. */
static int key_read(struct hash_key *out, const char *path, struct err *err)
{
	char text[KEY_TEXT_LEN + 1];
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return ERR_NOTFOUND;
	if (fd < 0 && errno == ELOOP)
		return err_set(err, ERR_INVALID, "key file '%s' is a symbolic link", path);
	if (fd < 0)
		return err_set(err, ERR_IO, "cannot open key file '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = err_set(err, ERR_IO, "cannot stat key file '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = err_set(err, ERR_INVALID, "key file '%s' is not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		rc = err_set(err, ERR_INVALID,
		             "key file '%s' is readable or writable by others (mode %04o): it must "
		             "be 0600",
		             path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	n = read(fd, text, sizeof(text));
	if (n < 0) {
		rc = err_set(err, ERR_IO, "cannot read key file '%s': %s", path, strerror(errno));
		goto out;
	}
	if (key_parse(out, text, (size_t)n) < 0)
		rc = err_set(err, ERR_INVALID, "key file '%s' does not hold a key", path);
out:
	close(fd);
	return rc;
}

/*
 * Write a new key to a temporary file and link it to path. Losing a race
 * (EEXIST: another process linked its key first) is success: the caller
 * reads the key that won.
 */
static int key_create(const char *path, struct err *err)
{
	static const char digits[] = "0123456789abcdef";
	char text[KEY_TEXT_LEN], *tmp = NULL;
	struct hash_key k;
	size_t i, len = strlen(path) + 32;
	int fd = -1, rc;

	rc = hash_key_random(&k, err);
	if (rc)
		return rc;
	for (i = 0; i < HASH_KEY_SIZE; i++) {
		text[2 * i] = digits[k.k[i] >> 4];
		text[2 * i + 1] = digits[k.k[i] & 15];
	}
	text[KEY_TEXT_LEN - 1] = '\n';
	tmp = malloc(len);
	if (!tmp)
		return err_set(err, ERR_NOMEM, "out of memory");
	snprintf(tmp, len, "%s.%ld.tmp", path, (long)getpid());
	unlink(tmp); /* a leftover of a dead process with our pid */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		rc = err_set(err, ERR_IO, "cannot create key file '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) < 0 || write(fd, text, sizeof(text)) != (ssize_t)sizeof(text) ||
	    fsync(fd) < 0) {
		rc = err_set(err, ERR_IO, "cannot write key file '%s': %s", tmp, strerror(errno));
		goto out;
	}
	/* link() never replaces: whoever links first wins, and the others read theirs. */
	if (link(tmp, path) < 0 && errno != EEXIST)
		rc = err_set(err, ERR_IO, "cannot create key file '%s': %s", path, strerror(errno));
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	OPENSSL_cleanse(&k, sizeof(k));
	OPENSSL_cleanse(text, sizeof(text));
	return rc;
}

int hash_key_load(struct hash_key *out, const char *path, struct err *err)
{
	int rc = key_read(out, path, err);

	if (rc != ERR_NOTFOUND)
		return rc;
	rc = key_create(path, err);
	if (rc)
		return rc;
	rc = key_read(out, path, err);
	if (rc == ERR_NOTFOUND)
		rc = err_set(err, ERR_IO, "key file '%s' vanished after it was made", path);
	return rc;
}

void hash_hmac_hex(char out[HASH_HEX_LEN + 1], const struct hash_key *k, const void *data,
                   size_t len)
{
	hash_hmac_sha256_hex(out, k->k, HASH_KEY_SIZE, data, len);
}

void hash_fingerprint(char out[HASH_FINGERPRINT_SIZE], const struct hash_key *k, const char *value)
{
	char hex[HASH_HEX_LEN + 1];

	hash_hmac_hex(hex, k, value, strlen(value));
	snprintf(out, HASH_FINGERPRINT_SIZE, "hmac:%.12s", hex);
}

void hash_fingerprint_legacy(char out[HASH_FINGERPRINT_SIZE], const char *value)
{
	char hex[HASH_HEX_LEN + 1];

	hash_sha256_hex(hex, value, strlen(value));
	snprintf(out, HASH_FINGERPRINT_SIZE, "sha256:%.12s", hex);
}

bool hash_is_fingerprint(const char *v)
{
	size_t i, p;

	if (!strncmp(v, "hmac:", 5))
		p = 5;
	else if (!strncmp(v, "sha256:", 7))
		p = 7;
	else
		return false;
	if (strlen(v) != p + 12)
		return false;
	for (i = p; v[i]; i++)
		if (!strchr("0123456789abcdef", v[i]))
			return false;
	return true;
}

bool hash_fingerprint_matches(const char *fp, const struct hash_key *k, const char *value)
{
	char f[HASH_FINGERPRINT_SIZE];

	if (!strncmp(fp, "sha256:", 7))
		hash_fingerprint_legacy(f, value);
	else
		hash_fingerprint(f, k, value);
	return !strcmp(f, fp);
}

/*
 * HMAC() looks the MAC and the digest up in OpenSSL's provider tables on
 * every call (about 100,000 instructions, more than hashing a spec): a
 * context keyed once is kept instead, and each call works on a copy of it.
 * The key is the state directory's, the same for every call of a process;
 * another key (a webhook secret) re-keys the kept one.
 */
static pthread_mutex_t hmac_lock = PTHREAD_MUTEX_INITIALIZER;
static EVP_MAC_CTX *hmac_keyed;
static unsigned char hmac_key[128];
static size_t hmac_keylen;

/* A copy of a context keyed with key, or NULL (then HMAC() does it). Under hmac_lock. */
static EVP_MAC_CTX *hmac_copy_locked(const void *key, size_t keylen)
{
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	EVP_MAC_CTX *c;

	if (keylen > sizeof(hmac_key))
		return NULL;
	if (hmac_keyed && keylen == hmac_keylen && !memcmp(key, hmac_key, keylen))
		return EVP_MAC_CTX_dup(hmac_keyed);
	EVP_MAC_CTX_free(hmac_keyed);
	hmac_keyed = NULL;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	c = mac ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!c || EVP_MAC_init(c, key, keylen, params) != 1) {
		EVP_MAC_CTX_free(c);
		return NULL;
	}
	hmac_keyed = c;
	memcpy(hmac_key, key, keylen);
	hmac_keylen = keylen;
	return EVP_MAC_CTX_dup(hmac_keyed);
}

void hash_hmac_sha256_hex(char out[HASH_HEX_LEN + 1], const void *key, size_t keylen,
                          const void *data, size_t len)
{
	unsigned char md[32] = { 0 };
	unsigned int n = 0;
	size_t mlen = 0;
	EVP_MAC_CTX *c;

	pthread_mutex_lock(&hmac_lock);
	c = hmac_copy_locked(key, keylen);
	pthread_mutex_unlock(&hmac_lock);
	if (!c || EVP_MAC_update(c, data, len) != 1 ||
	    EVP_MAC_final(c, md, &mlen, sizeof(md)) != 1 || mlen != sizeof(md))
		HMAC(EVP_sha256(), key, (int)keylen, data, len, md, &n);
	EVP_MAC_CTX_free(c);
	hash_hex(out, md);
}

bool hash_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	/* the lengths of a signature and a token are not secret; their bytes are */
	return alen == blen && CRYPTO_memcmp(a, b, alen) == 0;
}
