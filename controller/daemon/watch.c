/*
 * watch.c - the long-lived reconciler: every interval (or when the Docker
 * events stream, a webhook or a signal says so) each project's deploy
 * branch is read and, with nothing new, its containers are listed once and
 * diffed against the commit's model kept from the last full look; only a
 * moved branch or a drift runs the whole apply path (load, observe,
 * preflight, release_run under the state lock). A rolled-back commit is
 * never redeployed, a project whose applies keep failing backs off, and a
 * Docker or remote outage is logged and retried. SIGTERM and SIGINT stop
 * the loop between actions, never inside one; SIGHUP reloads.
 */
#include "deployctl/watch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon_internal.h"
#include "deployctl/clock.h"
#include "deployctl/gitsrc.h"
#include "deployctl/lock.h"
#include "deployctl/log.h"

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
static int watch_wake_fd = -1;

bool watch_stop_requested(void)
{
	return watch_sig_stop != 0;
}

static void watch_signal(int sig)
{
	int saved = errno;

	if (sig == SIGHUP)
		watch_sig_hup = 1;
	else
		watch_sig_stop = sig;
	if (watch_wake_fd >= 0 && write(watch_wake_fd, "s", 1) < 0) {
		/* a full pipe already wakes the loop */
	}
	errno = saved;
}

static void watch_wakeup(struct watch *w)
{
	if (write(w->wake[1], "w", 1) < 0) {
		/* a full pipe already wakes the loop */
	}
}

static double unix_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The name a project goes by in logs and metrics. */
static const char *pname(const struct wproj *p)
{
	if (p->m.name[0])
		return p->m.name;
	return p->conf->name ? p->conf->name : p->conf->opts.repo ? p->conf->opts.repo : ".";
}

static const char *pref(const struct wproj *p)
{
	return p->conf->opts.ref ? p->conf->opts.ref : "HEAD";
}

/* Log msg unless it is what this project said last (a state, not an event). */
static void say_once(struct wproj *p, bool warn, const char *msg)
{
	if (!strcmp(p->last_said, msg))
		return;
	snprintf(p->last_said, sizeof(p->last_said), "%s", msg);
	if (warn)
		log_warnx("%s: %s", pname(p), msg);
	else
		log_info("%s: %s", pname(p), msg);
}

static long backoff_ms(const struct wproj *p, unsigned n)
{
	long ms = p->conf->interval_ms > 1000 ? p->conf->interval_ms : 1000;

	while (n-- > 1 && ms < WATCH_BACKOFF_MAX_MS)
		ms *= 2;
	return ms < WATCH_BACKOFF_MAX_MS ? ms : WATCH_BACKOFF_MAX_MS;
}

/* ---- the Docker events stream -------------------------------------------- */

static void events_on(void *arg, const struct docker_event *ev)
{
	struct watch *w = arg;
	size_t i;
	bool hit = false;

	/* Only what changes a container's existence or shape matters here. */
	if (strcmp(ev->action, "die") && strcmp(ev->action, "destroy") &&
	    strcmp(ev->action, "stop") && strcmp(ev->action, "kill") &&
	    strcmp(ev->action, "rename") && strcmp(ev->action, "update") &&
	    strcmp(ev->action, "pause") && strcmp(ev->action, "oom") &&
	    strcmp(ev->action, "create"))
		return;
	pthread_mutex_lock(&w->mu);
	for (i = 0; i < w->np; i++) {
		struct wproj *p = &w->p[i];

		if (!p->m.name[0] || strcmp(p->m.name, ev->project))
			continue;
		p->event = true;
		if (*ev->service)
			snprintf(p->event_note, sizeof(p->event_note), "%s#%u %s", ev->service,
			         ev->replica ? ev->replica : 1, ev->action);
		else
			snprintf(p->event_note, sizeof(p->event_note), "%s %s", ev->name,
			         ev->action);
		hit = true;
		pthread_cond_signal(&p->cv);
	}
	pthread_mutex_unlock(&w->mu);
	(void)hit;
}

static bool events_cancelled(void *arg)
{
	struct watch *w = arg;

	return w->events_stop || watch_sig_stop;
}

