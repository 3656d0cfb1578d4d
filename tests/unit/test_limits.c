/*
 * test_limits.c - the input limits of docs/limits.md that no other unit
 * test hits: a Docker event, build or pull line over its bound, the
 * services of one project, all project files together. Each is refused
 * with its message, and nothing past the bound is kept.
 */
#include "check.h"
#include "deployctl/manifest.h"
#include "docker_internal.h"
#include "manifest_internal.h"

static void on_event(void *ctx, const struct docker_event *ev)
{
	(void)ev;
	++*(int *)ctx;
}

/* len bytes of 'x', NUL-terminated; new. */
static char *xs(size_t len)
{
	char *s = malloc(len + 1);

	if (s) {
		memset(s, 'x', len);
		s[len] = '\0';
	}
	return s;
}

static void test_limits__event_line(void)
{
	int seen = 0;
	struct docker_event_sink sink = { .event = on_event, .ctx = &seen };
	struct docker_event_stream s;
	struct err err = ERR_INIT;
	char *big = xs((256u << 10) + 1);

	docker_event_stream_init(&s, &sink);
	CHECK_INT(docker_event_stream_feed(&s, big, (256u << 10) + 1, &err), ERR_DOCKER);
	CHECK_STR(err.msg, "an event from '/events' is too long");
	docker_event_stream_release(&s);
	CHECK_INT(seen, 0);
	free(big);
}

static void test_limits__build_line(void)
{
	struct docker_build b = { 0 };
	struct docker_build_stream s;
	struct err err = ERR_INIT;
	char *big = xs(DOCKER_BUILD_LINE_MAX);
	int rc = 0, i;

	docker_build_stream_init(&s, &b, &err);
	for (i = 0; i < 3 && rc == 0; i++) /* a line that never ends */
		rc = docker_build_stream_feed(&s, big, DOCKER_BUILD_LINE_MAX);
	CHECK_INT(rc, ERR_DOCKER);
	CHECK_STR(err.msg, "build output line longer than 1048576 bytes");
	CHECK(s.line.len <= DOCKER_BUILD_LINE_MAX);
	docker_build_stream_release(&s);
	free(big);
}

static void test_limits__build_stream(void)
{
	static const char out[] = "{\"stream\":\"Step 1/1\\n\"}\n{\"aux\":{\"ID\":\"sha256:ab\"}}\n"
	                          "{\"error\":\"boom\"}";
	struct docker_build b = { 0 };
	struct docker_build_stream s;
	struct err err = ERR_INIT;
	size_t i;

	docker_build_stream_init(&s, &b, &err);
	for (i = 0; i < sizeof(out) - 1; i++) /* one byte at a time */
		CHECK_INT(docker_build_stream_feed(&s, out + i, 1), 0);
	CHECK_INT(docker_build_stream_finish(&s), 0);
	CHECK_STR(s.id, "sha256:ab");
	CHECK_STR(s.error, "boom");
	docker_build_stream_release(&s);
}

static void test_limits__services(void)
{
	static const char *const names[] = { "manifests/app.yml" };
	struct manifest_opts opts = { .dir = "manifests" };
	struct errlist errs, warns;
	struct project *p = NULL;
	struct buf y;
	const char *texts[1];
	int i;

	buf_init(&y, 0);
	buf_puts(&y, "name: many\nservices:\n");
	for (i = 0; i <= MANIFEST_MAX_SERVICES; i++)
		buf_printf(&y, "  s%d: {image: app:1}\n", i);
	texts[0] = y.ptr;
	errlist_init(&errs);
	errlist_init(&warns);
	CHECK(manifest_load_texts(&p, names, texts, 1, NULL, &opts, &errs, &warns) < 0);
	CHECK(errs.n >= 1);
	if (errs.n) {
		CHECK_STR(errs.items[0].msg, "services.s1000: too many services (at most 1000)");
		CHECK_INT(errs.items[0].line, 1003);
	}
	model_project_free(p);
	buf_release(&y);
}

static void test_limits__total_size(void)
{
	static const char *const names[] = { "a.yml", "b.yml", "c.yml", "d.yml", "e.yml" };
	struct manifest_opts opts = { .dir = "", .merge = true, .default_name = "big" };
	struct errlist errs, warns;
	struct project *p = NULL;
	const char *texts[5];
	char *body = xs(SOURCE_MAX_FILE - 64);
	int i;

	body[0] = '#'; /* one long comment line: valid YAML, nothing in it */
	for (i = 0; i < 5; i++)
		texts[i] = body;
	errlist_init(&errs);
	errlist_init(&warns);
	CHECK(manifest_load_texts(&p, names, texts, 5, NULL, &opts, &errs, &warns) < 0);
	CHECK(errs.n >= 1);
	if (errs.n) {
		CHECK_STR(errs.items[0].src, "e.yml");
		CHECK_STR(errs.items[0].msg,
		          "the project's files are larger than 16777216 bytes together");
	}
	model_project_free(p);
	free(body);
}

int main(void)
{
	RUN(test_limits__event_line);
	RUN(test_limits__build_line);
	RUN(test_limits__build_stream);
	RUN(test_limits__services);
	RUN(test_limits__total_size);
	return CHECK_DONE();
}
