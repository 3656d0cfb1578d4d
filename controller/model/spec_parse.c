/*
 * spec_parse.c - from canonical spec JSON back to struct service, for
 * release snapshots (rollback needs no git): the half of the spec module
 * that reads what spec.c writes, driven by the same field table
 * (model_svc_fields). Every message names the field.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/err.h"
#include "deployctl/hash.h"
#include "deployctl/model.h"
#include "deployctl/spec.h"
#include "spec_internal.h"

/* Messages name the field: "spec: 'ports[1].protocol' must be a string". */
static int bad(struct err *err, const char *field, const char *what)
{
	return err_set(err, ERR_INVALID, "spec: '%s' %s", field, what);
}

static int nomem(struct err *err)
{
	return err_set(err, ERR_NOMEM, "out of memory");
}

/* Optional string: absent or null -> NULL. */
static int get_str(char **out, json_t *o, const char *key, const char *field, struct err *err)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad(err, field, "must be a string");
	*out = strdup(json_string_value(v));
	return *out ? 0 : nomem(err);
}

static int get_int(int64_t *out, json_t *o, const char *key, int64_t min, int64_t max,
                   const char *field, struct err *err)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0; /* keep the default */
	if (!json_is_integer(v))
		return bad(err, field, "must be an integer");
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return bad(err, field, "is out of range");
	*out = json_integer_value(v);
	return 0;
}

static int get_bool(bool *out, json_t *o, const char *key, const char *field, struct err *err)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return bad(err, field, "must be true or false");
	*out = json_is_true(v);
	return 0;
}

static int get_strv(struct strv *out, json_t *o, const char *key, const char *field,
                    struct err *err)
{
	json_t *v = json_object_get(o, key), *e;
	size_t i;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return bad(err, field, "must be a list of strings");
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e))
			return bad(err, field, "must be a list of strings");
		if (strv_push(out, json_string_value(e)) < 0)
			return nomem(err);
	}
	return 0;
}

static int get_kvv(struct kvv *out, json_t *o, const char *key, const char *field, struct err *err)
{
	json_t *v = json_object_get(o, key), *e;
	const char *k;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return bad(err, field, "must be an object of strings");
	json_object_foreach(v, k, e)
	{
		if (!json_is_string(e))
			return bad(err, field, "must be an object of strings");
		if (kvv_set(out, k, json_string_value(e)) < 0)
			return nomem(err);
	}
	return 0;
}

/* The array at key (absent or null: empty); *n its size. */
static int get_array(json_t **out, size_t *n, json_t *o, const char *key, struct err *err)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	*n = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return bad(err, key, "must be a list");
	if (json_array_size(v) > 100000)
		return bad(err, key, "is too long");
	*out = v;
	*n = json_array_size(v);
	return 0;
}

static int parse_ports(struct service *s, json_t *root, struct err *err)
{
	json_t *a, *e;
	size_t n, i;
	char field[64], *mode = NULL;
	int64_t v;
	int rc;

	rc = get_array(&a, &n, root, "ports", err);
	if (rc < 0 || !n)
		return rc;
	s->ports = calloc(n, sizeof(*s->ports));
	if (!s->ports)
		return nomem(err);
	json_array_foreach(a, i, e)
	{
		struct svc_port *pt = &s->ports[i];

		s->nports++;
		snprintf(field, sizeof(field), "ports[%zu]", i);
		if (!json_is_object(e))
			return bad(err, field, "must be an object");
		if ((rc = get_str(&pt->host_ip, e, "host_ip", field, err)) < 0 ||
		    (rc = get_str(&pt->protocol, e, "protocol", field, err)) < 0)
			return rc;
		v = 0;
		if ((rc = get_int(&v, e, "host_port", 0, 65535, field, err)) < 0)
			return rc;
		pt->host_port = (unsigned)v;
		v = 0;
		if ((rc = get_int(&v, e, "host_port_end", 0, 65535, field, err)) < 0)
			return rc;
		pt->host_port_end = (unsigned)v;
		if ((rc = get_str(&mode, e, "mode", field, err)) < 0)
			return rc;
		pt->host_mode = mode && !strcmp(mode, "host");
		if (mode && !pt->host_mode) {
			free(mode);
			return bad(err, field, "mode must be \"host\" when present");
		}
		free(mode);
		mode = NULL;
		v = 0;
		if ((rc = get_int(&v, e, "container_port", 1, 65535, field, err)) < 0)
			return rc;
		pt->container_port = (unsigned)v;
		if (!pt->container_port || !pt->protocol)
			return bad(err, field, "needs container_port and protocol");
		if (!pt->host_ip && !(pt->host_ip = strdup("")))
			return nomem(err);
	}
	return 0;
}