static void *events_main(void *arg)
{
	struct watch *w = arg;
	struct docker_event_sink sink = { events_on, events_cancelled, w };
	double wait = 1, slept;
	bool down = false;

	while (!events_cancelled(w)) {
		struct docker *d = NULL;
		struct err err = ERR_INIT;
		int rc = docker_open(&d, w->ctx->docker_host, &err);

		if (rc == 0) {
			if (down)
				log_info("docker events stream is back");
			down = false;
			wait = 1;
			/* Whatever happened while it was down is found by a tick. */
			size_t i;

			pthread_mutex_lock(&w->mu);
			for (i = 0; i < w->np; i++) {
				w->p[i].event = true;
				pthread_cond_signal(&w->p[i].cv);
			}
			pthread_mutex_unlock(&w->mu);
			rc = docker_events_follow(d, &sink, &err);
		}
		docker_free(d);
		if (events_cancelled(w))
			break;
		if (rc < 0 && !down)
			log_warnx("docker events stream: %s; drift is found by polling until it "
			          "is back",
			          err.msg);
		down = true;
		for (slept = 0; slept < wait && !events_cancelled(w); slept += 0.1) {
			struct timespec ts = { 0, 100 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
		wait = wait * 2 < WATCH_EVENTS_BACKOFF_MAX ? wait * 2 : WATCH_EVENTS_BACKOFF_MAX;
	}
	return NULL;
}

/* ---- set-up ---------------------------------------------------------------- */

static void wproj_release(struct wproj *p)
{
	if (p->cached)
		deploy_release(&p->dp);
	p->cached = false;
	free(p->repo_path);
	p->repo_path = NULL;
	gitsrc_refs_free(p->refs);
	p->refs = NULL;
	store_free(p->ctx.store);
	docker_free(p->ctx.docker);
	free(p->ctx.state_dir_abs); /* made by cmd_state_dir() on this project's context */
	p->ctx.store = NULL;
	p->ctx.docker = NULL;
	p->ctx.state_dir_abs = NULL;
	pthread_cond_destroy(&p->cv);
}

static int wproj_init(struct wproj *p, const struct watch_project *conf, struct ctx *ctx,
                      struct err *err)
{
	const char *repo = conf->opts.repo ? conf->opts.repo : ".";

	pthread_condattr_t ca;

	memset(p, 0, sizeof(*p));
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	p->conf = conf;
	p->ctx.state_dir = ctx->state_dir;
	p->ctx.docker_host = ctx->docker_host;
	p->m.up_to_date = -1;
	p->remote = gitsrc_is_remote(repo);
	if (conf->name)
		snprintf(p->m.name, sizeof(p->m.name), "%s", conf->name);
	if (conf->opts.project)
		snprintf(p->m.name, sizeof(p->m.name), "%s", conf->opts.project);
	if (p->remote)
		return gitsrc_cache_path(&p->repo_path, repo, ctx->state_dir, err);
	p->repo_path = strdup(repo);
	return p->repo_path ? 0 : err_set(err, ERR_NOMEM, "out of memory");
}

static int watch_projects(struct watch *w, const struct watch_conf *conf, struct err *err)
{
	struct wproj *v = calloc(conf->n ? conf->n : 1, sizeof(*v));
	size_t i;
	int rc = 0;

	if (!v)
		return err_set(err, ERR_NOMEM, "out of memory");
	for (i = 0; i < conf->n && rc == 0; i++)
		rc = wproj_init(&v[i], &conf->v[i], w->ctx, err);
	if (rc < 0) {
		while (i--)
			wproj_release(&v[i]);
		free(v);
		return rc;
	}
	pthread_mutex_lock(&w->mu);
	/* counters survive a reload for projects that stay */
	for (i = 0; i < conf->n; i++) {
		size_t k;

		for (k = 0; k < w->np; k++)
			if (v[i].m.name[0] && !strcmp(v[i].m.name, w->p[k].m.name))
				v[i].m = w->p[k].m;
	}
	for (i = 0; i < w->np; i++)
		wproj_release(&w->p[i]);
	free(w->p);
	w->p = v;
	w->np = conf->n;
	w->conf = conf;
	pthread_mutex_unlock(&w->mu);
	return 0;
}

int watch_new(struct watch **out, struct ctx *ctx, const struct watch_conf *conf,
              const struct watch_callbacks *cb, struct err *err)
{
	struct watch *w = calloc(1, sizeof(*w));
	int rc, i;

	if (!w)
		return err_set(err, ERR_NOMEM, "out of memory");
	w->ctx = ctx;
	w->wake[0] = w->wake[1] = -1;
	if (cb)
		w->cb = *cb;
	pthread_mutex_init(&w->mu, NULL);
	w->started_unix = unix_now();
	if (pipe(w->wake) < 0) {
		rc = err_set(err, ERR_IO, "pipe: %s", strerror(errno));
		goto fail;
	}
	for (i = 0; i < 2; i++) {
		fcntl(w->wake[i], F_SETFD, FD_CLOEXEC);
		fcntl(w->wake[i], F_SETFL, O_NONBLOCK);
	}
	rc = watch_projects(w, conf, err);
	if (rc < 0)
		goto fail;
	*out = w;
	return 0;
fail:
	watch_free(w);
	return rc;
}

void watch_free(struct watch *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->np; i++)
		wproj_release(&w->p[i]);
	free(w->p);
	if (w->have_reloaded && w->cb.conf_release)
		w->cb.conf_release(&w->reloaded, w->cb.ctx);
	if (w->wake[0] >= 0)
		close(w->wake[0]);
	if (w->wake[1] >= 0)
		close(w->wake[1]);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

/* ---- one tick ------------------------------------------------------------ */

static int old_spec(void *arg, char **out, const char *release, const char *service)
{
	struct ctx *ctx = arg;
	struct err err = ERR_INIT;
	char *end;
	long long id = strtoll(release, &end, 10);

	if (*end || id <= 0)
		return ERR_NOTFOUND;
	return store_service_spec(out, ctx->store, id, service, &err);
}

/* Count what runs, for the gauges. */
static void gauges(struct wproj *p, const struct project *pr, const struct docker_container *c,
                   size_t n)
{
	unsigned desired = 0, running = 0, healthy = 0;
	size_t i;

	for (i = 0; i < pr->nservices; i++)
		desired += pr->services[i].replicas;
	for (i = 0; i < n; i++) {
		if (!c[i].state || strcmp(c[i].state, "running") || !c[i].name ||
		    reconcile_is_retained(c[i].name))
			continue;
		running++;
		/* Docker's status text ends in "(healthy)", "(unhealthy)" or "(health: starting)"
		 */
		healthy += !c[i].status || (!strstr(c[i].status, "(unhealthy)") &&
		                            !strstr(c[i].status, "(health: starting)"));
	}
	pthread_mutex_lock(&p->w->mu);
	p->m.desired = desired;
	p->m.running = running;
	p->m.healthy = healthy;
	pthread_mutex_unlock(&p->w->mu);
}

/* The plan's actions in one line: "create api#1 (no container), ...". */
static void plan_summary(char *out, size_t size, const struct plan *plan)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < plan->n && len < size; i++) {
		const struct action *a = &plan->v[i];
		int k;

		if (a->replica)
			k = snprintf(out + len, size - len, "%s%s %s#%u: %s", i ? "; " : "",
			             reconcile_action_name(a->kind), a->target, a->replica,
			             a->reason);
		else
			k = snprintf(out + len, size - len, "%s%s %s: %s", i ? "; " : "",
			             reconcile_action_name(a->kind), a->target, a->reason);
		if (k < 0)
			break;
		len += (size_t)k;
	}
}

