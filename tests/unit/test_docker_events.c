/*
 * test_docker_events.c - the GET /events stream parser: lines split
 * anywhere across chunks, only container events of deployctl projects
 * reach the sink, a bad line is an error.
 */
#include "check.h"
#include "deployctl/docker.h"
#include "docker_internal.h"

struct seen {
	char what[8][160];
	size_t n;
};

static void on_event(void *ctx, const struct docker_event *ev)
{
	struct seen *s = ctx;

	if (s->n < 8)
		snprintf(s->what[s->n++], sizeof(s->what[0]), "%s %s %s#%u %s %lld", ev->project,
		         ev->action, ev->service, ev->replica, ev->name, (long long)ev->time);
}

static bool never(void *ctx)
{
	(void)ctx;
	return false;
}

static const char stream[] =
        "{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"abc\",\"Attributes\":"
        "{\"io.deployctl.project\":\"shop\",\"io.deployctl.service\":\"api\","
        "\"io.deployctl.replica\":\"2\",\"name\":\"shop-api-2\"}},\"time\":1700000000}\n"
        "{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"n1\",\"Attributes\":"
        "{\"io.deployctl.project\":\"shop\"}},\"time\":1700000001}\n"
        "{\"Type\":\"container\",\"Action\":\"destroy\",\"Actor\":{\"ID\":\"def\",\"Attributes\":"
        "{\"name\":\"unrelated\"}},\"time\":1700000002}\n"
        "{\"Type\":\"container\",\"Action\":\"destroy\",\"Actor\":{\"ID\":\"abc\",\"Attributes\":"
        "{\"io.deployctl.project\":\"shop\",\"name\":\"by-hand\"}},\"time\":1700000003}\n";

static void test_docker_events__split_anywhere(void)
{
	struct seen seen = { 0 };
	struct docker_event_sink sink = { on_event, never, &seen };
	struct docker_event_stream s;
	struct err err = ERR_INIT;
	size_t step, i;

	/* every chunk size from 1 byte to the whole stream gives the same events */
	for (step = 1; step <= sizeof(stream); step += 37) {
		memset(&seen, 0, sizeof(seen));
		docker_event_stream_init(&s, &sink);
		for (i = 0; i < sizeof(stream) - 1; i += step) {
			size_t len = sizeof(stream) - 1 - i < step ? sizeof(stream) - 1 - i : step;

			CHECK_INT(docker_event_stream_feed(&s, stream + i, len, &err), 0);
		}
		docker_event_stream_release(&s);
		CHECK_INT(seen.n, 2);
		CHECK_STR(seen.what[0], "shop die api#2 shop-api-2 1700000000");
		CHECK_STR(seen.what[1], "shop destroy #0 by-hand 1700000003");
	}
}

static void test_docker_events__bad_line(void)
{
	struct seen seen = { 0 };
	struct docker_event_sink sink = { on_event, never, &seen };
	struct docker_event_stream s;
	struct err err = ERR_INIT;

	docker_event_stream_init(&s, &sink);
	CHECK_INT(docker_event_stream_feed(&s, "not json\n", 9, &err), ERR_DOCKER);
	CHECK(strstr(err.msg, "bad JSON from '/events'") != NULL);
	docker_event_stream_release(&s);
	CHECK_INT(seen.n, 0);
}

int main(void)
{
	RUN(test_docker_events__split_anywhere);
	RUN(test_docker_events__bad_line);
	return CHECK_DONE();
}
