/*
 * reconcile_gate.c - is a container "up"? Healthy by Docker's word when it
 * has a healthcheck — or earlier, when deployctl's own run of the same
 * check command through the exec API passes, since Engine 20.10 runs the
 * first probe only one full interval after start. Without a healthcheck,
 * running (not restarting) for a settle time. A job (a dependency with
 * condition service_completed_successfully) is up when it exited 0.
 * Every wait is bounded by the rollout timeout, and sliced (at most half a
 * second) so that SIGINT or SIGTERM ends it promptly.
 *
 * The settle time is not slept through and polled: the gate waits on the
 * Engine's events stream for that container's die, which comes the moment
 * the process exits, so a container that crashes is failed at once, one
 * that keeps running is up the moment the settle time ends, and the wait
 * costs one request instead of an inspect every few tens of ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deployctl/buf.h"
#include "deployctl/clock.h"
#include "deployctl/reconcile.h"
#include "deployctl/sig.h"

#define GATE_DEFAULT_TIMEOUT_NS (60LL * 1000000000LL)
/*
 * 100 ms: an immediate exit (a bad flag, a missing file) came 0 to 62 ms
 * after the start returned in 45 starts measured at load 1.4 to 4.8 on 2
 * cores (docs/rollout.md, "The settle time"), so twice the worst still
 * catches it; a longer window only catches later crashes by chance.
 */
#define GATE_DEFAULT_SETTLE_NS (100LL * 1000000LL)
#define GATE_LOG_LINES         10
#define GATE_SLICE_S           0.5

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

/*
 * What the healthcheck probe said last, from the container's health log:
 * "probe '/testsrv probe 8080' exited 1: <output>" into b. Nothing when
 * Docker has not run it yet and deployctl's own run gave no exit code.
 */
static void probe_said(struct buf *b, const struct svc_health *h,
                       const struct docker_container_state *st, int own_code)
{
	size_t i;
	int code = st && st->health_exit_code >= 0 ? st->health_exit_code : own_code;

	if (!h->set || h->disable || !h->test.n || code < 0)
		return;
	buf_puts(b, "probe '");
	for (i = 1; i < h->test.n; i++)
		buf_printf(b, "%s%s", i > 1 ? " " : "", h->test.v[i]);
	buf_printf(b, "' exited %d", code);
	if (st && st->health_exit_code >= 0 && st->health_output && *st->health_output) {
		buf_puts(b, ": ");
		buf_puts(b, st->health_output);
	}
}

/* Fill err with why the gate failed, with the last log lines when useful. */
/*
 * "not healthy after 12s", with the last probe's answer when there was one
 * (st: the container's state, or NULL when it was already released).
 */
