/*
 * preflight.c - preflight checks for "deployctl check" and apply: the daemon,
 * the manifests, env rules, --env-file hygiene, images, published ports,
 * host files, the state directory and free disk space. Each problem is one
 * item naming what is wrong; no item quotes an environment value.
 */
#define _XOPEN_SOURCE 700 /* realpath() */

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/check.h"
#include "deployctl/envrules.h"
#include "preflight_internal.h"

#define FALLBACK_DOCKER_ROOT "/var/lib/docker"
#define ITEM_MAX             4096 /* bytes of one message */

void preflight_item_add(struct run *run, const char *name, enum status st, const char *fmt, ...)
{
	struct check_report *r = run->r;
	struct check_item *v;
	struct buf b;
	va_list ap;
	int rc;

	buf_init(&b, ITEM_MAX);
	va_start(ap, fmt);
	rc = buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc < 0 && !b.toobig)
		goto nomem;
	v = realloc(r->v, (r->n + 1) * sizeof(*v));
	if (!v)
		goto nomem;
	r->v = v;
	v = &r->v[r->n];
	v->name = strdup(name);
	v->message = buf_detach(&b);
	if (!v->name || !v->message) {
		free(v->name);
		free(v->message);
		goto nomem;
	}
	v->ok = st != ST_FAIL;
	v->warn = st == ST_WARN;
	r->n++;
	return;
nomem:
	buf_release(&b);
	run->rc = ERR_NOMEM;
}

/* A struct err as an item, location first. */
static void item_err(struct run *run, const char *name, enum status st, const struct err *e)
{
	char line[1024];

	preflight_item_add(run, name, st, "%s", err_format(line, sizeof(line), e));
}

/* "12.3 GiB" */
static void human_size(char *out, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, size, "%llu bytes", (unsigned long long)bytes);
	else
		snprintf(out, size, "%.1f %s", v, units[u]);
}

static void check_docker(struct run *run)
{
	struct ctx *ctx = run->ctx;
	struct err err = ERR_INIT;

	if (!ctx->docker && docker_open(&ctx->docker, ctx->docker_host, &err) < 0) {
		run->r->docker_unreachable = err.code == ERR_UNREACHABLE;
		preflight_item_add(run, "docker", ST_FAIL, "%s", err.msg);
		return;
	}
	if (docker_info(&run->info, ctx->docker, &err) < 0) {
		run->r->docker_unreachable = err.code == ERR_UNREACHABLE;
		preflight_item_add(run, "docker", ST_FAIL,
		                   "reachable, API %s, but /info failed: %s",
		                   docker_api_version(ctx->docker), err.msg);
		return;
	}
	run->docker_ok = true;
	preflight_item_add(run, "docker", ST_OK, "reachable, API %s (Engine %s), socket %s",
	                   docker_api_version(ctx->docker),
	                   run->info.server_version ? run->info.server_version : "unknown",
	                   docker_socket(ctx->docker));
}

static void add_list(struct run *run, const char *name, enum status st, const struct errlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		item_err(run, name, st, &l->items[i]);
	if (l->dropped)
		preflight_item_add(run, name, st, "... and %zu more", l->dropped);
}

static void check_manifests(struct run *run)
{
	struct deploy *dp = run->dp;
	const struct deploy_opts *o = run->o;
	struct errlist *lists;
	struct err err = ERR_INIT;
	int rc;

	if (run->flags & CHECK_PREFLIGHT) {
		run->loaded = dp->project != NULL;
		return;
	}
	lists = calloc(2, sizeof(*lists));
	if (!lists) {
		run->rc = ERR_NOMEM;
		return;
	}
	errlist_init(&lists[0]);
	errlist_init(&lists[1]);
	dp->state_dir = o->state_dir ? o->state_dir : run->ctx->state_dir;
	rc = deploy_load(dp, o, &lists[0], &lists[1], &err);
	if (rc == 0 && dp->project) {
		run->loaded = true;
		preflight_item_add(run, "manifests", ST_OK,
		                   "valid: project %s, %zu service(s), %s %.12s", dp->project->name,
		                   dp->project->nservices, dp->source_kind, dp->source_id);
	} else if (lists[0].n) {
		errlist_sort(&lists[0]);
		add_list(run, "manifests", ST_FAIL, &lists[0]);
	} else {
		item_err(run, "manifests", ST_FAIL, &err);
	}
	run->r->manifests_invalid = !run->loaded;
	if (dp->dirty)
		preflight_item_add(
		        run, "manifests", ST_WARN,
		        "uncommitted changes under %s/ are not checked: checking commit %.12s",
		        o->manifests ? o->manifests : "manifests", dp->source_id);
	add_list(run, "manifests", ST_WARN, &lists[1]);
	free(lists);
}

