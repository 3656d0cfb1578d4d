/*
 * fault.h - test-only fault points: places where the crash-safety tests
 * make deployctl die (or fail) on purpose, as kill -9 or a full disk would.
 *
 * Compiled in only with the CMake option DEPLOYCTL_TEST_HOOKS (the test
 * build: scripts/test.sh); in the binary users run, FAULT_POINT() is the
 * constant false and no DEPLOYCTL_TEST_* name is in the binary.
 *
 * FAULT_POINT("KILL_AFTER") is true the Nth time it is passed when the
 * environment holds DEPLOYCTL_TEST_KILL_AFTER=N (N >= 1), false otherwise.
 *
 * The points: KILL_AFTER (after the Nth action of a release), KILL_IN_REPLACE
 * (a start-first replace with the old container renamed), KILL_AFTER_MUTATION
 * (right after the Nth mutating Docker call returned, in any thread: the
 * SIGKILL walk of t1500/t1501), FAIL_RECORD (recording an outcome fails).
 */
#ifndef DEPLOYCTL_FAULT_H
#define DEPLOYCTL_FAULT_H

#include <stdbool.h>

#ifdef DEPLOYCTL_TEST_HOOKS
/* env is the full variable name; counts passes per name (thread-safe). */
bool fault_point(const char *env);
#define FAULT_POINT(name) fault_point("DEPLOYCTL_TEST_" name)
#else
#define FAULT_POINT(name) false
#endif

#endif
