/*
 * test_docker_stream.c - the demultiplexer of the Engine's log and exec
 * streams: 8-byte frame headers split anywhere across reads, stdout and
 * stderr kept apart, a TTY's raw stream recognised, a bad header refused.
 */
#include "check.h"
#include "deployctl/docker.h"

struct sink {
	char out[256], errs[256];
	size_t nout, nerr, calls;
};

static int collect(void *ctx, int stream, const char *data, size_t len)
{
	struct sink *s = ctx;
	char *dst = stream == DOCKER_STDERR ? s->errs : s->out;
	size_t *n = stream == DOCKER_STDERR ? &s->nerr : &s->nout;

	if (*n + len >= sizeof(s->out))
		return -1;
	memcpy(dst + *n, data, len);
	*n += len;
	dst[*n] = '\0';
	s->calls++;
	return 0;
}

/* Two stdout frames and a stderr one, as the daemon frames them. */
static const char framed[] = "\x01\0\0\0\0\0\0\x06hello\n"
                             "\x02\0\0\0\0\0\0\x04oops"
                             "\x01\0\0\0\0\0\0\x07world!\n";
#define FRAMED_LEN (sizeof(framed) - 1)

static void test_docker_stream__demux_split_everywhere(void)
{
	size_t cut;

	/* Every split point, including inside headers, gives the same result. */
	for (cut = 0; cut <= FRAMED_LEN; cut++) {
		struct docker_demux m;
		struct sink s = { 0 };

		docker_demux_init(&m, 0);
		CHECK_INT(docker_demux_feed(&m, framed, cut, collect, &s), 0);
		CHECK_INT(docker_demux_feed(&m, framed + cut, FRAMED_LEN - cut, collect, &s), 0);
		CHECK_INT(docker_demux_finish(&m, collect, &s), 0);
		CHECK_STR(s.out, "hello\nworld!\n");
		CHECK_STR(s.errs, "oops");
	}
}

static void test_docker_stream__demux_byte_by_byte_guess(void)
{
	struct docker_demux m;
	struct sink s = { 0 };
	size_t i;

	docker_demux_init(&m, -1);
	for (i = 0; i < FRAMED_LEN; i++)
		CHECK_INT(docker_demux_feed(&m, framed + i, 1, collect, &s), 0);
	CHECK_STR(s.out, "hello\nworld!\n");
	CHECK_STR(s.errs, "oops");
	CHECK_INT(m.raw, 0);
}

static void test_docker_stream__demux_raw_tty(void)
{
	struct docker_demux m;
	struct sink s = { 0 };

	/* A TTY's stream has no headers: recognised from its first bytes. */
	docker_demux_init(&m, -1);
	CHECK_INT(docker_demux_feed(&m, "plain text\r\n", 12, collect, &s), 0);
	CHECK_INT(docker_demux_finish(&m, collect, &s), 0);
	CHECK_STR(s.out, "plain text\r\n");
	/* Shorter than a header: held back until the end, then output. */
	memset(&s, 0, sizeof(s));
	docker_demux_init(&m, -1);
	CHECK_INT(docker_demux_feed(&m, "ok\n", 3, collect, &s), 0);
	CHECK_INT(s.nout, 0);
	CHECK_INT(docker_demux_finish(&m, collect, &s), 0);
	CHECK_STR(s.out, "ok\n");
}

static void test_docker_stream__demux_bad_header(void)
{
	struct docker_demux m;
	struct sink s = { 0 };

	docker_demux_init(&m, 0);
	CHECK_INT(docker_demux_feed(&m,
	                            "\x01\0\0\0\0\0\0\x01"
	                            "a"
	                            "\x07\0\0\0\0\0\0\x01"
	                            "b",
	                            18, collect, &s),
	          ERR_DOCKER);
	CHECK_STR(s.out, "a");
	/* The sink's refusal stops the stream. */
	memset(&s, 0, sizeof(s));
	s.nout = sizeof(s.out) - 1;
	docker_demux_init(&m, 0);
	CHECK_INT(docker_demux_feed(&m, framed, FRAMED_LEN, collect, &s), -1);
}

int main(void)
{
	RUN(test_docker_stream__demux_split_everywhere);
	RUN(test_docker_stream__demux_byte_by_byte_guess);
	RUN(test_docker_stream__demux_raw_tty);
	RUN(test_docker_stream__demux_bad_header);
	return CHECK_DONE();
}
