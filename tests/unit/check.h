/*
 * check.h - a tiny assertion kit for unit tests: every failed check prints
 * file:line and both values, and the test binary exits non-zero.
 */
#ifndef DEPLOYCTL_CHECK_H
#define DEPLOYCTL_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		check_count++;                                                                     \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			check_failures++;                                                          \
		}                                                                                  \
	} while (0)

#define CHECK_INT(a, b)                                                                            \
	do {                                                                                       \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);                    \
		check_count++;                                                                     \
		if (check_a_ != check_b_) {                                                        \
			fprintf(stderr, "%s:%d: %s == %s: %lld != %lld\n", __FILE__, __LINE__, #a, \
			        #b, check_a_, check_b_);                                           \
			check_failures++;                                                          \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *check_a_ = (a), *check_b_ = (b);                                       \
		check_count++;                                                                     \
		if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_)) {                        \
			fprintf(stderr, "%s:%d: %s == %s: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
			        #a, #b, check_a_ ? check_a_ : "(null)",                            \
			        check_b_ ? check_b_ : "(null)");                                   \
			check_failures++;                                                          \
		}                                                                                  \
	} while (0)

/* Run one case: RUN(test_manifest__ports); */
#define RUN(fn)                                                                                    \
	do {                                                                                       \
		int check_before_ = check_failures;                                                \
		fn();                                                                              \
		printf("%s %s\n", check_failures == check_before_ ? "ok  " : "FAIL", #fn);         \
	} while (0)

/* End of main(): a test that checked nothing is a defect too. */
#define CHECK_DONE()                                                                               \
	(printf("%d checks, %d failed\n", check_count, check_failures),                            \
	 (check_failures || !check_count) ? 1 : 0)

#endif