static void check_env_rules(struct run *run)
{
	const struct project *p = run->dp->project;
	struct errlist *errs;

	if (!p->nenv_rules) {
		preflight_item_add(run, "env", ST_OK, "no rules (x-deployctl.env)");
		return;
	}
	errs = calloc(1, sizeof(*errs));
	if (!errs) {
		run->rc = ERR_NOMEM;
		return;
	}
	errlist_init(errs);
	if (envrules_check(errs, p, &run->dp->vars.vars) == 0) {
		char keys[512];
		size_t i, used = 0;

		keys[0] = '\0';
		for (i = 0; i < p->nenv_rules; i++) {
			int w = snprintf(keys + used, sizeof(keys) - used, "%s%s", i ? ", " : "",
			                 p->env_rules[i].key);

			if (w < 0 || (size_t)w >= sizeof(keys) - used) {
				memcpy(keys + sizeof(keys) - 4, "...", 4);
				break;
			}
			used += (size_t)w;
		}
		preflight_item_add(run, "env", ST_OK, "%zu rule(s) satisfied (x-deployctl.env: %s)",
		                   p->nenv_rules, keys);
	}
	errlist_sort(errs);
	add_list(run, "env", ST_FAIL, errs);
	free(errs);
}

/*
 * Is the env file inside g's working tree, and tracked there? *inside and
 * *tracked; a file outside (or a repository that cannot say) is neither.
 */
static void env_file_in_repo(bool *inside, bool *tracked, struct gitsrc *g, const char *file)
{
	char *real = realpath(file, NULL), *top = realpath(gitsrc_path(g), NULL);
	struct err err = ERR_INIT;
	size_t n;

	*inside = *tracked = false;
	if (real && top) {
		n = strlen(top);
		while (n > 1 && top[n - 1] == '/')
			n--;
		if (!strncmp(real, top, n) && real[n] == '/') {
			*inside = true;
			if (gitsrc_tracked(tracked, g, real + n + 1, &err) < 0)
				*tracked = false;
		}
	}
	free(real);
	free(top);
}

/*
 * The secret keys (model_env_is_secret) an env file sets, "A, B", into out;
 * "" when none (or when it cannot be read: its other check says so).
 */
static void secret_keys(char *out, size_t size, struct run *run, const char *file)
{
	struct manifest_vars mv;
	struct err err = ERR_INIT;
	size_t i, len = 0;

	out[0] = '\0';
	manifest_vars_init(&mv);
	if (manifest_vars_load_file(&mv, file, &err) == 0) {
		for (i = 0; i < mv.vars.n; i++) {
			const char *k = mv.vars.v[i].key;
			int w;

			if (!model_env_is_secret(run->dp->project, k))
				continue;
			w = snprintf(out + len, size - len, "%s%s", len ? ", " : "", k);
			if (w < 0 || (size_t)w >= size - len) {
				if (size > 4)
					memcpy(out + size - 4, "...", 4);
				break;
			}
			len += (size_t)w;
		}
	}
	manifest_vars_release(&mv);
}

/* A .env in the repository is committed configuration: it must not set a secret. */
static void check_dotenv(struct run *run)
{
	const struct project *p = run->dp->project;
	char keys[256];
	size_t i, len = 0;

	if (!p || !p->dotenv)
		return;
	keys[0] = '\0';
	for (i = 0; i < p->dotenv_keys.n && len < sizeof(keys) - 4; i++) {
		int w;

		if (!model_env_is_secret(p, p->dotenv_keys.v[i]))
			continue;
		w = snprintf(keys + len, sizeof(keys) - len, "%s%s", len ? ", " : "",
		             p->dotenv_keys.v[i]);
		len = w < 0 || (size_t)w >= sizeof(keys) - len ? sizeof(keys) : len + (size_t)w;
	}
	if (len >= sizeof(keys))
		memcpy(keys + sizeof(keys) - 4, "...", 4);
	if (*keys)
		preflight_item_add(
		        run, "dotenv", ST_FAIL,
		        "%s is in the repository and sets secret keys (%s): put them in an "
		        "--env-file outside the repository",
		        p->dotenv, keys);
	else
		preflight_item_add(run, "dotenv", ST_OK, "%s: %zu variable(s), no secret keys",
		                   p->dotenv, p->dotenv_keys.n);
}

