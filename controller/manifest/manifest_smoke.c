/*
 * manifest_smoke.c - x-deployctl.smoke (HTTP checks a release must pass
 * once it has rolled out) and x-deployctl.notify (who is told of its
 * outcome), read by key tables like the service keys. A check's URL may
 * only point at this host (127.0.0.1, ::1, localhost) on a port a service
 * publishes, checked once every file is loaded. A notification URL is a
 * credential and never comes from the manifest: url_env names a variable
 * of the env files or the environment, url_file a host file.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "deployctl/model_secret.h"
#include "deployctl/smoke.h"
#include "manifest_internal.h"

/* ---- validators ---- */

static bool method_ok(const char *m)
{
	static const char *const ok[] = {
		"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(m, ok[i]))
			return true;
	return false;
}

/* "Name: value": a token, a colon, then anything printable. */
static bool header_ok(const char *h)
{
	size_t n = strcspn(h, ":"), i;

	if (!n || !h[n])
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && !strchr("!#$%&'*+-.^_`|~", h[i]))
			return false;
	for (i = n + 1; h[i]; i++)
		if (!isprint((unsigned char)h[i]) && h[i] != '\t')
			return false;
	return true;
}

static bool var_ok(const char *v)
{
	size_t i;

	if (!isalpha((unsigned char)v[0]) && v[0] != '_')
		return false;
	for (i = 1; v[i]; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '_')
			return false;
	return true;
}

static bool absolute_ok(const char *s)
{
	return s[0] == '/';
}

static bool format_ok(const char *s)
{
	return !strcmp(s, "slack") || !strcmp(s, "json");
}

static bool path_ok(const char *s)
{
	return s[0] == '/';
}

/* ---- the tables: offsets are into struct smoke_check and struct notify_target ---- */

#define CHK(field) offsetof(struct smoke_check, field)
#define NTF(field) offsetof(struct notify_target, field)

/* clang-format off */
static const struct manifest_key smoke_keys[] = {
	{ .key = "name", .kind = MK_STRING, .offset = CHK(name), .valid = manifest_name_ok,
	  .what = "invalid check name", .hint = "use letters, digits, '_', '.' and '-'" },
	{ .key = "url", .kind = MK_STRING, .offset = CHK(url) },
	{ .key = "method", .kind = MK_STRING, .offset = CHK(method), .valid = method_ok,
	  .what = "invalid method", .hint = "use GET, HEAD, POST, PUT, DELETE, OPTIONS or PATCH" },
	{ .key = "expect_status", .kind = MK_INT, .offset = CHK(expect_status), .min = 100,
	  .max = 599 },
	{ .key = "body_contains", .kind = MK_STRING, .offset = CHK(body_contains) },
	{ .key = "header", .kind = MK_STRING, .offset = CHK(header), .valid = header_ok,
	  .what = "invalid header", .hint = "write it as \"Name: value\"" },
	{ .key = "timeout", .kind = MK_DURATION, .offset = CHK(timeout_ns) },
	{ .key = "retries", .kind = MK_INT, .offset = CHK(retries), .min = 1,
	  .max = SMOKE_MAX_ATTEMPTS },
	{ .key = "interval", .kind = MK_DURATION, .offset = CHK(interval_ns) },
	/* from inside a project network (manifest_smoke_finish() resolves them) */
	{ .key = "service", .kind = MK_STRING, .offset = CHK(service), .valid = manifest_name_ok,
	  .what = "invalid service name", .hint = "use letters, digits, '_', '.' and '-'" },
	{ .key = "network", .kind = MK_STRING, .offset = CHK(network), .valid = manifest_name_ok,
	  .what = "invalid network name", .hint = "use letters, digits, '_', '.' and '-'" },
	{ .key = "port", .kind = MK_INT, .offset = CHK(port), .min = 1, .max = 65535 },
	{ .key = "path", .kind = MK_STRING, .offset = CHK(path), .valid = path_ok,
	  .what = "invalid path", .hint = "start it with '/'" },
	{ .key = "image", .kind = MK_STRING, .offset = CHK(image) },
	{ .key = NULL },
};

/*
 * notify[].url: only as one variable, "${NAME}" or "$NAME" (how Compose
 * files take a credential from the environment), which is url_env: NAME:
 * the URL itself is a credential and never comes from the manifest. The
 * raw text is read, not interpolated, so its value is never the model's.
 */
