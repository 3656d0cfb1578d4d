/*
 * spec.c - the canonical JSON of one service's container (sorted keys,
 * compact, every field present so the hash does not depend on how the
 * manifest was written), its sha256, the redacted form for storage and
 * display, and the parser back to struct service for release snapshots.
 * Keys added after the first release (container_name, network_mode,
 * sysctls, ulimits, configs, secrets, ...) are present only when set, so a
 * container created before they existed keeps its hash; configs and
 * secrets appear as content hashes, never content.
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

		json_t *o =
		        json_pack("{s:s, s:I, s:I, s:s}", "host_ip", pt->host_ip ? pt->host_ip : "",
		                  "host_port", (json_int_t)pt->host_port, "container_port",
		                  (json_int_t)pt->container_port, "protocol",
		                  pt->protocol ? pt->protocol : "tcp");

		/* a host range: present only when set, so other specs keep their hash */
		if (o && pt->host_port_end &&
		    json_object_set_new(o, "host_port_end", json_integer(pt->host_port_end)) < 0) {
			json_decref(o);
			o = NULL;
		}
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
		              "aliases", strv_to_json(&s->networks[i].aliases));
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
	                 h->disable, "test", strv_to_json(&h->test), "interval_ns",
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
static json_t *file_refs_to_json(const struct svc_file_ref *v, size_t n, bool redact)
{
	char fp[HASH_FINGERPRINT_SIZE];
	json_t *a = json_array(), *o;
	const char *h;
	size_t i;

	for (i = 0; a && i < n; i++) {
		h = v[i].content_hash;
		if (redact && !is_fingerprint(h)) {
			hash_fingerprint(fp, h);
			h = fp;
		}
		o = json_pack("{s:s, s:s, s:o, s:o, s:I, s:s}", "source", v[i].source, "target",
		              v[i].target, "uid", str_or_null(v[i].uid), "gid",
		              str_or_null(v[i].gid), "mode", (json_int_t)v[i].mode, "content_hash",
		              h);
		if (o && v[i].host_file &&
		    json_object_set_new(o, "host_file", json_string(v[i].host_file)) < 0) {
			json_decref(o);
			o = NULL;
		}
		if (push(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/*
 * Set key only when the value differs from the default, so a container
 * created before these keys existed keeps its hash. Takes v. false: no memory.
 */
static bool set_if(json_t *o, const char *key, json_t *v, bool set)
{
	if (!set) {
		json_decref(v);
		return true;
	}
	return v && json_object_set_new(o, key, v) == 0;
}

static bool extra_to_json(json_t *o, const struct service *s, bool redact)
{
	bool ok = true;

	ok = ok && set_if(o, "container_name", str_or_null(s->container_name), s->container_name);
	ok = ok && set_if(o, "platform", str_or_null(s->platform), s->platform);
	ok = ok && set_if(o, "network_mode", str_or_null(s->network_mode), s->network_mode);
	ok = ok && set_if(o, "expose", strv_to_json(&s->expose), s->expose.n);
	ok = ok && set_if(o, "sysctls", kvv_to_json(&s->sysctls), s->sysctls.n);
	ok = ok && set_if(o, "stdin_open", json_true(), s->stdin_open);
	ok = ok && set_if(o, "tty", json_true(), s->tty);
	ok = ok && set_if(o, "privileged", json_true(), s->privileged);
	ok = ok && set_if(o, "ulimits", ulimits_to_json(s), s->nulimits);
	ok = ok && set_if(o, "security_opt", strv_to_json(&s->security_opt), s->security_opt.n);
	ok = ok && set_if(o, "pid", str_or_null(s->pid), s->pid);
	ok = ok && set_if(o, "ipc", str_or_null(s->ipc), s->ipc);
	ok = ok && set_if(o, "devices", strv_to_json(&s->devices), s->devices.n);
	ok = ok && set_if(o, "dns", strv_to_json(&s->dns), s->dns.n);
	ok = ok && set_if(o, "dns_search", strv_to_json(&s->dns_search), s->dns_search.n);
	ok = ok && set_if(o, "dns_opt", strv_to_json(&s->dns_opt), s->dns_opt.n);
	ok = ok && set_if(o, "shm_size", json_integer(s->shm_size), s->shm_size);
	ok = ok &&
	     set_if(o, "mem_reservation", json_integer(s->mem_reservation), s->mem_reservation);
	ok = ok && set_if(o, "cpu_shares", json_integer(s->cpu_shares), s->cpu_shares);
	ok = ok && set_if(o, "group_add", strv_to_json(&s->group_add), s->group_add.n);
	ok = ok && set_if(o, "domainname", str_or_null(s->domainname), s->domainname);
	ok = ok && set_if(o, "runtime", str_or_null(s->runtime), s->runtime);
	ok = ok && set_if(o, "mac_address", str_or_null(s->mac_address), s->mac_address);
	ok = ok && set_if(o, "oom_score_adj", json_integer(s->oom_score_adj), s->oom_score_adj);
	ok = ok && set_if(o, "pids_limit", json_integer(s->pids_limit), s->pids_limit);
	ok = ok && set_if(o, "storage_opt", kvv_to_json(&s->storage_opt), s->storage_opt.n);
	ok = ok && set_if(o, "volumes_from", strv_to_json(&s->volumes_from), s->volumes_from.n);
	ok = ok &&
	     set_if(o, "external_links", strv_to_json(&s->external_links), s->external_links.n);
	ok = ok &&
	     set_if(o, "configs", file_refs_to_json(s->configs, s->nconfigs, false), s->nconfigs);
	ok = ok &&
	     set_if(o, "secrets", file_refs_to_json(s->secrets, s->nsecrets, redact), s->nsecrets);
	return ok;
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
	if (!ok || !extra_to_json(o, s, redact)) {
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
		if ((rc = get_int(&v, e, "host_port_end", 0, 65535, field, err)) < 0)
			return rc;
		pt->host_port_end = (unsigned)v;
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
		    (strlen(h) != HASH_HEX_LEN && !is_fingerprint(h)))
			return bad(err, field, "needs source, target and content_hash");
		snprintf(r->content_hash, sizeof(r->content_hash), "%s", h);
	}
	return 0;
}

static int parse_extra(struct service *s, json_t *root, struct err *err)
{
	int64_t v = 0;
	int rc;

	if ((rc = get_str(&s->container_name, root, "container_name", "container_name", err)) < 0 ||
	    (rc = get_str(&s->platform, root, "platform", "platform", err)) < 0 ||
	    (rc = get_str(&s->network_mode, root, "network_mode", "network_mode", err)) < 0 ||
	    (rc = get_strv(&s->expose, root, "expose", "expose", err)) < 0 ||
	    (rc = get_kvv(&s->sysctls, root, "sysctls", "sysctls", err)) < 0 ||
	    (rc = get_bool(&s->stdin_open, root, "stdin_open", "stdin_open", err)) < 0 ||
	    (rc = get_bool(&s->tty, root, "tty", "tty", err)) < 0 ||
	    (rc = get_bool(&s->privileged, root, "privileged", "privileged", err)) < 0 ||
	    (rc = parse_ulimits(s, root, err)) < 0 ||
	    (rc = get_strv(&s->security_opt, root, "security_opt", "security_opt", err)) < 0 ||
	    (rc = get_str(&s->pid, root, "pid", "pid", err)) < 0 ||
	    (rc = get_str(&s->ipc, root, "ipc", "ipc", err)) < 0 ||
	    (rc = get_strv(&s->devices, root, "devices", "devices", err)) < 0 ||
	    (rc = get_strv(&s->dns, root, "dns", "dns", err)) < 0 ||
	    (rc = get_strv(&s->dns_search, root, "dns_search", "dns_search", err)) < 0 ||
	    (rc = get_strv(&s->dns_opt, root, "dns_opt", "dns_opt", err)) < 0 ||
	    (rc = get_int(&s->shm_size, root, "shm_size", 0, INT64_MAX, "shm_size", err)) < 0 ||
	    (rc = get_int(&s->mem_reservation, root, "mem_reservation", 0, INT64_MAX,
	                  "mem_reservation", err)) < 0 ||
	    (rc = get_int(&s->cpu_shares, root, "cpu_shares", 0, INT64_MAX, "cpu_shares", err)) <
	            0 ||
	    (rc = get_strv(&s->group_add, root, "group_add", "group_add", err)) < 0 ||
	    (rc = get_str(&s->domainname, root, "domainname", "domainname", err)) < 0 ||
	    (rc = get_str(&s->runtime, root, "runtime", "runtime", err)) < 0 ||
	    (rc = get_str(&s->mac_address, root, "mac_address", "mac_address", err)) < 0 ||
	    (rc = get_int(&v, root, "oom_score_adj", -1000, 1000, "oom_score_adj", err)) < 0 ||
	    (rc = get_int(&s->pids_limit, root, "pids_limit", -1, INT64_MAX, "pids_limit", err)) <
	            0 ||
	    (rc = get_kvv(&s->storage_opt, root, "storage_opt", "storage_opt", err)) < 0 ||
	    (rc = get_strv(&s->volumes_from, root, "volumes_from", "volumes_from", err)) < 0 ||
	    (rc = get_strv(&s->external_links, root, "external_links", "external_links", err)) <
	            0 ||
	    (rc = parse_file_refs(&s->configs, &s->nconfigs, root, "configs", err)) < 0 ||
	    (rc = parse_file_refs(&s->secrets, &s->nsecrets, root, "secrets", err)) < 0)
		return rc;
	s->oom_score_adj = (int)v;
	return 0;
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
	return parse_extra(s, root, err);
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