static void check_env_files(struct run *run)
{
	const struct deploy_opts *o = run->o;
	struct gitsrc *own = NULL, *g = run->dp->git;
	struct err err = ERR_INIT;
	unsigned k, bad = 0;
	char keys[256];

	if (!o->nenv_files) {
		preflight_item_add(run, "env-file", ST_OK, "none given (--env-file)");
		return;
	}
	if (!g && gitsrc_open(&own, o->dir ? o->dir : o->repo ? o->repo : ".", "HEAD", &err) == 0)
		g = own;
	for (k = 0; k < o->nenv_files; k++) {
		const char *f = o->env_files[k];
		bool inside = false, tracked = false;
		struct stat st;

		if (stat(f, &st) < 0) {
			preflight_item_add(run, "env-file", ST_FAIL, "%s: %s", f, strerror(errno));
			bad++;
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			preflight_item_add(run, "env-file", ST_FAIL, "%s is not a regular file", f);
			bad++;
			continue;
		}
		if (g)
			env_file_in_repo(&inside, &tracked, g, f);
		if (tracked) {
			secret_keys(keys, sizeof(keys), run, f);
			if (*keys)
				preflight_item_add(
				        run, "env-file", ST_FAIL,
				        "%s is tracked in the git repository and sets secret keys (%s): "
				        "keep secrets outside the repository",
				        f, keys);
			else
				preflight_item_add(
				        run, "env-file", ST_WARN,
				        "%s is tracked in the git repository (no secret keys in it): "
				        "keep secrets outside the repository",
				        f);
			bad++;
		} else if (inside) {
			preflight_item_add(
			        run, "env-file", ST_WARN,
			        "%s is inside the repository's working tree (not tracked): keep "
			        "secrets outside it",
			        f);
			bad++;
		}
		if (st.st_mode & 044) {
			preflight_item_add(run, "env-file", ST_WARN,
			                   "%s is readable by group or others (chmod 600)", f);
			bad++;
		} else if (st.st_mode & 033) {
			preflight_item_add(run, "env-file", ST_WARN,
			                   "%s is writable by group or others (chmod 600)", f);
			bad++;
		}
	}
	if (!bad)
		preflight_item_add(run, "env-file", ST_OK,
		                   "%u file(s) outside the repository, mode 600", o->nenv_files);
	gitsrc_free(own);
}

/* One image absent locally: may the registry supply it? */
static bool image_remote_ok(struct run *run, const struct service *s, bool local)
{
	struct err err = ERR_INIT;
	char *digest = NULL;
	int rc;

	rc = docker_image_remote(&digest, run->ctx->docker, s->image, &err);
	free(digest);
	if (rc == 0)
		return true;
	if (rc == ERR_NOMEM)
		run->rc = rc;
	if (local)
		preflight_item_add(
		        run, "images", ST_WARN,
		        "services.%s: image '%s' (pull_policy: always) is present locally but its "
		        "registry does not answer: %s",
		        s->name, s->image, err.msg);
	else if (rc == ERR_NOTFOUND)
		preflight_item_add(
		        run, "images", ST_FAIL,
		        "services.%s: image '%s' is not present locally nor in its registry",
		        s->name, s->image);
	else
		preflight_item_add(
		        run, "images", ST_FAIL,
		        "services.%s: image '%s' is not present locally and its registry cannot "
		        "supply it: %s",
		        s->name, s->image, err.msg);
	return local;
}

/* The project's distinct image references, "a, b", cut with "...". */
static void image_names(char *out, size_t size, const struct project *p)
{
	size_t i, k, used = 0;
	int w;

	out[0] = '\0';
	for (i = 0; i < p->nservices; i++) {
		for (k = 0; k < i && strcmp(p->services[k].image, p->services[i].image); k++)
			;
		if (k < i)
			continue;
		w = snprintf(out + used, size - used, "%s%s", used ? ", " : "",
		             p->services[i].image);
		if (w < 0 || (size_t)w >= size - used) {
			memcpy(out + size - 4, "...", 4);
			return;
		}
		used += (size_t)w;
	}
}

