/*
 * manifest_service.c - one service's keys, from its node tree to struct
 * service: depends_on, healthcheck, deploy limits and the plain keys
 * (environment and env_file are in manifest_service_env.c; ports, volumes,
 * tmpfs and networks in manifest_service_net.c). Every problem is reported
 * and the next key is read, so one run shows them all. Environment values
 * never appear in a message.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "manifest_internal.h"

/* ---- simple keys ---- */

static int key_command_like(struct manifest_ctx *c, bool *has, struct strv *out,
                            const struct mnode *v, const char *path)
{
	char msg[256], *s = NULL;
	int rc;

	strv_free(out);
	*has = false;
	if (mnode_is_null(v))
		return 0;
	if (v->type == MNODE_SEQ) {
		*has = true;
		return manifest_strings(c, out, v, path, false);
	}
	if (v->type != MNODE_SCALAR) {
		manifest_error(c, v, path, "expected a string or a sequence, got a %s",
		               mnode_type_name(v));
		return ERR_INVALID;
	}
	rc = manifest_string(c, &s, v, path);
	if (rc)
		return rc;
	msg[0] = '\0';
	rc = manifest_shell_split(out, s, msg, sizeof(msg));
	free(s);
	if (rc == ERR_NOMEM)
		return manifest_nomem(c);
	if (rc) {
		manifest_error(c, v, path, "%s", msg[0] ? msg : "cannot split into words");
		return ERR_INVALID;
	}
	*has = true;
	return 0;
}

int manifest_key_command(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                         const char *path)
{
	return key_command_like(c, &s->has_command, &s->command, v, path);
}

int manifest_key_entrypoint(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                            const char *path)
{
	return key_command_like(c, &s->has_entrypoint, &s->entrypoint, v, path);
}

/* "host:ip1,ip2" (Compose's host=ip1,ip2) becomes one "host:ip" entry per address. */
static int extra_hosts_split(struct manifest_ctx *c, struct service *s, size_t first)
{
	size_t i, n = s->extra_hosts.n, hl;
	char *h, *comma, *next;
	struct buf b;

	for (i = first; i < n; i++) {
		h = s->extra_hosts.v[i];
		hl = strcspn(h, ":");
		if (!h[hl] || !strchr(h + hl, ','))
			continue;
		for (next = strchr(h + hl, ',') + 1; next; next = comma ? comma + 1 : NULL) {
			comma = strchr(next, ',');
			buf_init(&b, 4096);
			if (buf_printf(&b, "%.*s:%.*s", (int)hl, h,
			               (int)(comma ? (size_t)(comma - next) : strlen(next)),
			               next) ||
			    strv_push(&s->extra_hosts, b.ptr)) {
				buf_release(&b);
				return manifest_nomem(c);
			}
			buf_release(&b);
			h = s->extra_hosts.v[i]; /* the vector may have moved */
		}
		*strchr(h + hl, ',') = '\0';
	}
	return 0;
}

int manifest_key_extra_hosts(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                             const char *path)
{
	char ipath[MANIFEST_PATH_MAX], q[80];
	struct buf b;
	size_t i, first = s->extra_hosts.n;
	int rc = 0;

	if (v->type == MNODE_MAP) {
		for (i = 0; i < v->n; i++) {
			char *ip = NULL;

			manifest_path_key(ipath, sizeof(ipath), path, v->keys[i]->value);
			if (manifest_string(c, &ip, v->items[i], ipath)) {
				rc = ERR_INVALID;
				continue;
			}
			buf_init(&b, 4096);
			if (buf_printf(&b, "%s:%s", v->keys[i]->value, ip) ||
			    strv_push(&s->extra_hosts, b.ptr))
				rc = manifest_nomem(c);
			buf_release(&b);
			free(ip);
		}
		return rc ? rc : extra_hosts_split(c, s, first);
	}
	rc = manifest_strings(c, &s->extra_hosts, v, path, false);
	for (i = first; i < s->extra_hosts.n; i++) {
		char *h = s->extra_hosts.v[i];
		size_t k = strcspn(h, ":=");

		if (h[k] == '=')
			h[k] = ':';
		if (k && h[k] && h[k + 1])
			continue;
		manifest_path_index(ipath, sizeof(ipath), path, i - first);
		manifest_error(c, v->items[i - first], ipath,
		               "expected \"host:ip\" or \"host=ip\", got \"%s\"",
		               manifest_quote(q, sizeof(q), v->items[i - first]));
		rc = rc ? rc : ERR_INVALID;
	}
	return rc ? rc : extra_hosts_split(c, s, first);
}

