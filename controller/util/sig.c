/*
 * sig.c - SIGPIPE ignored, SIGINT/SIGTERM recorded for the executor to
 * honour. The handler does only async-signal-safe things: an atomic store,
 * write(2) and, for a second signal, _exit(2).
 */
#include "deployctl/sig.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static atomic_int sig_received;

void sig_ignore_pipe(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
}

static void sig_say(const char *s)
{
	ssize_t r = write(STDERR_FILENO, s, strlen(s));

	(void)r;
}

static void sig_handler(int signo)
{
	int expected = 0;

	if (!atomic_compare_exchange_strong(&sig_received, &expected, signo)) {
		sig_say(signo == SIGINT ? "\ndeployctl: SIGINT again: exiting at once; the next "
		                          "apply converges from here\n"
		                        : "\ndeployctl: SIGTERM again: exiting at once; the next "
		                          "apply converges from here\n");
		_exit(128 + signo);
	}
	sig_say(signo == SIGINT ? "\ndeployctl: SIGINT: starting no new action; finishing or "
	                          "undoing the running ones (again to exit at once)\n"
	                        : "\ndeployctl: SIGTERM: starting no new action; finishing or "
	                          "undoing the running ones (again to exit at once)\n");
}

int sig_catch(void)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	/*
	 * SA_RESTART: reads, writes and fsyncs (SQLite's, stdio's) resume;
	 * poll() and nanosleep() still return EINTR, which libcurl treats as
	 * "nothing ready yet" and the gate as the end of a sleep slice.
	 */
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -1;
	return 0;
}

int sig_pending(void)
{
	return atomic_load(&sig_received);
}

const char *sig_name(int signo)
{
	if (signo == SIGINT)
		return "SIGINT";
	if (signo == SIGTERM)
		return "SIGTERM";
	return "a signal";
}

int sig_exit_status(int signo)
{
	return 128 + signo;
}

void sig_set_pending(int signo)
{
	atomic_store(&sig_received, signo);
}