/*
 * The fast look: one container list call, diffed against the converged
 * model. 0 with *drift false when nothing differs.
 */
static int fast_look(bool *drift, char *why, size_t whysize, struct wproj *p, struct ctx *ctx,
                     struct err *err)
{
	struct docker_container *c = NULL;
	struct reconcile_input in = { 0 };
	struct plan plan = { 0 };
	size_t n = 0;
	int rc;

	rc = docker_container_list(&c, &n, ctx->docker, p->dp.project->name, err);
	if (rc < 0)
		return rc;
	in.desired = p->dp.project;
	in.hashes = (const char(*)[HASH_HEX_LEN + 1]) p->dp.hashes;
	in.containers = c;
	in.ncontainers = n;
	in.prev_services = &p->dp.prev_services;
	in.prev_networks = p->dp.prev_release ? &p->dp.prev_networks : NULL;
	in.prev_volumes = p->dp.prev_release ? &p->dp.prev_volumes : NULL;
	in.old_spec = old_spec;
	in.old_spec_ctx = ctx;
	rc = reconcile_diff(&plan, &in, err);
	if (rc == 0) {
		*drift = plan.n > 0 || plan.need_resources;
		plan_summary(why, whysize, &plan);
		gauges(p, p->dp.project, c, n);
	}
	reconcile_plan_release(&plan);
	docker_container_list_free(c, n);
	return rc;
}

