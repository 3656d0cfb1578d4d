/*
 * secret.c - which values of the model are secret and why, the stored and
 * shown form of a secret value, and the collection of a project's secret
 * values for the scrubber.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "deployctl/err.h"
#include "deployctl/model_secret.h"
#include "deployctl/redact.h"

static const char *const model_secret_words[] = {
	[MODEL_SECRET_NONE] = NULL,       [MODEL_SECRET_NAME] = "name",
	[MODEL_SECRET_LISTED] = "listed", [MODEL_SECRET_INTERPOLATED] = "interpolated",
	[MODEL_SECRET_URL] = "url",
};

const char *model_secret_why(enum model_secret why)
{
	if ((unsigned)why >= sizeof(model_secret_words) / sizeof(model_secret_words[0]))
		return NULL;
	return model_secret_words[why];
}

enum model_secret model_secret_parse(const char *why)
{
	size_t i;

	for (i = 1; why && i < sizeof(model_secret_words) / sizeof(model_secret_words[0]); i++)
		if (!strcmp(why, model_secret_words[i]))
			return (enum model_secret)i;
	return MODEL_SECRET_NONE;
}

static bool strv_contains(const struct strv *v, const char *s)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return true;
	return false;
}

static bool url_has_password(const char *value)
{
	size_t off, len;

	return value && redact_url_password(&off, &len, value);
}

enum model_secret model_env_secret(const struct project *p, const struct service *s,
                                   const char *key, const char *value)
{
	if (p && strv_contains(&p->secret_keys, key))
		return MODEL_SECRET_LISTED;
	if (model_env_is_secret(NULL, key))
		return MODEL_SECRET_NAME;
	if (s && strv_contains(&s->secret_env, key))
		return MODEL_SECRET_INTERPOLATED;
	if (url_has_password(value))
		return MODEL_SECRET_URL;
	return MODEL_SECRET_NONE;
}

enum model_secret model_label_secret(const struct service *s, const char *key, const char *value)
{
	if (s && strv_contains(&s->secret_labels, key))
		return MODEL_SECRET_INTERPOLATED;
	if (url_has_password(value))
		return MODEL_SECRET_URL;
	return MODEL_SECRET_NONE;
}

/* " (hmac:0123456789ab)" at the end of v: where it starts, or NULL. */
static const char *shown_suffix(const char *v)
{
	size_t len = strlen(v), fl = strlen("hmac:") + 12;
	char fp[HASH_FINGERPRINT_SIZE];

	if (len < fl + 3 || strcmp(v + len - 1, ")") || strncmp(v + len - fl - 3, " (", 2))
		return NULL;
	snprintf(fp, sizeof(fp), "%.*s", (int)fl, v + len - fl - 1);
	return hash_is_fingerprint(fp) ? v + len - fl - 3 : NULL;
}

bool model_secret_is_shown(const char *v)
{
	return hash_is_fingerprint(v) || shown_suffix(v);
}

bool model_secret_shown_fingerprint(char out[HASH_FINGERPRINT_SIZE], const char *v)
{
	const char *s;

	if (hash_is_fingerprint(v)) {
		snprintf(out, HASH_FINGERPRINT_SIZE, "%s", v);
		return true;
	}
	s = shown_suffix(v);
	if (!s)
		return false;
	/* " (" fingerprint ")" */
	snprintf(out, HASH_FINGERPRINT_SIZE, "%.*s", (int)(strlen(s) - 3), s + 2);
	return true;
}

/* Can every part be hidden in t by the scrubber? (A short one cannot.) */
static bool parts_hideable(const char *t, const struct strv *parts)
{
	size_t i;

	for (i = 0; parts && i < parts->n; i++)
		if (*parts->v[i] && strlen(parts->v[i]) < REDACT_MIN_LEN && strstr(t, parts->v[i]))
			return false;
	return true;
}

int model_secret_shown(char **out, const struct hash_key *k, const struct service *s,
                       enum model_secret why, const char *value)
{
	char fp[HASH_FINGERPRINT_SIZE];
	size_t off, len;
	struct buf b;
	char *t;

