/*
 * sig.h - signals: SIGPIPE ignored (a closed pipe on stdout is an output
 * error, never the end of a rollout), and SIGINT/SIGTERM turned into a
 * request to stop that apply and rollback honour between actions and in
 * their health-gate waits. The received signal is process-wide state, the
 * one global besides the parsed options and the log level.
 */
#ifndef DEPLOYCTL_SIG_H
#define DEPLOYCTL_SIG_H

#include <stdbool.h>

/* Ignore SIGPIPE for the whole process: main() calls it first. */
void sig_ignore_pipe(void);

/*
 * Catch SIGINT and SIGTERM: the first one is recorded (sig_pending()) and
 * said on stderr; a second one of either exits at once with 128 + its
 * number, leaving what a kill -9 would. Installed even when the signal was
 * inherited ignored (a script's background job), so a deliberate signal
 * always stops a rollout.
 */
int sig_catch(void);

/* 0, or the first SIGINT/SIGTERM received since sig_catch(). */
int sig_pending(void);

/* "SIGINT", "SIGTERM" or "a signal"; static. */
const char *sig_name(int signo);

/* The exit status for a run stopped by signo: 128 + signo (130, 143). */
int sig_exit_status(int signo);

/* Tests: pretend signo arrived (0 clears). */
void sig_set_pending(int signo);

#endif
