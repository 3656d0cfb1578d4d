/*
 * spec_reasons.c - why a container is replaced, in a reviewer's terms:
 * compare the redacted canonical spec it was created from with the
 * redacted rendering of the desired one, field by field. Both sides carry
 * secrets only as fingerprints, so a reason can name a changed secret
 * without ever holding its value. The other half of
 * the spec module (spec.c renders and parses).
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "deployctl/hash.h"
#include "deployctl/model.h"
#include "deployctl/model_secret.h"
#include "deployctl/spec.h"

/* "sha256:0123456789ab" from an image ID, or the text itself when short. */
static void short_id(char *out, size_t size, const json_t *v)
{
	const char *s = json_is_string(v) ? json_string_value(v) : "none";

	if (!strncmp(s, "sha256:", 7) && strlen(s) > 19)
		snprintf(out, size, "sha256:%.12s", s + 7);
	else
		snprintf(out, size, "%s", s);
}

/* How a reason names a spec key: its Compose key where the two differ. */
static const char *field_name(const char *key)
{
	const struct svc_field *f = model_svc_field(key);

	return f && f->compose ? f->compose : key;
}

/* json_equal() says two absent values differ; here they are the same. */
static bool same(const json_t *a, const json_t *b)
{
	return (!a && !b) || json_equal(a, b);
}