/* Fetch a remote, then read the branch: the commit to be at. */
static int read_branch(struct wproj *p, struct ctx *ctx, struct err *err)
{
	char sha[41];
	char *path = NULL;
	int rc;

	if (p->remote) {
		rc = gitsrc_fetch(&path, p->conf->opts.repo, ctx->state_dir, err);
		free(path);
		if (rc < 0)
			return rc;
	}
	/* kept open: a tick reads one ref, not a repository's set-up */
	if (!p->refs && gitsrc_refs_open(&p->refs, p->repo_path, err) < 0)
		return err->code;
	rc = gitsrc_refs_resolve(sha, p->refs, pref(p), err);
	if (rc < 0) {
		gitsrc_refs_free(p->refs);
		p->refs = NULL;
		return rc;
	}
	if (strcmp(sha, p->sha)) {
		if (p->sha[0])
			log_info("%s: %s moved: commit %.12s -> %.12s", pname(p), pref(p), p->sha,
			         sha);
		memcpy(p->sha, sha, sizeof(sha));
		p->failures = 0;
		p->heal_streak = 0;
		p->retry_at = 0;
		p->last_said[0] = '\0';
		if (p->cached)
			deploy_release(&p->dp);
		p->cached = false;
	}
	return 0;
}

/* Is the branch's commit quarantined by a rollback? Says so once. */
static bool is_pinned(struct wproj *p, struct ctx *ctx, const char *project)
{
	struct store_pin pin = { 0 };
	struct err err = ERR_INIT;
	char msg[512];
	bool pinned = false;

	if (store_pin_get(&pin, ctx->store, project, &err) < 0)
		return false;
	if (pin.commit && !strcmp(pin.commit, p->sha)) {
		snprintf(
		        msg, sizeof(msg),
		        "commit %.12s was rolled back (release %lld pinned by %s); not redeploying "
		        "it: push a new commit or run 'deployctl unpin'",
		        p->sha, (long long)pin.release_id, pin.who ? pin.who : "?");
		say_once(p, true, msg);
		memcpy(p->pinned, p->sha, sizeof(p->pinned));
		pinned = true;
	} else if (store_pin_clear(ctx->store, project, &err) == 0) {
		log_info("%s: pin on release %lld cleared: deploying commit %.12s", project,
		         (long long)pin.release_id, p->sha);
	}
	store_pin_release(&pin);
	return pinned;
}

/*
 * At start: was the branch's commit the last one deployed successfully? Then a
 * plan now is drift (repaired only with self-heal), not a new commit.
 */
static void converged_before(struct wproj *p, struct ctx *ctx, const char *project)
{
	struct store_release r = { 0 };
	struct err err = ERR_INIT;
	int64_t id = 0;

	if (store_release_latest(&id, ctx->store, project, NULL, &err) < 0 || !id ||
	    store_release_get(&r, ctx->store, id, &err) < 0)
		return;
	if (r.source && !strcmp(r.source, p->sha) && r.status &&
	    (!strcmp(r.status, "succeeded") || !strcmp(r.status, "interrupted")))
		memcpy(p->converged, p->sha, sizeof(p->converged));
	store_release_release(&r);
}

/* What the latest release recorded, into the metrics (after an apply). */
static void count_release(struct watch *w, struct wproj *p, double took)
{
	struct ctx *ctx = &p->ctx;
	struct store_release r = { 0 };
	struct err err = ERR_INIT;
	int64_t id = 0;

	if (store_release_latest(&id, ctx->store, pname(p), NULL, &err) < 0 || !id ||
	    id == p->m.last_release || store_release_get(&r, ctx->store, id, &err) < 0)
		return;
	pthread_mutex_lock(&w->mu);
	metrics_release(&p->m, r.status, took, id, unix_now());
	pthread_mutex_unlock(&w->mu);
	store_release_release(&r);
}

/* Failed again: wait longer before the next attempt, and say so. */
static void back_off(struct wproj *p, const char *what)
{
	long ms;

	p->failures++;
	ms = backoff_ms(p, p->failures);
	p->retry_at = clock_mono() + (double)ms / 1000;
	log_warnx("%s: %s; attempt %u, next in %lds", pname(p), what, p->failures, ms / 1000);
}