static void check_images(struct run *run)
{
	const struct project *p = run->dp->project;
	const char **refs = calloc(p->nservices + 1, sizeof(*refs));
	char **ids = calloc(p->nservices + 1, sizeof(*ids));
	struct err err = ERR_INIT;
	size_t i, local = 0, remote = 0, bad = 0;

	if (!refs || !ids) {
		run->rc = ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < p->nservices; i++)
		refs[i] = p->services[i].image;
	if (p->nservices && !(run->flags & CHECK_PREFLIGHT) &&
	    docker_image_resolve(ids, run->ctx->docker, refs, p->nservices, &err) < 0) {
		preflight_item_add(run, "images", ST_FAIL, "cannot list images: %s", err.msg);
		goto out;
	}
	for (i = 0; i < p->nservices; i++) {
		const struct service *s = &p->services[i];
		const char *policy = s->pull_policy ? s->pull_policy : "missing";
		bool here = ids[i] || s->image_id;

		if (s->build.context && !s->image_id) {
			/* built from the commit by apply, never pulled */
			preflight_item_add(run, "images", ST_OK,
			                   "services.%s: built from %s (tree %.12s) by apply",
			                   s->name, s->build.context, s->build.tree_id);
			local++;
		} else if (here && strcmp(policy, "always") != 0) {
			local++;
		} else if (!here && !strcmp(policy, "never")) {
			preflight_item_add(
			        run, "images", ST_FAIL,
			        "services.%s: image '%s' is not present locally (pull_policy: never)",
			        s->name, s->image);
			bad++;
		} else if (image_remote_ok(run, s, here)) {
			if (here)
				local++;
			else
				remote++;
		} else {
			bad++;
		}
	}
	if (!bad) {
		char names[512];

		image_names(names, sizeof(names), p);
		preflight_item_add(
		        run, "images", ST_OK,
		        "%zu image(s): %zu present locally, %zu resolvable in their registry: %s",
		        p->nservices, local, remote, names);
	}
out:
	if (ids)
		for (i = 0; i < p->nservices; i++)
			free(ids[i]);
	free(ids);
	free(refs);
}

/* Does "ip:port/proto" (docker_container.ports) publish port/proto? */
static bool binding_is(const char *b, unsigned port, const char *proto)
{
	const char *slash = strrchr(b, '/'), *colon;
	char *end;
	unsigned long n;

	if (!slash || strcmp(slash + 1, proto))
		return false;
	for (colon = slash; colon > b && colon[-1] != ':'; colon--)
		;
	if (colon == b)
		return false;
	n = strtoul(colon, &end, 10);
	return end == slash && n == port;
}

static bool published_by_project(const struct docker_container *c, size_t nc, unsigned port,
                                 const char *proto)
{
	size_t i, k;

	for (i = 0; i < nc; i++)
		for (k = 0; k < c[i].ports.n; k++)
			if (binding_is(c[i].ports.v[k], port, proto))
				return true;
	return false;
}

/* "127.0.0.1:8080/tcp", "[::1]:8080/tcp", "0.0.0.0:8080/tcp" */
static void port_name(char *out, size_t size, const struct svc_port *sp)
{
	const char *ip = *sp->host_ip ? sp->host_ip : "0.0.0.0";

	snprintf(out, size, strchr(ip, ':') ? "[%s]:%u/%s" : "%s:%u/%s", ip, sp->host_port,
	         sp->protocol);
}

/* Try to bind the port (then close it): 0, or the errno. */
static int try_bind(const struct svc_port *sp)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, e = 0;
	int type = strcmp(sp->protocol, "udp") ? SOCK_STREAM : SOCK_DGRAM;

	memset(&ss, 0, sizeof(ss));
	if (strchr(sp->host_ip, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)sp->host_port);
		if (inet_pton(AF_INET6, sp->host_ip, &a->sin6_addr) != 1)
			return EINVAL;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)sp->host_port);
		if (!*sp->host_ip)
			a->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, sp->host_ip, &a->sin_addr) != 1)
			return EINVAL;
		len = sizeof(*a);
	}
	fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0)
		e = errno;
	close(fd);
	return e;
}

