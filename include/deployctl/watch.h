/*
 * watch.h - the long-lived reconciler behind "deployctl watch" and
 * "deployctl serve" (daemon/watch.c): keeps each configured project
 * converged to its deploy branch. Libraries, the Docker connection and the
 * state database are opened once; a tick with nothing to do reads one ref
 * and makes one filtered container list call. The Docker events stream
 * (its own connection, its own thread) wakes a project the moment one of
 * its containers dies, is removed or is changed by hand.
 */
#ifndef DEPLOYCTL_WATCH_H
#define DEPLOYCTL_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "deployctl/buf.h"
#include "deployctl/cmd_deploy.h"

/* Longest a backing-off project waits between attempts. */
#define WATCH_BACKOFF_MAX_MS (5L * 60 * 1000)
/* Repairs of one commit in a row, each within a minute of the last, before backing off. */
#define WATCH_HEAL_STREAK 3
/* A webhook's trigger waits this long for the rest of a burst. */
#define WATCH_COALESCE_MS 300L

/* One project to keep converged. Strings borrowed from the configuration's owner. */
struct watch_project {
	const char *name; /* config key or --project; NULL: the manifests' name */
	struct deploy_opts opts;
	long interval_ms; /* between ticks */
	bool self_heal;   /* repair drift (else only report it) */
};

struct watch_conf {
	struct watch_project *v;
	size_t n;
	long lock_wait_ms;  /* how long an apply waits for another one */
	unsigned max_ticks; /* stop after this many ticks in all (tests, benchmarks); 0: never */
	unsigned parallel;  /* apply --parallel */
	unsigned keep;      /* apply --keep */
	bool events;        /* follow the Docker events stream (default true) */
	void *owner;        /* for whoever made the configuration (reload callbacks) */
};

struct watch_callbacks {
	/* apply's pre-deployment checks (an exit status); NULL: none */
	int (*preflight)(struct ctx *ctx, struct deploy *dp, const struct deploy_opts *o);
	/*
	 * SIGHUP: fill *out with a fresh configuration (0), or leave the old
	 * one (negative, the reason printed by the callback). NULL: SIGHUP
	 * only drops what the watcher has cached.
	 */
	int (*reload)(struct watch_conf *out, void *ctx);
	/* release a configuration reload() made */
	void (*conf_release)(struct watch_conf *conf, void *ctx);
	void *ctx;
};

struct watch;

/*
 * A watcher over conf (borrowed; must outlive it unless replaced by a
 * reload) with ctx's Docker connection and store (opened by the watcher,
 * closed by main()). *out new (watch_free()).
 */
int watch_new(struct watch **out, struct ctx *ctx, const struct watch_conf *conf,
              const struct watch_callbacks *cb, struct err *err);
void watch_free(struct watch *w);

/*
 * Run until SIGTERM or SIGINT (after the action in progress, never in the
 * middle of one) or max_ticks. Installs its own SIGTERM, SIGINT and SIGHUP
 * handlers for its length and restores the old ones. Returns an exit
 * status: 0 after a requested stop.
 */
int watch_run(struct watch *w);

/*
 * Ask for a fetch and reconcile of project (NULL: every project) soon;
 * triggers within WATCH_COALESCE_MS of each other make one tick. Thread
 * safe. Returns how many projects matched.
 */
size_t watch_trigger(struct watch *w, const char *project);

/* Prometheus text exposition of the watcher's metrics into out. Thread safe. */
int watch_metrics(struct watch *w, struct buf *out);
/* Count a webhook request by its outcome ("accepted", "unauthorized", ...). Thread safe. */
void watch_count_webhook(struct watch *w, const char *result);

/* Has SIGTERM or SIGINT been received by a running watcher? */
bool watch_stop_requested(void);

#endif
