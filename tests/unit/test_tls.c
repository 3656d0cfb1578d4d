/*
 * test_tls.c - util/tls.c on certificates made by openssl in the test: dates
 * (valid, expired, the earliest of a chain), subjectAltName coverage with
 * RFC 6125 wildcards and IP addresses, key matching (own, another, encrypted,
 * garbage) with messages that never quote a key, and refused PEM.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "deployctl/tls.h"
#include "tls_gen.h"

static char tmp[64];

/* Whole file dir/name, NUL-terminated, *len set; aborts on failure. */
static char *slurp(const char *name, size_t *len)
{
	char path[256], *data;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	f = fopen(path, "re");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		abort();
	data = malloc((size_t)n + 1);
	if (!data || fread(data, 1, (size_t)n, f) != (size_t)n)
		abort();
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

static struct tls_cert *load(const char *name)
{
	struct tls_cert *c = NULL;
	struct err err = ERR_INIT;
	size_t len;
	char *pem = slurp(name, &len);

	CHECK_INT(tls_cert_parse(&c, pem, len, &err), 0);
	free(pem);
	if (!c)
		abort();
	return c;
}

static void test_tls__name_match(void)
{
	static const struct {
		const char *pattern, *name;
		bool want;
	} cases[] = {
		{ "shop.example.com", "shop.example.com", true },
		{ "shop.example.com", "SHOP.Example.COM", true },
		{ "shop.example.com.", "shop.example.com", true },
		{ "shop.example.com", "shop.example.com.", true },
		{ "shop.example.com", "www.shop.example.com", false },
		{ "*.example.com", "a.example.com", true },
		{ "*.example.com", "A.EXAMPLE.com", true },
		{ "*.example.com", "a.b.example.com", false }, /* one label only */
		{ "*.example.com", "example.com", false },
		{ "*.example.com", ".example.com", false },
		{ "*.com", "example.com", false }, /* too broad */
		{ "*", "example", false },
		{ "f*.example.com", "foo.example.com", false }, /* partial wildcards refused */
		{ "a.*.example.com", "a.b.example.com", false },
		{ "*.*.example.com", "a.b.example.com", false },
		{ "*.example.com", "*.example.com", false },
		{ "", "example.com", false },
		{ "example.com", "", false },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = tls_name_match(cases[i].pattern, cases[i].name);

		if (got != cases[i].want)
			fprintf(stderr, "case %zu: '%s' vs '%s'\n", i, cases[i].pattern,
			        cases[i].name);
		CHECK(got == cases[i].want);
	}
}

static void test_tls__dates_and_names(void)
{
	struct tls_cert *c = load("good.crt");
	int64_t now = (int64_t)time(NULL);
	char text[512];

	CHECK_INT(tls_cert_count(c), 1);
	CHECK(tls_cert_not_before(c) <= now && tls_cert_not_before(c) > now - 3600);
	/* 30 days, give or take the seconds the test took. */
	CHECK(tls_cert_not_after(c) > now + 30 * 86400 - 3600);
	CHECK(tls_cert_not_after(c) <= now + 30 * 86400 + 60);
	tls_cert_subject(text, sizeof(text), c);
	CHECK_STR(text, "CN=good");
	tls_cert_names(text, sizeof(text), c);
	CHECK_STR(text, "DNS:shop.example.com, DNS:*.example.org, IP:127.0.0.1");
	CHECK(tls_cert_covers(c, "shop.example.com"));
	CHECK(tls_cert_covers(c, "Shop.Example.Com"));
	CHECK(tls_cert_covers(c, "api.example.org"));
	CHECK(!tls_cert_covers(c, "a.b.example.org"));
	CHECK(!tls_cert_covers(c, "example.org"));
	CHECK(!tls_cert_covers(c, "good")); /* the CN is not consulted */
	CHECK(tls_cert_covers(c, "127.0.0.1"));
	CHECK(!tls_cert_covers(c, "127.0.0.2"));
	CHECK(!tls_cert_covers(c, "::1"));
	tls_cert_free(c);

	c = load("expired.crt");
	CHECK(tls_cert_not_after(c) < now);
	tls_cert_names(text, sizeof(text), c);
	CHECK_STR(text, "");
	CHECK(!tls_cert_covers(c, "expired"));
	tls_cert_free(c);

	/* A chain: the leaf's names, the earliest end of any certificate. */
	c = load("chain.crt");
	CHECK_INT(tls_cert_count(c), 2);
	CHECK(tls_cert_covers(c, "shop.example.com"));
	CHECK(tls_cert_not_after(c) < now);
	tls_cert_free(c);
}

static void test_tls__key(void)
{
	struct tls_cert *c = load("good.crt");
	struct err err = ERR_INIT;
	size_t len;
	char *key = slurp("good.key", &len), *other, *enc;

	CHECK_INT(tls_key_check(c, key, len, &err), 0);
	free(key);

	other = slurp("expired.key", &len);
	err_clear(&err);
	CHECK_INT(tls_key_check(c, other, len, &err), ERR_INVALID);
	CHECK_STR(err.msg, "the private key does not match the certificate");
	free(other);

	enc = slurp("enc.key", &len);
	err_clear(&err);
	CHECK_INT(tls_key_check(c, enc, len, &err), ERR_INVALID);
	CHECK(strstr(err.msg, "encrypted") != NULL);
	free(enc);

	err_clear(&err);
	CHECK_INT(tls_key_check(c, "-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----\n",
	                        56, &err),
	          ERR_INVALID);
	CHECK_STR(err.msg, "the private key does not parse");
	CHECK(strstr(err.msg, "QUJD") == NULL);

	err_clear(&err);
	CHECK_INT(tls_key_check(c, "hello", 5, &err), ERR_INVALID);
	CHECK_STR(err.msg, "no PEM private key in it");
	tls_cert_free(c);
}

static void test_tls__refused(void)
{
	static const char bad[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	struct tls_cert *c = NULL;
	struct err err = ERR_INIT;
	size_t len;
	char *key;

	CHECK_INT(tls_cert_parse(&c, bad, sizeof(bad) - 1, &err), ERR_INVALID);
	CHECK(c == NULL);
	CHECK(strstr(err.msg, "certificate 1 of 1 does not parse") != NULL);
	err_clear(&err);
	CHECK_INT(tls_cert_parse(&c, "plain text", 10, &err), ERR_INVALID);
	CHECK_STR(err.msg, "no PEM certificate in it");
	/* A key file is not a certificate, and says so without quoting it. */
	key = slurp("good.key", &len);
	err_clear(&err);
	CHECK_INT(tls_cert_parse(&c, key, len, &err), ERR_INVALID);
	CHECK_STR(err.msg, "no PEM certificate in it");
	CHECK(tls_pem_has_key(key, len));
	CHECK(!tls_pem_has_cert(key, len));
	free(key);
}

int main(void)
{
	char cmd[512];
	int rc;

	snprintf(tmp, sizeof(tmp), "/tmp/deployctl-test-tls-XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	tls_gen(tmp, "good", 30, "DNS:shop.example.com,DNS:*.example.org,IP:127.0.0.1");
	tls_gen(tmp, "expired", 0, NULL);
	snprintf(cmd, sizeof(cmd),
	         "cat %s/good.crt %s/expired.crt > %s/chain.crt && "
	         "openssl pkey -in %s/good.key -aes256 -passout pass:unit -out %s/enc.key",
	         tmp, tmp, tmp, tmp, tmp);
	if (system(cmd) != 0)
		return 1;
	RUN(test_tls__name_match);
	RUN(test_tls__dates_and_names);
	RUN(test_tls__key);
	RUN(test_tls__refused);
	rc = CHECK_DONE();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
