/*
 * lock.h - one apply or rollback per state directory at a time.
 *
 * flock(LOCK_EX | LOCK_NB) on <state_dir>/deployctl.lock (mode 0600,
 * close-on-exec). The kernel drops the flock when its holder dies, however
 * it dies, so a crash never leaves the state locked. The file also holds a
 * one-line holder record, "pid host since_unix what\n", written after the
 * lock is taken and cleared on release: it names the holder to whoever
 * finds the lock busy, and, found by the next holder, tells that the
 * previous one died without releasing.
 */
#ifndef DEPLOYCTL_LOCK_H
#define DEPLOYCTL_LOCK_H

#include <stddef.h>
#include <stdint.h>

#include "deployctl/err.h"

#define LOCK_FILE_NAME "deployctl.lock"
#define LOCK_POLL_MS   100
/* Longest --lock-wait accepted: a day. */
#define LOCK_WAIT_MAX_MS (24L * 3600 * 1000)

struct lock;

/* A holder record. Plain values, nothing to free. */
struct lock_holder {
	long pid; /* 0: no record */
	char host[256];
	int64_t since;  /* unix seconds */
	char what[256]; /* "apply of release 7", "rollback of shop", ... */
};

/*
 * Take the lock of state_dir (created 0700 if missing, as store_open()
 * does). what is recorded for others to see (control characters become
 * spaces; borrowed).
 *
 * wait_ms 0: fail at once when busy; otherwise retry every LOCK_POLL_MS
 * until wait_ms (at most LOCK_WAIT_MAX_MS) have passed. Busy: ERR_BUSY,
 * "state is locked by pid 1234 on host h since 2026-11-25T10:00:00Z (apply
 * of release 7); use --lock-wait DURATION to wait".
 *
 * stale_out (may be NULL) receives the record left by a holder that died
 * without releasing (pid 0 if there was none), so the caller can record a
 * "lock taken over from dead process" event. *out is new (lock_release()).
 * ERR_IO when the file cannot be opened or written.
 */
int lock_acquire(struct lock **out, const char *state_dir, const char *what, long wait_ms,
                 struct lock_holder *stale_out, struct err *err);

/* Rewrite the holder record with a new what (e.g. once the release number is known). */
int lock_update(struct lock *l, const char *what, struct err *err);

/* Clear the holder record, unlock and free l. NULL is a no-op. */
void lock_release(struct lock *l);

/*
 * Read the holder record of state_dir without locking (for "status"-like
 * commands): *out pid 0 when there is none. ERR_IO when unreadable; a
 * missing file is no record.
 */
int lock_holder_read(struct lock_holder *out, const char *state_dir, struct err *err);

/*
 * The holder in one line into buf, as in the ERR_BUSY message:
 * "pid 1234 on host h since 2026-11-25T10:00:00Z (apply of release 7)".
 */
void lock_holder_format(char *buf, size_t size, const struct lock_holder *h);

/*
 * Parse a --lock-wait DURATION: "0", "500ms", "30s", "5m", "1h", a bare
 * number being seconds. ERR_INVALID if malformed or above LOCK_WAIT_MAX_MS.
 */
int lock_parse_duration(long *ms_out, const char *s, struct err *err);

#endif