static int read_url(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                    const struct mnode *key, const struct mnode *v, const char *path)
{
	char **url_env = field, name[128];
	const char *s = v->type == MNODE_SCALAR ? v->value : NULL;
	size_t len;

	(void)k;
	if (s && s[0] == '$') {
		s += 1 + (s[1] == '{');
		len = strlen(s) - (s[-1] == '{');
		if (len && len < sizeof(name) && (s[-1] != '{' || s[len] == '}')) {
			memcpy(name, s, len);
			name[len] = '\0';
			if (var_ok(name)) {
				free(*url_env);
				*url_env = strdup(name);
				return *url_env ? 0 : manifest_nomem(c);
			}
		}
	}
	manifest_error(c, key, path,
	               "a webhook URL is a credential and is never read from the manifest (it "
	               "would be in git): write url: ${NAME} or url_env: NAME for the variable "
	               "that holds it (set in an env file or the environment), or url_file: /path");
	return ERR_INVALID;
}

static const struct manifest_key notify_keys[] = {
	{ .key = "url", .kind = MK_FIELD, .offset = NTF(url_env), .field = read_url },
	{ .key = "url_env", .kind = MK_STRING, .offset = NTF(url_env), .valid = var_ok,
	  .what = "invalid variable name", .hint = "use letters, digits and '_'" },
	{ .key = "url_file", .kind = MK_STRING, .offset = NTF(url_file), .valid = absolute_ok,
	  .what = "url_file", .hint = "must be an absolute path" },
	{ .key = "format", .kind = MK_LATER },
	{ .key = "command", .kind = MK_STRINGS, .offset = NTF(command) },
	{ .key = "on", .kind = MK_LATER },
	{ .key = NULL },
};
/* clang-format on */

/* ---- x-deployctl.smoke ---- */

static void loc_of(struct loc *out, const struct mnode *at)
{
	out->file = at->file;
	out->line = at->line;
	out->col = at->col;
}

static void smoke_init(void *e)
{
	struct smoke_check *k = e;

	k->expect_status = 200;
	k->retries = 3;
	k->interval_ns = 1000000000LL;
}

/* What the key table cannot say of one check: defaults, names, bounds. */
static int smoke_finish_one(struct manifest_ctx *c, void *e, const struct mnode *v,
                            const char *path, int rc)
{
	struct smoke_check *k = e;
	const struct mnode *at;
	char kpath[MANIFEST_PATH_MAX];
	size_t i;

	if ((at = mnode_get(v, "url")))
		loc_of(&k->url_loc, at);
	if ((at = mnode_get(v, "service")) || (at = mnode_get(v, "network")))
		loc_of(&k->net_loc, at);
	if (!k->method && !(k->method = strdup("GET")))
		return manifest_nomem(c);
	if (!k->url && !k->service && !rc) {
		manifest_error(c, v, path,
		               "a smoke check needs url: (http://127.0.0.1:PORT/...), or service: "
		               "and port: to check from inside a project network");
		rc = ERR_INVALID;
	}
	if (!k->name && !rc) {
		char name[32];

		snprintf(name, sizeof(name), "check-%zu", c->p->nsmoke);
		if (!(k->name = strdup(name)))
			return manifest_nomem(c);
	}
	for (i = 0; k->name && i + 1 < c->p->nsmoke; i++)
		if (c->p->smoke[i].name && !strcmp(c->p->smoke[i].name, k->name))
			manifest_error(c, v, path, "check '%s' is defined twice (also at %s:%u:%u)",
			               k->name, c->p->smoke[i].loc.file, c->p->smoke[i].loc.line,
			               c->p->smoke[i].loc.col);
	if (k->timeout_ns <= 0 || k->timeout_ns > SMOKE_MAX_TIMEOUT_NS) {
		if ((at = mnode_get(v, "timeout")))
			manifest_error(c, at,
			               manifest_path_key(kpath, sizeof(kpath), path, "timeout"),
			               "expected a duration above 0s and at most 60s");
		k->timeout_ns = 5LL * 1000000000LL;
	}
	if (k->interval_ns < 0 || k->interval_ns > SMOKE_MAX_INTERVAL_NS) {
		if ((at = mnode_get(v, "interval")))
			manifest_error(c, at,
			               manifest_path_key(kpath, sizeof(kpath), path, "interval"),
			               "expected a duration from 0s to 60s");
		k->interval_ns = 1000000000LL;
	}
	return 0;
}

