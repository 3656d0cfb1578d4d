/*
 * watch.c - the long-lived reconciler: every interval (or when the Docker
 * events stream, a webhook or a signal says so) each project's deploy
 * branch is read and, with nothing new, its containers are listed once and
 * diffed against the commit's model kept from the last full look; only a
 * moved branch or a drift runs the whole apply path (load, observe,
 * preflight, release_run under the state lock). A rolled-back commit is
 * never redeployed, a project whose applies keep failing backs off, and a
 * Docker or remote outage is logged and retried. SIGTERM and SIGINT stop
 * the loop between actions, never inside one; SIGHUP reloads. This file
 * holds the set-up, the events stream, the threads and the loop; one
 * project's tick is watch_tick.c.
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
#include "watch_internal.h"
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
	buf_release(&p->last_list);
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
	w->started_unix = watch_unix_now();
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

/* ---- the loop ------------------------------------------------------------ */

/* Each project's own thread: wait for its time, an event or a trigger; tick; again. */
static void *wproj_main(void *arg)
{
	struct wproj *p = arg;
	struct watch *w = p->w;
	char note[256];

	if (cmd_open_store(&p->ctx) != EXIT_OK)
		log_warnx("%s: the state database does not open; retrying each tick",
		          watch_pname(p));
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
			watch_back_off(p, "the state database does not open");
		else
			watch_tick(w, p, note);
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
			log_warnx("%s: cannot start its thread", watch_pname(&w->p[i]));
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

		if (project && strcmp(project, watch_pname(p)) &&
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
			snprintf(w->p[i].m.name, sizeof(w->p[i].m.name), "%s",
			         watch_pname(&w->p[i]));
		v[i] = &w->p[i].m;
	}
	rc = metrics_render(out, METRICS_FROM_WATCHER, v, w->np, w->webhooks, w->nwebhooks,
	                    w->started_unix, 0);
	pthread_mutex_unlock(&w->mu);
	free(v);
	return rc;
}