/* Same host port and protocol published earlier in the project? Its service, or NULL. */
static const char *published_earlier(const struct project *p, size_t si, size_t pi)
{
	const struct svc_port *me = &p->services[si].ports[pi];
	size_t i, k;

	for (i = 0; i <= si; i++) {
		const struct service *s = &p->services[i];

		if (!s->replicas || (s->network_mode && !strcmp(s->network_mode, "host")))
			continue;
		for (k = 0; k < s->nports && (i < si || k < pi); k++)
			if (s->ports[k].host_port == me->host_port &&
			    !strcmp(s->ports[k].protocol, me->protocol) &&
			    (!*s->ports[k].host_ip || !*me->host_ip ||
			     !strcmp(s->ports[k].host_ip, me->host_ip)))
				return s->name;
	}
	return NULL;
}

/* One published port; returns true when it is fine. */
static bool check_port(struct run *run, const struct docker_container *own, size_t nown, size_t si,
                       size_t pi, size_t *ours)
{
	const struct project *p = run->dp->project;
	const struct service *s = &p->services[si];
	const struct svc_port *sp = &s->ports[pi];
	const char *other = published_earlier(p, si, pi);
	char name[128];
	int e;

	port_name(name, sizeof(name), sp);
	if (other) {
		preflight_item_add(run, "ports", ST_FAIL,
		                   "%s is published by both services.%s and services.%s", name,
		                   other, s->name);
		return false;
	}
	if (s->replicas > 1) {
		preflight_item_add(
		        run, "ports", ST_FAIL,
		        "%s is published by services.%s, which has %u replicas: only one can bind "
		        "it",
		        name, s->name, s->replicas);
		return false;
	}
	if (published_by_project(own, nown, sp->host_port, sp->protocol)) {
		(*ours)++;
		return true;
	}
	if (!strcmp(sp->protocol, "sctp"))
		return true; /* not testable without SCTP support; Docker will say */
	e = try_bind(sp);
	if (e == 0)
		return true;
	if (e == EADDRINUSE)
		preflight_item_add(run, "ports", ST_FAIL,
		                   "%s is held by another process or container (services.%s)", name,
		                   s->name);
	else if (e == EACCES || e == EPERM)
		preflight_item_add(run, "ports", ST_WARN, "%s cannot be tested (services.%s): %s",
		                   name, s->name, strerror(e));
	else
		preflight_item_add(run, "ports", ST_FAIL, "%s cannot be bound (services.%s): %s",
		                   name, s->name, strerror(e));
	return e == EACCES || e == EPERM;
}

/* Append sp's name to out ("a, b", cut with "..."). */
static void join_port(char *out, size_t size, size_t *used, const struct svc_port *sp)
{
	char name[128];
	int w;

	if (*used >= size)
		return;
	port_name(name, sizeof(name), sp);
	w = snprintf(out + *used, size - *used, "%s%s", *used ? ", " : "", name);
	if (w < 0 || (size_t)w >= size - *used) {
		memcpy(out + size - 4, "...", 4);
		*used = size;
		return;
	}
	*used += (size_t)w;
}

static void check_ports(struct run *run)
{
	const struct project *p = run->dp->project;
	struct docker_container *list = NULL;
	const struct docker_container *own = NULL;
	size_t nlist = 0, nown = 0, i, k, total = 0, ours = 0, bad = 0, used = 0;
	struct err err = ERR_INIT;
	char names[512] = "";

	if (run->flags & CHECK_PREFLIGHT) {
		own = run->dp->containers;
		nown = run->dp->ncontainers;
	} else if (run->docker_ok) {
		if (docker_container_list(&list, &nlist, run->ctx->docker, p->name, &err) < 0) {
			preflight_item_add(run, "ports", ST_FAIL,
			                   "cannot list the project's containers: %s", err.msg);
			return;
		}
		own = list;
		nown = nlist;
	}
	for (i = 0; i < p->nservices; i++) {
		const struct service *s = &p->services[i];

		if (!s->replicas || (s->network_mode && !strcmp(s->network_mode, "host")))
			continue; /* nothing is published */
		for (k = 0; k < s->nports; k++) {
			if (!s->ports[k].host_port)
				continue;
			total++;
			if (!check_port(run, own, nown, i, k, &ours))
				bad++;
			join_port(names, sizeof(names), &used, &s->ports[k]);
		}
	}
	if (!bad && !total)
		preflight_item_add(run, "ports", ST_OK, "no published host ports");
	else if (!bad)
		preflight_item_add(
		        run, "ports", ST_OK,
		        "%zu published port(s) free or already this project's (%zu): %s%s", total,
		        ours, names,
		        run->docker_ok ? "" : "; Docker unreachable: own containers unknown");
	docker_container_list_free(list, nlist);
}

