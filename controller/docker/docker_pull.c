/*
 * docker_pull.c - images from registries and what the daemon says about
 * itself: POST /images/create with registry credentials and its streamed
 * progress (JSON objects, one per line, failures included even under
 * HTTP 200), repo digests from image inspect, the registry's own digest
 * from GET /distribution, and GET /info.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "deployctl/docker.h"
#include "deployctl/err.h"
#include "deployctl/sig.h"
#include "docker_internal.h"

/* A pull may move gigabytes; the daemon streams progress all along. */
#define DOCKER_PULL_TIMEOUT_S 1800L
#define AUTH_HEADER           "X-Registry-Auth: "

static int nomem(struct err *err)
{
	return err_set(err, ERR_NOMEM, "out of memory");
}

/* New copy of s on one line (control characters as spaces, trailing ones dropped). */
static char *oneline_dup(const char *s)
{
	size_t n = strlen(s), i;
	char *out = malloc(n + 1);

	if (!out)
		return NULL;
	for (i = 0; i < n; i++)
		out[i] = iscntrl((unsigned char)s[i]) ? ' ' : s[i];
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return out;
}

static json_t *load_object(const char *json, size_t len, const char *what, struct err *err)
{
	json_error_t je;
	json_t *root = json_loadb(json, len, 0, &je);

	if (!json_is_object(root)) {
		err_set(err, ERR_DOCKER, "bad JSON from '%s': %s", what,
		        root ? "unexpected non-object" : je.text);
		json_decref(root);
		return NULL;
	}
	return root;
}

/* ---- the pull stream ------------------------------------------------- */

void docker_pull_stream_init(struct docker_pull_stream *s, const char *ref,
                             const struct docker_pull_progress *progress)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->line, DOCKER_PULL_LINE_MAX);
	s->ref = ref;
	s->progress = progress;
	s->percent = -1;
}

/*
 * A layer's status line into the byte counts: "Downloading" with its
 * progressDetail, and after it any status that says the download is over;
 * then the percent of all bytes known, when it changed.
 */
static void pull_percent(struct docker_pull_stream *s, json_t *o, const char *status)
{
	const char *id = json_string_value(json_object_get(o, "id"));
	json_t *d = json_object_get(o, "progressDetail");
	long long cur = json_integer_value(json_object_get(d, "current"));
	long long tot = json_integer_value(json_object_get(d, "total"));
	long long sum = 0, got = 0;
	struct docker_pull_layer *l = NULL;
	size_t i;
	int pct;

	if (!s->progress || !s->progress->percent || !id || strlen(id) >= sizeof(l->id))
		return;
	for (i = 0; i < s->nlayers && !l; i++)
		if (!strcmp(s->layers[i].id, id))
			l = &s->layers[i];
	if (!l && !strcmp(status, "Downloading") && tot > 0 &&
	    s->nlayers < DOCKER_PULL_LAYERS_MAX) {
		l = &s->layers[s->nlayers++];
		snprintf(l->id, sizeof(l->id), "%s", id);
	}
	if (!l)
		return;
	if (!strcmp(status, "Downloading") && tot > 0) {
		l->current = cur < tot ? cur : tot;
		l->total = tot;
	} else if (!strcmp(status, "Download complete") || !strcmp(status, "Pull complete") ||
	           !strcmp(status, "Extracting") || !strcmp(status, "Verifying Checksum")) {
		l->current = l->total;
	}
	for (i = 0; i < s->nlayers; i++) {
		sum += s->layers[i].total;
		got += s->layers[i].current;
	}
	pct = sum > 0 ? (int)(got * 100 / sum) : 0;
	if (pct != s->percent) {
		s->percent = pct;
		s->progress->percent(s->progress->ctx, s->ref, (unsigned)pct);
	}
}

void docker_pull_stream_release(struct docker_pull_stream *s)
{
	buf_release(&s->line);
	free(s->error);
	free(s->digest);
	s->error = NULL;
	s->digest = NULL;
}

