/*
 * tls.c - PEM certificates and private keys through libcrypto (the one layer
 * that may call OpenSSL): parse a chain, read its dates and names, match a
 * host name the way RFC 6125 says a client does, and tell whether a private
 * key belongs to the leaf. Key bytes are read in place, never copied or
 * quoted.
 */
#include "deployctl/tls.h"

#include <arpa/inet.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deployctl/clock.h"
#include "deployctl/out.h"

#define NAME_MAX_LEN 253 /* a DNS name, without the trailing dot */

struct tls_cert {
	X509 *v[TLS_MAX_CHAIN];
	size_t n;
};

static const char *find(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (!memcmp(hay + i, needle, n))
			return hay + i;
	return NULL;
}

static size_t count(const char *hay, size_t len, const char *needle)
{
	const char *p = hay, *end = hay + len, *hit;
	size_t n = 0;

	while ((hit = find(p, (size_t)(end - p), needle))) {
		n++;
		p = hit + strlen(needle);
	}
	return n;
}

bool tls_pem_has_cert(const char *pem, size_t len)
{
	return find(pem, len, "-----BEGIN CERTIFICATE-----") ||
	       find(pem, len, "-----BEGIN TRUSTED CERTIFICATE-----");
}

bool tls_pem_has_key(const char *pem, size_t len)
{
	return find(pem, len, "PRIVATE KEY-----") != NULL;
}

void tls_cert_free(struct tls_cert *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		X509_free(c->v[i]);
	free(c);
}

