/*
 * docker_events.c - GET /events, followed: the Engine streams one JSON
 * object per line for as long as the connection stays open. The watcher
 * uses it to learn that a container of a project died, was removed or was
 * changed by hand the moment it happens, instead of by polling.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/docker.h"
#include "docker_internal.h"

/* Longest single event line kept; real ones are a few hundred bytes. */
#define DOCKER_EVENT_LINE_MAX (256u << 10)

void docker_event_stream_init(struct docker_event_stream *s, const struct docker_event_sink *sink)
{
	buf_init(&s->line, DOCKER_EVENT_LINE_MAX);
	s->sink = sink;
}

void docker_event_stream_release(struct docker_event_stream *s)
{
	buf_release(&s->line);
}

static const char *attr(json_t *attrs, const char *key)
{
	const char *v = json_string_value(json_object_get(attrs, key));

	return v ? v : "";
}

/* A decimal exit code as the Engine writes it ("137"); -1 if it is not one. */
static int atoi_like(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *end || v < 0 || v > 255 ? -1 : (int)v;
}

static int event_line(struct docker_event_stream *s, const char *line, size_t len, struct err *err)
{
	struct docker_event ev = { 0 };
	json_error_t jerr;
	json_t *root, *actor, *attrs;
	const char *type, *replica;

	if (!len)
		return 0;
	root = json_loadb(line, len, 0, &jerr);
	if (!json_is_object(root)) {
		json_decref(root);
		return err_set(err, ERR_DOCKER, "bad JSON from '/events': %s", jerr.text);
	}
	type = json_string_value(json_object_get(root, "Type"));
	actor = json_object_get(root, "Actor");
	attrs = json_object_get(actor, "Attributes");
	ev.action = json_string_value(json_object_get(root, "Action"));
	ev.id = json_string_value(json_object_get(actor, "ID"));
	ev.project = attr(attrs, LABEL_PROJECT);
	if (type && !strcmp(type, "container") && ev.action && ev.id && *ev.project) {
		ev.name = attr(attrs, "name");
		ev.service = attr(attrs, LABEL_SERVICE);
		replica = attr(attrs, LABEL_REPLICA);
		ev.replica = (unsigned)strtoul(replica, NULL, 10);
		ev.time = (int64_t)json_integer_value(json_object_get(root, "time"));
		ev.exit_code = *attr(attrs, "exitCode") ? atoi_like(attr(attrs, "exitCode")) : -1;
		s->sink->event(s->sink->ctx, &ev);
	}
	json_decref(root);
	return 0;
}

int docker_event_stream_feed(struct docker_event_stream *s, const char *data, size_t len,
                             struct err *err)
{
	const char *nl;
	int rc;

	while (len) {
		nl = memchr(data, '\n', len);
		if (!nl) {
			if (buf_add(&s->line, data, len) < 0)
				return err_set(err, ERR_DOCKER,
				               "an event from '/events' is too long");
			return 0;
		}
		if (buf_add(&s->line, data, (size_t)(nl - data)) < 0)
			return err_set(err, ERR_DOCKER, "an event from '/events' is too long");
		rc = event_line(s, s->line.ptr, s->line.len, err);
		buf_reset(&s->line);
		if (rc < 0)
			return rc;
		len -= (size_t)(nl - data) + 1;
		data = nl + 1;
	}
	return 0;
}

struct events_ctx {
	struct docker_event_stream stream;
	struct err *err;
};

static int events_sink(void *ctx, const char *data, size_t len)
{
	struct events_ctx *c = ctx;

	return docker_event_stream_feed(&c->stream, data, len, c->err);
}

static bool events_cancelled(void *ctx)
{
	struct events_ctx *c = ctx;

	return c->stream.sink->cancelled(c->stream.sink->ctx);
}

/* filters (taken; NULL: out of memory) as JSON, URL-encoded, appended to path. */
static int filters_append(struct buf *path, json_t *filters)
{
	char *text = filters ? json_dumps(filters, JSON_COMPACT) : NULL;
	int rc = text && docker_urlencode(path, text) == 0 ? 0 : ERR_NOMEM;

	free(text);
	json_decref(filters);
	return rc;
}