/* ---- depends_on ---- */

int manifest_dep_add(struct manifest_ctx *c, struct service *s, const struct mnode *at,
                     const char *path, const char *name, enum dep_condition cond, bool required,
                     bool implicit)
{
	struct svc_dep *nd;
	size_t i;

	for (i = 0; i < s->ndeps; i++) {
		if (!strcmp(s->deps[i].service, name)) {
			if (implicit)
				return 0;
			manifest_error(c, at, path, "service '%s' listed twice", name);
			return ERR_INVALID;
		}
	}
	nd = realloc(s->deps, (s->ndeps + 1) * sizeof(*nd));
	if (!nd)
		return manifest_nomem(c);
	s->deps = nd;
	nd[s->ndeps] = (struct svc_dep){ .condition = cond,
		                         .required = required,
		                         .service = strdup(name) };
	if (!nd[s->ndeps++].service)
		return manifest_nomem(c);
	return manifest_ref_add(c, MANIFEST_REF_DEP, s->name, name, path, at);
}

/* A depends_on entry's long form, as its keys are read. */
struct dep_opts {
	enum dep_condition cond;
	bool required;
	bool restart;
};

static int read_condition(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                          const struct mnode *key, const struct mnode *v, const char *path)
{
	enum dep_condition *cond = field;
	char q[80], *str = NULL;
	int r = manifest_string(c, &str, v, path);

	(void)k;
	(void)key;
	if (r)
		return r;
	if (!strcmp(str, "service_started"))
		*cond = DEP_STARTED;
	else if (!strcmp(str, "service_healthy"))
		*cond = DEP_HEALTHY;
	else if (!strcmp(str, "service_completed_successfully"))
		*cond = DEP_COMPLETED;
	else {
		manifest_error(c, v, path,
		               "invalid condition \"%s\": use service_started, "
		               "service_healthy or service_completed_successfully",
		               manifest_quote(q, sizeof(q), v));
		r = ERR_INVALID;
	}
	free(str);
	return r;
}

/* A bool read and then warned about as ignored (at the key). */
/* services.<name>.depends_on.<service> (null: the defaults). */
static const struct manifest_key dep_keys[] = {
	{ .key = "condition",
	  .kind = MK_FIELD,
	  .offset = offsetof(struct dep_opts, cond),
	  .field = read_condition },
	{ .key = "required", .kind = MK_BOOL, .offset = offsetof(struct dep_opts, required) },
	{ .key = "restart",
	  .kind = MK_BOOL,
	  .offset = offsetof(struct dep_opts, restart),
	  .flags = MKF_WARN,
	  .why = "ignored" },
	{ .key = NULL, .flags = MKF_NULL_OK },
};

static int dep_entry(struct manifest_ctx *c, void *arg, const struct mnode *key,
                     const struct mnode *val, const char *kpath)
{
	struct dep_opts o = { .cond = DEP_STARTED, .required = true };
	int r = manifest_read_map(c, dep_keys, &o, val, kpath);

	if (!r)
		r = manifest_dep_add(c, arg, key, kpath, key->value, o.cond, o.required, false);
	return r;
}

static int dep_item(struct manifest_ctx *c, void *arg, const struct mnode *x, const char *ipath)
{
	char *name = NULL;
	int r = manifest_string(c, &name, x, ipath);

	if (!r)
		r = manifest_dep_add(c, arg, x, ipath, name, DEP_STARTED, true, false);
	free(name);
	return r;
}

int manifest_key_depends_on(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                            const char *path)
{
	int rc, r;

	if (v->type == MNODE_MAP) {
		rc = manifest_each_entry(c, v, path, dep_entry, s);
	} else if (v->type == MNODE_SEQ) {
		rc = manifest_each_item(c, v, path, dep_item, s);
	} else {
		manifest_error(c, v, path, "expected a mapping or a sequence, got a %s",
		               mnode_is_null(v) ? "null" : mnode_type_name(v));
		return ERR_INVALID;
	}
	if (rc == ERR_NOMEM)
		return rc;
	r = manifest_ref_add(c, MANIFEST_REF_DEPS, s->name, NULL, path, v);
	return r ? r : rc;
}

