/*
 * fault.c - the test-only fault points of fault.h; empty unless built with
 * DEPLOYCTL_TEST_HOOKS. The pass counters are the one piece of global state
 * outside options and the log level: they exist only in test builds.
 */
#include "deployctl/fault.h"

#ifdef DEPLOYCTL_TEST_HOOKS

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define FAULT_NAMES 16

static atomic_flag fault_busy = ATOMIC_FLAG_INIT;
static struct {
	const char *env;
	unsigned long passes;
} fault_seen[FAULT_NAMES];

bool fault_point(const char *env)
{
	const char *v = getenv(env);
	unsigned long want, passes = 0;
	char *end;
	size_t i;

	if (!v || *v < '1' || *v > '9')
		return false;
	want = strtoul(v, &end, 10);
	if (*end)
		return false;
	while (atomic_flag_test_and_set(&fault_busy))
		;
	for (i = 0; i < FAULT_NAMES; i++) {
		if (!fault_seen[i].env)
			fault_seen[i].env = env;
		if (!strcmp(fault_seen[i].env, env)) {
			passes = ++fault_seen[i].passes;
			break;
		}
	}
	atomic_flag_clear(&fault_busy);
	return passes == want;
}

#else
typedef int fault_points_compiled_out; /* ISO C wants something in a file */
#endif
