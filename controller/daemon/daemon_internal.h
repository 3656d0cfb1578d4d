/*
 * daemon_internal.h - what the daemon's files share. The per-project
 * counters behind /metrics and their renderer live in deploy/metrics.c
 * (include/deployctl/metrics.h), shared with `deployctl metrics`.
 */
#ifndef DEPLOYCTL_DAEMON_INTERNAL_H
#define DEPLOYCTL_DAEMON_INTERNAL_H

#include "deployctl/metrics.h"

/* The watcher's locks for one project's apply (watch_lock.c); fds -1 when not held. */
struct watch_lock {
	int state_fd, project_fd;
};
/*
 * Take the state lock shared (apply and rollback take it exclusively) and
 * project's own lock exclusively, each waiting up to wait_ms. ERR_BUSY
 * when either stays taken, ERR_IO otherwise. watch_lock_release() undoes.
 */
int watch_lock_take(struct watch_lock *l, const char *state_dir, const char *project, long wait_ms,
                    struct err *err);
void watch_lock_release(struct watch_lock *l);

#endif
