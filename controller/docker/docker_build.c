/*
 * docker_build.c - POST /build: a context tar in, a stream of JSON lines out
 * ({"stream": ...} output, {"aux": {"ID": ...}} the image, {"error": ...} a
 * failed step), parsed as it arrives.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "deployctl/docker.h"
#include "docker_internal.h"

#define DOCKER_BUILD_TIMEOUT_S 1800

static int build_line(struct docker_build_stream *s, const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr), *v;
	const char *str;
	int rc = 0;

	if (!j)
		return 0; /* not ours to judge: the Engine's output only */
	if ((str = json_string_value(json_object_get(j, "stream"))) && s->b->line) {
		char one[4096];
		size_t n = strcspn(str, "\n");

		snprintf(one, sizeof(one), "%.*s", (int)n, str);
		if (*one)
			s->b->line(s->b->ctx, one);
	}
	v = json_object_get(json_object_get(j, "aux"), "ID");
	if (json_is_string(v)) {
		free(s->id);
		s->id = strdup(json_string_value(v));
		rc = s->id ? 0 : ERR_NOMEM;
	}
	if ((str = json_string_value(json_object_get(j, "error"))) && !s->error) {
		s->error = strdup(str);
		rc = s->error ? 0 : ERR_NOMEM;
	}
	json_decref(j);
	return rc;
}

void docker_build_stream_init(struct docker_build_stream *s, const struct docker_build *b,
                              struct err *err)
{
	memset(s, 0, sizeof(*s));
	s->b = b;
	s->err = err;
	buf_init(&s->line, DOCKER_BUILD_LINE_MAX);
}

void docker_build_stream_release(struct docker_build_stream *s)
{
	free(s->id);
	free(s->error);
	s->id = s->error = NULL;
	buf_release(&s->line);
}

int docker_build_stream_feed(void *ctx, const char *data, size_t len)
{
	struct docker_build_stream *s = ctx;
	size_t i;

	for (i = 0; i < len; i++) {
		if (data[i] != '\n') {
			if (buf_putc(&s->line, data[i]) < 0)
				return err_set(s->err, ERR_DOCKER,
				               "build output line longer than %u bytes",
				               DOCKER_BUILD_LINE_MAX);
			continue;
		}
		if (s->line.len && build_line(s, s->line.ptr) < 0)
			return err_set(s->err, ERR_NOMEM, "out of memory");
		buf_reset(&s->line);
	}
	return 0;
}

int docker_build_stream_finish(struct docker_build_stream *s)
{
	if (s->line.len && build_line(s, s->line.ptr) < 0)
		return err_set(s->err, ERR_NOMEM, "out of memory");
	buf_reset(&s->line);
	return 0;
}

/* {"k": "v", ...} of a kvv, URL-encoded onto path as &name=... */
static int kvv_param(struct buf *path, const char *name, const struct kvv *k)
{
	json_t *o = json_object();
	char *text;
	size_t i;
	int rc;

	for (i = 0; o && k && i < k->n; i++)
		if (json_object_set_new(o, k->v[i].key, json_string(k->v[i].value)) < 0)
			break;
	text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	if (!text)
		return ERR_NOMEM;
	rc = buf_printf(path, "&%s=", name) < 0 || docker_urlencode(path, text) < 0 ? ERR_NOMEM : 0;
	free(text);
	return rc;
}

int docker_image_build(char **id, struct docker *d, const char *tar, size_t len,
                       const struct docker_build *b, struct err *err)
{
	static const char *const headers[] = { "Content-Type: application/x-tar", NULL };
	struct docker_build_stream s;
	struct docker_req req = { .method = "POST", .timeout_s = DOCKER_BUILD_TIMEOUT_S };
	struct buf path, resp;
	long status = 0;
	size_t i;
	int rc;

	buf_init(&path, 0);
	buf_init(&resp, DOCKER_RESPONSE_CAP);
	docker_build_stream_init(&s, b, err);
	rc = buf_puts(&path, "/build?rm=1&forcerm=1") < 0 ? ERR_NOMEM : 0;
	for (i = 0; !rc && b->tags && b->tags[i]; i++)
		rc = buf_puts(&path, "&t=") < 0 || docker_urlencode(&path, b->tags[i]) < 0
		             ? ERR_NOMEM
		             : 0;
	if (!rc && b->dockerfile)
		rc = buf_puts(&path, "&dockerfile=") < 0 ||
		                     docker_urlencode(&path, b->dockerfile) < 0
		             ? ERR_NOMEM
		             : 0;
	if (!rc && b->target)
		rc = buf_puts(&path, "&target=") < 0 || docker_urlencode(&path, b->target) < 0
		             ? ERR_NOMEM
		             : 0;
	if (!rc)
		rc = kvv_param(&path, "buildargs", b->args);
	if (!rc)
		rc = kvv_param(&path, "labels", b->labels);
	if (rc) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	req.path = path.ptr;
	req.body = tar;
	req.body_len = len;
	req.headers = headers;
	req.sink = docker_build_stream_feed;
	req.sink_ctx = &s;
	rc = docker_request_ex(&status, &resp, d, &req, err);
	if (rc == 0)
		rc = docker_http_check(status, &resp, "build", err);
	if (rc == 0)
		rc = docker_build_stream_finish(&s);
	if (rc < 0)
		goto out;
	if (s.error) {
		rc = err_set(err, ERR_DOCKER, "build failed: %s", s.error);
		goto out;
	}
	if (!s.id) {
		rc = err_set(err, ERR_DOCKER, "build: the Engine named no image");
		goto out;
	}
	*id = s.id;
	s.id = NULL;
out:
	docker_build_stream_release(&s);
	buf_release(&resp);
	buf_release(&path);
	return rc;
}
