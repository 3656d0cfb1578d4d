/*
 * spec.c - the canonical JSON of one service's container (sorted keys,
 * compact, every field present so the hash does not depend on how the
 * manifest was written), its sha256, the redacted form for storage and
 * display. Fields are rendered by the table model_svc_fields
 * (service_fields.c); spec_parse.c reads them back by the same table.
 * Keys added after the first release (container_name, network_mode,
 * sysctls, ulimits, configs, secrets, ...) are present only when set
 * (SVC_SPARSE), so a container created before they existed keeps its hash;
 * configs and secrets appear as content hashes, never content.
 */
#include "deployctl/spec.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/err.h"
#include "deployctl/hash.h"
#include "deployctl/model.h"
#include "deployctl/model_secret.h"
#include "spec_internal.h"

const char *const spec_mount_types[3] = { "volume", "bind", "tmpfs" };

/* ---- render ---------------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *spec_strv_json(const struct strv *v)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < v->n; i++)
		if (json_array_append_new(a, json_string(v->v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *spec_kvv_json(const struct kvv *k)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o && i < k->n; i++)
		if (json_object_set_new(o, k->v[i].key, json_string(k->v[i].value)) < 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* How the rendering treats secrets: redact them, under key k. */
struct redact {
	bool on;
	const struct hash_key *k;
};

/*
 * Env (labels false) or labels (true) of s, secret values in their shown
 * form when redacting (model_secret_shown(): a value already in that form,
 * a redacted spec parsed back, is kept, so render(parse(redacted), redact)
 * == redacted).
 */