static int parse_mounts(struct service *s, json_t *root, struct err *err)
{
	json_t *a, *e;
	size_t n, i, t;
	char field[64];
	const char *type, *h;
	int rc;

	rc = get_array(&a, &n, root, "mounts", err);
	if (rc < 0 || !n)
		return rc;
	s->mounts = calloc(n, sizeof(*s->mounts));
	if (!s->mounts)
		return nomem(err);
	json_array_foreach(a, i, e)
	{
		struct svc_mount *mt = &s->mounts[i];

		s->nmounts++;
		snprintf(field, sizeof(field), "mounts[%zu]", i);
		type = json_string_value(json_object_get(e, "type"));
		for (t = 0; type && t < 3; t++)
			if (!strcmp(type, spec_mount_types[t]))
				break;
		if (!type || t == 3)
			return bad(err, field, "needs a type: volume, bind or tmpfs");
		mt->type = (enum mount_type)t;
		if ((rc = get_str(&mt->source, e, "source", field, err)) < 0 ||
		    (rc = get_str(&mt->target, e, "target", field, err)) < 0 ||
		    (rc = get_str(&mt->rel, e, "rel", field, err)) < 0 ||
		    (rc = get_bool(&mt->read_only, e, "read_only", field, err)) < 0 ||
		    (rc = get_bool(&mt->host, e, "host", field, err)) < 0)
			return rc;
		h = json_string_value(json_object_get(e, "content_hash"));
		if (h && strlen(h) != HASH_HEX_LEN)
			return bad(err, field, "content_hash is not a sha256");
		if (h)
			memcpy(mt->content_hash, h, HASH_HEX_LEN + 1);
		if (!mt->target)
			return bad(err, field, "needs a target");
	}
	return 0;
}

static int parse_networks(struct service *s, json_t *root, struct err *err)
{
	json_t *a, *e;
	size_t n, i;
	char field[64];
	int rc;

	rc = get_array(&a, &n, root, "networks", err);
	if (rc < 0 || !n)
		return rc;
	s->networks = calloc(n, sizeof(*s->networks));
	if (!s->networks)
		return nomem(err);
	json_array_foreach(a, i, e)
	{
		struct svc_network *net = &s->networks[i];

		s->nnetworks++;
		snprintf(field, sizeof(field), "networks[%zu]", i);
		if ((rc = get_str(&net->name, e, "name", field, err)) < 0 ||
		    (rc = get_strv(&net->aliases, e, "aliases", field, err)) < 0 ||
		    (rc = get_str(&net->ipv4_address, e, "ipv4_address", field, err)) < 0 ||
		    (rc = get_str(&net->ipv6_address, e, "ipv6_address", field, err)) < 0)
			return rc;
		if (!net->name)
			return bad(err, field, "needs a name");
	}
	return 0;
}