/* A host path a deploy reads: exists, right type, readable. */
static bool host_path_ok(struct run *run, const struct loc *loc, const char *what, const char *path,
                         bool dir_ok)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		preflight_item_add(run, "files", ST_FAIL, "%s:%u:%u: %s: %s: %s",
		                   loc->file ? loc->file : "", loc->line, loc->col, what, path,
		                   strerror(errno));
		return false;
	}
	if (!dir_ok && !S_ISREG(st.st_mode)) {
		preflight_item_add(run, "files", ST_FAIL, "%s:%u:%u: %s: %s is not a regular file",
		                   loc->file ? loc->file : "", loc->line, loc->col, what, path);
		return false;
	}
	if (access(path, R_OK) < 0) {
		preflight_item_add(run, "files", ST_FAIL, "%s:%u:%u: %s: %s cannot be read: %s",
		                   loc->file ? loc->file : "", loc->line, loc->col, what, path,
		                   strerror(errno));
		return false;
	}
	return true;
}

static void check_files(struct run *run)
{
	const struct project *p = run->dp->project;
	char what[300];
	size_t i, k, total = 0, bad = 0;

	for (i = 0; i < p->nsecrets; i++) {
		const struct project_file *f = &p->secrets[i];

		if (f->external || !f->file || f->content)
			continue;
		snprintf(what, sizeof(what), "secrets.%s.file", f->name);
		total++;
		bad += !host_path_ok(run, &f->loc, what, f->file, false);
	}
	for (i = 0; i < p->nservices; i++) {
		const struct service *s = &p->services[i];

		for (k = 0; k < s->nmounts; k++) {
			const struct svc_mount *m = &s->mounts[k];
			struct stat st;

			if (m->type != MOUNT_BIND || !m->source || m->content_hash[0])
				continue; /* from git: materialised with the release */
			if (m->host && lstat(m->source, &st) < 0 && errno == ENOENT) {
				/* not in git and not on the host: keys, certificates, data */
				const char *base = strrchr(m->rel, '/');
				bool file = m->no_create ||
				            (strchr(base ? base : m->rel, '.') && base && base[1] &&
				             strcmp(base, "/.") && strcmp(base, "/.."));

				total++;
				bad += file;
				preflight_item_add(
				        run, "files", file ? ST_FAIL : ST_WARN,
				        "%s:%u:%u: services.%s.volumes[%zu]: %s is not in git and "
				        "missing on the host: %s %s (host directory: --host-dir or "
				        "x-deployctl.host_dir)",
				        s->loc.file ? s->loc.file : "", s->loc.line, s->loc.col,
				        s->name, k, m->rel, file ? "put it at" : "created empty at",
				        m->source);
				continue;
			}
			snprintf(what, sizeof(what), "services.%s.volumes[%zu]: bind source",
			         s->name, k);
			total++;
			bad += !host_path_ok(run, &s->loc, what, m->source, true);
		}
	}
	if (!bad)
		preflight_item_add(
		        run, "files", ST_OK,
		        "%zu host file(s) present (secrets, bind sources; env_file and configs "
		        "were read with the manifests)",
		        total);
}

static void check_state(struct run *run)
{
	const char *dir = run->ctx->state_dir;
	char path[PATH_MAX];
	struct stat st;
	char *slash;

	if (!dir || !*dir) {
		preflight_item_add(run, "state", ST_FAIL, "no state directory");
		return;
	}
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			preflight_item_add(run, "state", ST_FAIL, "%s is not a directory", dir);
		else if (access(dir, W_OK | X_OK) < 0)
			preflight_item_add(run, "state", ST_FAIL, "%s is not writable: %s", dir,
			                   strerror(errno));
		else
			preflight_item_add(run, "state", ST_OK, "%s is writable", dir);
		return;
	}
	if (errno != ENOENT && errno != ENOTDIR) {
		preflight_item_add(run, "state", ST_FAIL, "%s: %s", dir, strerror(errno));
		return;
	}
	/* Not there yet: the nearest existing parent must let us create it. */
	if ((size_t)snprintf(path, sizeof(path), "%s", dir) >= sizeof(path)) {
		preflight_item_add(run, "state", ST_FAIL, "%s: path too long", dir);
		return;
	}
	for (;;) {
		slash = strrchr(path, '/');
		if (!slash) {
			snprintf(path, sizeof(path), ".");
		} else if (slash == path) {
			path[1] = '\0';
		} else {
			*slash = '\0';
		}
		if (stat(path, &st) == 0 || (errno != ENOENT && errno != ENOTDIR) ||
		    !strcmp(path, "/") || !strcmp(path, "."))
			break;
	}
	if (stat(path, &st) < 0)
		preflight_item_add(run, "state", ST_FAIL, "%s: %s", path, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		preflight_item_add(run, "state", ST_FAIL,
		                   "%s cannot be created: %s is not a directory", dir, path);
	else if (access(path, W_OK | X_OK) < 0)
		preflight_item_add(run, "state", ST_FAIL,
		                   "%s cannot be created: %s is not writable: %s", dir, path,
		                   strerror(errno));
	else
		preflight_item_add(run, "state", ST_OK, "%s will be created (%s is writable)", dir,
		                   path);
}

