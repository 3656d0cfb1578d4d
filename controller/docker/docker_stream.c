/*
 * docker_stream.c - the Engine's long-lived streams: a container's or a Swarm service's logs
 * (followed until cancelled), and an exec attached to the caller's
 * terminal or pipes. Without a TTY both come multiplexed: each chunk
 * behind an 8-byte header (stream, 0, 0, 0, big-endian length) that may be
 * split anywhere across reads; docker_demux undoes it.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/docker_swarm_ops.h"
#include "docker_internal.h"

void docker_demux_init(struct docker_demux *m, int raw)
{
	memset(m, 0, sizeof(*m));
	m->raw = raw;
}

static bool header_ok(const unsigned char *h)
{
	return h[0] <= 2 && !h[1] && !h[2] && !h[3];
}

int docker_demux_feed(struct docker_demux *m, const char *data, size_t len, docker_output_fn out,
                      void *ctx)
{
	int rc;

	while (len) {
		if (m->raw == 1)
			return out(ctx, DOCKER_STDOUT, data, len);
		if (m->left) {
			size_t n = len < m->left ? len : m->left;

			rc = out(ctx, m->stream, data, n);
			if (rc < 0)
				return rc;
			m->left -= n;
			data += n;
			len -= n;
			continue;
		}
		m->hdr[m->hlen++] = (unsigned char)*data++;
		len--;
		if (m->hlen < 8)
			continue;
		m->hlen = 0;
		if (!header_ok(m->hdr)) {
			if (m->raw == 0)
				return ERR_DOCKER; /* framed, and this is no frame header */
			/* Unknown and not a header: the container has a TTY, the stream is raw. */
			m->raw = 1;
			rc = out(ctx, DOCKER_STDOUT, (const char *)m->hdr, 8);
			if (rc < 0)
				return rc;
			continue;
		}
		m->raw = 0;
		m->stream = m->hdr[0] == 2 ? DOCKER_STDERR : DOCKER_STDOUT;
		m->left = ((size_t)m->hdr[4] << 24) | ((size_t)m->hdr[5] << 16) |
		          ((size_t)m->hdr[6] << 8) | m->hdr[7];
	}
	return 0;
}

int docker_demux_finish(struct docker_demux *m, docker_output_fn out, void *ctx)
{
	size_t n = m->hlen;

	m->hlen = 0;
	/* A raw stream shorter than one header: what was held back is output. */
	if (n && m->raw != 0)
		return out(ctx, DOCKER_STDOUT, (const char *)m->hdr, n);
	return 0;
}

struct logs_sink {
	struct docker_demux demux;
	docker_output_fn out;
	void *ctx;
	struct err *err;
};

static int logs_feed(void *arg, const char *data, size_t len)
{
	struct logs_sink *s = arg;
	int rc = docker_demux_feed(&s->demux, data, len, s->out, s->ctx);

	if (rc == ERR_DOCKER)
		return err_set(s->err, ERR_DOCKER, "docker: logs: bad stream frame header");
	if (rc < 0)
		return s->err->code ? rc : err_set(s->err, rc, "cannot write the logs");
	return 0;
}

static int stream_path(struct buf *b, const char *a, const char *id, const char *c)
{
	if (buf_puts(b, a) < 0 || docker_urlencode(b, id) < 0 || buf_puts(b, c) < 0)
		return ERR_NOMEM;
	return 0;
}

/* GET <kind><id>/logs: a container's, or a Swarm service's tasks' (the same framing). */
static int logs_of(struct docker *d, const char *kind, const char *id,
                   const struct docker_logs_opts *o, docker_output_fn out, void *ctx,
                   struct err *err)
{
	struct logs_sink sink = { .out = out, .ctx = ctx, .err = err };
	struct docker_req req = { .method = "GET", .sink = logs_feed, .sink_ctx = &sink };
	struct buf path, resp;
	long status = 0;
	int rc;

