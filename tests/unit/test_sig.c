/*
 * test_sig.c - SIGINT/SIGTERM: the first is recorded, the second exits at
 * once with 128 + its number; an executor asked to stop starts nothing.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "deployctl/reconcile.h"
#include "deployctl/sig.h"

static void test_sig__first_recorded_second_exits(void)
{
	int status = 0;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		sig_catch();
		raise(SIGTERM);
		if (sig_pending() != SIGTERM)
			_exit(1);
		raise(SIGINT); /* the second: exits here */
		_exit(2);
	}
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), 128 + SIGINT);
}

static void test_sig__ignored_sigint_is_caught(void)
{
	int status = 0;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		/* A script's background job starts with SIGINT ignored. */
		signal(SIGINT, SIG_IGN);
		sig_catch();
		raise(SIGINT);
		_exit(sig_pending() == SIGINT ? 0 : 1);
	}
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_sig__exit_status_and_names(void)
{
	CHECK_INT(sig_exit_status(SIGINT), 130);
	CHECK_INT(sig_exit_status(SIGTERM), 143);
	CHECK_STR(sig_name(SIGINT), "SIGINT");
	CHECK_STR(sig_name(SIGTERM), "SIGTERM");
}

/* Asked to stop before the first stage: no Docker call (d is NULL), every action skipped. */
static void test_sig__apply_starts_nothing_when_stopped(void)
{
	struct action v[2];
	struct plan plan = { .v = v, .n = 2 };
	struct reconcile_result res[2];
	struct reconcile_opts o = { .release = "1", .parallel = 4 };
	struct docker_connect conn = { 0 };
	struct project p = { 0 };
	struct kvv ids = { 0 };
	struct err err = ERR_INIT;
	char t1[] = "a", t2[] = "b", r[] = "new";

	memset(v, 0, sizeof(v));
	memset(res, 0, sizeof(res));
	v[0].kind = v[1].kind = ACTION_VOLUME_CREATE;
	v[0].target = t1;
	v[1].target = t2;
	v[0].reason = v[1].reason = r;
	v[1].level = 1;
	sig_set_pending(SIGTERM);
	CHECK_INT(reconcile_apply(NULL, &conn, &p, &plan, &o, &ids, res, NULL, &err), ERR_STOPPED);
	CHECK_INT(res[0].rc, 1);
	CHECK_INT(res[1].rc, 1);
	CHECK_STR(err.msg, "interrupted by SIGTERM: 2 of 2 action(s) not started");
	sig_set_pending(0);
}

int main(void)
{
	RUN(test_sig__first_recorded_second_exits);
	RUN(test_sig__ignored_sigint_is_caught);
	RUN(test_sig__exit_status_and_names);
	RUN(test_sig__apply_starts_nothing_when_stopped);
	return CHECK_DONE();
}
