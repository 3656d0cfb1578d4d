/*
 * reconcile_gate.c - is a container "up"? Healthy by Docker's word when it
 * has a healthcheck — or earlier, when deployctl's own run of the same
 * check command through the exec API passes, since Engine 20.10 runs the
 * first probe only one full interval after start. Without a healthcheck,
 * running (not restarting) for a settle time. A job (a dependency with
 * condition service_completed_successfully) is up when it exited 0.
 * Every wait is bounded by the rollout timeout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deployctl/buf.h"
#include "deployctl/reconcile.h"

#define GATE_DEFAULT_TIMEOUT_NS (60LL * 1000000000LL)
#define GATE_DEFAULT_SETTLE_NS  (500LL * 1000000LL)
#define GATE_LOG_LINES          10

static double gate_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void gate_sleep(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

/* The argv deployctl runs itself for a healthcheck test, or 0 entries if none applies. */
static int probe_argv(struct strv *out, const struct svc_health *h)
{
	size_t i;

	if (!h->set || h->disable || !h->test.n)
		return 0;
	if (!strcmp(h->test.v[0], "CMD")) {
		for (i = 1; i < h->test.n; i++)
			if (strv_push(out, h->test.v[i]) < 0)
				return ERR_NOMEM;
	} else if (!strcmp(h->test.v[0], "CMD-SHELL") && h->test.n == 2) {
		if (strv_push(out, "/bin/sh") < 0 || strv_push(out, "-c") < 0 ||
		    strv_push(out, h->test.v[1]) < 0)
			return ERR_NOMEM;
	}
	return 0;
}

/* Fill err with why the gate failed, with the last log lines when useful. */
static int gate_fail(struct err *err, struct docker *d, const char *id, const char *what,
                     const char *detail)
{
	char *logs = NULL;
	struct err ignored = ERR_INIT;
	struct buf b;
	int rc;

	buf_init(&b, 4096);
	buf_puts(&b, what);
	if (detail && *detail) {
		buf_puts(&b, ": ");
		buf_puts(&b, detail);
	}
	if (docker_container_logs_tail(&logs, d, id, GATE_LOG_LINES, &ignored) == 0 && *logs) {
		buf_puts(&b, "; last log lines: ");
		buf_puts(&b, logs);
	}
	/* One line: the message ends up in the release record and on the terminal. */
	for (char *p = b.ptr; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = '|';
	rc = err_set(err, ERR_FAIL, "%s", b.ptr);
	free(logs);
	buf_release(&b);
	return rc;
}

int reconcile_wait_up(double *up_s, struct docker *d, const struct service *s, const char *id,
                      bool job, struct err *err)
{
	return reconcile_wait_up_watched(up_s, d, s, id, job, NULL, err);
}

int reconcile_wait_up_watched(double *up_s, struct docker *d, const struct service *s,
                              const char *id, bool job, const struct reconcile_gate_watch *watch,
                              struct err *err)
{
	int64_t timeout_ns =
	        s->rollout.timeout_ns > 0 ? s->rollout.timeout_ns : GATE_DEFAULT_TIMEOUT_NS;
	bool health = s->health.set && !s->health.disable;
	/* An explicit settle applies to every service; by default only to those without a check. */
	int64_t settle_ns = s->rollout.settle_ns > 0 ? s->rollout.settle_ns
	                    : health                 ? 0
	                                             : GATE_DEFAULT_SETTLE_NS;
	double t0 = gate_now(), deadline = t0 + (double)timeout_ns / 1e9;
	bool ready = false;
	double pause = 0.05;
	struct strv probe = { 0 };
	unsigned attempts = 0;
	int rc;

	rc = probe_argv(&probe, &s->health);
	if (rc < 0)
		return err_set(err, ERR_NOMEM, "out of memory");
	for (;;) {
		struct docker_container_state st = { 0 };
		char detail[600];

		if (watch && watch->attempt)
			watch->attempt(watch->ctx, ++attempts);
		rc = docker_container_inspect_state(&st, d, id, err);
		if (rc < 0)
			goto out;
		if (job && !strcmp(st.status, "exited") && st.exit_code == 0) {
			docker_container_state_release(&st);
			break;
		}
		if (!strcmp(st.status, "exited") || !strcmp(st.status, "dead") || st.restarting) {
			snprintf(detail, sizeof(detail), "exit code %d%s", st.exit_code,
			         st.oom_killed ? ", killed for lack of memory" : "");
			rc = gate_fail(err, d, id,
			               st.restarting ? "restarting after a crash" : "exited",
			               detail);
			docker_container_state_release(&st);
			goto out;
		}
		if (!job && health && st.health && !strcmp(st.health, "healthy"))
			ready = true;
		if (!job && health && st.health && !strcmp(st.health, "unhealthy")) {
			rc = gate_fail(err, d, id, "unhealthy",
			               st.health_output ? st.health_output : "");
			docker_container_state_release(&st);
			goto out;
		}
		docker_container_state_release(&st);
		if (!job && health && probe.n && !ready) {
			struct err perr = ERR_INIT;
			int code = -1;
			long budget = (long)((deadline - gate_now()) * 1000);

			if (budget > 0 &&
			    docker_exec_run(&code, d, id, &probe, budget < 5000 ? budget : 5000,
			                    &perr) == 0 &&
			    code == 0)
				ready = true;
		}
		if (!job && !health)
			ready = true; /* running, and not restarting: see above */
		/* Up once ready and still running after the settle time. */
		if (ready && gate_now() - t0 >= (double)settle_ns / 1e9)
			break;
		if (gate_now() + pause > deadline) {
			snprintf(detail, sizeof(detail), "not %s after %.0fs",
			         job      ? "completed"
			         : health ? "healthy"
			                  : "running",
			         gate_now() - t0);
			rc = gate_fail(err, d, id, "timed out", detail);
			goto out;
		}
		/* Back off, but never sleep past the end of the settle time. */
		if (ready) {
			double left = (double)settle_ns / 1e9 - (gate_now() - t0);

			gate_sleep(left > 0 && left < pause ? left : pause);
		} else {
			gate_sleep(pause);
		}
		pause = pause < 0.4 ? pause * 2 : 0.5;
	}
	*up_s = gate_now() - t0;
	rc = 0;
out:
	strv_free(&probe);
	return rc;
}