int tls_cert_parse(struct tls_cert **out, const char *pem, size_t len, struct err *err)
{
	struct tls_cert *c = NULL;
	BIO *bio = NULL;
	size_t want;
	X509 *x;
	int rc;

	if (len > INT_MAX)
		return err_set(err, ERR_INVALID, "larger than %d bytes", INT_MAX);
	want = count(pem, len, "-----BEGIN CERTIFICATE-----");
	if (!want) {
		rc = err_set(err, ERR_INVALID, "no PEM certificate in it");
		goto out;
	}
	c = calloc(1, sizeof(*c));
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!c || !bio) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	while (c->n < TLS_MAX_CHAIN && c->n < want &&
	       (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		c->v[c->n++] = x;
	if (c->n < want && c->n < TLS_MAX_CHAIN) {
		unsigned long e = ERR_peek_last_error();

		rc = err_set(err, ERR_INVALID, "certificate %zu of %zu does not parse: %s",
		             c->n + 1, want, e ? ERR_reason_error_string(e) : "bad PEM");
		goto out;
	}
	*out = c;
	c = NULL;
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	tls_cert_free(c);
	return rc;
}

size_t tls_cert_count(const struct tls_cert *c)
{
	return c->n;
}

static int64_t asn1_unix(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return clock_days_from_civil((int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
	                             (unsigned)tm.tm_mday) *
	               86400 +
	       tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

int64_t tls_cert_not_before(const struct tls_cert *c)
{
	return asn1_unix(X509_get0_notBefore(c->v[0]));
}

int64_t tls_cert_not_after(const struct tls_cert *c)
{
	int64_t min = 0, t;
	size_t i;

	for (i = 0; i < c->n; i++) {
		t = asn1_unix(X509_get0_notAfter(c->v[i]));
		if (i == 0 || t < min)
			min = t;
	}
	return min;
}

void tls_cert_subject(char *out, size_t size, const struct tls_cert *c)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n = 0;

	if (!size)
		return;
	out[0] = '\0';
	if (!bio)
		return;
	if (X509_NAME_print_ex(bio, X509_get_subject_name(c->v[0]), 0,
	                       XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0)
		n = BIO_get_mem_data(bio, &data);
	if (n > 0 && data)
		snprintf(out, size, "%.*s", (int)(n < INT_MAX ? n : INT_MAX), data);
	BIO_free(bio);
	ERR_clear_error();
}

/* One subjectAltName entry as text: "DNS:x" or "IP:1.2.3.4"; false for other kinds. */
static bool gen_name_text(char *out, size_t size, const GENERAL_NAME *gn)
{
	const unsigned char *d;
	char ip[INET6_ADDRSTRLEN];
	int len;

	if (gn->type == GEN_DNS) {
		d = ASN1_STRING_get0_data(gn->d.dNSName);
		len = ASN1_STRING_length(gn->d.dNSName);
		if (len < 0 || memchr(d, '\0', (size_t)len))
			return false;
		snprintf(out, size, "DNS:%.*s", len, (const char *)d);
		return true;
	}
	if (gn->type == GEN_IPADD) {
		d = ASN1_STRING_get0_data(gn->d.iPAddress);
		len = ASN1_STRING_length(gn->d.iPAddress);
		if ((len != 4 && len != 16) ||
		    !inet_ntop(len == 4 ? AF_INET : AF_INET6, d, ip, sizeof(ip)))
			return false;
		snprintf(out, size, "IP:%s", ip);
		return true;
	}
	return false;
}

void tls_cert_names(char *out, size_t size, const struct tls_cert *c)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(c->v[0], NID_subject_alt_name, NULL, NULL);
	char one[NAME_MAX_LEN + 8];
	size_t used = 0;
	int i;

	if (!size)
		return;
	out[0] = '\0';
	for (i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		if (!gen_name_text(one, sizeof(one), sk_GENERAL_NAME_value(names, i)))
			continue;
		if (!out_list_add(out, size, &used, used == 0, one))
			break;
	}
	GENERAL_NAMES_free(names);
	ERR_clear_error();
}

/* Copy s without a trailing dot into out (NAME_MAX_LEN + 1 bytes); false when too long or empty. */
static bool dns_norm(char *out, const char *s)
{
	size_t n = strlen(s);

	if (n && s[n - 1] == '.')
		n--;
	if (!n || n > NAME_MAX_LEN)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

bool tls_name_match(const char *pattern, const char *name)
{
	char p[NAME_MAX_LEN + 1], h[NAME_MAX_LEN + 1];
	const char *rest, *hdot;

	if (!dns_norm(p, pattern) || !dns_norm(h, name) || strchr(h, '*'))
		return false;
	if (strncmp(p, "*.", 2) != 0)
		return !strchr(p, '*') && !strcasecmp(p, h);
	rest = p + 2;
	/* "*.com" and "*." cover nothing; a second wildcard is not allowed. */
	if (!strchr(rest, '.') || strchr(rest, '*') || rest[0] == '.')
		return false;
	hdot = strchr(h, '.');
	if (!hdot || hdot == h)
		return false;
	return !strcasecmp(rest, hdot + 1);
}

bool tls_cert_covers(const struct tls_cert *c, const char *name)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(c->v[0], NID_subject_alt_name, NULL, NULL);
	unsigned char ip[16];
	int iplen = 0, i;
	bool hit = false;

	if (inet_pton(AF_INET, name, ip) == 1)
		iplen = 4;
	else if (inet_pton(AF_INET6, name, ip) == 1)
		iplen = 16;
	for (i = 0; names && !hit && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		const unsigned char *d;
		int len;

		if (iplen && gn->type == GEN_IPADD) {
			d = ASN1_STRING_get0_data(gn->d.iPAddress);
			len = ASN1_STRING_length(gn->d.iPAddress);
			hit = len == iplen && !memcmp(d, ip, (size_t)len);
		} else if (!iplen && gn->type == GEN_DNS) {
			char pat[NAME_MAX_LEN + 2];

			d = ASN1_STRING_get0_data(gn->d.dNSName);
			len = ASN1_STRING_length(gn->d.dNSName);
			if (len <= 0 || len > NAME_MAX_LEN + 1 || memchr(d, '\0', (size_t)len))
				continue;
			memcpy(pat, d, (size_t)len);
			pat[len] = '\0';
			hit = tls_name_match(pat, name);
		}
	}
	GENERAL_NAMES_free(names);
	ERR_clear_error();
	return hit;
}

/* Never ask for a passphrase: an encrypted key is reported, not unlocked. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

int tls_key_check(const struct tls_cert *c, const char *pem, size_t len, struct err *err)
{
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	int rc;

	if (len > INT_MAX)
		return err_set(err, ERR_INVALID, "key file larger than %d bytes", INT_MAX);
	if (!tls_pem_has_key(pem, len))
		return err_set(err, ERR_INVALID, "no PEM private key in it");
	if (find(pem, len, "ENCRYPTED"))
		return err_set(err, ERR_INVALID,
		               "the private key is encrypted: its certificate cannot be matched "
		               "without the passphrase");
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (!key) {
		rc = err_set(err, ERR_INVALID, "the private key does not parse");
		goto out;
	}
	if (X509_check_private_key(c->v[0], key) != 1) {
		rc = err_set(err, ERR_INVALID, "the private key does not match the certificate");
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	BIO_free(bio);
	return rc;
}
