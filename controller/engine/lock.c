/*
 * lock.c - the state lock: flock() on <state_dir>/deployctl.lock, so one
 * apply or rollback runs per state directory, plus the holder record in the
 * same file that names the holder and reveals one that died holding it.
 *
 * flock, not fcntl locks: an fcntl lock is dropped when the process closes
 * any descriptor of the file, and belongs to the process rather than to the
 * open file, so a second lock_acquire() in the same process would succeed.
 */
#include "deployctl/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "deployctl/clock.h"
#include "deployctl/sig.h"

/* A record longer than this is not ours: ignored. */
#define LOCK_RECORD_MAX 1024

struct lock {
	int fd;
	struct lock_holder self;
};

/* Copy src into dst (size bytes), control characters and, if nospace, spaces as '_'. */
static void lock_clean(char *dst, size_t size, const char *src, int nospace)
{
	size_t i;

	for (i = 0; src && src[i] && i + 1 < size; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c < 0x20 || c == 0x7f)
			dst[i] = nospace ? '_' : ' ';
		else if (c == ' ' && nospace)
			dst[i] = '_';
		else
			dst[i] = (char)c;
	}
	dst[i] = '\0';
}

/* Parse "pid host since what\n" into *h; pid 0 if it is not a record. */
static void lock_parse(struct lock_holder *h, const char *rec)
{
	const char *p = rec, *host, *what;
	char *end;
	long pid;
	long long since;
	size_t hl;

	memset(h, 0, sizeof(*h));
	errno = 0;
	pid = strtol(p, &end, 10);
	if (end == p || *end != ' ' || pid <= 0 || errno)
		return;
	host = end + 1;
	hl = strcspn(host, " \n");
	if (!hl || host[hl] != ' ' || hl >= sizeof(h->host))
		return;
	p = host + hl + 1;
	since = strtoll(p, &end, 10);
	if (end == p || (*end != ' ' && *end != '\n' && *end) || errno)
		return;
	what = *end == ' ' ? end + 1 : end;
	h->pid = pid;
	memcpy(h->host, host, hl);
	h->host[hl] = '\0';
	h->since = since;
	lock_clean(h->what, sizeof(h->what), what, 0);
	h->what[strcspn(h->what, "\n")] = '\0';
	/* the trailing newline became a space: drop trailing blanks */
	for (hl = strlen(h->what); hl && h->what[hl - 1] == ' '; hl--)
		h->what[hl - 1] = '\0';
}

/* The record in fd into *h (pid 0 if none); 0 or -1 with errno. */
static int lock_read_fd(struct lock_holder *h, int fd)
{
	char buf[LOCK_RECORD_MAX + 1];
	ssize_t n;

	memset(h, 0, sizeof(*h));
	do
		n = pread(fd, buf, LOCK_RECORD_MAX, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0 || n == LOCK_RECORD_MAX)
		return 0;
	buf[n] = '\0';
	if (!memchr(buf, '\n', (size_t)n)) /* half-written */
		return 0;
	lock_parse(h, buf);
	return 0;
}

/*
 * Replace the record in fd with h (or clear it when h is NULL). Not
 * fsynced: the record only names a holder, and what it must survive is a
 * holder that dies (SIGKILL, a crash), whose write the page cache keeps for
 * the next process. A machine crash can lose it, but then every holder died
 * with the machine, and the releases it left running are marked interrupted
 * from SQLite whether a record names it or not (cmd_lock). An fsync here
 * was the slowest call of a no-op apply: tens of ms on a busy disk.
 */
