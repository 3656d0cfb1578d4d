/*
 * spec.c - the canonical JSON of one service's container (sorted keys,
 * compact, every field present so the hash does not depend on how the
 * manifest was written), its sha256, the redacted form for storage and
 * display, and the parser back to struct service for release snapshots.
 */
#include "deployctl/spec.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/err.h"
#include "deployctl/hash.h"
#include "deployctl/model.h"

static const char *const spec_mount_types[] = { "volume", "bind", "tmpfs" };

/* ---- render ---------------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *strv_to_json(const struct strv *v)
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

static json_t *kvv_to_json(const struct kvv *k)
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

/*
 * Already a fingerprint (a redacted spec parsed back)? Then redacting it
 * again keeps it, so render(parse(redacted), redact) == redacted.
 */
static bool is_fingerprint(const char *v)
{
	size_t i;

	if (strlen(v) != HASH_FINGERPRINT_SIZE - 1 || strncmp(v, "sha256:", 7))
		return false;
	for (i = 7; v[i]; i++)
		if (!strchr("0123456789abcdef", v[i]))
			return false;
	return true;
}

static json_t *env_to_json(const struct project *p, const struct kvv *env, bool redact)
{
	json_t *o = json_object();
	char fp[HASH_FINGERPRINT_SIZE];
	size_t i;

	for (i = 0; o && i < env->n; i++) {
		const char *v = env->v[i].value;

		if (redact && model_env_is_secret(p, env->v[i].key) && !is_fingerprint(v)) {
			hash_fingerprint(fp, v);
			v = fp;
		}
		if (json_object_set_new(o, env->v[i].key, json_string(v)) < 0) {
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

static json_t *ports_to_json(const struct service *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < s->nports; i++) {
		const struct svc_port *pt = &s->ports[i];

		if (push(a, json_pack("{s:s, s:I, s:I, s:s}", "host_ip",
		                      pt->host_ip ? pt->host_ip : "", "host_port",
		                      (json_int_t)pt->host_port, "container_port",
		                      (json_int_t)pt->container_port, "protocol",
		                      pt->protocol ? pt->protocol : "tcp")) < 0) {
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
	return volume ? model_volume_docker_name(p, key) : model_network_docker_name(p, key);
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
		if (push(a, m) < 0)
			goto fail;
	}
	return a;
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
		              "aliases", strv_to_json(&s->networks[i].aliases));
		free(dn);
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
	                 h->disable, "test", strv_to_json(&h->test), "interval_ns",
	                 (json_int_t)h->interval_ns, "timeout_ns", (json_int_t)h->timeout_ns,
	                 "start_period_ns", (json_int_t)h->start_period_ns, "retries", h->retries);
}

static json_t *spec_to_json(const struct project *p, const struct service *s, bool redact)
{
	json_t *o = json_object();
	struct {
		const char *key;
		json_t *value;
	} f[] = {
		{ "version", json_integer(SPEC_VERSION) },
		{ "name", json_string(s->name ? s->name : "") },
		{ "image", json_string(s->image ? s->image : "") },
		{ "image_id", str_or_null(s->image_id) },
		{ "command", s->has_command ? strv_to_json(&s->command) : json_null() },
		{ "entrypoint", s->has_entrypoint ? strv_to_json(&s->entrypoint) : json_null() },
		{ "env", env_to_json(p, &s->env, redact) },
		{ "labels", kvv_to_json(&s->labels) },
		{ "ports", ports_to_json(s) },
		{ "mounts", mounts_to_json(p, s) },
		{ "networks", networks_to_json(p, s) },
		{ "healthcheck", health_to_json(&s->health) },
		{ "restart", json_string(s->restart ? s->restart : "no") },
		{ "user", str_or_null(s->user) },
		{ "working_dir", str_or_null(s->working_dir) },
		{ "hostname", str_or_null(s->hostname) },
		{ "extra_hosts", strv_to_json(&s->extra_hosts) },
		{ "cap_add", strv_to_json(&s->cap_add) },
		{ "cap_drop", strv_to_json(&s->cap_drop) },
		{ "tmpfs", strv_to_json(&s->tmpfs) },
		{ "read_only", json_boolean(s->read_only) },
		{ "init", json_boolean(s->init) },
		{ "stop_signal", str_or_null(s->stop_signal) },
		{ "stop_grace_ns", json_integer(s->stop_grace_ns < 0 ? -1 : s->stop_grace_ns) },
		{ "nano_cpus", json_integer(s->nano_cpus) },
		{ "memory_bytes", json_integer(s->memory_bytes) },
		{ "logging", json_pack("{s:o, s:o}", "driver", str_or_null(s->logging.driver),
		                       "options", kvv_to_json(&s->logging.options)) },
	};
	size_t i;
	bool ok = o != NULL;

	/* json_object_set_new() takes each value, even when it fails or is NULL. */
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (!ok)
			json_decref(f[i].value);
		else if (json_object_set_new(o, f[i].key, f[i].value) < 0)
			ok = false;
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int spec_render(char **out, const struct project *p, const struct service *s, bool redact,
                struct err *err)
{
	json_t *o = spec_to_json(p, s, redact);
	char *text = o ? json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT) : NULL;

	json_decref(o);
	if (!text)
		return err_set(err, ERR_NOMEM, "out of memory rendering the spec of '%s'",
		               s->name ? s->name : "");
	*out = text;
	return 0;
}

int spec_hash(char out[HASH_HEX_LEN + 1], const struct project *p, const struct service *s,
              struct err *err)
{
	char *text = NULL;
	int rc = spec_render(&text, p, s, false, err);

	if (rc < 0)
		return rc;
	hash_sha256_hex(out, text, strlen(text));
	free(text);
	return 0;
}

/* ---- parse ----------------------------------------------------------- */

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
	char field[64];
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
	const char *type;
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
		    (rc = get_bool(&mt->read_only, e, "read_only", field, err)) < 0)
			return rc;
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
		    (rc = get_strv(&net->aliases, e, "aliases", field, err)) < 0)
			return rc;
		if (!net->name)
			return bad(err, field, "needs a name");
	}
	return 0;
}

