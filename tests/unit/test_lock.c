/*
 * test_lock.c - the state lock: acquire and release, a second holder
 * refused with ERR_BUSY naming the first, waiting for a release, the record
 * left by a holder killed with SIGKILL, file mode, and durations.
 * Holders run in forked children; a pipe tells the parent when they hold.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "deployctl/lock.h"

static char *tmpdir_new(void)
{
	char tmpl[] = "/tmp/deployctl-test-lock-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

/* Remove dir (its state/ and lock file) and free the name. */
static void tmpdir_free(char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/state/%s", dir, LOCK_FILE_NAME);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state", dir);
	rmdir(path);
	rmdir(dir);
	free(dir);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Fork a child that takes the lock as "apply of release 7", writes one byte
 * to the parent, then releases after hold_ms (or, hold_ms < 0, waits to be
 * killed). The parent returns once the child holds it; *pid_out the child.
 */
static int spawn_holder(pid_t *pid_out, const char *state, long hold_ms)
{
	int fds[2];
	char c;
	pid_t pid;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct lock *l = NULL;
		struct err err = ERR_INIT;

		close(fds[0]);
		if (lock_acquire(&l, state, "apply of release 7", 0, NULL, &err) < 0)
			_exit(3);
		if (write(fds[1], "x", 1) != 1)
			_exit(4);
		if (hold_ms < 0)
			for (;;)
				pause();
		{
			struct timespec ts = { hold_ms / 1000, (hold_ms % 1000) * 1000000L };

			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
		lock_release(l);
		_exit(0);
	}
	close(fds[1]);
	*pid_out = pid;
	if (read(fds[0], &c, 1) != 1) {
		close(fds[0]);
		return -1;
	}
	close(fds[0]);
	return 0;
}

static int child_status(pid_t pid)
{
	int st = 0;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

/*
 * A new temporary directory whose state/ (its path in state) a
 * spawn_holder() child holds; NULL when there is none, and a holder that
 * cannot start fails the test.
 */
static char *tmpdir_held(char *state, size_t size, pid_t *pid_out, long hold_ms)
{
	char *dir = tmpdir_new();

	if (!dir)
		return NULL;
	snprintf(state, size, "%s/state", dir);
	if (spawn_holder(pid_out, state, hold_ms) < 0) {
		CHECK(!"cannot start holder");
		free(dir);
		return NULL;
	}
	return dir;
}

static void test_lock__acquire_release(void)
{
	char *dir = tmpdir_new();
	char state[512], path[600], rec[256];
	struct lock *l = NULL, *l2 = NULL;
	struct lock_holder stale, h;
	struct err err = ERR_INIT;
	struct stat st;
	mode_t old;
	ssize_t n;
	int fd;

	if (!dir)
		return;
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(path, sizeof(path), "%s/%s", state, LOCK_FILE_NAME);
	old = umask(0);
	CHECK_INT(lock_acquire(&l, state, "apply of shop", 0, &stale, &err), 0);
	umask(old);
	CHECK(l != NULL);
	CHECK_INT(stale.pid, 0);
	CHECK_INT(stat(state, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0700);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);

	/* the record names us */
	CHECK_INT(lock_holder_read(&h, state, &err), 0);
	CHECK_INT(h.pid, (long)getpid());
	CHECK_STR(h.what, "apply of shop");
	CHECK(h.since > 0 && *h.host);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, rec, sizeof(rec) - 1) : -1;
	if (fd >= 0)
		close(fd);
	CHECK(n > 0);
	rec[n > 0 ? n : 0] = '\0';
	CHECK(rec[n > 0 ? n - 1 : 0] == '\n');
	CHECK(strstr(rec, " apply of shop\n") != NULL);

	/* a second lock in the same process is refused too: flock is per open file */
	CHECK_INT(lock_acquire(&l2, state, "other", 0, NULL, &err), ERR_BUSY);
	CHECK(l2 == NULL);
	err_clear(&err);

	/* update, then control characters are flattened */
	CHECK_INT(lock_update(l, "apply of release 7\nX", &err), 0);
	CHECK_INT(lock_holder_read(&h, state, &err), 0);
	CHECK_STR(h.what, "apply of release 7 X");

	lock_release(l);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_size, 0); /* record cleared */
	CHECK_INT(lock_holder_read(&h, state, &err), 0);
	CHECK_INT(h.pid, 0);

	/* after a clean release nobody is reported dead */
	CHECK_INT(lock_acquire(&l, state, "again", 0, &stale, &err), 0);
	CHECK_INT(stale.pid, 0);
	lock_release(l);
	lock_release(NULL);
	CHECK_INT(err.code, 0);
	tmpdir_free(dir);
}

static void test_lock__busy_names_holder(void)
{
	char *dir;
	char state[512], want[64];
	struct lock *l = NULL;
	struct err err = ERR_INIT;
	pid_t pid;
	long t0;

	if (!(dir = tmpdir_held(state, sizeof(state), &pid, 1500)))
		return;
	CHECK_INT(lock_acquire(&l, state, "apply", 0, NULL, &err), ERR_BUSY);
	CHECK(l == NULL);
	snprintf(want, sizeof(want), "state is locked by pid %ld on host ", (long)pid);
	CHECK(strstr(err.msg, want) == err.msg);
	CHECK(strstr(err.msg, " since 20") != NULL);
	CHECK(strstr(err.msg, "Z (apply of release 7); use --lock-wait DURATION to wait") != NULL);

	/* a bounded wait that ends first fails, after about that long */
	err_clear(&err);
	t0 = now_ms();
	CHECK_INT(lock_acquire(&l, state, "apply", 300, NULL, &err), ERR_BUSY);
	CHECK(now_ms() - t0 >= 290);
	CHECK(now_ms() - t0 < 1400);
	CHECK(strstr(err.msg, "still locked by pid") != NULL);
	CHECK(strstr(err.msg, "after waiting 0.3s") != NULL);
	CHECK_INT(child_status(pid), 0);
	tmpdir_free(dir);
}