static json_t *pairs_to_json(const struct project *p, const struct service *s, const struct kvv *kv,
                             bool labels, const struct redact *r)
{
	json_t *o = json_object();
	enum model_secret why;
	char *shown = NULL;
	size_t i;
	int rc;

	for (i = 0; o && i < kv->n; i++) {
		const char *v = kv->v[i].value;

		why = !r->on   ? MODEL_SECRET_NONE
		      : labels ? model_label_secret(s, kv->v[i].key, v)
		               : model_env_secret(p, s, kv->v[i].key, v);
		if (why != MODEL_SECRET_NONE) {
			if (model_secret_shown(&shown, r->k, s, why, v) < 0) {
				json_decref(o);
				return NULL;
			}
			v = shown;
		}
		rc = json_object_set_new(o, kv->v[i].key, json_string(v));
		free(shown);
		shown = NULL;
		if (rc < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* Array built element by element; the element constructor may return NULL. */
static int push(json_t *a, json_t *v)
{
	return json_array_append_new(a, v);
}

/*
 * An optional member: key set to v in o, which is dropped (NULL returned)
 * when that fails; v is taken either way, and a NULL o stays NULL.
 */
static json_t *put_opt(json_t *o, const char *key, json_t *v)
{
	if (!o) {
		json_decref(v);
		return NULL;
	}
	/* json_object_set_new() takes v, even when it fails or is NULL. */
	if (json_object_set_new(o, key, v) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *ports_to_json(const struct service *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < s->nports; i++) {
		const struct svc_port *pt = &s->ports[i];

		json_t *o =
		        json_pack("{s:s, s:I, s:I, s:s}", "host_ip", pt->host_ip ? pt->host_ip : "",
		                  "host_port", (json_int_t)pt->host_port, "container_port",
		                  (json_int_t)pt->container_port, "protocol",
		                  pt->protocol ? pt->protocol : "tcp");

		/* a host range: present only when set, so other specs keep their hash */
		if (pt->host_port_end)
			o = put_opt(o, "host_port_end", json_integer(pt->host_port_end));
		if (pt->host_mode)
			o = put_opt(o, "mode", json_string("host"));
		if (push(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Docker-side name of a volume or network key; p may be NULL (then the key). */
static char *docker_name(const struct project *p, const char *key, bool volume)
{
	if (!p)
		return strdup(key);
	return volume ? model_res_docker_name(p, RES_VOLUME, key)
	              : model_res_docker_name(p, RES_NETWORK, key);
}

static json_t *mounts_to_json(const struct project *p, const struct service *s)
{
	json_t *a = json_array(), *m;
	char *dn = NULL;
	size_t i;

	for (i = 0; a && i < s->nmounts; i++) {
		const struct svc_mount *mt = &s->mounts[i];

		if (mt->type == MOUNT_VOLUME && mt->source) {
			dn = docker_name(p, mt->source, true);
			if (!dn)
				goto fail;
		}
		m = json_pack("{s:s, s:o, s:o, s:s, s:b}", "type", spec_mount_types[mt->type],
		              "source", str_or_null(mt->source), "docker_name", str_or_null(dn),
		              "target", mt->target ? mt->target : "", "read_only", mt->read_only);
		free(dn);
		dn = NULL;
		/* relative binds: as written (for the reason), and the content from git */
		if (m && mt->rel && json_object_set_new(m, "rel", json_string(mt->rel)) < 0)
			goto fail_m;
		if (m && mt->content_hash[0] &&
		    json_object_set_new(m, "content_hash", json_string(mt->content_hash)) < 0)
			goto fail_m;
		if (m && mt->host && json_object_set_new(m, "host", json_true()) < 0)
			goto fail_m;
		if (push(a, m) < 0)
			goto fail;
	}
	return a;
fail_m:
	json_decref(m);
fail:
	json_decref(a);
	return NULL;
}

static json_t *networks_to_json(const struct project *p, const struct service *s)
{
	json_t *a = json_array(), *n;
	char *dn;
	size_t i;

	for (i = 0; a && i < s->nnetworks; i++) {
		dn = docker_name(p, s->networks[i].name, false);
		if (!dn)
			goto fail;
		n = json_pack("{s:s, s:s, s:o}", "name", s->networks[i].name, "docker_name", dn,
		              "aliases", spec_strv_json(&s->networks[i].aliases));
		free(dn);
		/* fixed addresses: present only when set, so other specs keep their hash */
		if (n && s->networks[i].ipv4_address &&
		    json_object_set_new(n, "ipv4_address",
		                        json_string(s->networks[i].ipv4_address)) < 0)
			n = NULL;
		if (n && s->networks[i].ipv6_address &&
		    json_object_set_new(n, "ipv6_address",
		                        json_string(s->networks[i].ipv6_address)) < 0)
			n = NULL;
		if (push(a, n) < 0)
			goto fail;
	}
	return a;
fail:
	json_decref(a);
	return NULL;
}

static json_t *health_to_json(const struct svc_health *h)
{
	return json_pack("{s:b, s:b, s:o, s:I, s:I, s:I, s:i}", "set", h->set, "disable",
	                 h->disable, "test", spec_strv_json(&h->test), "interval_ns",
	                 (json_int_t)h->interval_ns, "timeout_ns", (json_int_t)h->timeout_ns,
	                 "start_period_ns", (json_int_t)h->start_period_ns, "retries", h->retries);
}

/* ---- keys added after the first release: present only when set ------- */

static json_t *ulimits_to_json(const struct service *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < s->nulimits; i++) {
		if (push(a, json_pack("{s:s, s:I, s:I}", "name", s->ulimits[i].name, "soft",
		                      (json_int_t)s->ulimits[i].soft, "hard",
		                      (json_int_t)s->ulimits[i].hard)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/*
 * Configs and secrets by content hash: content is never in a spec. With
 * redact (secrets), even the hash is cut to a fingerprint of itself, so a
 * stored spec gives nothing to test guesses of a short secret against.
 */
static json_t *file_refs_to_json(const struct svc_file_ref *v, size_t n, const struct redact *r)
{
	char fp[HASH_FINGERPRINT_SIZE];
	json_t *a = json_array(), *o;
	const char *h;
	size_t i;

	for (i = 0; a && i < n; i++) {
		h = v[i].content_hash;
		if (r && r->on && !hash_is_fingerprint(h)) {
			hash_fingerprint(fp, r->k, h);
			h = fp;
		}
		o = json_pack("{s:s, s:s, s:o, s:o, s:I, s:s}", "source", v[i].source, "target",
		              v[i].target, "uid", str_or_null(v[i].uid), "gid",
		              str_or_null(v[i].gid), "mode", (json_int_t)v[i].mode, "content_hash",
		              h);
		if (v[i].host_file)
			o = put_opt(o, "host_file", json_string(v[i].host_file));
		if (push(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* ---- the SVC_CUSTOM rows of model_svc_fields --------------------------- */

static bool render_version(json_t **out, const struct project *p, const struct service *s,
                           const struct redact *r)
{
	(void)p, (void)s, (void)r;
	return (*out = json_integer(SPEC_VERSION)) != NULL;
}

/* command and entrypoint: null when not set, [] when set empty. */
static bool render_command(json_t **out, const struct project *p, const struct service *s,
                           const struct redact *r)
{
	(void)p, (void)r;
	return (*out = s->has_command ? spec_strv_json(&s->command) : json_null()) != NULL;
}

static bool render_entrypoint(json_t **out, const struct project *p, const struct service *s,
                              const struct redact *r)
{
	(void)p, (void)r;
	return (*out = s->has_entrypoint ? spec_strv_json(&s->entrypoint) : json_null()) != NULL;
}

static bool render_env(json_t **out, const struct project *p, const struct service *s,
                       const struct redact *r)
{
	return (*out = pairs_to_json(p, s, &s->env, false, r)) != NULL;
}

static bool render_labels(json_t **out, const struct project *p, const struct service *s,
                          const struct redact *r)
{
	return (*out = pairs_to_json(p, s, &s->labels, true, r)) != NULL;
}

static bool render_ports(json_t **out, const struct project *p, const struct service *s,
                         const struct redact *r)
{
	(void)p, (void)r;
	return (*out = ports_to_json(s)) != NULL;
}

static bool render_mounts(json_t **out, const struct project *p, const struct service *s,
                          const struct redact *r)
{
	(void)r;
	return (*out = mounts_to_json(p, s)) != NULL;
}

static bool render_networks(json_t **out, const struct project *p, const struct service *s,
                            const struct redact *r)
{
	(void)r;
	return (*out = networks_to_json(p, s)) != NULL;
}

static bool render_health(json_t **out, const struct project *p, const struct service *s,
                          const struct redact *r)
{
	(void)p, (void)r;
	return (*out = health_to_json(&s->health)) != NULL;
}

static bool render_logging(json_t **out, const struct project *p, const struct service *s,
                           const struct redact *r)
{
	(void)p, (void)r;
	*out = json_pack("{s:o, s:o}", "driver", str_or_null(s->logging.driver), "options",
	                 spec_kvv_json(&s->logging.options));
	return *out != NULL;
}

static bool render_ulimits(json_t **out, const struct project *p, const struct service *s,
                           const struct redact *r)
{
	(void)p, (void)r;
	*out = NULL;
	return !s->nulimits || (*out = ulimits_to_json(s)) != NULL;
}

/* Configs by content hash, whole; secrets' hashes are fingerprinted when redacting. */
static bool render_configs(json_t **out, const struct project *p, const struct service *s,
                           const struct redact *r)
{
	(void)p, (void)r;
	*out = NULL;
	return !s->nconfigs || (*out = file_refs_to_json(s->configs, s->nconfigs, NULL)) != NULL;
}

static bool render_secrets(json_t **out, const struct project *p, const struct service *s,
                           const struct redact *r)
{
	(void)p;
	*out = NULL;
	return !s->nsecrets || (*out = file_refs_to_json(s->secrets, s->nsecrets, r)) != NULL;
}

/*
 * How each SVC_CUSTOM row of model_svc_fields renders (*out NULL: the key
 * is left out). Sorted by key; spec_parse.c has the parsers.
 */
static const struct spec_renderer {
	const char *key;
	bool (*render)(json_t **out, const struct project *p, const struct service *s,
	               const struct redact *r);
} spec_renderers[] = {
	{ "command", render_command },       { "configs", render_configs },
	{ "entrypoint", render_entrypoint }, { "env", render_env },
	{ "healthcheck", render_health },    { "labels", render_labels },
	{ "logging", render_logging },       { "mounts", render_mounts },
	{ "networks", render_networks },     { "ports", render_ports },
	{ "secrets", render_secrets },       { "ulimits", render_ulimits },
	{ "version", render_version },
};

static int renderer_cmp(const void *key, const void *row)
{
	return strcmp(key, ((const struct spec_renderer *)row)->key);
}

static const struct spec_renderer *spec_renderer(const char *key)
{
	return bsearch(key, spec_renderers, sizeof(spec_renderers) / sizeof(spec_renderers[0]),
	               sizeof(spec_renderers[0]), renderer_cmp);
}

const char *spec_renderer_key(size_t i)
{
	return i < sizeof(spec_renderers) / sizeof(spec_renderers[0]) ? spec_renderers[i].key
	                                                              : NULL;
}

bool spec_renders(const char *key)
{
	return spec_renderer(key) != NULL;
}

/* ---- rendering by the table ------------------------------------------ */

/* Whether the field at m, of f's kind, holds its zero value (a custom one never does). */
static bool field_unset(const struct svc_field *f, const char *m)
{
	switch (f->kind) {
	case SVC_STR:
		return !*(char *const *)(const void *)m;
	case SVC_STRV:
		return !((const struct strv *)(const void *)m)->n;
	case SVC_KVV:
		return !((const struct kvv *)(const void *)m)->n;
	case SVC_BOOL:
		return !*(const bool *)(const void *)m;
	case SVC_INT:
		return !*(const int64_t *)(const void *)m;
	case SVC_CUSTOM:
		break;
	}
	return false;
}

/* Put f of s into o (or leave it out when sparse and unset). false: no memory. */
static bool field_render(json_t *o, const struct svc_field *f, const struct project *p,
                         const struct service *s, const struct redact *r)
{
	const char *m = (const char *)s + f->offset;
	const struct spec_renderer *c;
	json_t *v = NULL;

	if ((f->flags & SVC_SPARSE) && field_unset(f, m))
		return true;
	switch (f->kind) {
	case SVC_STR: {
		const char *str = *(char *const *)(const void *)m;

		v = str                       ? json_string(str)
		    : f->dflt                 ? json_string(f->dflt)
		    : f->flags & SVC_REQUIRED ? json_string("")
		                              : json_null();
		break;
	}
	case SVC_STRV:
		v = spec_strv_json((const void *)m);
		break;
	case SVC_KVV:
		v = spec_kvv_json((const void *)m);
		break;
	case SVC_BOOL:
		v = json_boolean(*(const bool *)(const void *)m);
		break;
	case SVC_INT: {
		int64_t n = *(const int64_t *)(const void *)m;

		v = json_integer(n < f->min ? f->min : n);
		break;
	}
	case SVC_CUSTOM:
		c = spec_renderer(f->key);
		if (!c || !c->render(&v, p, s, r))
			return false;
		if (!v)
			return true;
		break;
	}
	/* json_object_set_new() takes v, even when it fails or is NULL. */
	return v && json_object_set_new(o, f->key, v) == 0;
}

static json_t *spec_to_json(const struct project *p, const struct service *s,
                            const struct redact *r)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o && i < model_svc_nfields; i++)
		if (!field_render(o, &model_svc_fields[i], p, s, r)) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* Scrub every string in v of secrets; *hit when one changed. false: no memory. */
static bool scrub_tree(json_t *v, const struct strv *secrets, bool *hit)
{
	const char *key;
	json_t *e;
	size_t i;
	char *t;

	if (json_is_string(v)) {
		t = strdup(json_string_value(v));
		if (!t)
			return false;
		if (model_scrub(t, secrets)) {
			*hit = true;
			if (json_string_set(v, t) < 0) {
				free(t);
				return false;
			}
		}
		free(t);
		return true;
	}
	json_array_foreach(v, i, e)
	{
		if (!scrub_tree(e, secrets, hit))
			return false;
	}
	json_object_foreach(v, key, e)
	{
		if (!scrub_tree(e, secrets, hit))
			return false;
	}
	return true;
}

/*
 * A secret variable interpolated into a field other than env and labels
 * (command: ["--password", "${DB_PASSWORD}"], a healthcheck): when
 * redacting, its value is scrubbed from every such field, and "redacted"
 * lists the fields scrubbed, so a rollback knows they do not hold the
 * real values. A snapshot parsed back keeps its list. false: no memory.
 */
static bool scrub_fields(json_t *o, const struct service *s)
{
	json_t *list = json_array(), *v;
	const char *key;
	size_t i;
	bool ok = list != NULL, hit;

	for (i = 0; ok && i < s->redacted.n; i++)
		ok = json_array_append_new(list, json_string(s->redacted.v[i])) == 0;
	if (ok && s->secret_elsewhere && s->secret_parts.n) {
		json_object_foreach(o, key, v)
		{
			if (!strcmp(key, "env") || !strcmp(key, "labels"))
				continue;
			hit = false;
			if (!scrub_tree(v, &s->secret_parts, &hit)) {
				ok = false;
				break;
			}
			if (hit && json_array_append_new(list, json_string(key)) < 0) {
				ok = false;
				break;
			}
		}
	}
	if (ok && json_array_size(list))
		return json_object_set_new(o, "redacted", list) == 0;
	json_decref(list);
	return ok;
}

int spec_render(char **out, const struct hash_key *k, const struct project *p,
                const struct service *s, bool redact, struct err *err)
{
	struct redact r = { .on = redact, .k = k };
	json_t *o;
	char *text;

	if (redact && !k)
		return err_set(err, ERR_INVALID, "no key to redact the spec of '%s' with",
		               s->name ? s->name : "");
	o = spec_to_json(p, s, &r);
	if (o && redact && !scrub_fields(o, s)) {
		json_decref(o);
		o = NULL;
	}
	text = o ? spec_json_dumps(o) : NULL;

	json_decref(o);
	if (!text)
		return err_set(err, ERR_NOMEM, "out of memory rendering the spec of '%s'",
		               s->name ? s->name : "");
	*out = text;
	return 0;
}

int spec_hash(char out[HASH_HEX_LEN + 1], const struct hash_key *k, const struct project *p,
              const struct service *s, struct err *err)
{
	char *text = NULL;
	int rc = spec_render(&text, NULL, p, s, false, err);

	if (rc < 0)
		return rc;
	hash_hmac_hex(out, k, text, strlen(text));
	free(text);
	return 0;
}

bool spec_hash_matches(const char *label, const char *hash, const struct project *p,
                       const struct service *s)
{
	char legacy[HASH_HEX_LEN + 1], *text = NULL;
	struct err err = ERR_INIT;
	bool match;

	if (!label || !hash)
		return false;
	if (!strcmp(label, hash))
		return true;
	if (strlen(label) != HASH_HEX_LEN || spec_render(&text, NULL, p, s, false, &err) < 0)
		return false;
	/* Compared here, never stored: the label of a container made before hashes were keyed. */
	hash_sha256_hex(legacy, text, strlen(text));
	match = !strcmp(label, legacy);
	free(text);
	return match;
}