static int parse_health(struct svc_health *h, json_t *root, struct err *err)
{
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

static int parse_fields(struct service *s, json_t *root, struct err *err)
{
	json_t *log = json_object_get(root, "logging"), *cmd, *ep;
	int64_t version = 0;
	int rc;

	if ((rc = get_int(&version, root, "version", 0, INT64_MAX, "version", err)) < 0)
		return rc;
	if (version != SPEC_VERSION)
		return err_set(err, ERR_INVALID, "spec: version %lld is not supported (want %d)",
		               (long long)version, SPEC_VERSION);
	if ((rc = get_str(&s->name, root, "name", "name", err)) < 0 ||
	    (rc = get_str(&s->image, root, "image", "image", err)) < 0 ||
	    (rc = get_str(&s->image_id, root, "image_id", "image_id", err)) < 0)
		return rc;
	if (!s->name || !s->image)
		return err_set(err, ERR_INVALID, "spec: 'name' and 'image' are required");
	cmd = json_object_get(root, "command");
	ep = json_object_get(root, "entrypoint");
	s->has_command = cmd && !json_is_null(cmd);
	s->has_entrypoint = ep && !json_is_null(ep);
	if ((rc = get_strv(&s->command, root, "command", "command", err)) < 0 ||
	    (rc = get_strv(&s->entrypoint, root, "entrypoint", "entrypoint", err)) < 0 ||
	    (rc = get_kvv(&s->env, root, "env", "env", err)) < 0 ||
	    (rc = get_kvv(&s->labels, root, "labels", "labels", err)) < 0 ||
	    (rc = parse_ports(s, root, err)) < 0 || (rc = parse_mounts(s, root, err)) < 0 ||
	    (rc = parse_networks(s, root, err)) < 0 ||
	    (rc = parse_health(&s->health, root, err)) < 0 ||
	    (rc = get_str(&s->restart, root, "restart", "restart", err)) < 0 ||
	    (rc = get_str(&s->user, root, "user", "user", err)) < 0 ||
	    (rc = get_str(&s->working_dir, root, "working_dir", "working_dir", err)) < 0 ||
	    (rc = get_str(&s->hostname, root, "hostname", "hostname", err)) < 0 ||
	    (rc = get_strv(&s->extra_hosts, root, "extra_hosts", "extra_hosts", err)) < 0 ||
	    (rc = get_strv(&s->cap_add, root, "cap_add", "cap_add", err)) < 0 ||
	    (rc = get_strv(&s->cap_drop, root, "cap_drop", "cap_drop", err)) < 0 ||
	    (rc = get_strv(&s->tmpfs, root, "tmpfs", "tmpfs", err)) < 0 ||
	    (rc = get_bool(&s->read_only, root, "read_only", "read_only", err)) < 0 ||
	    (rc = get_bool(&s->init, root, "init", "init", err)) < 0 ||
	    (rc = get_str(&s->stop_signal, root, "stop_signal", "stop_signal", err)) < 0 ||
	    (rc = get_int(&s->stop_grace_ns, root, "stop_grace_ns", -1, INT64_MAX, "stop_grace_ns",
	                  err)) < 0 ||
	    (rc = get_int(&s->nano_cpus, root, "nano_cpus", 0, INT64_MAX, "nano_cpus", err)) < 0 ||
	    (rc = get_int(&s->memory_bytes, root, "memory_bytes", 0, INT64_MAX, "memory_bytes",
	                  err)) < 0)
		return rc;
	if (log && !json_is_null(log)) {
		if (!json_is_object(log))
			return bad(err, "logging", "must be an object");
		if ((rc = get_str(&s->logging.driver, log, "driver", "logging.driver", err)) < 0 ||
		    (rc = get_kvv(&s->logging.options, log, "options", "logging.options", err)) < 0)
			return rc;
	}
	return 0;
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