/*
 * The whole apply path for p at p->sha: load, observe, and when the plan
 * is not empty (a new commit, or drift with self-heal on), run it as a
 * release under the state lock.
 */
static void full_tick(struct watch *w, struct wproj *p, const char *drift_note)
{
	struct ctx *ctx = &p->ctx;
	struct watch_lock lk = { -1, -1 };
	struct err lerr = ERR_INIT;
	struct deploy dp = { 0 };
	struct deploy_opts o = p->conf->opts;
	struct release_opts ro = { .kind = "apply", .t0 = clock_mono() };
	char why[1024], what[1200];
	bool drift;
	double t0;
	int ex;

	o.repo = p->repo_path;
	o.ref = p->sha;
	ro.parallel = w->conf->parallel ? w->conf->parallel : 4;
	ro.keep = w->conf->keep;
	/* the release's summary counts the calls of this reconcile, not of the process */
	if (ctx->docker)
		docker_reset_stats(ctx->docker);
	/*
	 * As apply does: the lock from planning to the last action, so a plan is
	 * never made from what a concurrent apply or rollback is changing.
	 */
	if (watch_lock_take(&lk, ctx->state_dir, pname(p), w->conf->lock_wait_ms, &lerr) < 0) {
		snprintf(what, sizeof(what), "%s; trying again next tick", lerr.msg);
		say_once(p, true, what);
		goto out;
	}
	ex = deploy_prepare(&dp, ctx, &o);
	if (ex != EXIT_OK) {
		pthread_mutex_lock(&w->mu);
		p->m.apply_errors++;
		p->m.up_to_date = 0;
		pthread_mutex_unlock(&w->mu);
		back_off(p, ex == EXIT_UNREACHABLE
		                    ? "docker does not answer"
		                    : "cannot load or observe the project (see above)");
		goto out;
	}
	/* the branch name, not the SHA the watcher pinned it to, is what was asked for */
	free(dp.ref);
	dp.ref = strdup(pref(p));
	pthread_mutex_lock(&w->mu);
	snprintf(p->m.name, sizeof(p->m.name), "%s", dp.project->name);
	pthread_mutex_unlock(&w->mu);
	if (!p->converged[0])
		converged_before(p, ctx, dp.project->name);
	if (is_pinned(p, ctx, dp.project->name))
		goto out;
	p->pinned[0] = '\0';
	gauges(p, dp.project, dp.containers, dp.ncontainers);
	if (!dp.plan.n) {
		/* converged: keep the model for the fast look */
		memcpy(p->converged, p->sha, sizeof(p->converged));
		p->dp = dp;
		memset(&dp, 0, sizeof(dp));
		p->cached = true;
		snprintf(why, sizeof(why), "up to date with %s at commit %.12s", pref(p), p->sha);
		say_once(p, false, why);
		pthread_mutex_lock(&w->mu);
		p->m.up_to_date = 1;
		pthread_mutex_unlock(&w->mu);
		goto out;
	}
	pthread_mutex_lock(&w->mu);
	p->m.up_to_date = 0;
	pthread_mutex_unlock(&w->mu);
	drift = p->converged[0] && !strcmp(p->converged, p->sha);
	plan_summary(why, sizeof(why), &dp.plan);
	if (drift) {
		if (!p->conf->self_heal) {
			snprintf(what, sizeof(what), "drift (self-heal off, not repaired): %s%s%s",
			         drift_note ? drift_note : "", drift_note ? ": " : "", why);
			say_once(p, true, what);
			goto out;
		}
		if (clock_mono() - p->last_heal < WATCH_HEAL_WINDOW_S)
			p->heal_streak++;
		else
			p->heal_streak = 1;
		if (p->heal_streak > WATCH_HEAL_STREAK && clock_mono() < p->retry_at)
			goto out;
	}
	if (p->failed[0] && !strcmp(p->failed, p->sha) && clock_mono() < p->retry_at)
		goto out;
	if (w->cb.preflight && (ex = w->cb.preflight(ctx, &dp, &o)) != EXIT_OK) {
		back_off(p, "the pre-deployment checks failed (see above)");
		memcpy(p->failed, p->sha, sizeof(p->failed));
		goto out;
	}
	if (drift)
		log_info("%s: apply: drift: %s%s%s", pname(p), drift_note ? drift_note : "",
		         drift_note ? ": " : "", why);
	else
		log_info("%s: apply: commit %.12s -> %.12s (%s)", pname(p),
		         p->converged[0] ? p->converged : "(none)", p->sha, pref(p));
	t0 = clock_mono();
	ex = release_run(&dp, ctx, &ro);
	watch_lock_release(&lk);
	count_release(w, p, clock_mono() - t0);
	p->last_said[0] = '\0';
	if (drift) {
		p->last_heal = clock_mono();
		if (p->heal_streak >= WATCH_HEAL_STREAK) {
			long ms = backoff_ms(p, p->heal_streak);

			p->retry_at = clock_mono() + (double)ms / 1000;
			log_warnx("%s: repaired %u times in a row within %.0fs (a crash loop?): "
			          "backing off, next repair in %lds at the earliest",
			          pname(p), p->heal_streak, WATCH_HEAL_WINDOW_S, ms / 1000);
		}
	}
	/* look again soon: the converged model is kept for the fast ticks from then on */
	p->soon = true;
	if (ex == EXIT_OK) {
		p->failures = 0;
		p->failed[0] = '\0';
		memcpy(p->converged, p->sha, sizeof(p->converged));
	} else {
		memcpy(p->failed, p->sha, sizeof(p->failed));
		back_off(p, "the release did not succeed");
	}
out:
	watch_lock_release(&lk);
	deploy_release(&dp);
}