int manifest_load_smoke(struct manifest_ctx *c, const struct mnode *n, const char *path)
{
	const struct manifest_list l = {
		.items = (void **)&c->p->smoke,
		.n = &c->p->nsmoke,
		.size = sizeof(struct smoke_check),
		.max = SMOKE_MAX_CHECKS,
		.loc_offset = offsetof(struct smoke_check, loc),
		.what = "smoke checks",
		.keys = smoke_keys,
		.init = smoke_init,
		.finish = smoke_finish_one,
	};

	return manifest_read_list(c, &l, n, path);
}

/* ---- x-deployctl.notify ---- */

static int notify_on(struct manifest_ctx *c, struct notify_target *t, const struct mnode *v,
                     const char *path)
{
	char ipath[MANIFEST_PATH_MAX];
	struct strv words = { 0 };
	size_t i;
	int rc = manifest_strings(c, &words, v, path, true);

	t->on = 0;
	for (i = 0; rc == 0 && i < words.n; i++) {
		unsigned bit = notify_on_bit(words.v[i]);

		manifest_path_index(ipath, sizeof(ipath), path, i);
		if (!bit) {
			manifest_error(
			        c, v->type == MNODE_SEQ ? v->items[i] : v, ipath,
			        "unknown outcome '%s': use succeeded, failed, rolled_back or "
			        "interrupted",
			        words.v[i]);
			rc = ERR_INVALID;
		}
		t->on |= bit;
	}
	strv_free(&words);
	return rc;
}

static void notify_init(void *e)
{
	((struct notify_target *)e)->on = NOTIFY_ON_ALL;
}

/* What the key table cannot say of one target: on:, format:, where the URL is. */
static int notify_finish_one(struct manifest_ctx *c, void *e, const struct mnode *v,
                             const char *path, int rc)
{
	struct notify_target *t = e;
	char kpath[MANIFEST_PATH_MAX], q[80];
	const struct mnode *f;
	char *fmt = NULL;
	int r = 0, ways;

	if ((f = mnode_get(v, "on"))) {
		r = notify_on(c, t, f, manifest_path_key(kpath, sizeof(kpath), path, "on"));
		if (r == ERR_NOMEM)
			return r;
	}
	rc = rc ? rc : r;
	if ((f = mnode_get(v, "format"))) {
		manifest_path_key(kpath, sizeof(kpath), path, "format");
		r = manifest_string(c, &fmt, f, kpath);
		if (r == ERR_NOMEM)
			return r;
		if (!r && !format_ok(fmt)) {
			manifest_error(c, f, kpath, "unknown format \"%s\": use slack or json",
			               manifest_quote(q, sizeof(q), f));
			r = ERR_INVALID;
		}
		if (!r)
			t->format = (enum notify_format)notify_format_parse(fmt);
		free(fmt);
		rc = rc ? rc : r;
	}
	ways = !!t->url_env + !!t->url_file + !!t->command.n;
	if (!rc && ways != 1) {
		manifest_error(
		        c, v, path,
		        ways ? "give only one of url_env, url_file and command"
		             : "a notification needs url_env: NAME (the variable holding the "
		               "webhook URL), url_file: /path, or command: [argv]");
		rc = ERR_INVALID;
	}
	if (t->command.n) {
		if (f)
			manifest_error(c, f, kpath,
			               "format does not apply to a command (it reads "
			               "the JSON payload on its stdin)");
		t->format = NOTIFY_COMMAND;
	}
	return rc;
}

int manifest_load_notify(struct manifest_ctx *c, const struct mnode *n, const char *path)
{
	const struct manifest_list l = {
		.items = (void **)&c->p->notify,
		.n = &c->p->nnotify,
		.size = sizeof(struct notify_target),
		.max = NOTIFY_MAX_TARGETS,
		.loc_offset = offsetof(struct notify_target, loc),
		.what = "notifications",
		.keys = notify_keys,
		.init = notify_init,
		.finish = notify_finish_one,
	};

	return manifest_read_list(c, &l, n, path);
}

/* ---- once every file is loaded: where the URLs point ---- */

