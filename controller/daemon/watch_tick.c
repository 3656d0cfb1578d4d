/*
 * watch_tick.c - one tick of one watched project: read the deploy branch
 * (fetching a remote first), and with nothing new list its containers once
 * and diff them against the model kept from the last full look; a moved
 * branch, a drift or a trigger runs the whole apply path under the watcher's
 * locks, honouring pins (a rolled-back commit is never redeployed) and
 * backing off a commit whose applies keep failing. The threads, the events
 * stream and the loop that call it are watch.c.
 */
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
#include "deployctl/deploy_swarm.h"
#include "deployctl/gitsrc.h"
#include "deployctl/lock.h"
#include "deployctl/log.h"
#include "deployctl/watch.h"
#include "watch_internal.h"

double watch_unix_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The name a project goes by in logs and metrics. */
const char *watch_pname(const struct wproj *p)
{
	if (p->m.name[0])
		return p->m.name;
	return p->conf->name ? p->conf->name : p->conf->opts.repo ? p->conf->opts.repo : ".";
}

const char *watch_pref(const struct wproj *p)
{
	return p->conf->opts.ref ? p->conf->opts.ref : "HEAD";
}

/* Log msg unless it is what this project said last (a state, not an event). */
void watch_say_once(struct wproj *p, bool warn, const char *msg)
{
	if (!strcmp(p->last_said, msg))
		return;
	snprintf(p->last_said, sizeof(p->last_said), "%s", msg);
	if (warn)
		log_warnx("%s: %s", watch_pname(p), msg);
	else
		log_info("%s: %s", watch_pname(p), msg);
}

long watch_backoff_ms(const struct wproj *p, unsigned n)
{
	long ms = p->conf->interval_ms > 1000 ? p->conf->interval_ms : 1000;

	while (n-- > 1 && ms < WATCH_BACKOFF_MAX_MS)
		ms *= 2;
	return ms < WATCH_BACKOFF_MAX_MS ? ms : WATCH_BACKOFF_MAX_MS;
}

/* ---- one tick ------------------------------------------------------------ */

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