static int parse_health(struct service *s, json_t *root, struct err *err)
{
	struct svc_health *h = &s->health;
	json_t *o = json_object_get(root, "healthcheck");
	int64_t v;
	int rc;

	if (!o || json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return bad(err, "healthcheck", "must be an object");
	if ((rc = get_bool(&h->set, o, "set", "healthcheck.set", err)) < 0 ||
	    (rc = get_bool(&h->disable, o, "disable", "healthcheck.disable", err)) < 0 ||
	    (rc = get_strv(&h->test, o, "test", "healthcheck.test", err)) < 0 ||
	    (rc = get_int(&h->interval_ns, o, "interval_ns", 0, INT64_MAX,
	                  "healthcheck.interval_ns", err)) < 0 ||
	    (rc = get_int(&h->timeout_ns, o, "timeout_ns", 0, INT64_MAX, "healthcheck.timeout_ns",
	                  err)) < 0 ||
	    (rc = get_int(&h->start_period_ns, o, "start_period_ns", 0, INT64_MAX,
	                  "healthcheck.start_period_ns", err)) < 0)
		return rc;
	v = 0;
	rc = get_int(&v, o, "retries", 0, 1000000, "healthcheck.retries", err);
	h->retries = (int)v;
	return rc;
}

static int parse_ulimits(struct service *s, json_t *root, struct err *err)
{
	json_t *a, *e;
	size_t n, i;
	char field[64];
	int rc;

	rc = get_array(&a, &n, root, "ulimits", err);
	if (rc < 0 || !n)
		return rc;
	s->ulimits = calloc(n, sizeof(*s->ulimits));
	if (!s->ulimits)
		return nomem(err);
	json_array_foreach(a, i, e)
	{
		struct svc_ulimit *u = &s->ulimits[i];

		s->nulimits++;
		snprintf(field, sizeof(field), "ulimits[%zu]", i);
		if ((rc = get_str(&u->name, e, "name", field, err)) < 0 ||
		    (rc = get_int(&u->soft, e, "soft", -1, INT64_MAX, field, err)) < 0 ||
		    (rc = get_int(&u->hard, e, "hard", -1, INT64_MAX, field, err)) < 0)
			return rc;
		if (!u->name)
			return bad(err, field, "needs a name");
	}
	return 0;
}

static int parse_file_refs(struct svc_file_ref **out, size_t *nout, json_t *root, const char *key,
                           struct err *err)
{
	json_t *a, *e;
	size_t n, i;
	char field[64];
	const char *h;
	int64_t mode;
	int rc;

	rc = get_array(&a, &n, root, key, err);
	if (rc < 0 || !n)
		return rc;
	*out = calloc(n, sizeof(**out));
	if (!*out)
		return nomem(err);
	json_array_foreach(a, i, e)
	{
		struct svc_file_ref *r = &(*out)[i];

		(*nout)++;
		snprintf(field, sizeof(field), "%s[%zu]", key, i);
		mode = 0;
		if ((rc = get_str(&r->source, e, "source", field, err)) < 0 ||
		    (rc = get_str(&r->target, e, "target", field, err)) < 0 ||
		    (rc = get_str(&r->uid, e, "uid", field, err)) < 0 ||
		    (rc = get_str(&r->gid, e, "gid", field, err)) < 0 ||
		    (rc = get_str(&r->host_file, e, "host_file", field, err)) < 0 ||
		    (rc = get_int(&mode, e, "mode", 0, 0777, field, err)) < 0)
			return rc;
		r->mode = (unsigned)mode;
		h = json_string_value(json_object_get(e, "content_hash"));
		if (!r->source || !r->target || !h ||
		    (strlen(h) != HASH_HEX_LEN && !hash_is_fingerprint(h)))
			return bad(err, field, "needs source, target and content_hash");
		snprintf(r->content_hash, sizeof(r->content_hash), "%s", h);
	}
	return 0;
}

static int parse_configs(struct service *s, json_t *root, struct err *err)
{
	return parse_file_refs(&s->configs, &s->nconfigs, root, "configs", err);
}

static int parse_secrets(struct service *s, json_t *root, struct err *err)
{
	return parse_file_refs(&s->secrets, &s->nsecrets, root, "secrets", err);
}

static int parse_version(struct service *s, json_t *root, struct err *err)
{
	int64_t version = 0;
	int rc;

	(void)s;
	if ((rc = get_int(&version, root, "version", 0, INT64_MAX, "version", err)) < 0)
		return rc;
	if (version != SPEC_VERSION)
		return err_set(err, ERR_INVALID, "spec: version %lld is not supported (want %d)",
		               (long long)version, SPEC_VERSION);
	return 0;
}

static int parse_command(struct service *s, json_t *root, struct err *err)
{
	json_t *v = json_object_get(root, "command");

	s->has_command = v && !json_is_null(v);
	return get_strv(&s->command, root, "command", "command", err);
}

static int parse_entrypoint(struct service *s, json_t *root, struct err *err)
{
	json_t *v = json_object_get(root, "entrypoint");

	s->has_entrypoint = v && !json_is_null(v);
	return get_strv(&s->entrypoint, root, "entrypoint", "entrypoint", err);
}

static int parse_env(struct service *s, json_t *root, struct err *err)
{
	return get_kvv(&s->env, root, "env", "env", err);
}

static int parse_labels(struct service *s, json_t *root, struct err *err)
{
	return get_kvv(&s->labels, root, "labels", "labels", err);
}

static int parse_logging(struct service *s, json_t *root, struct err *err)
{
	json_t *log = json_object_get(root, "logging");
	int rc;

	if (!log || json_is_null(log))
		return 0;
	if (!json_is_object(log))
		return bad(err, "logging", "must be an object");
	if ((rc = get_str(&s->logging.driver, log, "driver", "logging.driver", err)) < 0 ||
	    (rc = get_kvv(&s->logging.options, log, "options", "logging.options", err)) < 0)
		return rc;
	return 0;
}

/*
 * How each SVC_CUSTOM row of model_svc_fields parses. Sorted by key;
 * spec.c has the renderers.
 */
static const struct spec_parser {
	const char *key;
	int (*parse)(struct service *s, json_t *root, struct err *err);
} spec_parsers[] = {
	{ "command", parse_command },       { "configs", parse_configs },
	{ "entrypoint", parse_entrypoint }, { "env", parse_env },
	{ "healthcheck", parse_health },    { "labels", parse_labels },
	{ "logging", parse_logging },       { "mounts", parse_mounts },
	{ "networks", parse_networks },     { "ports", parse_ports },
	{ "secrets", parse_secrets },       { "ulimits", parse_ulimits },
	{ "version", parse_version },
};

#define NPARSERS (sizeof(spec_parsers) / sizeof(spec_parsers[0]))

static int parser_cmp(const void *key, const void *row)
{
	return strcmp(key, ((const struct spec_parser *)row)->key);
}

static const struct spec_parser *spec_parser(const char *key)
{
	return bsearch(key, spec_parsers, NPARSERS, sizeof(spec_parsers[0]), parser_cmp);
}

static bool is_custom_field(const char *key)
{
	const struct svc_field *f = key ? model_svc_field(key) : NULL;

	return f && f->kind == SVC_CUSTOM;
}

int spec_check_fields(const char **missing)
{
	const char *key;
	size_t i;

	for (i = 0; i < model_svc_nfields; i++) {
		key = model_svc_fields[i].key;
		if (i && strcmp(model_svc_fields[i - 1].key, key) >= 0)
			return *missing = key, -1; /* unsorted: bsearch would miss rows */
		if (model_svc_fields[i].kind == SVC_CUSTOM &&
		    (!spec_parser(key) || !spec_renders(key)))
			return *missing = key, -1;
	}
	for (i = 0; i < NPARSERS; i++)
		if (!is_custom_field(spec_parsers[i].key))
			return *missing = spec_parsers[i].key, -1;
	for (i = 0; (key = spec_renderer_key(i)); i++)
		if (!is_custom_field(key))
			return *missing = key, -1;
	return 0;
}

/* Read f of s from root (absent: the zero value, or the default). */
static int field_parse(struct service *s, const struct svc_field *f, json_t *root, struct err *err)
{
	void *m = (char *)s + f->offset;
	int rc = 0;

	switch (f->kind) {
	case SVC_STR:
		rc = get_str(m, root, f->key, f->key, err);
		if (rc == 0 && (f->flags & SVC_REQUIRED) && !*(char **)m)
			rc = err_set(err, ERR_INVALID, "spec: '%s' is required", f->key);
		break;
	case SVC_STRV:
		rc = get_strv(m, root, f->key, f->key, err);
		break;
	case SVC_KVV:
		rc = get_kvv(m, root, f->key, f->key, err);
		break;
	case SVC_BOOL:
		rc = get_bool(m, root, f->key, f->key, err);
		break;
	case SVC_INT:
		rc = get_int(m, root, f->key, f->min, f->max, f->key, err);
		break;
	case SVC_CUSTOM:
		rc = spec_parser(f->key)->parse(s, root, err);
		break;
	}
	return rc;
}

static int parse_fields(struct service *s, json_t *root, struct err *err)
{
	size_t i;
	int rc;

	/* The version first: a spec of another version is refused as a whole. */
	if ((rc = parse_version(s, root, err)) < 0)
		return rc;
	for (i = 0; i < model_svc_nfields; i++)
		if (strcmp(model_svc_fields[i].key, "version") &&
		    (rc = field_parse(s, &model_svc_fields[i], root, err)) < 0)
			return rc;
	/* Not a field of the container: which fields a redacted rendering scrubbed (spec.c). */
	return get_strv(&s->redacted, root, "redacted", "redacted", err);
}

int spec_parse(struct service *out, const char *json, struct err *err)
{
	struct service s;
	json_error_t je;
	json_t *root;
	int rc;

	memset(&s, 0, sizeof(s));
	s.stop_grace_ns = -1;
	s.replicas = 1;
	root = json_loads(json, 0, &je);
	if (!root)
		return err_set(err, ERR_INVALID, "spec: bad JSON at line %d column %d: %s", je.line,
		               je.column, je.text);
	if (!json_is_object(root))
		rc = err_set(err, ERR_INVALID, "spec: not a JSON object");
	else
		rc = parse_fields(&s, root, err);
	json_decref(root);
	if (rc < 0) {
		model_service_release(&s);
		return rc;
	}
	*out = s;
	return 0;
}