/* Is port published on the host by a service of p (fixed, or a range)? */
static bool port_published(const struct project *p, unsigned port)
{
	size_t i, k;

	for (i = 0; i < p->nservices; i++)
		for (k = 0; k < p->services[i].nports; k++) {
			const struct svc_port *sp = &p->services[i].ports[k];
			unsigned hi = sp->host_port_end ? sp->host_port_end : sp->host_port;

			if (sp->host_port && port >= sp->host_port && port <= hi &&
			    !strcmp(sp->protocol ? sp->protocol : "tcp", "tcp"))
				return true;
		}
	return false;
}

/*
 * "http(s)://HOST[:PORT]/..." -> the host and port (defaults 80/443).
 * Userinfo is refused; 0 or -1 with why set.
 */
static int url_split(char *host, size_t hsize, unsigned *port, const char *url, const char **why)
{
	const char *p, *end, *colon;
	size_t hl;
	long v;

	if (!strncmp(url, "http://", 7)) {
		p = url + 7;
		*port = 80;
	} else if (!strncmp(url, "https://", 8)) {
		p = url + 8;
		*port = 443;
	} else {
		*why = "a smoke check's URL starts with http:// or https://";
		return -1;
	}
	end = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(end - p))) {
		*why = "a smoke check's URL holds no user or password";
		return -1;
	}
	if (*p == '[') {
		colon = memchr(p, ']', (size_t)(end - p));
		if (!colon) {
			*why = "an unterminated [address]";
			return -1;
		}
		hl = (size_t)(colon - p + 1);
		colon = colon + 1 < end && colon[1] == ':' ? colon + 1 : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		hl = (size_t)((colon ? colon : end) - p);
	}
	if (!hl || hl >= hsize) {
		*why = "no host";
		return -1;
	}
	memcpy(host, p, hl);
	host[hl] = '\0';
	if (colon) {
		char *e;

		v = strtol(colon + 1, &e, 10);
		if (e != end || v < 1 || v > 65535) {
			*why = "an invalid port";
			return -1;
		}
		*port = (unsigned)v;
	}
	return 0;
}

/* A check on this host: a published port of 127.0.0.1, localhost or [::1]. */
static void finish_host(struct manifest_ctx *c, const struct smoke_check *k, size_t i)
{
	char path[MANIFEST_PATH_MAX], host[300];
	const char *why = NULL;
	unsigned port = 0;
	/* The value is not quoted back: it may hold a secret (a URL password). */
	struct mnode at = { .file = k->url_loc.file,
		            .line = k->url_loc.line,
		            .col = k->url_loc.col };
	struct mnode entry = { .file = k->loc.file, .line = k->loc.line, .col = k->loc.col };

	if (k->image || k->port || k->path) {
		snprintf(path, sizeof(path), "x-deployctl.smoke[%zu].%s", i,
		         k->image  ? "image"
		         : k->port ? "port"
		                   : "path");
		manifest_error(c, &entry, path,
		               "applies only to a check from inside a project network (service: "
		               "or network:)");
	}
	snprintf(path, sizeof(path), "x-deployctl.smoke[%zu].url", i);
	if (url_split(host, sizeof(host), &port, k->url, &why) < 0) {
		manifest_error(c, &at, path, "%s", why);
		return;
	}
	if (strcmp(host, "127.0.0.1") && strcmp(host, "localhost") && strcmp(host, "[::1]")) {
		manifest_error(c, &at, path,
		               "a smoke check runs on this host against a published port: use "
		               "127.0.0.1, localhost or [::1], not '%s' (or service: NAME to "
		               "check from inside a project network)",
		               host);
		return;
	}
	if (!port_published(c->p, port))
		manifest_error(c, &at, path,
		               "port %u is not published by any service of the project "
		               "(ports: [\"127.0.0.1:%u:...\"]), or check it from inside a "
		               "project network with service: NAME",
		               port, port);
}

/* Is s on network net? */
static bool on_network(const struct service *s, const char *net)
{
	size_t i;

	for (i = 0; i < s->nnetworks; i++)
		if (!strcmp(s->networks[i].name, net))
			return true;
	return false;
}