/* ---- healthcheck ---- */

static int health_test(struct manifest_ctx *c, struct svc_health *h, const struct mnode *v,
                       const char *path)
{
	char q[80];
	int rc;

	strv_free(&h->test);
	if (v->type == MNODE_SCALAR && !mnode_is_null(v)) {
		char *s = NULL;

		rc = manifest_string(c, &s, v, path);
		if (rc)
			return rc;
		rc = strv_push(&h->test, "CMD-SHELL") || strv_push(&h->test, s);
		free(s);
		return rc ? manifest_nomem(c) : 0;
	}
	rc = manifest_strings(c, &h->test, v, path, false);
	if (rc)
		return rc;
	if (!h->test.n) {
		manifest_error(c, v, path, "empty test");
		return ERR_INVALID;
	}
	if (!strcmp(h->test.v[0], "NONE")) {
		h->disable = true;
		return 0;
	}
	if (strcmp(h->test.v[0], "CMD") && strcmp(h->test.v[0], "CMD-SHELL")) {
		manifest_error(c, v->items[0], path,
		               "the first item must be CMD, CMD-SHELL or NONE, got \"%s\"",
		               manifest_quote(q, sizeof(q), v->items[0]));
		return ERR_INVALID;
	}
	if (h->test.n < 2) {
		manifest_error(c, v, path, "%s needs a command", h->test.v[0]);
		return ERR_INVALID;
	}
	return 0;
}

static int read_retries(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                        const struct mnode *key, const struct mnode *v, const char *path)
{
	uint64_t n;
	int r = manifest_uint(c, &n, v, path, 1000000);

	(void)k;
	(void)key;
	if (!r)
		*(int *)field = (int)n;
	return r;
}

/* disable: true disables; false leaves a test: [NONE] as it is. */
static int read_disable(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                        const struct mnode *key, const struct mnode *v, const char *path)
{
	bool disable = false;
	int r = manifest_bool(c, &disable, v, path);

	(void)k;
	(void)key;
	if (!r && disable)
		*(bool *)field = true;
	return r;
}

static int read_health_test(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                            const struct mnode *key, const struct mnode *v, const char *path)
{
	(void)k;
	(void)key;
	return health_test(c, field, v, path);
}

#define HC(field) offsetof(struct svc_health, field)

/* services.<name>.healthcheck */
static const struct manifest_key health_keys[] = {
	{ .key = "disable", .kind = MK_FIELD, .offset = HC(disable), .field = read_disable },
	{ .key = "interval", .kind = MK_DURATION, .offset = HC(interval_ns) },
	{ .key = "retries", .kind = MK_FIELD, .offset = HC(retries), .field = read_retries },
	{ .key = "start_interval",
	  .kind = MK_DURATION,
	  .offset = HC(start_interval_ns),
	  .flags = MKF_WARN,
	  /* Engine API 1.44+; deployctl speaks 1.41, so Docker's own interval applies */
	  .why = "ignored: this Docker Engine (API 1.41) has no start interval; the first probe "
	         "runs after interval" },
	{ .key = "start_period", .kind = MK_DURATION, .offset = HC(start_period_ns) },
	{ .key = "test", .kind = MK_FIELD, .offset = 0, .field = read_health_test },
	{ .key = "timeout", .kind = MK_DURATION, .offset = HC(timeout_ns) },
	{ .key = NULL },
};

int manifest_key_healthcheck(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                             const char *path)
{
	if (manifest_expect(c, v, MNODE_MAP, path))
		return ERR_INVALID;
	s->health.set = true;
	return manifest_read_map(c, health_keys, &s->health, v, path);
}

/* ---- deploy ---- */

int manifest_parse_cpus(int64_t *out, const char *s)
{
	int64_t whole = 0, frac = 0, scale = 100000000;
	const char *p = s;

	if (!isdigit((unsigned char)*p) && *p != '.')
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (*p - '0');
		if (whole > 4096)
			return -1;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p) && p == s + 1)
			return -1;
		for (; isdigit((unsigned char)*p); p++, scale /= 10)
			if (scale)
				frac += (*p - '0') * scale;
	}
	if (*p)
		return -1;
	*out = whole * 1000000000 + frac;
	return 0;
}