static int lock_write_fd(int fd, const struct lock_holder *h)
{
	char buf[LOCK_RECORD_MAX];
	size_t len = 0, off = 0;
	ssize_t n;
	int r;

	if (h) {
		r = snprintf(buf, sizeof(buf), "%ld %s %lld %s\n", h->pid, h->host,
		             (long long)h->since, h->what);
		if (r < 0 || (size_t)r >= sizeof(buf)) {
			errno = EOVERFLOW;
			return -1;
		}
		len = (size_t)r;
	}
	if (ftruncate(fd, 0) < 0)
		return -1;
	while (off < len) {
		n = pwrite(fd, buf + off, len - off, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

void lock_holder_format(char *buf, size_t size, const struct lock_holder *h)
{
	char since[32] = "an unknown time";
	time_t t = (time_t)h->since;
	struct tm tm;

	if (!size)
		return;
	if (h->since > 0 && gmtime_r(&t, &tm))
		strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (snprintf(buf, size, "pid %ld on host %s since %s%s%s%s", h->pid, h->host, since,
	             *h->what ? " (" : "", h->what, *h->what ? ")" : "") < 0)
		buf[0] = '\0';
}

/* mkdir dir 0700 when missing, like store_open(); an existing one is left alone. */
static int lock_make_dir(const char *dir, struct err *err)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0)
		return chmod(dir, 0700) < 0
		               ? err_set(err, ERR_IO, "cannot chmod state directory '%s': %s", dir,
		                         strerror(errno))
		               : 0;
	if (errno != EEXIST)
		return err_set(err, ERR_IO, "cannot create state directory '%s': %s", dir,
		               strerror(errno));
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(err, ERR_IO, "state directory '%s' is not a directory", dir);
	return 0;
}

static int lock_path(char *buf, size_t size, const char *state_dir, struct err *err)
{
	int r;

	if (!state_dir || !*state_dir)
		return err_set(err, ERR_INVALID, "empty state directory");
	r = snprintf(buf, size, "%s/%s", state_dir, LOCK_FILE_NAME);
	if (r < 0 || (size_t)r >= size)
		return err_set(err, ERR_IO, "state directory path too long: '%s'", state_dir);
	return 0;
}

/* Open (creating 0600) the lock file; *fd_out or ERR_IO. */
static int lock_open(int *fd_out, const char *path, struct err *err)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0 && fchmod(fd, 0600) < 0) { /* umask-proof */
		close(fd);
		fd = -1;
	} else if (fd < 0 && errno == EEXIST) {
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0)
		return err_set(err, ERR_IO, "cannot open lock file '%s': %s", path,
		               strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(err, ERR_IO, "lock file '%s' is not a regular file", path);
	}
	*fd_out = fd;
	return 0;
}

static int lock_busy(int fd, long wait_ms, struct err *err)
{
	struct lock_holder h;
	char who[700];

	if (lock_read_fd(&h, fd) < 0 || !h.pid)
		snprintf(who, sizeof(who), "another deployctl that has not said who it is yet");
	else
		lock_holder_format(who, sizeof(who), &h);
	if (wait_ms > 0)
		return err_set(err, ERR_BUSY, "state is still locked by %s after waiting %ld.%lds",
		               who, wait_ms / 1000, wait_ms % 1000 / 100);
	return err_set(err, ERR_BUSY, "state is locked by %s; use --lock-wait DURATION to wait",
	               who);
}

int lock_acquire(struct lock **out, const char *state_dir, const char *what, long wait_ms,
                 struct lock_holder *stale_out, struct err *err)
{
	char path[4096];
	struct lock *l = NULL;
	struct lock_holder old;
	long start = clock_mono_ms(), left;
	int rc, fd = -1;