/* Does host name a service of p on net (its name, an alias there, or its container_name)? */
static bool host_on_network(const struct project *p, const char *net, const char *host)
{
	size_t i, k;

	for (i = 0; i < p->nservices; i++) {
		const struct service *s = &p->services[i];

		for (k = 0; k < s->nnetworks; k++) {
			const struct svc_network *n = &s->networks[k];
			size_t a;

			if (strcmp(n->name, net))
				continue;
			if (!strcmp(s->name, host) ||
			    (s->container_name && !strcmp(s->container_name, host)))
				return true;
			for (a = 0; a < n->aliases.n; a++)
				if (!strcmp(n->aliases.v[a], host))
					return true;
		}
	}
	return false;
}

/* The network the check joins: network:, else the service's first; NULL after an error. */
static const char *finish_network(struct manifest_ctx *c, const struct smoke_check *k,
                                  const struct service *s, const struct mnode *at, const char *path)
{
	if (k->service && !s) {
		manifest_error(c, at, path, "service '%s' is not defined", k->service);
		return NULL;
	}
	if (s && (s->network_mode || !s->nnetworks)) {
		manifest_error(c, at, path,
		               "service '%s' is on no project network (network_mode: %s): publish "
		               "its port on 127.0.0.1 and check that",
		               s->name, s->network_mode ? s->network_mode : "none");
		return NULL;
	}
	if (k->network && !model_res_find(c->p, RES_NETWORK, k->network)) {
		manifest_error(c, at, path, "network '%s' is not declared (networks:)", k->network);
		return NULL;
	}
	if (k->network && s && !on_network(s, k->network)) {
		manifest_error(c, at, path, "service '%s' is not on network '%s'", s->name,
		               k->network);
		return NULL;
	}
	return k->network ? k->network : s->networks[0].name;
}

/* The URL of a check from inside net: built from service:, port:, path:, or url:'s host checked. */
static int finish_url(struct manifest_ctx *c, struct smoke_check *k, const struct service *s,
                      const char *net, size_t i)
{
	char path[MANIFEST_PATH_MAX], host[300];
	struct mnode at = { .file = k->url_loc.file,
		            .line = k->url_loc.line,
		            .col = k->url_loc.col };
	const char *why = NULL;
	unsigned port = 0;
	struct buf b;

	snprintf(path, sizeof(path), "x-deployctl.smoke[%zu].url", i);
	if (k->url && (k->port || k->path)) {
		manifest_error(c, &at, path, "give url:, or port: and path:, not both");
		return 0;
	}
	if (!k->url) {
		at = (struct mnode){ .file = k->loc.file, .line = k->loc.line, .col = k->loc.col };
		snprintf(path, sizeof(path), "x-deployctl.smoke[%zu]", i);
		if (!s) /* network: without url: was reported while reading */
			return 0;
		if (!k->port) {
			manifest_error(
			        c, &at, path,
			        "a check of service '%s' needs port: (the port it listens on "
			        "in the network) or url:",
			        s->name);
			return 0;
		}
		buf_init(&b, 4096);
		buf_printf(&b, "http://%s:%lld%s", s->name, (long long)k->port,
		           k->path ? k->path : "/");
		if (!(k->url = buf_detach(&b))) {
			buf_release(&b);
			return manifest_nomem(c);
		}
		buf_release(&b);
		k->url_loc = k->loc;
		return 0;
	}
	if (url_split(host, sizeof(host), &port, k->url, &why) < 0) {
		manifest_error(c, &at, path, "%s", why);
		return 0;
	}
	if (!strncmp(host, "127.", 4) || !strcmp(host, "localhost") || !strcmp(host, "[::1]")) {
		manifest_error(c, &at, path,
		               "inside the network %s is the check's own container: use the "
		               "service's name (http://%s:PORT/...)",
		               host, s ? s->name : "SERVICE");
		return 0;
	}
	if (!host_on_network(c->p, net, host))
		manifest_error(c, &at, path, "'%s' is not a service (or alias) on network '%s'",
		               host, net);
	return 0;
}

/* A check from inside a project network: its network, URL and image. */
static int finish_net(struct manifest_ctx *c, struct smoke_check *k, size_t i)
{
	const struct service *s = k->service ? model_service_find(c->p, k->service) : NULL;
	struct mnode at = { .file = k->net_loc.file,
		            .line = k->net_loc.line,
		            .col = k->net_loc.col };
	char path[MANIFEST_PATH_MAX];
	const char *net, *image;

	snprintf(path, sizeof(path), "x-deployctl.smoke[%zu].%s", i,
	         k->service ? "service" : "network");
	if (!(net = finish_network(c, k, s, &at, path)))
		return 0;
	if (!k->network && !(k->network = strdup(net)))
		return manifest_nomem(c);
	if (!s && (k->port || k->path)) {
		manifest_error(c, &at, path, "port: and path: need service: (or give url:)");
		return 0;
	}
	if (finish_url(c, k, s, k->network, i) == ERR_NOMEM)
		return ERR_NOMEM;
	image = k->image ? k->image : c->p->smoke_image ? c->p->smoke_image : SMOKE_IMAGE_DEFAULT;
	if (!k->image && !(k->image = strdup(image)))
		return manifest_nomem(c);
	return 0;
}