/* The same for a Swarm project: its tasks, counted on a full tick only (a call per service). */
static void swarm_gauges(struct wproj *p, const struct deploy *dp, struct ctx *ctx)
{
	unsigned desired = 0, running = 0, healthy = 0;
	struct err err = ERR_INIT;

	if (deploy_swarm_counts(&desired, &running, &healthy, dp, ctx, &err) < 0) {
		log_debug("%s: cannot count the Swarm tasks: %s", watch_pname(p), err.msg);
		return;
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
 * The fast look: one container list call (a Swarm project: one services
 * list call), diffed against the converged model. 0 with *drift false when
 * nothing differs.
 */
static int fast_look(bool *drift, char *why, size_t whysize, struct wproj *p, struct ctx *ctx,
                     struct err *err)
{
	struct docker_container *c = NULL;
	struct reconcile_input in = { 0 };
	struct plan plan = { 0 };
	bool unchanged = false;
	size_t n = 0;
	int rc;

	/* Swarm: the one filtered /services list and its spec-hash labels, not containers */
	if (p->dp.swarm) {
		rc = deploy_swarm_look(&plan, &p->dp, ctx, deploy_old_spec, err);
		if (rc == 0) {
			*drift = plan.n > 0 || plan.need_resources;
			plan_summary(why, whysize, &plan);
		}
		reconcile_plan_release(&plan);
		return rc;
	}
	rc = docker_container_list_since(&c, &n, &unchanged, &p->last_list, ctx->docker,
	                                 p->dp.project->name, err);
	if (rc < 0 || unchanged) {
		*drift = false; /* unchanged: what the last tick found, converged */
		return rc;
	}
	in.desired = p->dp.project;
	in.hashes = (const char(*)[HASH_HEX_LEN + 1]) p->dp.hashes;
	in.containers = c;
	in.ncontainers = n;
	in.prev_services = &p->dp.prev_services;
	in.prev_networks = p->dp.prev_release ? &p->dp.prev_networks : NULL;
	in.prev_volumes = p->dp.prev_release ? &p->dp.prev_volumes : NULL;
	in.old_spec = deploy_old_spec;
	in.old_spec_ctx = ctx;
	rc = reconcile_diff(&plan, &in, err);
	if (rc == 0) {
		*drift = plan.n > 0 || plan.need_resources;
		plan_summary(why, whysize, &plan);
		gauges(p, p->dp.project, c, n);
	}
	if (rc < 0 || *drift)
		buf_release(&p->last_list); /* only a converged answer is worth comparing with */
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
	rc = gitsrc_refs_resolve(sha, p->refs, watch_pref(p), err);
	if (rc < 0) {
		gitsrc_refs_free(p->refs);
		p->refs = NULL;
		return rc;
	}
	if (strcmp(sha, p->sha)) {
		if (p->sha[0])
			log_info("%s: %s moved: commit %.12s -> %.12s", watch_pname(p),
			         watch_pref(p), p->sha, sha);
		memcpy(p->sha, sha, sizeof(sha));
		p->failures = 0;
		p->heal_streak = 0;
		p->retry_at = 0;
		p->last_said[0] = '\0';
		if (p->cached)
			deploy_release(&p->dp);
		buf_release(&p->last_list);
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
		watch_say_once(p, true, msg);
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

	if (store_release_latest(&id, ctx->store, watch_pname(p), NULL, &err) < 0 || !id ||
	    id == p->m.last_release || store_release_get(&r, ctx->store, id, &err) < 0)
		return;
	pthread_mutex_lock(&w->mu);
	metrics_release(&p->m, r.status, took, id, watch_unix_now());
	pthread_mutex_unlock(&w->mu);
	store_release_release(&r);
}

/* Failed again: wait longer before the next attempt, and say so. */
void watch_back_off(struct wproj *p, const char *what)
{
	long ms;

	p->failures++;
	ms = watch_backoff_ms(p, p->failures);
	p->retry_at = clock_mono() + (double)ms / 1000;
	log_warnx("%s: %s; attempt %u, next in %lds", watch_pname(p), what, p->failures, ms / 1000);
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
	if (watch_lock_take(&lk, ctx->state_dir, watch_pname(p), w->conf->lock_wait_ms, &lerr) <
	    0) {
		snprintf(what, sizeof(what), "%s; trying again next tick", lerr.msg);
		watch_say_once(p, true, what);
		goto out;
	}
	ex = deploy_prepare(&dp, ctx, &o);
	if (ex != EXIT_OK) {
		pthread_mutex_lock(&w->mu);
		p->m.apply_errors++;
		p->m.up_to_date = 0;
		pthread_mutex_unlock(&w->mu);
		watch_back_off(p, ex == EXIT_UNREACHABLE
		                          ? "docker does not answer"
		                          : "cannot load or observe the project (see above)");
		goto out;
	}
	/* the branch name, not the SHA the watcher pinned it to, is what was asked for */
	free(dp.ref);
	dp.ref = strdup(watch_pref(p));
	pthread_mutex_lock(&w->mu);
	snprintf(p->m.name, sizeof(p->m.name), "%s", dp.project->name);
	pthread_mutex_unlock(&w->mu);
	if (!p->converged[0])
		converged_before(p, ctx, dp.project->name);
	if (is_pinned(p, ctx, dp.project->name))
		goto out;
	p->pinned[0] = '\0';
	if (dp.swarm)
		swarm_gauges(p, &dp, ctx);
	else
		gauges(p, dp.project, dp.containers, dp.ncontainers);
	if (!dp.plan.n) {
		/* converged: keep the model for the fast look */
		memcpy(p->converged, p->sha, sizeof(p->converged));
		p->dp = dp;
		memset(&dp, 0, sizeof(dp));
		p->cached = true;
		snprintf(why, sizeof(why), "up to date with %s at commit %.12s", watch_pref(p),
		         p->sha);
		watch_say_once(p, false, why);
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
			watch_say_once(p, true, what);
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
		watch_back_off(p, "the pre-deployment checks failed (see above)");
		memcpy(p->failed, p->sha, sizeof(p->failed));
		goto out;
	}
	if (drift)
		log_info("%s: apply: drift: %s%s%s", watch_pname(p), drift_note ? drift_note : "",
		         drift_note ? ": " : "", why);
	else
		log_info("%s: apply: commit %.12s -> %.12s (%s)", watch_pname(p),
		         p->converged[0] ? p->converged : "(none)", p->sha, watch_pref(p));
	t0 = clock_mono();
	ex = release_run(&dp, ctx, &ro);
	watch_lock_release(&lk);
	count_release(w, p, clock_mono() - t0);
	p->last_said[0] = '\0';
	if (drift) {
		p->last_heal = clock_mono();
		if (p->heal_streak >= WATCH_HEAL_STREAK) {
			long ms = watch_backoff_ms(p, p->heal_streak);

			p->retry_at = clock_mono() + (double)ms / 1000;
			log_warnx("%s: repaired %u times in a row within %.0fs (a crash loop?): "
			          "backing off, next repair in %lds at the earliest",
			          watch_pname(p), p->heal_streak, WATCH_HEAL_WINDOW_S, ms / 1000);
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
		watch_back_off(p, "the release did not succeed");
	}
out:
	watch_lock_release(&lk);
	deploy_release(&dp);
}

void watch_tick(struct watch *w, struct wproj *p, const char *event_note)
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
		snprintf(msg, sizeof(msg), "cannot read %s: %s", watch_pref(p), err.msg);
		watch_back_off(p, msg);
		return;
	}
	if (p->pinned[0] && !strcmp(p->pinned, p->sha)) {
		/* a cheap read of the pin: unpin makes the commit deployable again */
		struct store_pin pin = { 0 };
		bool still = store_pin_get(&pin, ctx->store, watch_pname(p), &err) == 0 &&
		             pin.commit && !strcmp(pin.commit, p->sha);

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
			watch_back_off(p, err.msg);
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
		buf_release(&p->last_list);
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