static void test_lock__wait_for_release(void)
{
	char *dir;
	char state[512];
	struct lock *l = NULL;
	struct lock_holder stale;
	struct err err = ERR_INIT;
	pid_t pid;
	long t0, took;

	if (!(dir = tmpdir_held(state, sizeof(state), &pid, 400)))
		return;
	t0 = now_ms();
	CHECK_INT(lock_acquire(&l, state, "rollback", 10000, &stale, &err), 0);
	took = now_ms() - t0;
	CHECK(l != NULL);
	CHECK(took >= 200);      /* it did wait for the holder */
	CHECK(took < 5000);      /* and did not sleep past its release */
	CHECK_INT(stale.pid, 0); /* the holder released cleanly */
	lock_release(l);
	CHECK_INT(child_status(pid), 0);
	tmpdir_free(dir);
}

static void test_lock__stale_after_sigkill(void)
{
	char *dir;
	char state[512];
	struct lock *l = NULL;
	struct lock_holder stale;
	struct err err = ERR_INIT;
	pid_t pid;
	int st;

	if (!(dir = tmpdir_held(state, sizeof(state), &pid, -1)))
		return;
	CHECK_INT(kill(pid, SIGKILL), 0);
	st = child_status(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* the kernel dropped the flock; the record stayed and is handed over */
	CHECK_INT(lock_acquire(&l, state, "apply", 0, &stale, &err), 0);
	CHECK_INT(stale.pid, (long)pid);
	CHECK_STR(stale.what, "apply of release 7");
	CHECK(stale.since > 0);
	CHECK(*stale.host);
	lock_release(l);
	l = NULL;
	/* taken over once, then clean */
	CHECK_INT(lock_acquire(&l, state, "apply", 0, &stale, &err), 0);
	CHECK_INT(stale.pid, 0);
	lock_release(l);
	tmpdir_free(dir);
}

static void test_lock__errors(void)
{
	char *dir = tmpdir_new();
	char path[512];
	struct lock *l = NULL;
	struct lock_holder h;
	struct err err = ERR_INIT;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/missing/state", dir);
	CHECK_INT(lock_acquire(&l, path, "apply", 0, NULL, &err), ERR_IO);
	CHECK(l == NULL);
	CHECK(strstr(err.msg, path) != NULL);
	err_clear(&err);
	CHECK_INT(lock_acquire(&l, "", "apply", 0, NULL, &err), ERR_INVALID);
	err_clear(&err);
	/* no lock file yet: no holder */
	CHECK_INT(lock_holder_read(&h, dir, &err), 0);
	CHECK_INT(h.pid, 0);
	rmdir(dir);
	free(dir);
}

static void test_lock__format_and_durations(void)
{
	struct lock_holder h = { 1234, "h", 1795600800, "apply of release 7" };
	struct err err = ERR_INIT;
	char buf[512];
	long ms = -1;

	lock_holder_format(buf, sizeof(buf), &h);
	CHECK_STR(buf, "pid 1234 on host h since 2026-11-25T10:00:00Z (apply of release 7)");
	CHECK_INT(lock_parse_duration(&ms, "0", &err), 0);
	CHECK_INT(ms, 0);
	CHECK_INT(lock_parse_duration(&ms, "30", &err), 0);
	CHECK_INT(ms, 30000);
	CHECK_INT(lock_parse_duration(&ms, "30s", &err), 0);
	CHECK_INT(ms, 30000);
	CHECK_INT(lock_parse_duration(&ms, "500ms", &err), 0);
	CHECK_INT(ms, 500);
	CHECK_INT(lock_parse_duration(&ms, "5m", &err), 0);
	CHECK_INT(ms, 300000);
	CHECK_INT(lock_parse_duration(&ms, "2h", &err), 0);
	CHECK_INT(ms, 7200000);
	CHECK_INT(lock_parse_duration(&ms, "25h", &err), ERR_INVALID);
	CHECK(strstr(err.msg, "longer than a day") != NULL);
	err_clear(&err);
	CHECK_INT(lock_parse_duration(&ms, "99999999999999999999", &err), ERR_INVALID);
	err_clear(&err);
	CHECK_INT(lock_parse_duration(&ms, "5x", &err), ERR_INVALID);
	err_clear(&err);
	CHECK_INT(lock_parse_duration(&ms, "-1", &err), ERR_INVALID);
	err_clear(&err);
	CHECK_INT(lock_parse_duration(&ms, "", &err), ERR_INVALID);
	CHECK_INT(ms, 7200000); /* untouched on failure */
}

int main(void)
{
	RUN(test_lock__acquire_release);
	RUN(test_lock__busy_names_holder);
	RUN(test_lock__wait_for_release);
	RUN(test_lock__stale_after_sigkill);
	RUN(test_lock__errors);
	RUN(test_lock__format_and_durations);
	return CHECK_DONE();
}