	docker_demux_init(&sink.demux, -1);
	buf_init(&path, 0);
	buf_init(&resp, DOCKER_RESPONSE_CAP);
	if (stream_path(&path, kind, id, "/logs?stdout=1&stderr=1") < 0 ||
	    (o->follow && buf_puts(&path, "&follow=1") < 0) ||
	    (o->timestamps && buf_puts(&path, "&timestamps=1") < 0) ||
	    (o->tail && (buf_puts(&path, "&tail=") < 0 || docker_urlencode(&path, o->tail) < 0)) ||
	    (o->since &&
	     (buf_puts(&path, "&since=") < 0 || docker_urlencode(&path, o->since) < 0))) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	req.path = path.ptr;
	if (o->follow) {
		req.timeout_s = -1;
		req.cancel = o->cancel;
	}
	rc = docker_request_ex(&status, &resp, d, &req, err);
	if (rc == 0)
		rc = docker_http_check(status, &resp, "logs", err);
	if (rc == 0 && docker_demux_finish(&sink.demux, out, ctx) < 0)
		rc = err_set(err, ERR_IO, "cannot write the logs");
out:
	buf_release(&resp);
	buf_release(&path);
	return rc;
}

int docker_container_logs(struct docker *d, const char *id, const struct docker_logs_opts *o,
                          docker_output_fn out, void *ctx, struct err *err)
{
	return logs_of(d, "/containers/", id, o, out, ctx, err);
}

int docker_service_logs(struct docker *d, const char *id, const struct docker_logs_opts *o,
                        docker_output_fn out, void *ctx, struct err *err)
{
	return logs_of(d, "/services/", id, o, out, ctx, err);
}

int docker_exec_attach(int *fd_out, struct buf *pending, char **exec_id_out, struct docker *d,
                       const char *id, const struct docker_exec_opts *o, struct err *err)
{
	struct buf path;
	char *exec_id = NULL;
	int rc;

	buf_init(&path, 0);
	rc = docker_exec_create(&exec_id, d, id, o, true, err);
	if (rc < 0)
		goto out;
	if (stream_path(&path, "/exec/", exec_id, "/start") < 0) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = docker_hijack(fd_out, pending, d, path.ptr,
	                   o->tty ? "{\"Detach\":false,\"Tty\":true}"
	                          : "{\"Detach\":false,\"Tty\":false}",
	                   "exec start", err);
	if (rc < 0)
		goto out;
	*exec_id_out = exec_id;
	exec_id = NULL;
out:
	free(exec_id);
	buf_release(&path);
	return rc;
}

int docker_exec_resize(struct docker *d, const char *exec_id, unsigned rows, unsigned cols,
                       struct err *err)
{
	struct buf resp, path;
	char q[64];
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	buf_init(&path, 0);
	snprintf(q, sizeof(q), "/resize?h=%u&w=%u", rows, cols);
	rc = stream_path(&path, "/exec/", exec_id, q) < 0 ? err_set(err, ERR_NOMEM, "out of memory")
	                                                  : 0;
	if (rc == 0)
		rc = docker_call(&resp, d, "POST", path.ptr, NULL, 0, "exec resize", err);
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

int docker_exec_inspect(int *exit_code, bool *running, struct docker *d, const char *exec_id,
                        struct err *err)
{
	struct buf resp, path;
	json_t *root = NULL, *code;
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	buf_init(&path, 0);
	rc = stream_path(&path, "/exec/", exec_id, "/json") < 0
	             ? err_set(err, ERR_NOMEM, "out of memory")
	             : 0;
	if (rc == 0)
		rc = docker_call(&resp, d, "GET", path.ptr, NULL, 0, "exec inspect", err);
	if (rc < 0)
		goto out;
	root = json_loads(resp.ptr, 0, NULL);
	code = json_object_get(root, "ExitCode");
	if (!root) {
		rc = err_set(err, ERR_DOCKER, "docker: exec inspect: bad JSON");
		goto out;
	}
	*running = json_is_true(json_object_get(root, "Running"));
	*exit_code = json_is_integer(code) ? (int)json_integer_value(code) : -1;
out:
	json_decref(root);
	buf_release(&path);
	buf_release(&resp);
	return rc;
}