static int add_reason(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_reason(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (b->len && buf_puts(b, "; ") < 0)
		return ERR_NOMEM;
	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

/*
 * A secret recorded before fingerprints were keyed ("sha256:...") against
 * one fingerprinted now ("hmac:..."): whether it changed cannot be told.
 */
static bool older_fingerprint(const json_t *old, const json_t *new_)
{
	const char *o = json_string_value(old), *n = json_string_value(new_);

	return o && n && !strncmp(o, "sha256:", 7) && hash_is_fingerprint(o) &&
	       !strncmp(n, "hmac:", 5) && hash_is_fingerprint(n);
}

/* Longest value quoted in a reason; longer ones are cut with "...". */
#define REASON_VALUE_MAX 48

/* A redacted secret's shown form (a fingerprint, or "... (hmac:...)")? */
static bool shown_secret(const json_t *v)
{
	return json_is_string(v) && model_secret_is_shown(json_string_value(v));
}

/*
 * Is this env or label value one whose text is not worth showing? Both
 * sides are redacted renderings, so no secret is in them; a fingerprint
 * is only said to have changed.
 */
static bool hidden(const char *field, const char *key, const json_t *a, const json_t *b)
{
	return shown_secret(a) || shown_secret(b) ||
	       (!strcmp(field, "env") && model_env_is_secret(NULL, key));
}

/* The text of a value: a string as is, anything else as compact JSON; new. */
static char *value_text(const json_t *v)
{
	if (!v)
		return NULL;
	if (json_is_string(v))
		return strdup(json_string_value(v));
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* "field key: old -> new" with both values cut to REASON_VALUE_MAX. */
static int changed_value(struct buf *b, const char *field, const char *key, const json_t *o,
                         const json_t *v)
{
	char *a = value_text(o), *c = value_text(v);
	int rc;

	if (!a || !c)
		rc = ERR_NOMEM;
	else
		rc = add_reason(b, "%s %s: %.*s%s -> %.*s%s", field, key, REASON_VALUE_MAX, a,
		                strlen(a) > REASON_VALUE_MAX ? "..." : "", REASON_VALUE_MAX, c,
		                strlen(c) > REASON_VALUE_MAX ? "..." : "");
	free(a);
	free(c);
	return rc;
}

/* Per-key differences inside an object field such as env or labels. */
static int object_reasons(struct buf *b, const char *field, const json_t *old, const json_t *new_)
{
	const char *key;
	json_t *v;
	int rc = 0;

	json_object_foreach((json_t *)new_, key, v)
	{
		json_t *o = json_object_get(old, key);

		if (!o)
			rc = add_reason(b, "%s %s added", field, key);
		else if (older_fingerprint(o, v))
			rc = add_reason(b,
			                "%s %s unknown (recorded before fingerprints were keyed)",
			                field, key);
		else if (!json_equal(o, v) && hidden(field, key, o, v))
			rc = add_reason(b, "%s %s changed", field, key);
		else if (!json_equal(o, v))
			rc = changed_value(b, field, key, o, v);
		if (rc < 0)
			return rc;
	}
	json_object_foreach((json_t *)old, key, v)
	{
		if (!json_object_get(new_, key) &&
		    (rc = add_reason(b, "%s %s removed", field, key)) < 0)
			return rc;
	}
	return 0;
}

/*
 * mounts: when only the content of binds from git changed, "bind ./conf/nginx.conf
 * changed" for each; any other difference is "mounts changed".
 */
static int mount_reasons(struct buf *b, const json_t *old, const json_t *new_)
{
	size_t i, n = json_array_size(new_);
	int rc = 0;

	if (!json_is_array(old) || !json_is_array(new_) || json_array_size(old) != n)
		return add_reason(b, "mounts changed");
	for (i = 0; i < n; i++) {
		json_t *o = json_array_get(old, i), *v = json_array_get(new_, i), *oc, *vc;
		const json_t *rel = json_object_get(v, "rel");
		bool only;

		if (json_equal(o, v))
			continue;
		oc = json_deep_copy(o);
		vc = json_deep_copy(v);
		if (!oc || !vc) {
			json_decref(oc);
			json_decref(vc);
			return ERR_NOMEM;
		}
		json_object_del(oc, "content_hash");
		json_object_del(vc, "content_hash");
		only = json_is_string(rel) && json_equal(oc, vc);
		json_decref(oc);
		json_decref(vc);
		if (!only)
			return add_reason(b, "mounts changed");
	}
	for (i = 0; i < n && rc == 0; i++) {
		json_t *o = json_array_get(old, i), *v = json_array_get(new_, i);

		if (!json_equal(o, v))
			rc = add_reason(b, "bind %s changed",
			                json_string_value(json_object_get(v, "rel")));
	}
	return rc;
}

int spec_reasons(char **out, const char *old_json, const char *new_json, struct err *err)
{
	json_error_t jerr;
	json_t *old = json_loads(old_json, 0, &jerr), *new_ = NULL;
	const char *key;
	json_t *v;
	struct buf b;
	int rc = 0;

	buf_init(&b, 0);
	new_ = json_loads(new_json, 0, &jerr);
	if (!json_is_object(old) || !json_is_object(new_)) {
		rc = err_set(err, ERR_INVALID, "bad spec JSON: %s", jerr.text);
		goto out;
	}
	/* The image first: the most common reason, and the one readers look for. */
	if (!same(json_object_get(old, "image_id"), json_object_get(new_, "image_id")) ||
	    !same(json_object_get(old, "image"), json_object_get(new_, "image"))) {
		char a[64], c[64];
		const json_t *oi = json_object_get(old, "image"),
		             *ni = json_object_get(new_, "image");

		short_id(a, sizeof(a), json_object_get(old, "image_id"));
		short_id(c, sizeof(c), json_object_get(new_, "image_id"));
		if (same(oi, ni))
			rc = add_reason(&b, "image changed (%s -> %s)", a, c);
		else
			rc = add_reason(&b, "image changed (%s %s -> %s %s)",
			                json_is_string(oi) ? json_string_value(oi) : "?", a,
			                json_is_string(ni) ? json_string_value(ni) : "?", c);
	}
	json_object_foreach(new_, key, v)
	{
		json_t *o = json_object_get(old, key);

		if (rc < 0)
			break;
		if (!strcmp(key, "image") || !strcmp(key, "image_id") || json_equal(o, v))
			continue;
		if (!strcmp(key, "mounts"))
			rc = mount_reasons(&b, o, v);
		else if (json_is_object(o) && json_is_object(v))
			rc = object_reasons(&b, field_name(key), o, v);
		else
			rc = add_reason(&b, "%s changed", field_name(key));
	}
	json_object_foreach(old, key, v)
	{
		if (rc < 0)
			break;
		if (!json_object_get(new_, key))
			rc = add_reason(&b, "%s changed", field_name(key));
	}
	if (rc < 0) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (!b.len) {
		rc = err_set(err, ERR_NOTFOUND, "specs do not differ");
		goto out;
	}
	*out = buf_detach(&b);
	rc = *out ? 0 : err_set(err, ERR_NOMEM, "out of memory");
out:
	buf_release(&b);
	json_decref(old);
	json_decref(new_);
	return rc;
}

void spec_changes_free(struct spec_change *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].field);
		free(v[i].key);
		free(v[i].old);
		free(v[i].new_);
	}
	free(v);
}

