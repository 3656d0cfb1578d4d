/*
 * daemon_internal.h - what watch.c and metrics.c share: the per-project
 * counters behind /metrics. Not for use outside daemon/.
 */
#ifndef DEPLOYCTL_DAEMON_INTERNAL_H
#define DEPLOYCTL_DAEMON_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "deployctl/buf.h"
#include "deployctl/err.h"

/* Upper bounds of the apply duration histogram, seconds (Prometheus "le"). */
#define METRICS_NBUCKETS 10
extern const double metrics_buckets[METRICS_NBUCKETS];

enum metrics_status {
	METRICS_SUCCEEDED,
	METRICS_FAILED,
	METRICS_ROLLED_BACK,
	METRICS_INTERRUPTED,
	METRICS_NSTATUS,
};

struct metrics_project {
	char name[128];
	uint64_t releases[METRICS_NSTATUS];
	uint64_t duration_buckets[METRICS_NBUCKETS]; /* cumulative counts per "le" */
	uint64_t duration_count;
	double duration_sum;
	uint64_t drift, fetch_errors, apply_errors, ticks, noop_ticks;
	int64_t last_release;
	double last_release_time; /* unix seconds, 0: none */
	unsigned desired, running, healthy;
	int up_to_date; /* 1 converged, 0 not, -1 unknown */
};

struct metrics_webhook {
	const char *result;
	uint64_t n;
};

/* Count one finished release of p: its status name (store_status_name()) and duration. */
void metrics_release(struct metrics_project *p, const char *status, double seconds, int64_t release,
                     double unix_time);

/*
 * The Prometheus text format (version 0.0.4) for projects and webhook
 * counters into out; names deployctl_*, one HELP and TYPE per family.
 */
int metrics_render(struct buf *out, const struct metrics_project *const *projects, size_t n,
                   const struct metrics_webhook *webhooks, size_t nwebhooks, double started);

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
