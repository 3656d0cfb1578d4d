/*
 * manifest_service.c - one service's keys, from its node tree to struct
 * service: depends_on, healthcheck, deploy limits and the plain keys
 * (environment and env_file are in manifest_service_env.c; ports, volumes,
 * tmpfs and networks in manifest_service_net.c). Every problem is reported
 * and the next key is read, so one run shows them all. Environment values
 * never appear in a message.
 */
#include <ctype.h>
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

static int dep_long(struct manifest_ctx *c, const struct mnode *v, const char *path,
                    enum dep_condition *cond, bool *required)
{
	char kpath[MANIFEST_PATH_MAX], q[80], *str = NULL;
	bool restart;
	size_t i;
	int rc = 0, r;

	if (mnode_is_null(v))
		return 0;
	if (manifest_expect(c, v, MNODE_MAP, path))
		return ERR_INVALID;
	for (i = 0; i < v->n; i++) {
		const char *k = v->keys[i]->value;

		manifest_path_key(kpath, sizeof(kpath), path, k);
		if (!strcmp(k, "condition")) {
			r = manifest_set_string(c, &str, v->items[i], kpath);
			if (!r && !strcmp(str, "service_started"))
				*cond = DEP_STARTED;
			else if (!r && !strcmp(str, "service_healthy"))
				*cond = DEP_HEALTHY;
			else if (!r && !strcmp(str, "service_completed_successfully"))
				*cond = DEP_COMPLETED;
			else if (!r) {
				manifest_error(c, v->items[i], kpath,
				               "invalid condition \"%s\": use service_started, "
				               "service_healthy or service_completed_successfully",
				               manifest_quote(q, sizeof(q), v->items[i]));
				r = ERR_INVALID;
			}
		} else if (!strcmp(k, "required")) {
			r = manifest_bool(c, required, v->items[i], kpath);
		} else if (!strcmp(k, "restart")) {
			r = manifest_bool(c, &restart, v->items[i], kpath);
			if (!r)
				manifest_warn(c, v->keys[i], kpath, "ignored");
		} else if (!strncmp(k, "x-", 2)) {
			r = 0; /* extensions are allowed at any depth */
		} else {
			manifest_error(c, v->keys[i], path, "unknown key '%s'", k);
			r = ERR_INVALID;
		}
		rc = rc ? rc : r;
	}
	free(str);
	return rc;
}