/* "<id> <progress>" of a progress object, either part optional; NULL when neither. */
static char *progress_detail(json_t *o)
{
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *bar = json_string_value(json_object_get(o, "progress"));
	struct buf b;

	if (!(id && *id) && !(bar && *bar))
		return NULL;
	buf_init(&b, 0);
	if (buf_printf(&b, "%s%s%s", id ? id : "", id && *id && bar && *bar ? " " : "",
	               bar ? bar : "") < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* One complete line of the stream. */
static int pull_line(struct docker_pull_stream *s, const char *line, size_t len, struct err *err)
{
	const char *status, *msg;
	char *detail = NULL;
	json_t *o;
	size_t i;
	int rc = 0;

	for (i = 0; i < len && isspace((unsigned char)line[i]); i++)
		;
	if (i == len)
		return 0;
	s->lines++;
	o = load_object(line, len, "/images/create", err);
	if (!o)
		return ERR_DOCKER;
	msg = json_string_value(json_object_get(o, "error"));
	if (!msg)
		msg = json_string_value(
		        json_object_get(json_object_get(o, "errorDetail"), "message"));
	if (msg && !s->error) {
		s->error = oneline_dup(*msg ? msg : "unknown error");
		if (!s->error)
			rc = nomem(err);
		goto out;
	}
	status = json_string_value(json_object_get(o, "status"));
	if (!status)
		goto out;
	if (!strncmp(status, "Digest: ", 8) && !s->digest) {
		s->digest = strdup(status + 8);
		if (!s->digest) {
			rc = nomem(err);
			goto out;
		}
	}
	pull_percent(s, o, status);
	if (s->progress && s->progress->line) {
		detail = progress_detail(o);
		s->progress->line(s->progress->ctx, s->ref, status, detail);
	}
out:
	free(detail);
	json_decref(o);
	return rc;
}

int docker_pull_stream_feed(struct docker_pull_stream *s, const char *data, size_t len,
                            struct err *err)
{
	const char *nl;
	int rc;

	while ((nl = memchr(data, '\n', len))) {
		size_t part = (size_t)(nl - data);

		if (s->line.len) {
			if (buf_add(&s->line, data, part) < 0)
				goto toobig;
			rc = pull_line(s, s->line.ptr, s->line.len, err);
			buf_reset(&s->line);
		} else {
			if (part > DOCKER_PULL_LINE_MAX)
				goto toobig;
			rc = pull_line(s, data, part, err);
		}
		if (rc < 0)
			return rc;
		data = nl + 1;
		len -= part + 1;
	}
	if (len && buf_add(&s->line, data, len) < 0)
		goto toobig;
	return 0;
toobig:
	if (!s->line.toobig)
		return nomem(err);
	return err_set(err, ERR_DOCKER,
	               "docker: pull '%s': a progress line is longer than %u bytes", s->ref,
	               (unsigned)DOCKER_PULL_LINE_MAX);
}

int docker_pull_stream_finish(struct docker_pull_stream *s, struct err *err)
{
	int rc = 0;

	if (s->line.len)
		rc = pull_line(s, s->line.ptr, s->line.len, err);
	buf_reset(&s->line);
	return rc;
}

struct pull_sink {
	struct docker_pull_stream *stream;
	struct err *err;
};

static int pull_sink(void *ctx, const char *data, size_t len)
{
	struct pull_sink *p = ctx;

	/* A pull can take many minutes: SIGINT/SIGTERM end it (the transfer is aborted). */
	if (sig_pending())
		return err_set(p->err, ERR_STOPPED, "docker: pull '%s': interrupted by %s",
		               p->stream->ref, sig_name(sig_pending()));
	return docker_pull_stream_feed(p->stream, data, len, p->err);
}

/* ---- decoders --------------------------------------------------------- */

int docker_decode_image_digest(char **id_out, char **digest_out, const char *json, const char *repo,
                               struct err *err)
{
	json_t *root = load_object(json, strlen(json), "/images/{name}/json", err), *v;
	const char *id, *rd;
	char *id_new = NULL, *digest = NULL;
	size_t i, rlen = strlen(repo);
	int rc = 0;

	if (!root)
		return ERR_DOCKER;
	id = json_string_value(json_object_get(root, "Id"));
	if (!id) {
		rc = err_set(err, ERR_DOCKER, "bad JSON from '/images/{name}/json': no Id");
		goto out;
	}
	json_array_foreach(json_object_get(root, "RepoDigests"), i, v)
	{
		rd = json_string_value(v);
		if (rd && !strncmp(rd, repo, rlen) && rd[rlen] == '@') {
			digest = strdup(rd);
			if (!digest)
				rc = nomem(err);
			break;
		}
	}
	if (rc == 0 && id_out && !(id_new = strdup(id)))
		rc = nomem(err);
	if (rc < 0)
		goto out;
	if (id_out) {
		*id_out = id_new;
		id_new = NULL;
	}
	if (digest_out) {
		*digest_out = digest;
		digest = NULL;
	}
out:
	free(id_new);
	free(digest);
	json_decref(root);
	return rc;
}

int docker_decode_distribution(char **digest_out, const char *json, struct err *err)
{
	json_t *root = load_object(json, strlen(json), "/distribution/{name}/json", err);
	const char *digest;
	int rc = 0;

	if (!root)
		return ERR_DOCKER;
	digest = json_string_value(json_object_get(json_object_get(root, "Descriptor"), "digest"));
	if (!digest || strncmp(digest, "sha256:", 7))
		rc = err_set(err, ERR_DOCKER,
		             "bad JSON from '/distribution/{name}/json': no Descriptor.digest");
	else if (!(*digest_out = strdup(digest)))
		rc = nomem(err);
	json_decref(root);
	return rc;
}

void docker_info_release(struct docker_info *i)
{
	if (!i)
		return;
	free(i->server_version);
	free(i->root_dir);
	free(i->os);
	memset(i, 0, sizeof(*i));
}

static int dup_member(char **out, json_t *o, const char *key, struct err *err)
{
	const char *s = json_string_value(json_object_get(o, key));

	*out = NULL;
	if (s && !(*out = strdup(s)))
		return nomem(err);
	return 0;
}

int docker_decode_info(struct docker_info *out, const char *json, struct err *err)
{
	json_t *root = load_object(json, strlen(json), "/info", err);
	struct docker_info i = { 0 };
	const char *swarm;
	int rc;

	if (!root)
		return ERR_DOCKER;
	rc = dup_member(&i.server_version, root, "ServerVersion", err);
	if (rc == 0)
		rc = dup_member(&i.root_dir, root, "DockerRootDir", err);
	if (rc == 0)
		rc = dup_member(&i.os, root, "OperatingSystem", err);
	if (rc == 0 && !i.server_version)
		rc = err_set(err, ERR_DOCKER, "bad JSON from '/info': no ServerVersion");
	if (rc == 0) {
		swarm = json_string_value(
		        json_object_get(json_object_get(root, "Swarm"), "LocalNodeState"));
		i.swarm_active = swarm && !strcmp(swarm, "active");
		*out = i;
		memset(&i, 0, sizeof(i));
	}
	docker_info_release(&i);
	json_decref(root);
	return rc;
}

/* ---- calls ------------------------------------------------------------ */

int docker_info(struct docker_info *out, struct docker *d, struct err *err)
{
	struct buf resp;
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	rc = docker_call(&resp, d, "GET", "/info", NULL, 0, "info", err);
	if (rc == 0)
		rc = docker_decode_info(out, resp.ptr, err);
	buf_release(&resp);
	return rc;
}

/*
 * The X-Registry-Auth header line for ref into hdr, or, when the config has
 * no credentials for its registry, a note for messages into anon.
 */
static int auth_header(struct buf *hdr, struct buf *anon, const char *ref, struct err *err)
{
	struct buf where;
	char *auth = NULL;
	int rc;

	buf_init(&where, 0);
	rc = docker_auth_for_ref(&auth, &where, ref, err);
	if (rc < 0)
		goto out;
	if (auth && buf_printf(hdr, AUTH_HEADER "%s", auth) < 0)
		rc = nomem(err);
	else if (!auth && buf_printf(anon, " (no credentials for its registry in '%s')",
	                             where.len ? where.ptr : "~/.docker/config.json") < 0)
		rc = nomem(err);
out:
	docker_auth_free(auth);
	buf_release(&where);
	return rc;
}

static void buf_wipe_release(struct buf *b)
{
	volatile char *p = b->ptr;
	size_t i;

	for (i = 0; i < b->len; i++)
		p[i] = '\0';
	buf_release(b);
}

/* Causes of a failed pull that are about reaching the registry, by the daemon's words. */
static const struct {
	const char *needle;
	const char *cause;
} pull_causes[] = {
	{ "no such host", "does not resolve (no such host)" },
	{ "server misbehaving", "does not resolve (the DNS server failed)" },
	{ "Temporary failure in name resolution", "does not resolve (DNS unavailable)" },
	{ "connection refused", "refuses connections" },
	{ "no route to host", "cannot be reached (no route to host)" },
	{ "network is unreachable", "cannot be reached (network unreachable)" },
	{ "i/o timeout", "does not answer (timed out)" },
	{ "TLS handshake timeout", "does not answer (TLS handshake timed out)" },
	{ "Client.Timeout exceeded", "does not answer (timed out)" },
};

const char *docker_pull_cause(const char *msg)
{
	size_t i;

	for (i = 0; msg && i < sizeof(pull_causes) / sizeof(pull_causes[0]); i++)
		if (strstr(msg, pull_causes[i].needle))
			return pull_causes[i].cause;
	return NULL;
}

/*
 * The error of a failed pull: the registry that cannot be reached when the
 * daemon's message says so, else the credentials note (anon) when none
 * were sent — a missing login is no explanation for a name that does not
 * resolve.
 */
static int pull_fail(struct err *err, int code, const char *what, const char *ref, const char *anon,
                     const char *msg)
{
	const char *cause = docker_pull_cause(msg);
	char *registry = NULL;
	struct err ignored = ERR_INIT;
	int rc;

	if (!cause)
		return err_set(err, code, "docker: %s%s: %s", what, anon, msg);
	docker_ref_parse(&registry, NULL, NULL, ref, &ignored);
	rc = err_set(err, code, "docker: %s: registry '%s' %s: %s", what, registry ? registry : "?",
	             cause, msg);
	free(registry);
	return rc;
}

/*
 * docker_http_check() for a registry call ("pull 'x'", "look up 'x' in its
 * registry"), its failure worded by pull_fail().
 */
static int registry_check(struct err *err, long status, const struct buf *resp, const char *what,
                          const char *ref, const char *anon)
{
	static const char prefix[] = "docker: : ";
	struct err herr = ERR_INIT;

	if (docker_http_check(status, resp, "", &herr) == 0)
		return 0;
	/* herr.msg is "docker: : <the daemon's message>" */
	return pull_fail(err, herr.code, what, ref, anon,
	                 strncmp(herr.msg, prefix, sizeof(prefix) - 1)
	                         ? herr.msg
	                         : herr.msg + sizeof(prefix) - 1);
}

/*
 * A call that reaches a registry through the daemon: its path, the
 * X-Registry-Auth header (wiped after), the note for an anonymous call and
 * the answer.
 */
struct reg_call {
	struct buf path, hdr, anon, resp;
	const char *headers[2];
};

/* Set c up for ref (its credentials looked up); reg_call_release() it either way. */
static int reg_call_init(struct reg_call *c, const char *ref, struct err *err)
{
	memset(c->headers, 0, sizeof(c->headers));
	buf_init(&c->path, 0);
	buf_init(&c->hdr, 0);
	buf_init(&c->anon, 0);
	buf_init(&c->resp, DOCKER_RESPONSE_CAP);
	return auth_header(&c->hdr, &c->anon, ref, err);
}

/* Send req to c->path with c's header; the answer in c->resp. */
static int reg_call_send(long *status, struct reg_call *c, struct docker *d, struct docker_req *req,
                         struct err *err)
{
	c->headers[0] = c->hdr.len ? c->hdr.ptr : NULL;
	req->path = c->path.ptr;
	req->headers = c->headers;
	return docker_request_ex(status, &c->resp, d, req, err);
}

static void reg_call_release(struct reg_call *c)
{
	buf_wipe_release(&c->hdr);
	buf_release(&c->anon);
	buf_release(&c->resp);
	buf_release(&c->path);
}

/* POST /images/create for ref, streaming; ERR_DOCKER with the registry's message. */
static int pull_request(char **stream_digest, struct docker *d, const char *ref, const char *repo,
                        const char *tag, const struct docker_pull_progress *progress,
                        struct err *err)
{
	struct docker_pull_stream stream;
	struct pull_sink sink = { &stream, err };
	struct reg_call c;
	struct docker_req req = { .method = "POST",
		                  .timeout_s = DOCKER_PULL_TIMEOUT_S,
		                  .sink = pull_sink,
		                  .sink_ctx = &sink };
	char what[600];
	long status = 0;
	int rc;

	docker_pull_stream_init(&stream, ref, progress);
	rc = reg_call_init(&c, ref, err);
	if (rc < 0)
		goto out;
	if (buf_puts(&c.path, "/images/create?fromImage=") < 0 ||
	    docker_urlencode(&c.path, repo) < 0 || buf_puts(&c.path, "&tag=") < 0 ||
	    docker_urlencode(&c.path, tag) < 0) {
		rc = nomem(err);
		goto out;
	}
	rc = reg_call_send(&status, &c, d, &req, err);
	/* A pull that finds nothing is a registry failure (ERR_DOCKER), not a missing object. */
	snprintf(what, sizeof(what), "pull '%s'", ref);
	if (rc == 0)
		rc = registry_check(err, status == 404 ? 500 : status, &c.resp, what, ref,
		                    c.anon.ptr);
	if (rc == 0)
		rc = docker_pull_stream_finish(&stream, err);
	if (rc < 0) {
		goto out;
	}
	if (stream.error) {
		rc = pull_fail(err, ERR_DOCKER, what, ref, c.anon.ptr, stream.error);
		goto out;
	}
	*stream_digest = stream.digest;
	stream.digest = NULL;
out:
	docker_pull_stream_release(&stream);
	reg_call_release(&c);
	return rc;
}

int docker_image_pull(char **id_out, char **digest_out, struct docker *d, const char *ref,
                      const struct docker_pull_progress *progress, struct err *err)
{
	char *repo = NULL, *tag = NULL, *pulled = NULL, *id = NULL, *digest = NULL;
	struct buf resp;
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	rc = docker_ref_parse(NULL, &repo, &tag, ref, err);
	if (rc == 0)
		rc = pull_request(&pulled, d, ref, repo, tag, progress, err);
	if (rc == 0)
		rc = docker_image_inspect_raw(&resp, d, ref, false, err);
	if (rc == 0)
		rc = docker_decode_image_digest(&id, &digest, resp.ptr, repo, err);
	if (rc < 0)
		goto out;
	/* The digest just pulled wins over an older one the image may also carry. */
	if (pulled) {
		free(digest);
		digest = NULL;
		buf_reset(&resp);
		if (buf_printf(&resp, "%s@%s", repo, pulled) < 0 || !(digest = buf_detach(&resp))) {
			rc = nomem(err);
			goto out;
		}
	}
	if (!digest) {
		rc = err_set(err, ERR_DOCKER, "docker: pull '%s': the image has no repo digest",
		             ref);
		goto out;
	}
	*id_out = id;
	*digest_out = digest;
	id = NULL;
	digest = NULL;
out:
	free(id);
	free(digest);
	free(pulled);
	free(repo);
	free(tag);
	buf_release(&resp);
	return rc;
}

int docker_image_digest(char **out, struct docker *d, const char *ref, struct err *err)
{
	char *repo = NULL;
	struct buf resp;
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	rc = docker_ref_parse(NULL, &repo, NULL, ref, err);
	if (rc == 0)
		rc = docker_image_inspect_raw(&resp, d, ref, false, err);
	if (rc == 0)
		rc = docker_decode_image_digest(NULL, out, resp.ptr, repo, err);
	free(repo);
	buf_release(&resp);
	return rc;
}

int docker_image_remote(char **digest_out, struct docker *d, const char *ref, struct err *err)
{
	struct reg_call c;
	struct docker_req req = { .method = "GET" };
	char what[600];
	long status = 0;
	int rc;

	rc = reg_call_init(&c, ref, err);
	if (rc < 0)
		goto out;
	if (buf_puts(&c.path, "/distribution/") < 0 ||
	    docker_path_encode(&c.path, ref, "/:@") < 0 || buf_puts(&c.path, "/json") < 0) {
		rc = nomem(err);
		goto out;
	}
	snprintf(what, sizeof(what), "look up '%s' in its registry", ref);
	rc = reg_call_send(&status, &c, d, &req, err);
	if (rc == 0)
		rc = registry_check(err, status, &c.resp, what, ref, c.anon.ptr);
	if (rc == 0)
		rc = docker_decode_distribution(digest_out, c.resp.ptr, err);
out:
	reg_call_release(&c);
	return rc;
}
