/*
 * test_udiff.c - unified diffs of config files: hunks with context and
 * line numbers exactly as diff -u prints them, additions at either end, a missing
 * final newline, equal texts, and the size bound.
 */
#include "check.h"
#include "deployctl/err.h"
#include "deployctl/udiff.h"

static char *diff_of(const char *a, const char *b, unsigned context, int *rc)
{
	struct buf out;

	buf_init(&out, 0);
	*rc = udiff(&out, a, strlen(a), b, strlen(b), "a", "b", context);
	return buf_detach(&out);
}

static void test_udiff__hunks(void)
{
	int rc;
	char *d = diff_of("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n",
	                  "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n", 1, &rc);

	CHECK_INT(rc, 0);
	CHECK_STR(d,
	          "--- a\n+++ b\n@@ -2,3 +2,3 @@\n 2\n-3\n+three\n 4\n@@ -10 +10,2 @@\n 10\n+11\n");
	free(d);
	/* Changes close together share one hunk. */
	d = diff_of("a\nb\nc\nd\n", "A\nb\nc\nD\n", 1, &rc);
	CHECK_STR(d, "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-a\n+A\n b\n c\n-d\n+D\n");
	free(d);
}

static void test_udiff__edges(void)
{
	int rc;
	char *d = diff_of("x\n", "x\n", 3, &rc);

	CHECK_INT(rc, 0);
	CHECK_STR(d, "");
	free(d);
	d = diff_of("", "new\n", 3, &rc);
	CHECK_STR(d, "--- a\n+++ b\n@@ -0,0 +1 @@\n+new\n");
	free(d);
	d = diff_of("a\nb", "a\nb\n", 3, &rc);
	CHECK_STR(d, "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
	free(d);
}

static void test_udiff__too_large(void)
{
	struct buf a, b, out;
	int i;

	buf_init(&a, 0);
	buf_init(&b, 0);
	buf_init(&out, 0);
	for (i = 0; i < UDIFF_MAX_LINES + 1; i++) {
		buf_printf(&a, "a%d\n", i);
		buf_printf(&b, "b%d\n", i);
	}
	CHECK_INT(udiff(&out, a.ptr, a.len, b.ptr, b.len, "a", "b", 3), ERR_INVALID);
	buf_release(&a);
	buf_release(&b);
	buf_release(&out);
}

int main(void)
{
	RUN(test_udiff__hunks);
	RUN(test_udiff__edges);
	RUN(test_udiff__too_large);
	return CHECK_DONE();
}