static void timeout_said(struct buf *said, const struct service *s, bool job, bool health,
                         double t0, const struct docker_container_state *st, int own_code)
{
	buf_printf(said, "not %s after %.0fs",
	           job      ? "completed"
	           : health ? "healthy"
	                    : "running",
	           clock_mono() - t0);
	if (!job && health && ((st && st->health_exit_code >= 0) || own_code >= 0)) {
		buf_puts(said, "; last ");
		probe_said(said, &s->health, st, own_code);
	}
}

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
	int64_t settle_ns = s->rollout.settle_ns >= 0 ? s->rollout.settle_ns
	                    : health                  ? 0
	                                              : GATE_DEFAULT_SETTLE_NS;
	double t0 = clock_mono(), deadline = t0 + (double)timeout_ns / 1e9;
	/* Its start returned before this call: a die from after now is its own. */
	double w0 = wall_now();
	bool ready = false, died = false;
	int died_code = -1;
	double pause = 0.05;
	int own_code = -1; /* deployctl's own last run of the probe */
	struct strv probe = { 0 };
	unsigned attempts = 0;
	int rc;

	rc = probe_argv(&probe, &s->health);
	if (rc < 0)
		return err_set(err, ERR_NOMEM, "out of memory");
	for (;;) {
		struct docker_container_state st = { 0 };
		char detail[600];
		struct buf said;

		if (sig_pending()) {
			rc = err_set(err, ERR_STOPPED,
			             "interrupted by %s while waiting for it to be up",
			             sig_name(sig_pending()));
			goto out;
		}
		if (watch && watch->attempt)
			watch->attempt(watch->ctx, ++attempts);
		rc = docker_container_inspect_state(&st, d, id, err);
		if (rc < 0)
			goto out;
		if (job && !strcmp(st.status, "exited") && st.exit_code == 0) {
			docker_container_state_release(&st);
			break;
		}
		/*
		 * A restart count above 0: it died and its policy restarted it
		 * since deployctl started it (a client's start resets the count),
		 * even before the events stream was asked.
		 */
		if (!strcmp(st.status, "exited") || !strcmp(st.status, "dead") || st.restarting ||
		    died || (!job && st.restart_count > 0)) {
			bool gone = !strcmp(st.status, "exited") || !strcmp(st.status, "dead");

			/* Seen dying, then running again: its restart policy brought it back. */
			if (!gone && died_code < 0 && !st.restarting)
				snprintf(detail, sizeof(detail),
				         "restarted %d time(s) by its policy", st.restart_count);
			else
				snprintf(detail, sizeof(detail), "exit code %d%s",
				         gone || died_code < 0 ? st.exit_code : died_code,
				         st.oom_killed ? ", killed for lack of memory" : "");
			rc = gate_fail(err, d, id, gone ? "exited" : "restarting after a crash",
			               detail);
			docker_container_state_release(&st);
			goto out;
		}
		if (!job && health && st.health && !strcmp(st.health, "healthy"))
			ready = true;
		if (!job && health && st.health && !strcmp(st.health, "unhealthy")) {
			buf_init(&said, 2048);
			probe_said(&said, &s->health, &st, own_code);
			rc = gate_fail(err, d, id, "unhealthy", said.ptr);
			buf_release(&said);
			docker_container_state_release(&st);
			goto out;
		}
		if (clock_mono() + pause > deadline) {
			buf_init(&said, 2048);
			timeout_said(&said, s, job, health, t0, &st, own_code);
			docker_container_state_release(&st);
			rc = gate_fail(err, d, id, "timed out", said.ptr);
			buf_release(&said);
			goto out;
		}
		docker_container_state_release(&st);
		if (!job && health && probe.n && !ready) {
			struct err perr = ERR_INIT;
			int code = -1;
			long budget = (long)((deadline - clock_mono()) * 1000);

			if (budget > 0 &&
			    docker_exec_run(&code, d, id, &probe, budget < 5000 ? budget : 5000,
			                    &perr) == 0) {
				own_code = code;
				ready = code == 0;
			}
		}
		if (!job && !health)
			ready = true; /* running, and not restarting: see above */
		/* Up once ready and still running after the settle time. */
		if (ready && clock_mono() - t0 >= (double)settle_ns / 1e9)
			break;
		if (clock_mono() + pause > deadline) {
			buf_init(&said, 2048);
			timeout_said(&said, s, job, health, t0, NULL, own_code);
			rc = gate_fail(err, d, id, "timed out", said.ptr);
			buf_release(&said);
			goto out;
		}
		/*
		 * Ready: wait out the rest of the settle time on the events stream,
		 * which ends the wait at its die. Else back off.
		 */
		if (ready) {
			double left = (double)settle_ns / 1e9 - (clock_mono() - t0);

			if (left > GATE_SLICE_S)
				left = GATE_SLICE_S;
			double until = clock_mono() + left;

			if (watch && watch->idle)
				watch->idle(watch->ctx, true);
			rc = left > 0 ? docker_container_wait_die(&died, &died_code, d, id, w0,
			                                          wall_now() + left, err)
			              : 0;
			if (watch && watch->idle)
				watch->idle(watch->ctx, false);
			if (rc < 0)
				goto out;
			/* An Engine that closed the stream early is not asked again at once. */
			left = until - clock_mono();
			if (!died && left > 0.002)
				clock_sleep_ms((long)(left * 1000));
			continue; /* look again: exited, restarting, or up */
		} else {
			clock_sleep_ms((long)(pause * 1000));
		}
		pause = pause < 0.4 ? pause * 2 : 0.5;
	}
	*up_s = clock_mono() - t0;
	rc = 0;
out:
	strv_free(&probe);
	return rc;
}
