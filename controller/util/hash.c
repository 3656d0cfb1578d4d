/*
 * hash.c - sha256 through OpenSSL's libcrypto (a well-kept implementation
 * instead of a hand-written one), and the secret fingerprint format.
 */
#include "deployctl/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

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

void hash_fingerprint(char out[HASH_FINGERPRINT_SIZE], const char *value)
{
	char hex[HASH_HEX_LEN + 1];

	hash_sha256_hex(hex, value, strlen(value));
	snprintf(out, HASH_FINGERPRINT_SIZE, "sha256:%.12s", hex);
}

void hash_hmac_sha256_hex(char out[HASH_HEX_LEN + 1], const void *key, size_t keylen,
                          const void *data, size_t len)
{
	unsigned char md[32] = { 0 };
	unsigned int n = 0;

	HMAC(EVP_sha256(), key, (int)keylen, data, len, md, &n);
	hash_hex(out, md);
}

bool hash_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	/* the lengths of a signature and a token are not secret; their bytes are */
	return alen == blen && CRYPTO_memcmp(a, b, alen) == 0;
}