int manifest_key_depends_on(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                            const char *path)
{
	char ipath[MANIFEST_PATH_MAX];
	char *name = NULL;
	size_t i;
	int rc = 0, r;

	if (v->type == MNODE_MAP) {
		for (i = 0; i < v->n; i++) {
			enum dep_condition cond = DEP_STARTED;
			bool required = true;

			manifest_path_key(ipath, sizeof(ipath), path, v->keys[i]->value);
			r = dep_long(c, v->items[i], ipath, &cond, &required);
			if (!r)
				r = manifest_dep_add(c, s, v->keys[i], ipath, v->keys[i]->value,
				                     cond, required, false);
			if (r == ERR_NOMEM)
				return r;
			rc = rc ? rc : r;
		}
	} else if (v->type == MNODE_SEQ) {
		for (i = 0; i < v->n; i++) {
			manifest_path_index(ipath, sizeof(ipath), path, i);
			r = manifest_string(c, &name, v->items[i], ipath);
			if (!r)
				r = manifest_dep_add(c, s, v->items[i], ipath, name, DEP_STARTED,
				                     true, false);
			free(name);
			name = NULL;
			if (r == ERR_NOMEM)
				return r;
			rc = rc ? rc : r;
		}
	} else {
		manifest_error(c, v, path, "expected a mapping or a sequence, got a %s",
		               mnode_is_null(v) ? "null" : mnode_type_name(v));
		return ERR_INVALID;
	}
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

int manifest_key_healthcheck(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                             const char *path)
{
	char kpath[MANIFEST_PATH_MAX];
	struct svc_health *h = &s->health;
	bool disable = false;
	uint64_t retries;
	size_t i;
	int rc = 0, r;

	if (manifest_expect(c, v, MNODE_MAP, path))
		return ERR_INVALID;
	h->set = true;
	for (i = 0; i < v->n; i++) {
		const char *k = v->keys[i]->value;
		const struct mnode *x = v->items[i];

		manifest_path_key(kpath, sizeof(kpath), path, k);
		if (!strcmp(k, "test")) {
			r = health_test(c, h, x, kpath);
		} else if (!strcmp(k, "interval")) {
			r = manifest_duration(c, &h->interval_ns, x, kpath);
		} else if (!strcmp(k, "timeout")) {
			r = manifest_duration(c, &h->timeout_ns, x, kpath);
		} else if (!strcmp(k, "start_period")) {
			r = manifest_duration(c, &h->start_period_ns, x, kpath);
		} else if (!strcmp(k, "retries")) {
			r = manifest_uint(c, &retries, x, kpath, 1000000);
			if (!r)
				h->retries = (int)retries;
		} else if (!strcmp(k, "disable")) {
			r = manifest_bool(c, &disable, x, kpath);
		} else if (!strcmp(k, "start_interval")) {
			/* Engine API 1.44+; deployctl speaks 1.41, so Docker's own interval applies
			 */
			r = manifest_duration(c, &h->start_interval_ns, x, kpath);
			if (!r)
				manifest_warn(c, v->keys[i], kpath,
				              "ignored: this Docker Engine (API 1.41) has no start "
				              "interval; the first probe runs after interval");
		} else if (!strncmp(k, "x-", 2)) {
			r = 0; /* extensions are allowed at any depth */
		} else {
			manifest_error(c, v->keys[i], path, "unknown key '%s'", k);
			r = ERR_INVALID;
		}
		rc = rc ? rc : r;
	}
	if (disable)
		h->disable = true;
	return rc;
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
static int int_in(struct manifest_ctx *c, int64_t *out, const struct mnode *v, const char *path)
{
	char *str = NULL, *end, q[80];
	long long x;
	int rc = manifest_string(c, &str, v, path);

	if (rc)
		return rc;
	x = strtoll(str, &end, 10);
	if (!*str || *end || x < -1 || isspace((unsigned char)*str)) {
		manifest_error(c, v, path, "expected -1 or a positive integer, got \"%s\"",
		               manifest_quote(q, sizeof(q), v));
		rc = ERR_INVALID;
	} else {
		*out = x;
	}
	free(str);
	return rc;
}

/* deploy.resources.limits (reserve false) or .reservations (reserve true). */
static int deploy_limits(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                         const char *path, bool reserve)
{
	char kpath[MANIFEST_PATH_MAX], q[80], *str = NULL;
	int64_t n = 0;
	size_t i;
	int rc = 0, r;

	if (manifest_expect(c, v, MNODE_MAP, path))
		return ERR_INVALID;
	for (i = 0; i < v->n; i++) {
		const char *k = v->keys[i]->value;
		const struct mnode *x = v->items[i];

		manifest_path_key(kpath, sizeof(kpath), path, k);
		if (!strcmp(k, "cpus")) {
			r = manifest_string(c, &str, x, kpath);
			if (!r && manifest_parse_cpus(&n, str)) {
				manifest_error(c, x, kpath, "invalid number of CPUs \"%s\"",
				               manifest_quote(q, sizeof(q), x));
				r = ERR_INVALID;
			} else if (!r && reserve) {
				manifest_warn(
				        c, v->keys[i], kpath,
				        "ignored: Docker reserves CPUs only in Swarm (cpu_shares "
				        "weighs CPU time on one host)");
			} else if (!r) {
				r = manifest_agree(c, &s->nano_cpus, n, x, kpath, "cpus");
			}
		} else if (!strcmp(k, "memory")) {
			int64_t *dst = reserve ? &s->mem_reservation : &s->memory_bytes;

			r = manifest_string(c, &str, x, kpath);
			if (!r && manifest_parse_bytes(&n, str)) {
				manifest_error(c, x, kpath, "invalid size \"%s\"",
				               manifest_quote(q, sizeof(q), x));
				r = ERR_INVALID;
			} else if (!r) {
				r = manifest_agree(c, dst, n, x, kpath,
				                   reserve ? "mem_reservation" : "mem_limit");
			}
		} else if (!strcmp(k, "pids") && !reserve) {
			r = int_in(c, &s->pids_limit, x, kpath);
		} else if (!strcmp(k, "devices") || !strcmp(k, "generic_resources") ||
		           !strcmp(k, "pids")) {
			manifest_error(
			        c, v->keys[i], kpath, "not supported: %s",
			        !strcmp(k, "pids")
			                ? "use deploy.resources.limits.pids"
			                : "device and GPU reservations need a vendor runtime deployctl "
			                  "does not manage");
			r = ERR_INVALID;
		} else if (!strncmp(k, "x-", 2)) {
			r = 0; /* extensions are allowed at any depth */
		} else {
			manifest_error(c, v->keys[i], path, "unknown key '%s'", k);
			r = ERR_INVALID;
		}
		free(str);
		str = NULL;
		rc = rc ? rc : r;
	}
	return rc;
}

int manifest_key_deploy(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                        const char *path)
{
	char kpath[MANIFEST_PATH_MAX], rpath[MANIFEST_PATH_MAX];
	uint64_t replicas;
	size_t i, j;
	int rc = 0, r;

	if (manifest_expect(c, v, MNODE_MAP, path))
		return ERR_INVALID;
	for (i = 0; i < v->n; i++) {
		const char *k = v->keys[i]->value;
		const struct mnode *x = v->items[i];

		manifest_path_key(kpath, sizeof(kpath), path, k);
		r = 0;
		if (!strcmp(k, "replicas")) {
			r = manifest_uint(c, &replicas, x, kpath, 1000);
			if (!r)
				s->replicas = (unsigned)replicas;
		} else if (manifest_deploy_swarm_key(k)) {
			r = manifest_deploy_swarm(c, s, v->keys[i], x, kpath);
		} else if (!strcmp(k, "resources") && !manifest_expect(c, x, MNODE_MAP, kpath)) {
			for (j = 0; j < x->n; j++) {
				const char *rk = x->keys[j]->value;
				int r2;

				manifest_path_key(rpath, sizeof(rpath), kpath, rk);
				if (!strcmp(rk, "limits") || !strcmp(rk, "reservations")) {
					r2 = deploy_limits(c, s, x->items[j], rpath,
					                   !strcmp(rk, "reservations"));
				} else if (!strncmp(rk, "x-", 2)) {
					r2 = 0; /* extensions are allowed at any depth */
				} else {
					manifest_error(c, x->keys[j], kpath, "unknown key '%s'",
					               rk);
					r2 = ERR_INVALID;
				}
				r = r ? r : r2;
			}
		} else if (!strcmp(k, "resources")) {
			r = ERR_INVALID;
		} else if (!strcmp(k, "labels")) {
			manifest_error(c, v->keys[i], kpath,
			               "not supported: Swarm service labels; use labels:");
			r = ERR_INVALID;
		} else if (!strncmp(k, "x-", 2)) {
			r = 0; /* extensions are allowed at any depth */
		} else {
			manifest_error(c, v->keys[i], path, "unknown key '%s'", k);
			r = ERR_INVALID;
		}
		rc = rc ? rc : r;
	}
	return rc;
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