/* Free space of the file system holding path: status below under min, naming what path is. */
static void disk_free(struct run *run, const char *path, const char *what, uint64_t min,
                      enum status below, const char *knob)
{
	char have[32], want[32];
	struct statvfs vfs;
	uint64_t avail;

	if (statvfs(path, &vfs) < 0) {
		preflight_item_add(run, "disk", ST_WARN, "cannot measure free space in %s (%s): %s",
		                   path, what, strerror(errno));
		return;
	}
	avail = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
	human_size(have, sizeof(have), avail);
	human_size(want, sizeof(want), min);
	if (avail < min)
		preflight_item_add(run, "disk", below,
		                   "only %s free in %s, the %s (at least %s wanted%s%s)", have,
		                   path, what, want, *knob ? "; " : "", knob);
	else
		preflight_item_add(run, "disk", ST_OK, "%s free in %s, the %s (at least %s)", have,
		                   path, what, want);
}

/* The state directory, or its nearest existing parent while it is not there yet. */
static void state_dir_existing(char *out, size_t size, const char *dir)
{
	struct stat st;
	char *slash;

	snprintf(out, size, "%s", dir && *dir ? dir : ".");
	while (stat(out, &st) < 0 && strcmp(out, "/") && strcmp(out, ".")) {
		slash = strrchr(out, '/');
		if (!slash)
			snprintf(out, size, ".");
		else if (slash == out)
			out[1] = '\0';
		else
			*slash = '\0';
	}
}

static void check_disk(struct run *run)
{
	const char *root = run->info.root_dir && *run->info.root_dir ? run->info.root_dir
	                                                             : FALLBACK_DOCKER_ROOT;
	uint64_t min = run->r->min_free ? run->r->min_free : CHECK_DEFAULT_MIN_FREE;
	char state[PATH_MAX];

	disk_free(run, root, "Docker data root", min, ST_FAIL, "--min-free");
	/*
	 * Only a warning: apply reserves the room its record needs before the
	 * first change (store_reserve()) and refuses the release itself when
	 * that fails, which is the exact test; this says it is getting tight.
	 */
	state_dir_existing(state, sizeof(state), run->ctx->state_dir);
	disk_free(run, state, "state directory", CHECK_STATE_MIN_FREE, ST_WARN,
	          "apply reserves its record's room before changing anything");
}

int check_run(struct check_report *out, struct ctx *ctx, struct deploy *dp,
              const struct deploy_opts *o, unsigned flags)
{
	struct run run = { .r = out, .ctx = ctx, .dp = dp, .o = o, .flags = flags };

	if (!(flags & CHECK_PREFLIGHT)) {
		if (o->state_dir && !ctx->state_dir_abs)
			ctx->state_dir = o->state_dir;
		if (o->docker_host)
			ctx->docker_host = o->docker_host;
	}
	check_docker(&run);
	check_manifests(&run);
	check_env_files(&run);
	check_dotenv(&run);
	if (run.loaded) {
		check_env_rules(&run);
		if (run.docker_ok)
			check_images(&run);
		check_ports(&run);
		check_files(&run);
		preflight_tls(&run, (int64_t)time(NULL));
	}
	check_state(&run);
	check_disk(&run);
	docker_info_release(&run.info);
	return run.rc;
}

void check_report_release(struct check_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].message);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
	r->docker_unreachable = false;
	r->manifests_invalid = false;
}

size_t check_report_nfailed(const struct check_report *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		n += !r->v[i].ok;
	return n;
}