static void tick(struct watch *w, struct wproj *p, const char *event_note)
{
	struct ctx *ctx = &p->ctx;
	struct docker_stats before = { 0 }, after = { 0 };
	struct err err = ERR_INIT;
	char why[1024], note[300];
	bool drift = false;
	double t0 = clock_mono();
	int rc;

	pthread_mutex_lock(&w->mu);
	p->m.ticks++;
	pthread_mutex_unlock(&w->mu);
	rc = read_branch(p, ctx, &err);
	if (rc < 0) {
		char msg[600];

		pthread_mutex_lock(&w->mu);
		p->m.fetch_errors++;
		pthread_mutex_unlock(&w->mu);
		snprintf(msg, sizeof(msg), "cannot read %s: %s", pref(p), err.msg);
		back_off(p, msg);
		return;
	}
	if (p->pinned[0] && !strcmp(p->pinned, p->sha)) {
		/* a cheap read of the pin: unpin makes the commit deployable again */
		struct store_pin pin = { 0 };
		bool still = store_pin_get(&pin, ctx->store, pname(p), &err) == 0 && pin.commit &&
		             !strcmp(pin.commit, p->sha);

		store_pin_release(&pin);
		if (still)
			return;
		p->pinned[0] = '\0';
	}
	if (p->cached) {
		if (ctx->docker)
			docker_get_stats(&before, ctx->docker);
		rc = fast_look(&drift, why, sizeof(why), p, ctx, &err);
		if (rc < 0) {
			pthread_mutex_lock(&w->mu);
			p->m.apply_errors++;
			pthread_mutex_unlock(&w->mu);
			back_off(p, err.msg);
			return;
		}
		if (!drift) {
			docker_get_stats(&after, ctx->docker);
			pthread_mutex_lock(&w->mu);
			w->noop_ticks++;
			w->noop_time += clock_mono() - t0;
			w->noop_calls += after.calls - before.calls;
			p->m.noop_ticks++;
			p->m.up_to_date = 1;
			pthread_mutex_unlock(&w->mu);
			p->failures = 0;
			return;
		}
		pthread_mutex_lock(&w->mu);
		p->m.drift++;
		p->m.up_to_date = 0;
		pthread_mutex_unlock(&w->mu);
		/* the full path re-checks the pin and makes the plan it would run */
		deploy_release(&p->dp);
		p->cached = false;
	}
	if (event_note && *event_note)
		snprintf(note, sizeof(note), "%s (docker event)", event_note);
	else
		note[0] = '\0';
	if (p->retry_at && clock_mono() < p->retry_at)
		return;
	full_tick(w, p, note[0] ? note : NULL);
}

/* ---- the loop ------------------------------------------------------------ */

