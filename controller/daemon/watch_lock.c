/*
 * watch_lock.c - per-project locks for the watcher, so that one project's
 * long or stuck apply never holds up another's: flock(LOCK_SH) on the
 * state lock that apply and rollback take exclusively (lock.h), so a
 * command-line apply or rollback still excludes every watcher apply and
 * the other way round, plus flock(LOCK_EX) on <state>/locks/<project>.lock,
 * so two watchers never apply one project at once.
 */
#define _DEFAULT_SOURCE /* flock() */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon_internal.h"
#include "deployctl/hash.h"
#include "deployctl/lock.h"

static int lock_open(int *fd, const char *path, struct err *err)
{
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0)
		return err_set(err, ERR_IO, "cannot open '%s': %s", path, strerror(errno));
	return 0;
}

/* flock with retries every LOCK_POLL_MS until wait_ms have passed. */
static int lock_wait(int fd, int how, long wait_ms)
{
	long waited = 0;

	for (;;) {
		struct timespec ts = { 0, LOCK_POLL_MS * 1000000L };

		if (flock(fd, how | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return ERR_IO;
		if (waited >= wait_ms)
			return ERR_BUSY;
		nanosleep(&ts, NULL);
		waited += LOCK_POLL_MS;
	}
}

/* A file name for the project: itself when plain, else a hash of it. */
static void lock_name(char *out, size_t size, const char *project)
{
	char hex[HASH_HEX_LEN + 1];
	size_t i, n = strlen(project);
	bool plain = n && n < 100 && project[0] != '.';

	for (i = 0; plain && i < n; i++)
		plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
		               project[i]) != NULL;
	if (plain) {
		snprintf(out, size, "%s", project);
		return;
	}
	hash_sha256_hex(hex, project, n);
	snprintf(out, size, "h-%.32s", hex);
}

int watch_lock_take(struct watch_lock *l, const char *state_dir, const char *project, long wait_ms,
                    struct err *err)
{
	char path[4200], name[128];
	int rc;

	l->state_fd = l->project_fd = -1;
	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
		return err_set(err, ERR_IO, "cannot create '%s': %s", state_dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", state_dir, LOCK_FILE_NAME);
	rc = lock_open(&l->state_fd, path, err);
	if (rc < 0)
		return rc;
	rc = lock_wait(l->state_fd, LOCK_SH, wait_ms);
	if (rc < 0) {
		watch_lock_release(l);
		return rc == ERR_BUSY
		               ? err_set(err, ERR_BUSY, "an apply or rollback holds the state lock")
		               : err_set(err, ERR_IO, "cannot lock '%s': %s", path,
		                         strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/locks", state_dir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		watch_lock_release(l);
		return err_set(err, ERR_IO, "cannot create '%s': %s", path, strerror(errno));
	}
	lock_name(name, sizeof(name), project);
	snprintf(path, sizeof(path), "%s/locks/%s.lock", state_dir, name);
	rc = lock_open(&l->project_fd, path, err);
	if (rc == 0)
		rc = lock_wait(l->project_fd, LOCK_EX, wait_ms);
	if (rc < 0) {
		watch_lock_release(l);
		if (err->code)
			return rc;
		return rc == ERR_BUSY
		               ? err_set(err, ERR_BUSY, "another watcher is applying '%s'", project)
		               : err_set(err, ERR_IO, "cannot lock '%s': %s", path,
		                         strerror(errno));
	}
	return 0;
}

void watch_lock_release(struct watch_lock *l)
{
	if (l->project_fd >= 0)
		close(l->project_fd);
	if (l->state_fd >= 0)
		close(l->state_fd);
	l->state_fd = l->project_fd = -1;
}
