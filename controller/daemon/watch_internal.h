/*
 * watch_internal.h - what watch.c (set-up, the events stream, the loop, what
 * other threads ask) and watch_tick.c (one project's tick) share: the
 * watcher's state and the small helpers of a project's tick.
 */
#ifndef DEPLOYCTL_WATCH_INTERNAL_H
#define DEPLOYCTL_WATCH_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "daemon_internal.h"
#include "deployctl/buf.h"
#include "deployctl/gitsrc.h"
#include "deployctl/watch.h"

/* Every drift after this long since the last repair starts a new streak. */
#define WATCH_HEAL_WINDOW_S 60.0
/* Outage back-off of the events stream, seconds. */
#define WATCH_EVENTS_BACKOFF_MAX 30.0

/* One project's state between ticks. */
struct wproj {
	const struct watch_project *conf;
	char *repo_path;    /* the local repository, or a remote's cache */
	bool remote;        /* conf->opts.repo is a URL: fetch before reading the ref */
	char sha[41];       /* the deploy branch's commit at the last tick */
	char converged[41]; /* the commit the stack was last found converged to */
	char pinned[41];    /* the commit a rollback quarantined, while it is the branch's */
	char failed[41];    /* the commit whose apply failed last (backing off) */
	struct deploy dp;   /* the converged commit's model, kept for the fast diff */
	bool cached;
	/*
	 * While cached: Docker's last container list answer, found converged.
	 * The same answer to the same model is the same verdict, so a tick that
	 * gets it again decodes and diffs nothing. Emptied when cached ends.
	 */
	struct buf last_list;
	double next_tick;  /* monotonic seconds */
	double retry_at;   /* back-off: no apply before this */
	unsigned failures; /* applies of sha that failed in a row */
	unsigned heal_streak;
	double last_heal;
	bool soon;                /* an apply ran: the next tick comes within a second */
	struct gitsrc_refs *refs; /* repo_path, open */
	struct watch *w;
	/* set by other threads, under w->mu */
	bool event;           /* a container of the project changed */
	char event_note[256]; /* what the last event was, for the log */
	double trigger_at;    /* a webhook asked for a tick at this time; 0: none */
	char last_said[512];  /* not to repeat the same report every tick */
	struct metrics_project m;
	/* its own thread, Docker connection and store connection */
	struct ctx ctx;
	pthread_t thread;
	bool thread_running;
	pthread_cond_t cv; /* with w->mu: something for this project to do, or stop */
};

struct watch {
	struct ctx *ctx;
	const struct watch_conf *conf;
	struct watch_callbacks cb;
	struct watch_conf reloaded; /* a configuration reload() made; owned */
	bool have_reloaded;
	struct wproj *p;
	size_t np;
	pthread_mutex_t mu;
	bool stopping; /* under mu: project threads finish their tick and end */
	int wake[2];   /* self-pipe: signals, and max_ticks reached */
	pthread_t events_thread;
	bool events_running;
	volatile bool events_stop;
	unsigned ticks;
	double noop_time;    /* seconds spent in no-op ticks */
	unsigned noop_ticks; /* their count */
	unsigned noop_calls; /* their Docker calls */
	struct metrics_webhook webhooks[8];
	size_t nwebhooks;
	double started_unix;
};

static volatile sig_atomic_t watch_sig_stop, watch_sig_hup;

/* Wall-clock seconds since the epoch (for the metrics' start time). */
double watch_unix_now(void);
/* The name a project goes by in logs and metrics (borrowed). */
const char *watch_pname(const struct wproj *p);
/* The ref a project deploys ("HEAD" when none is set; borrowed). */
const char *watch_pref(const struct wproj *p);
/* Log msg unless it is what this project said last (a state, not an event). */
void watch_say_once(struct wproj *p, bool warn, const char *msg);
/* The back-off before the n-th retry: the interval (at least 1 s), doubled up to the cap. */
long watch_backoff_ms(const struct wproj *p, unsigned n);
/* Count a failure of p's commit and schedule its next try; what says what failed. */
void watch_back_off(struct wproj *p, const char *what);
/* One tick of p (watch_tick.c); event_note: what woke it, or NULL. */
void watch_tick(struct watch *w, struct wproj *p, const char *event_note);

#endif