int manifest_smoke_finish(struct manifest_ctx *c)
{
	size_t i;

	for (i = 0; i < c->p->nsmoke; i++) {
		struct smoke_check *k = &c->p->smoke[i];

		if (k->service || k->network) {
			if (finish_net(c, k, i) == ERR_NOMEM)
				return ERR_NOMEM;
		} else if (k->url) {
			finish_host(c, k, i);
		}
	}
	return 0;
}

/* ---- back to Compose, for `deployctl config` ---- */

void manifest_render_scrubbed(struct manifest_render *r, struct mnode *map, const char *key,
                              const char *v, const struct strv *secrets)
{
	char *copy = v ? strdup(v) : NULL;

	if (v && !copy) {
		r->nomem = true;
		return;
	}
	if (copy && secrets)
		model_scrub(copy, secrets);
	manifest_render_str(r, map, key, copy);
	free(copy);
}

static void render_smoke(struct manifest_render *r, struct mnode *x, const struct strv *secrets)
{
	struct mnode *seq = manifest_render_seq(r, x, "smoke"), *m;
	size_t i;

	for (i = 0; seq && i < r->p->nsmoke; i++) {
		const struct smoke_check *k = &r->p->smoke[i];

		if (!(m = manifest_render_map(r, seq, NULL)))
			return;
		manifest_render_str(r, m, "name", k->name);
		manifest_render_scrubbed(r, m, "url", k->url, secrets);
		manifest_render_str(r, m, "method", k->method);
		manifest_render_num(r, m, "expect_status", k->expect_status);
		manifest_render_scrubbed(r, m, "body_contains", k->body_contains, secrets);
		manifest_render_scrubbed(r, m, "header", k->header, secrets);
		manifest_render_duration(r, m, "timeout", k->timeout_ns);
		manifest_render_num(r, m, "retries", k->retries);
		manifest_render_duration(r, m, "interval", k->interval_ns);
		manifest_render_str(r, m, "service", k->service);
		manifest_render_str(r, m, "network", k->network);
		manifest_render_str(r, m, "image", k->image);
	}
}

static void render_notify(struct manifest_render *r, struct mnode *x)
{
	struct mnode *seq = manifest_render_seq(r, x, "notify"), *m, *on;
	static const char *const outcomes[] = { "succeeded", "failed", "rolled_back",
		                                "interrupted" };
	size_t i, b;

	for (i = 0; seq && i < r->p->nnotify; i++) {
		const struct notify_target *t = &r->p->notify[i];

		if (!(m = manifest_render_map(r, seq, NULL)))
			return;
		manifest_render_str(r, m, "url_env", t->url_env);
		manifest_render_str(r, m, "url_file", t->url_file);
		if (t->format == NOTIFY_COMMAND)
			manifest_render_list(r, m, "command", &t->command, true);
		else
			manifest_render_str(r, m, "format", notify_format_name(t->format));
		if (t->on == NOTIFY_ON_ALL)
			continue;
		on = manifest_render_seq(r, m, "on");
		for (b = 0; on && b < sizeof(outcomes) / sizeof(outcomes[0]); b++)
			if (t->on & (1u << b))
				manifest_render_str(r, on, NULL, outcomes[b]);
	}
}

void manifest_render_smoke(struct manifest_render *r, struct mnode *x)
{
	struct strv secrets = { 0 };

	if (!x || (!r->p->nsmoke && !r->p->nnotify))
		return;
	if (model_secrets_collect(&secrets, r->p) < 0)
		r->nomem = true;
	manifest_render_str(r, x, "smoke_image", r->p->smoke_image);
	if (r->p->nsmoke)
		render_smoke(r, x, &secrets);
	if (r->p->nnotify)
		render_notify(r, x);
	strv_free(&secrets);
}