	*out = NULL;
	if (stale_out)
		memset(stale_out, 0, sizeof(*stale_out));
	if (wait_ms < 0)
		wait_ms = 0;
	if (wait_ms > LOCK_WAIT_MAX_MS)
		wait_ms = LOCK_WAIT_MAX_MS;
	rc = lock_path(path, sizeof(path), state_dir, err);
	if (!rc)
		rc = lock_make_dir(state_dir, err);
	if (!rc)
		rc = lock_open(&fd, path, err);
	if (rc)
		return rc;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			rc = err_set(err, ERR_IO, "cannot lock '%s': %s", path, strerror(errno));
			goto out;
		}
		left = wait_ms - (clock_mono_ms() - start);
		if (sig_pending()) {
			rc = err_set(err, ERR_STOPPED,
			             "interrupted by %s while waiting for the state lock",
			             sig_name(sig_pending()));
			goto out;
		}
		if (left <= 0) {
			rc = lock_busy(fd, wait_ms, err);
			goto out;
		}
		clock_sleep_ms(left < LOCK_POLL_MS ? left : LOCK_POLL_MS);
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		rc = err_set(err, ERR_NOMEM, "out of memory taking the state lock");
		goto out;
	}
	l->fd = fd;
	fd = -1;
	/* a record under a free lock: its writer died holding it */
	if (lock_read_fd(&old, l->fd) == 0 && old.pid && stale_out)
		*stale_out = old;
	l->self.pid = (long)getpid();
	if (gethostname(l->self.host, sizeof(l->self.host) - 1) < 0 || !*l->self.host)
		snprintf(l->self.host, sizeof(l->self.host), "unknown");
	lock_clean(l->self.host, sizeof(l->self.host), l->self.host, 1);
	l->self.since = (int64_t)time(NULL);
	lock_clean(l->self.what, sizeof(l->self.what), what, 0);
	if (lock_write_fd(l->fd, &l->self) < 0) {
		rc = err_set(err, ERR_IO, "cannot write lock file '%s': %s", path, strerror(errno));
		goto out;
	}
	*out = l;
	l = NULL;
out:
	lock_release(l);
	if (fd >= 0)
		close(fd);
	return rc;
}

int lock_update(struct lock *l, const char *what, struct err *err)
{
	lock_clean(l->self.what, sizeof(l->self.what), what, 0);
	if (lock_write_fd(l->fd, &l->self) < 0)
		return err_set(err, ERR_IO, "cannot write lock file: %s", strerror(errno));
	return 0;
}

void lock_release(struct lock *l)
{
	if (!l)
		return;
	/* clear the record first: a record under a free lock means a dead holder */
	(void)lock_write_fd(l->fd, NULL);
	flock(l->fd, LOCK_UN);
	close(l->fd);
	free(l);
}

int lock_holder_read(struct lock_holder *out, const char *state_dir, struct err *err)
{
	char path[4096];
	int rc, fd;

	memset(out, 0, sizeof(*out));
	rc = lock_path(path, sizeof(path), state_dir, err);
	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return err_set(err, ERR_IO, "cannot open lock file '%s': %s", path,
		               strerror(errno));
	}
	if (lock_read_fd(out, fd) < 0)
		rc = err_set(err, ERR_IO, "cannot read lock file '%s': %s", path, strerror(errno));
	close(fd);
	return rc;
}

int lock_parse_duration(long *ms_out, const char *s, struct err *err)
{
	unsigned long long v = 0, unit = 1000;
	const char *p = s;

	if (!s || *s < '0' || *s > '9')
		return err_set(err, ERR_INVALID, "bad duration '%s': use e.g. 30s, 5m, 500ms",
		               s ? s : "");
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long long)(*p - '0');
		if (v > (unsigned long long)LOCK_WAIT_MAX_MS)
			goto toolong;
	}
	if (!strcmp(p, "ms"))
		unit = 1;
	else if (!*p || !strcmp(p, "s"))
		unit = 1000;
	else if (!strcmp(p, "m"))
		unit = 60 * 1000;
	else if (!strcmp(p, "h"))
		unit = 3600 * 1000;
	else
		return err_set(err, ERR_INVALID, "bad duration '%s': use e.g. 30s, 5m, 500ms", s);
	if (v * unit > (unsigned long long)LOCK_WAIT_MAX_MS)
		goto toolong;
	*ms_out = (long)(v * unit);
	return 0;
toolong:
	return err_set(err, ERR_INVALID, "duration '%s' is longer than a day", s);
}