/* Each project's own thread: wait for its time, an event or a trigger; tick; again. */
static void *wproj_main(void *arg)
{
	struct wproj *p = arg;
	struct watch *w = p->w;
	char note[256];

	if (cmd_open_store(&p->ctx) != EXIT_OK)
		log_warnx("%s: the state database does not open; retrying each tick", pname(p));
	pthread_mutex_lock(&w->mu);
	while (!w->stopping) {
		double now = clock_mono(), next = p->next_tick;
		bool due =
		        now >= p->next_tick || p->event || (p->trigger_at && now >= p->trigger_at);

		if (!due) {
			struct timespec ts;

			if (p->trigger_at && p->trigger_at < next)
				next = p->trigger_at;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			next -= now;
			if (next > 3600)
				next = 3600;
			ts.tv_sec += (time_t)next;
			ts.tv_nsec += (long)((next - (double)(time_t)next) * 1e9);
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&p->cv, &w->mu, &ts);
			continue;
		}
		snprintf(note, sizeof(note), "%s", p->event ? p->event_note : "");
		p->event = false;
		p->event_note[0] = '\0';
		p->trigger_at = 0;
		pthread_mutex_unlock(&w->mu);
		if (!p->ctx.store && cmd_open_store(&p->ctx) != EXIT_OK)
			back_off(p, "the state database does not open");
		else
			tick(w, p, note);
		now = clock_mono();
		pthread_mutex_lock(&w->mu);
		p->next_tick = now + (double)p->conf->interval_ms / 1000;
		if (p->soon && p->conf->interval_ms > 1000)
			p->next_tick = now + 1;
		p->soon = false;
		w->ticks++;
		if (w->conf->max_ticks && w->ticks >= w->conf->max_ticks && !w->stopping) {
			w->stopping = true;
			watch_wakeup(w);
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Start every project's thread; they share nothing but the metrics and w->mu. */
static void start_projects(struct watch *w)
{
	sigset_t block, old;
	size_t i;

	/* signals are the main thread's: the project threads never take them */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	pthread_mutex_lock(&w->mu);
	w->stopping = false;
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < w->np; i++) {
		w->p[i].w = w;
		if (pthread_create(&w->p[i].thread, NULL, wproj_main, &w->p[i]) == 0)
			w->p[i].thread_running = true;
		else
			log_warnx("%s: cannot start its thread", pname(&w->p[i]));
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Ask every project thread to end after its tick in progress, and wait for them. */
static void stop_projects(struct watch *w)
{
	size_t i;

	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	for (i = 0; i < w->np; i++)
		pthread_cond_signal(&w->p[i].cv);
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < w->np; i++)
		if (w->p[i].thread_running) {
			pthread_join(w->p[i].thread, NULL);
			w->p[i].thread_running = false;
		}
}

static void reload(struct watch *w)
{
	struct watch_conf fresh = { 0 };
	struct err err = ERR_INIT;
	size_t i;

	watch_sig_hup = 0;
	/* between ticks only: each project finishes what it is doing first */
	stop_projects(w);
	if (!w->cb.reload) {
		log_info("SIGHUP: dropping cached state; every project is looked at afresh");
		for (i = 0; i < w->np; i++) {
			if (w->p[i].cached)
				deploy_release(&w->p[i].dp);
			w->p[i].cached = false;
			w->p[i].retry_at = 0;
			w->p[i].failures = 0;
			w->p[i].next_tick = 0;
			w->p[i].last_said[0] = '\0';
		}
	} else if (w->cb.reload(&fresh, w->cb.ctx) < 0) {
		log_warnx("SIGHUP: the configuration did not load; keeping the running one");
	} else if (watch_projects(w, &fresh, &err) < 0) {
		log_warnx("SIGHUP: %s; keeping the running configuration", err.msg);
		if (w->cb.conf_release)
			w->cb.conf_release(&fresh, w->cb.ctx);
	} else {
		if (w->have_reloaded && w->cb.conf_release)
			w->cb.conf_release(&w->reloaded, w->cb.ctx);
		w->reloaded = fresh;
		w->have_reloaded = true;
		w->conf = &w->reloaded;
		log_info("SIGHUP: configuration reloaded: %zu project(s)", w->np);
	}
	if (!watch_sig_stop)
		start_projects(w);
}

static void drain(struct watch *w)
{
	char junk[256];

	while (read(w->wake[0], junk, sizeof(junk)) > 0)
		;
}

int watch_run(struct watch *w)
{
	struct sigaction sa, old_term, old_int, old_hup;
	struct pollfd pfd = { .fd = w->wake[0], .events = POLLIN };
	int ex = EXIT_OK;
	bool done = false;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watch_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	watch_sig_stop = 0;
	watch_sig_hup = 0;
	watch_wake_fd = w->wake[1];
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGHUP, &sa, &old_hup);
	/* a broken state directory is an error at once, not a retry loop */
	ex = cmd_open_store(w->ctx);
	if (ex != EXIT_OK)
		goto out;
	if (w->conf->events) {
		sigset_t block, old;

		sigemptyset(&block);
		sigaddset(&block, SIGTERM);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGHUP);
		pthread_sigmask(SIG_BLOCK, &block, &old);
		w->events_stop = false;
		if (pthread_create(&w->events_thread, NULL, events_main, w) == 0)
			w->events_running = true;
		else
			log_warnx("cannot start the events thread; drift is found by polling only");
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	log_info("watching %zu project(s)", w->np);
	start_projects(w);
	while (!watch_sig_stop && !done) {
		if (watch_sig_hup)
			reload(w);
		drain(w);
		pthread_mutex_lock(&w->mu);
		done = w->stopping;
		pthread_mutex_unlock(&w->mu);
		if (done || watch_sig_stop)
			break;
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			break;
	}
	stop_projects(w);
	if (watch_sig_stop)
		log_info("%s: stopped between actions; no release is left running",
		         watch_sig_stop == SIGINT ? "SIGINT" : "SIGTERM");
	if (w->noop_ticks)
		log_info("%u tick(s); %u no-op tick(s), %.2f ms and %.2f Docker calls each on "
		         "average",
		         w->ticks, w->noop_ticks, w->noop_time * 1000 / w->noop_ticks,
		         (double)w->noop_calls / w->noop_ticks);
	ex = EXIT_OK;
out:
	if (w->events_running) {
		w->events_stop = true;
		pthread_join(w->events_thread, NULL);
		w->events_running = false;
	}
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	watch_wake_fd = -1;
	return ex;
}

/* ---- what other threads ask ---------------------------------------------- */

size_t watch_trigger(struct watch *w, const char *project)
{
	double at = clock_mono() + (double)WATCH_COALESCE_MS / 1000;
	size_t i, n = 0;

	pthread_mutex_lock(&w->mu);
	for (i = 0; i < w->np; i++) {
		struct wproj *p = &w->p[i];

		if (project && strcmp(project, pname(p)) &&
		    !(p->conf->name && !strcmp(project, p->conf->name)))
			continue;
		/* a burst joins the tick the first push asked for */
		if (!p->trigger_at)
			p->trigger_at = at;
		pthread_cond_signal(&p->cv);
		n++;
	}
	pthread_mutex_unlock(&w->mu);
	return n;
}

void watch_count_webhook(struct watch *w, const char *result)
{
	size_t i;

	pthread_mutex_lock(&w->mu);
	for (i = 0; i < w->nwebhooks; i++)
		if (!strcmp(w->webhooks[i].result, result))
			break;
	if (i == w->nwebhooks && i < sizeof(w->webhooks) / sizeof(w->webhooks[0])) {
		w->webhooks[i].result = result;
		w->webhooks[i].n = 0;
		w->nwebhooks++;
	}
	if (i < w->nwebhooks)
		w->webhooks[i].n++;
	pthread_mutex_unlock(&w->mu);
}

int watch_metrics(struct watch *w, struct buf *out)
{
	const struct metrics_project **v;
	size_t i;
	int rc;

	pthread_mutex_lock(&w->mu);
	v = calloc(w->np + 1, sizeof(*v));
	if (!v) {
		pthread_mutex_unlock(&w->mu);
		return ERR_NOMEM;
	}
	for (i = 0; i < w->np; i++) {
		if (!w->p[i].m.name[0])
			snprintf(w->p[i].m.name, sizeof(w->p[i].m.name), "%s", pname(&w->p[i]));
		v[i] = &w->p[i].m;
	}
	rc = metrics_render(out, METRICS_FROM_WATCHER, v, w->np, w->webhooks, w->nwebhooks,
	                    w->started_unix, 0);
	pthread_mutex_unlock(&w->mu);
	free(v);
	return rc;
}
