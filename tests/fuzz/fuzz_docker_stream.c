/*
 * fuzz_docker_stream.c - the Engine's streams, fed as the socket delivers
 * them, in chunks that split lines and frames anywhere: the first byte
 * picks the stream (GET /events, the pull progress of POST /images/create,
 * the build output of POST /build, a framed or raw log/exec stream), the
 * second the chunk size, the rest is the stream.
 */
#include "docker_internal.h"
#include "fuzz.h"

static void on_event(void *ctx, const struct docker_event *ev)
{
	size_t *n = ctx;

	*n += strlen(ev->action) + strlen(ev->id) + strlen(ev->name) + strlen(ev->service);
}

static void on_pull(void *ctx, const char *ref, const char *status, const char *detail)
{
	size_t *n = ctx;

	*n += strlen(ref) + (status ? strlen(status) : 0) + (detail ? strlen(detail) : 0);
}

static void on_build(void *ctx, const char *text)
{
	size_t *n = ctx;

	*n += strlen(text);
}

static int on_output(void *ctx, int stream, const char *data, size_t len)
{
	size_t *n = ctx;

	if (len)
		*n += (size_t)stream + (unsigned char)data[len - 1];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t seen = 0, chunk, off;
	struct err err = ERR_INIT;
	const char *body;
	int kind, rc = 0;

	if (size < 2)
		return 0;
	kind = data[0] % 5;
	chunk = (size_t)data[1] + 1;
	body = (const char *)data + 2;
	size -= 2;
	if (kind == 0) {
		struct docker_event_sink sink = { .event = on_event, .ctx = &seen };
		struct docker_event_stream s;

		docker_event_stream_init(&s, &sink);
		for (off = 0; rc == 0 && off < size; off += chunk)
			rc = docker_event_stream_feed(
			        &s, body + off, size - off < chunk ? size - off : chunk, &err);
		docker_event_stream_release(&s);
	} else if (kind == 1) {
		struct docker_pull_progress pp = { .line = on_pull, .ctx = &seen };
		struct docker_pull_stream s;

		docker_pull_stream_init(&s, "registry.example/app:1", &pp);
		for (off = 0; rc == 0 && off < size; off += chunk)
			rc = docker_pull_stream_feed(&s, body + off,
			                             size - off < chunk ? size - off : chunk, &err);
		if (rc == 0)
			docker_pull_stream_finish(&s, &err);
		docker_pull_stream_release(&s);
	} else if (kind == 2) {
		struct docker_build b = { .line = on_build, .ctx = &seen };
		struct docker_build_stream s;

		docker_build_stream_init(&s, &b, &err);
		for (off = 0; rc == 0 && off < size; off += chunk)
			rc = docker_build_stream_feed(&s, body + off,
			                              size - off < chunk ? size - off : chunk);
		if (rc == 0)
			docker_build_stream_finish(&s);
		docker_build_stream_release(&s);
	} else {
		struct docker_demux m;

		docker_demux_init(&m, kind == 3 ? 0 : -1);
		for (off = 0; rc == 0 && off < size; off += chunk)
			rc = docker_demux_feed(&m, body + off,
			                       size - off < chunk ? size - off : chunk, on_output,
			                       &seen);
		if (rc == 0)
			docker_demux_finish(&m, on_output, &seen);
	}
	return seen == (size_t)-1; /* keeps seen alive */
}