struct changes {
	struct spec_change *v;
	size_t n;
};

/* Add one change; the texts of secret values are never kept. */
static int change_add(struct changes *c, const char *field, const char *key, const json_t *o,
                      const json_t *v)
{
	struct spec_change *n = realloc(c->v, (c->n + 1) * sizeof(*n)), *x;
	bool secret = key && hidden(field, key, o, v);

	if (!n)
		return ERR_NOMEM;
	c->v = n;
	x = &n[c->n++];
	memset(x, 0, sizeof(*x));
	x->secret = secret;
	x->field = strdup(field);
	x->key = key ? strdup(key) : NULL;
	x->old = secret ? NULL : value_text(o);
	x->new_ = secret ? NULL : value_text(v);
	x->added = !o;
	x->removed = !v;
	if (!x->field || (key && !x->key) || (!secret && o && !x->old) ||
	    (!secret && v && !x->new_))
		return ERR_NOMEM;
	return 0;
}

static int object_changes(struct changes *c, const char *field, const json_t *old,
                          const json_t *new_)
{
	const char *key;
	json_t *v;
	int rc = 0;

	json_object_foreach((json_t *)new_, key, v)
	{
		json_t *o = json_object_get(old, key);

		if (!same(o, v) && (rc = change_add(c, field, key, o, v)) < 0)
			return rc;
	}
	json_object_foreach((json_t *)old, key, v)
	{
		if (!json_object_get(new_, key) && (rc = change_add(c, field, key, v, NULL)) < 0)
			return rc;
	}
	return 0;
}

int spec_changes(struct spec_change **out, size_t *n, const char *old_json, const char *new_json,
                 bool ignore_image_id, struct err *err)
{
	json_error_t jerr;
	json_t *old = json_loads(old_json, 0, &jerr), *new_ = NULL;
	struct changes c = { 0 };
	const char *key;
	json_t *v;
	int rc = 0;

	new_ = json_loads(new_json, 0, &jerr);
	if (!json_is_object(old) || !json_is_object(new_)) {
		rc = err_set(err, ERR_INVALID, "bad spec JSON: %s", jerr.text);
		goto out;
	}
	json_object_foreach(new_, key, v)
	{
		json_t *o = json_object_get(old, key);

		if (same(o, v) || (ignore_image_id && !strcmp(key, "image_id")))
			continue;
		if (json_is_object(o) && json_is_object(v))
			rc = object_changes(&c, key, o, v);
		else if (json_is_object(v) && !o)
			rc = object_changes(&c, key, NULL, v);
		else
			rc = change_add(&c, key, NULL, o, v);
		if (rc < 0)
			break;
	}
	json_object_foreach(old, key, v)
	{
		if (rc < 0)
			break;
		if (json_object_get(new_, key) || (ignore_image_id && !strcmp(key, "image_id")))
			continue;
		rc = json_is_object(v) ? object_changes(&c, key, v, NULL)
		                       : change_add(&c, key, NULL, v, NULL);
	}
	if (rc < 0) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	*out = c.v;
	*n = c.n;
	c.v = NULL;
	c.n = 0;
out:
	spec_changes_free(c.v, c.n);
	json_decref(old);
	json_decref(new_);
	return rc;
}