int docker_events_follow(struct docker *d, const struct docker_event_sink *sink, struct err *err)
{
	struct events_ctx c = { .err = err };
	struct docker_req req = { .method = "GET", .sink = events_sink, .sink_ctx = &c };
	struct buf path, resp;
	long status = 0;
	int rc;

	buf_init(&path, 0);
	buf_init(&resp, 1u << 20);
	docker_event_stream_init(&c.stream, sink);
	req.cancelled = events_cancelled;
	/* A day, then the caller reconnects; cancelled() is what ends it sooner. */
	req.timeout_s = 24L * 3600;
	if (buf_puts(&path, "/events?filters=") < 0 ||
	    filters_append(&path, json_pack("{s:[s],s:[s]}", "type", "container", "label",
	                                    LABEL_PROJECT)) < 0) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	req.path = path.ptr;
	rc = docker_request_ex(&status, &resp, d, &req, err);
	if (rc == ERR_FAIL && sink->cancelled(sink->ctx)) {
		err_clear(err);
		rc = 0;
		goto out;
	}
	if (rc == 0)
		rc = docker_http_check(status, &resp, "follow events", err);
	/* The stream ended without a cancel: the daemon went away or restarted. */
	if (rc == 0 && !sink->cancelled(sink->ctx))
		rc = err_set(err, ERR_UNREACHABLE, "docker closed the events stream");
out:
	docker_event_stream_release(&c.stream);
	buf_release(&resp);
	buf_release(&path);
	return rc;
}

struct die_ctx {
	struct docker_event_stream stream;
	struct err *err;
	bool died;
	int exit_code;
};

static void die_event(void *ctx, const struct docker_event *ev)
{
	struct die_ctx *c = ctx;

	if (!strcmp(ev->action, "die")) {
		c->died = true;
		c->exit_code = ev->exit_code;
	}
}

static bool die_never_cancelled(void *ctx)
{
	(void)ctx;
	return false;
}

static int die_sink(void *ctx, const char *data, size_t len)
{
	struct die_ctx *c = ctx;
	int rc = docker_event_stream_feed(&c->stream, data, len, c->err);

	if (rc < 0)
		return rc;
	/* Seen: the rest of the window is not waited for. */
	if (c->died)
		return err_set(c->err, ERR_FAIL, "died");
	return 0;
}

int docker_container_wait_die(bool *died, int *exit_code, struct docker *d, const char *id,
                              double since_s, double until_s, struct err *err)
{
	struct docker_event_sink sink = { die_event, die_never_cancelled, NULL };
	struct err e = ERR_INIT; /* the sink's "died" must not reach err */
	struct die_ctx c = { .err = &e };
	struct docker_req req = { .method = "GET", .sink = die_sink, .sink_ctx = &c };
	struct buf path, resp;
	long status = 0;
	int rc;

	*died = false;
	*exit_code = -1;
	sink.ctx = &c;
	buf_init(&path, 0);
	buf_init(&resp, 1u << 16);
	docker_event_stream_init(&c.stream, &sink);
	/* The Engine holds the stream open until `until`; a little slack past it. */
	req.timeout_s = (long)(until_s - since_s) + DOCKER_TIMEOUT_S;
	if (buf_printf(&path, "/events?since=%.9f&until=%.9f&filters=", since_s, until_s) < 0 ||
	    filters_append(&path, json_pack("{s:[s],s:[s],s:[s]}", "type", "container", "container",
	                                    id, "event", "die")) < 0) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	req.path = path.ptr;
	rc = docker_request_ex(&status, &resp, d, &req, &e);
	if (c.died) {
		/* The sink ended the transfer on purpose. */
		*died = true;
		*exit_code = c.exit_code;
		rc = 0;
		goto out;
	}
	if (rc < 0) {
		rc = err_set(err, e.code ? e.code : rc, "%s", e.msg);
		goto out;
	}
	rc = docker_http_check(status, &resp, "watch for its exit", err);
out:
	docker_event_stream_release(&c.stream);
	buf_release(&resp);
	buf_release(&path);
	return rc;
}