/* A pids limit: -1 (unlimited) or a positive number. */
static int read_pids(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                     const struct mnode *key, const struct mnode *v, const char *path)
{
	char *str = NULL, *end, q[80];
	long long x;
	int rc = manifest_string(c, &str, v, path);

	(void)k;
	(void)key;
	if (rc)
		return rc;
	x = strtoll(str, &end, 10);
	if (!*str || *end || x < -1 || isspace((unsigned char)*str)) {
		manifest_error(c, v, path, "expected -1 or a positive integer, got \"%s\"",
		               manifest_quote(q, sizeof(q), v));
		rc = ERR_INVALID;
	} else {
		*(int64_t *)field = x;
	}
	free(str);
	return rc;
}

int manifest_read_cpus(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                       const struct mnode *key, const struct mnode *v, const char *path)
{
	char *str = NULL, q[80];
	int64_t n = 0;
	int rc = manifest_string(c, &str, v, path);

	(void)key;
	if (rc)
		return rc;
	if (manifest_parse_cpus(&n, str)) {
		manifest_error(c, v, path, "invalid number of CPUs \"%s\"",
		               manifest_quote(q, sizeof(q), v));
		rc = ERR_INVALID;
	} else if (k->what) {
		rc = manifest_agree(c, field, n, v, path, k->what);
	}
	free(str);
	return rc;
}

int manifest_read_size_agreed(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                              const struct mnode *key, const struct mnode *v, const char *path)
{
	int64_t n = 0;
	int rc = manifest_bytes(c, &n, v, path);

	(void)key;
	return rc ? rc : manifest_agree(c, field, n, v, path, k->what);
}

static int read_replicas(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                         const struct mnode *key, const struct mnode *v, const char *path)
{
	uint64_t n;
	int r = manifest_uint(c, &n, v, path, 1000);

	(void)k;
	(void)key;
	if (!r)
		*(unsigned *)field = (unsigned)n;
	return r;
}

/* The deploy: keys only Swarm has (field: the struct service). */
static int read_swarm(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                      const struct mnode *key, const struct mnode *v, const char *path)
{
	(void)k;
	return manifest_deploy_swarm(c, field, key, v, path);
}

#define SVC(field) offsetof(struct service, field)
#define NO_DEVICES                                                                                 \
	"not supported: device and GPU reservations need a vendor runtime deployctl does not "     \
	"manage"

/* deploy.resources.limits */
static const struct manifest_key limits_keys[] = {
	{ .key = "cpus",
	  .kind = MK_FIELD,
	  .offset = SVC(nano_cpus),
	  .field = manifest_read_cpus,
	  .what = "cpus" },
	{ .key = "devices", .kind = MK_REFUSED, .why = NO_DEVICES },
	{ .key = "generic_resources", .kind = MK_REFUSED, .why = NO_DEVICES },
	{ .key = "memory",
	  .kind = MK_FIELD,
	  .offset = SVC(memory_bytes),
	  .field = manifest_read_size_agreed,
	  .what = "mem_limit" },
	{ .key = "pids", .kind = MK_FIELD, .offset = SVC(pids_limit), .field = read_pids },
	{ .key = NULL },
};

/* deploy.resources.reservations */
static const struct manifest_key reservations_keys[] = {
	{ .key = "cpus",
	  .kind = MK_FIELD,
	  .field = manifest_read_cpus,
	  .flags = MKF_WARN,
	  .why = "ignored: Docker reserves CPUs only in Swarm (cpu_shares weighs CPU time on one "
	         "host)" },
	{ .key = "devices", .kind = MK_REFUSED, .why = NO_DEVICES },
	{ .key = "generic_resources", .kind = MK_REFUSED, .why = NO_DEVICES },
	{ .key = "memory",
	  .kind = MK_FIELD,
	  .offset = SVC(mem_reservation),
	  .field = manifest_read_size_agreed,
	  .what = "mem_reservation" },
	{ .key = "pids",
	  .kind = MK_REFUSED,
	  .why = "not supported: use deploy.resources.limits.pids" },
	{ .key = NULL },
};

