/*
 * metrics.h - deployctl's Prometheus metrics (text exposition format 0.0.4):
 * the per-project counters and gauges, rendered by one renderer for both
 * `serve` (/metrics, counted by the watcher as it runs releases) and
 * `deployctl metrics` (read back from the state database and one Docker
 * list call, for node_exporter's textfile collector).
 */
#ifndef DEPLOYCTL_METRICS_H
#define DEPLOYCTL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "deployctl/buf.h"
#include "deployctl/docker.h"
#include "deployctl/err.h"
#include "deployctl/store.h"

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
	uint64_t manual_rollbacks; /* releases of kind rollback (deployctl rollback) */
	int64_t last_release;
	double last_release_time; /* unix seconds, 0: none */
	double last_success_time; /* unix seconds of the latest succeeded release, 0: none */
	unsigned desired, running, healthy;
	int up_to_date; /* 1 converged, 0 not, -1 unknown */
};

struct metrics_webhook {
	const char *result;
	uint64_t n;
};

/*
 * Count one finished release of p: its status name (store_status_name()),
 * duration, number and end time (unix seconds).
 */
void metrics_release(struct metrics_project *p, const char *status, double seconds, int64_t release,
                     double unix_time);

/* What the numbers come from, which decides the families rendered. */
enum metrics_source {
	/* serve: everything, with the watcher's own counters and webhooks */
	METRICS_FROM_WATCHER,
	/*
	 * deployctl metrics: releases, rollbacks, durations, last release and
	 * last success, services gauges, deployctl_docker_up; not the counters
	 * only a long-lived watcher can know (ticks, drift, fetch errors, webhooks).
	 */
	METRICS_FROM_STATE,
};

/*
 * The Prometheus text for projects (and, from the watcher, the webhook
 * counters and its start time) appended to out; names deployctl_*, one
 * HELP and TYPE per family, label values escaped. docker_up is rendered
 * only from the state (1 when the list call answered). 0 or ERR_NOMEM.
 */
int metrics_render(struct buf *out, enum metrics_source src,
                   const struct metrics_project *const *projects, size_t n,
                   const struct metrics_webhook *webhooks, size_t nwebhooks, double started,
                   int docker_up);

/*
 * Fill *out (new array of *n, free()) with one entry per project that has
 * releases in s (only project when not NULL): release counts by status and
 * kind, durations, the latest release and the latest success, and desired
 * replicas from the current release (the newest that succeeded or was
 * interrupted). With d, one container list call over every project fills
 * running and healthy; *docker_up says whether it answered. ERR_STORE,
 * ERR_NOMEM.
 */
int metrics_from_state(struct metrics_project **out, size_t *n, int *docker_up, struct store *s,
                       struct docker *d, const char *project, struct err *err);

#endif
