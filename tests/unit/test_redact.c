/*
 * test_redact.c - the scrubber every stored or printed message goes
 * through, URL passwords, and which model values are secret (by name, by
 * x-deployctl.secrets, by interpolation, as a URL password) with the form
 * they are stored and shown in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deployctl/model_secret.h"
#include "deployctl/redact.h"

static const struct hash_key test_key = { { 0 } };

static void scrub(const char *in, const char *const *secrets, size_t n, const char *want,
                  size_t count)
{
	char *s = strdup(in);

	CHECK_INT(redact_scrub(s, secrets, n), count);
	CHECK_STR(s, want);
	free(s);
}

static void test_redact__scrub(void)
{
	const char *const one[] = { "hunter2" };
	const char *const nested[] = { "pass", "password123", NULL, "abc" };

	scrub("FATAL: password hunter2 rejected", one, 1, "FATAL: password *** rejected", 1);
	scrub("hunter2hunter2 and hunter2", one, 1, "****** and ***", 3);
	scrub("nothing here", one, 1, "nothing here", 0);
	scrub("", one, 1, "", 0);
	/* the longest secret wins where several match; short ones are not scrubbed */
	scrub("pw=password123 pass abc", nested, 4, "pw=*** *** abc", 2);
	scrub("hunter", one, 1, "hunter", 0);
}

static void url(const char *u, const char *pw)
{
	size_t off = 0, len = 0;
	bool has = redact_url_password(&off, &len, u);

	CHECK_INT(has, pw != NULL);
	if (has && pw) {
		CHECK_INT(len, strlen(pw));
		CHECK(!strncmp(u + off, pw, len));
	}
}

static void test_redact__url_password(void)
{
	url("postgresql://user:password@postgres:5432/db", "password");
	url("redis://:s3cr3t@cache:6379/0", "s3cr3t");
	url("amqp://guest:gu@st@rabbit/vhost", "gu@st");
	url("https://user@example.com/path", NULL);
	url("https://example.com/a:b@c", NULL);
	url("user:pass@host", NULL);
	url("postgres://app:@db/app", NULL);
	url("plain text", NULL);
	url("", NULL);
}

static void shown(const struct service *s, enum model_secret why, const char *value,
                  const char *want_prefix)
{
	char fp[HASH_FINGERPRINT_SIZE], got[HASH_FINGERPRINT_SIZE], want[512], *out = NULL;

	hash_fingerprint(fp, &test_key, value);
	if (want_prefix)
		snprintf(want, sizeof(want), "%s (%s)", want_prefix, fp);
	else
		snprintf(want, sizeof(want), "%s", fp);
	CHECK_INT(model_secret_shown(&out, &test_key, s, why, value), 0);
	CHECK_STR(out, want);
	CHECK(model_secret_shown_fingerprint(got, out));
	CHECK_STR(got, fp);
	CHECK(model_secret_is_shown(out));
	free(out);
}

static void test_redact__model_secrets(void)
{
	struct project p = { 0 };
	struct service s = { 0 };
	struct strv all = { 0 };
	char msg[] = "connect postgres://app:Sup3rS3cret@db/app failed: token tok-123456 bad; "
	             "pw password";
	char *out = NULL;

	strv_push(&p.secret_keys, "DATABASE_URL");
	kvv_set(&s.env, "DATABASE_URL", "postgres://x:y@db/x");
	kvv_set(&s.env, "API_TOKEN", "tok-123456");
	kvv_set(&s.env, "DERIVED", "postgres://app:Sup3rS3cret@db/app");
	kvv_set(&s.env, "SEED", "postgresql://user:password@postgres:5432/db");
	kvv_set(&s.env, "MODE", "production");
	kvv_set(&s.labels, "pw", "Sup3rS3cret");
	kvv_set(&s.labels, "tier", "web");
	strv_push(&s.secret_env, "DERIVED");
	strv_push(&s.secret_labels, "pw");
	strv_push(&s.secret_parts, "Sup3rS3cret");
	p.services = &s;
	p.nservices = 1;

	CHECK_INT(model_env_secret(&p, &s, "DATABASE_URL", "x"), MODEL_SECRET_LISTED);
	CHECK_INT(model_env_secret(&p, &s, "API_TOKEN", "x"), MODEL_SECRET_NAME);
	CHECK_INT(model_env_secret(&p, &s, "DERIVED", "x"), MODEL_SECRET_INTERPOLATED);
	CHECK_INT(model_env_secret(&p, &s, "SEED", "postgresql://user:password@postgres:5432/db"),
	          MODEL_SECRET_URL);
	CHECK_INT(model_env_secret(&p, &s, "MODE", "production"), MODEL_SECRET_NONE);
	CHECK_INT(model_label_secret(&s, "pw", "Sup3rS3cret"), MODEL_SECRET_INTERPOLATED);
	CHECK_INT(model_label_secret(&s, "tier", "web"), MODEL_SECRET_NONE);
	CHECK_STR(model_secret_why(MODEL_SECRET_LISTED), "listed");
	CHECK_INT(model_secret_parse("interpolated"), MODEL_SECRET_INTERPOLATED);
	CHECK_INT(model_secret_parse(NULL), MODEL_SECRET_NONE);

	/* secret by key: the fingerprint alone; a URL: the password hidden, plus it */
	shown(&s, MODEL_SECRET_LISTED, "postgres://x:y@db/x", NULL);
	shown(&s, MODEL_SECRET_URL, "postgresql://user:password@postgres:5432/db",
	      "postgresql://user:***@postgres:5432/db");
	shown(&s, MODEL_SECRET_INTERPOLATED, "postgres://app:Sup3rS3cret@db/app",
	      "postgres://app:***@db/app");
	shown(&s, MODEL_SECRET_INTERPOLATED, "pw=Sup3rS3cret!", "pw=***!");
	/* a shown form is kept as it is (a redacted snapshot parsed back) */
	CHECK_INT(model_secret_shown(&out, &test_key, &s, MODEL_SECRET_URL,
	                             "postgresql://user:***@postgres:5432/db (hmac:0123456789ab)"),
	          0);
	CHECK_STR(out, "postgresql://user:***@postgres:5432/db (hmac:0123456789ab)");
	free(out);
	/* parts not known (a snapshot parsed back): the whole value is hidden */
	{
		struct service bare = { 0 };

		shown(&bare, MODEL_SECRET_INTERPOLATED, "postgres://app:Sup3rS3cret@db/app", NULL);
		shown(NULL, MODEL_SECRET_INTERPOLATED, "via-Sup3rS3cret", NULL);
		shown(&bare, MODEL_SECRET_URL, "postgresql://user:password@postgres:5432/db",
		      "postgresql://user:***@postgres:5432/db");
	}
	/* a secret part too short to scrub: the whole value is hidden */
	strv_push(&s.secret_parts, "ab");
	shown(&s, MODEL_SECRET_INTERPOLATED, "x-ab-y", NULL);

	/* every secret value of the project, and the scrubber with them */
	CHECK_INT(model_secrets_collect(&all, &p), 0);
	model_scrub(msg, &all);
	/* the derived value is secret whole, and so is the variable's value inside others */
	CHECK_STR(msg, "connect *** failed: token *** bad; pw ***");
	CHECK(!strstr(msg, "Sup3rS3cret"));

	p.services = NULL;
	p.nservices = 0;
	strv_free(&all);
	model_service_release(&s);
	model_project_release(&p);
}

int main(void)
{
	RUN(test_redact__scrub);
	RUN(test_redact__url_password);
	RUN(test_redact__model_secrets);
	return CHECK_DONE();
}