	if (model_secret_is_shown(value)) {
		*out = strdup(value);
		return *out ? 0 : ERR_NOMEM;
	}
	hash_fingerprint(fp, k, value);
	buf_init(&b, 0);
	/*
	 * Parts can be hidden only when known: a URL's password always is, the
	 * variables interpolated into a value only while loading manifests (a
	 * snapshot parsed back for rollback knows none: hidden whole).
	 */
	if (why == MODEL_SECRET_URL ||
	    (why == MODEL_SECRET_INTERPOLATED && s && s->secret_parts.n)) {
		if (redact_url_password(&off, &len, value)) {
			if (buf_add(&b, value, off) || buf_puts(&b, REDACT_MASK) ||
			    buf_puts(&b, value + off + len))
				goto nomem;
		} else if (buf_puts(&b, value)) {
			goto nomem;
		}
		if (!parts_hideable(b.ptr, s ? &s->secret_parts : NULL)) {
			buf_reset(&b);
		} else {
			if (s)
				model_scrub(b.ptr, &s->secret_parts);
			b.len = strlen(b.ptr);
			if (buf_printf(&b, " (%s)", fp))
				goto nomem;
		}
	}
	if (!b.len && buf_puts(&b, fp))
		goto nomem;
	t = buf_detach(&b);
	if (!t)
		goto nomem;
	*out = t;
	return 0;
nomem:
	buf_release(&b);
	return ERR_NOMEM;
}

static int push_password(struct strv *out, const char *value)
{
	size_t off, len;
	char *pw;
	int rc;

	if (!value || !redact_url_password(&off, &len, value))
		return 0;
	pw = strndup(value + off, len);
	if (!pw)
		return ERR_NOMEM;
	rc = strv_push(out, pw);
	free(pw);
	return rc;
}

static int collect_service(struct strv *out, const struct project *p, const struct service *s)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < s->env.n; i++) {
		const struct kv *e = &s->env.v[i];
		enum model_secret why = model_env_secret(p, s, e->key, e->value);

		if (why == MODEL_SECRET_NONE || model_secret_is_shown(e->value))
			continue;
		rc = why == MODEL_SECRET_URL ? 0 : strv_push(out, e->value);
		if (rc == 0)
			rc = push_password(out, e->value);
	}
	for (i = 0; rc == 0 && i < s->labels.n; i++) {
		const struct kv *l = &s->labels.v[i];
		enum model_secret why = model_label_secret(s, l->key, l->value);

		if (why == MODEL_SECRET_NONE || model_secret_is_shown(l->value))
			continue;
		rc = why == MODEL_SECRET_URL ? 0 : strv_push(out, l->value);
		if (rc == 0)
			rc = push_password(out, l->value);
	}
	for (i = 0; rc == 0 && i < s->secret_parts.n; i++)
		rc = strv_push(out, s->secret_parts.v[i]);
	return rc;
}

int model_secrets_collect(struct strv *out, const struct project *p)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < p->nservices; i++)
		rc = collect_service(out, p, &p->services[i]);
	for (i = 0; rc == 0 && i < p->nsecrets; i++) {
		const struct project_file *f = &p->secrets[i];
		char *c;

		/* Only text can turn up in a message; a file's bytes up to a NUL are what could. */
		if (!f->content || !f->content_len)
			continue;
		c = strndup(f->content, f->content_len);
		if (!c)
			return ERR_NOMEM;
		/* "hunter2\n" in a file shows up in a message as "hunter2". */
		if (strlen(c) && c[strlen(c) - 1] == '\n')
			c[strlen(c) - 1] = '\0';
		if (strlen(c) && c[strlen(c) - 1] == '\r')
			c[strlen(c) - 1] = '\0';
		rc = strv_push(out, c);
		free(c);
	}
	return rc;
}

size_t model_scrub(char *text, const struct strv *secrets)
{
	return redact_scrub(text, (const char *const *)secrets->v, secrets->n);
}

void model_scrub_err(struct err *e, const struct strv *secrets)
{
	model_scrub(e->msg, secrets);
	model_scrub(e->src, secrets);
}