static const struct manifest_key resources_keys[] = {
	{ .key = "limits", .kind = MK_MAP, .sub = limits_keys },
	{ .key = "reservations", .kind = MK_MAP, .sub = reservations_keys },
	{ .key = NULL },
};

#define SWARM(name)                                                                                \
	{                                                                                          \
		.key = name, .kind = MK_FIELD, .field = read_swarm                                 \
	}

/* services.<name>.deploy */
static const struct manifest_key deploy_keys[] = {
	SWARM("endpoint_mode"),
	{ .key = "labels",
	  .kind = MK_REFUSED,
	  .why = "not supported: Swarm service labels; use labels:" },
	SWARM("mode"),
	SWARM("placement"),
	{ .key = "replicas", .kind = MK_FIELD, .offset = SVC(replicas), .field = read_replicas },
	{ .key = "resources", .kind = MK_MAP, .sub = resources_keys },
	SWARM("restart_policy"),
	SWARM("rollback_config"),
	SWARM("update_config"),
	{ .key = NULL },
};

int manifest_key_deploy(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                        const char *path)
{
	return manifest_read_map(c, deploy_keys, s, v, path);
}

/* ---- the service ---- */

int manifest_service_build(struct manifest_ctx *c, struct service *s, const struct mnode *key,
                           const struct mnode *val)
{
	char spath[MANIFEST_PATH_MAX], kpath[MANIFEST_PATH_MAX];
	const struct mnode *x;
	struct svc_network *net;
	size_t i;
	int rc = 0;

	manifest_path_key(spath, sizeof(spath), "services", s->name);
	s->loc.file = key->file;
	s->loc.line = key->line;
	s->loc.col = key->col;
	if (manifest_expect(c, val, MNODE_MAP, spath))
		return ERR_INVALID;
	/* Variables interpolated into any key but environment and labels (noted per key). */
	c->used_vars = &s->vars_elsewhere;
	for (i = 0; i < val->n; i++) {
		const char *k = val->keys[i]->value;
		const struct manifest_key *row = manifest_key_find(manifest_service_keys(), k);

		manifest_path_key(kpath, sizeof(kpath), spath, k);
		if (row)
			rc = manifest_read_key(c, row, s, val->keys[i], val->items[i], kpath);
		else if (!strcmp(k, "x-deployctl"))
			rc = manifest_service_x_deployctl(c, s, val->items[i], kpath);
		else if (strncmp(k, "x-", 2))
			manifest_error(c, val->keys[i], spath, "unknown key '%s'", k);
		if (rc == ERR_NOMEM)
			break;
	}
	c->used_vars = NULL;
	if (rc == ERR_NOMEM)
		return rc;
	if ((x = mnode_get(val, "env_file")) && !mnode_is_null(x)) {
		rc = manifest_service_env_files(
		        c, &s->env, x, manifest_path_key(kpath, sizeof(kpath), spath, "env_file"));
		if (rc == ERR_NOMEM)
			return rc;
	}
	if ((x = mnode_get(val, "environment"))) {
		c->from = &s->env_from;
		rc = manifest_service_environment(
		        c, &s->env, x,
		        manifest_path_key(kpath, sizeof(kpath), spath, "environment"));
		c->from = NULL;
		if (rc == ERR_NOMEM)
			return rc;
	}
	if ((x = mnode_get(val, "x-deployctl")) && x->type == MNODE_MAP &&
	    (x = mnode_get(x, "rollout")) && x->type == MNODE_MAP && (x = mnode_get(x, "order")))
		manifest_rollout_check(c, s, x,
		                       manifest_path_key(kpath, sizeof(kpath), spath,
		                                         "x-deployctl.rollout.order"));
	rc = manifest_service_finish(c, s, key, val, spath);
	if (rc == ERR_NOMEM)
		return rc;
	if (!s->nnetworks && !s->network_mode) {
		/* No networks: (or an empty one) joins the implicit "default". */
		x = mnode_get(val, "networks");
		rc = manifest_network_add(c, s, x ? x : key, spath, "default", &net);
		if (rc == ERR_NOMEM)
			return rc;
	}
	return 0;
}
