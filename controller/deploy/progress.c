/*
 * progress.c - the view of a running release. Workers report each action's
 * start, steps and end (reconcile_progress, from several threads: one lock
 * serialises them); a terminal gets a block of lines, one per action begun,
 * that a ticker thread redraws in place PROGRESS_HZ times a second so the
 * elapsed times and the health probe's attempt count move; anything else
 * gets one line (or one JSON object) per step, as it happens.
 */
#include "deployctl/progress.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deployctl/out.h"

#define COLOR_OK      "\033[32m"
#define COLOR_FAILED  "\033[31m"
#define COLOR_RUNNING "\033[33m"
#define COLOR_DIM     "\033[2m"
#define COLOR_RESET   "\033[0m"

enum item_state { ITEM_PENDING = 0, ITEM_RUNNING, ITEM_OK, ITEM_FAILED };

struct item {
	enum item_state state;
	const char *step; /* static text from the engine, or NULL */
	unsigned attempt;
	double t0, took;
	char error[300];
	size_t order; /* position in the drawn block (order of start) */
};

struct progress {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t ticker;
	bool ticking, stop, finished;
	const struct plan *plan;
	struct item *items;
	size_t started, done, failed, kill_after;
	size_t drawn; /* lines of the block on screen */
	enum progress_mode mode;
	bool color;
	FILE *f;
	double t0;
	unsigned frame;
	struct reconcile_progress hooks;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum progress_mode progress_mode_for(bool json, bool quiet, bool tty)
{
	if (json)
		return quiet ? PROGRESS_NONE : PROGRESS_JSON;
	if (quiet)
		return PROGRESS_QUIET;
	return tty ? PROGRESS_TTY : PROGRESS_LINES;
}

bool progress_color_ok(void)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	return !(nc && *nc) && !(term && !strcmp(term, "dumb"));
}

static void put_target(FILE *f, const struct action *a)
{
	out_safe(f, a->target);
	if (a->replica)
		fprintf(f, "#%u", a->replica);
}

/* "HH:MM:SS.mmm", local wall-clock time, for the lines without a terminal. */
static void put_time(FILE *f)
{
	struct timespec ts;
	struct tm tm;
	char buf[16];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	fprintf(f, "%s.%03d ", buf, (int)(ts.tv_nsec / 1000000) % 1000);
}

/* The step and its details, e.g. "waiting for health (attempt 3)". */
static void put_step(FILE *f, const struct item *it)
{
	fputs(it->step ? it->step : "started", f);
	if (it->attempt)
		fprintf(f, " (attempt %u)", it->attempt);
}

/* A finished action, the form every mode but JSON shares: "ok     create         web#1 (0.51s)". */
static void put_done(struct progress *p, const struct action *a, const struct item *it)
{
	bool failed = it->state == ITEM_FAILED;

	if (p->color)
		fputs(failed ? COLOR_FAILED : COLOR_OK, p->f);
	fprintf(p->f, "%-6s", failed ? "FAILED" : "ok");
	if (p->color)
		fputs(COLOR_RESET, p->f);
	fprintf(p->f, " %-14s ", reconcile_action_name(a->kind));
	put_target(p->f, a);
	fprintf(p->f, " (%.2fs)", it->took);
	if (failed) {
		fputs(": ", p->f);
		out_safe(p->f, it->error);
	}
}

/* The live view: the block of begun actions and the summary line, redrawn in place. */
static void draw(struct progress *p, bool summary)
{
	static const char spin[] = "|/-\\";
	size_t i, k, lines = 0;
	double t = now_s();

	if (p->drawn)
		fprintf(p->f, "\r\033[%zuA", p->drawn);
	for (k = 0; k < p->started; k++) {
		const struct action *a = NULL;
		const struct item *it = NULL;

		for (i = 0; i < p->plan->n && !it; i++)
			if (p->items[i].state != ITEM_PENDING && p->items[i].order == k) {
				it = &p->items[i];
				a = &p->plan->v[i];
			}
		if (!it)
			continue;
		fputs("\r\033[K  ", p->f);
		if (it->state == ITEM_RUNNING) {
			if (p->color)
				fputs(COLOR_RUNNING, p->f);
			fprintf(p->f, "%-6c", spin[(p->frame + k) % 4]);
			if (p->color)
				fputs(COLOR_RESET, p->f);
			fprintf(p->f, " %-14s ", reconcile_action_name(a->kind));
			put_target(p->f, a);
			fputs(": ", p->f);
			put_step(p->f, it);
			fprintf(p->f, ", %.1fs", t - it->t0);
		} else {
			put_done(p, a, it);
		}
		fputc('\n', p->f);
		lines++;
	}
	if (summary) {
		fputs("\r\033[K", p->f);
		if (p->color)
			fputs(COLOR_DIM, p->f);
		fprintf(p->f, "  [%zu/%zu] %zu running, %zu failed, %.1fs elapsed", p->done,
		        p->plan->n, p->started - p->done, p->failed, t - p->t0);
		if (p->color)
			fputs(COLOR_RESET, p->f);
		fputc('\n', p->f);
		lines++;
	} else {
		fputs("\r\033[K", p->f); /* the summary line goes; the release's own line follows */
	}
	p->drawn = lines;
	fflush(p->f);
}

static void json_event(struct progress *p, const char *event, const struct action *a,
                       const struct item *it)
{
	fputs("{\"event\":", p->f);
	out_json_str(p->f, event);
	fputs(",\"action\":", p->f);
	out_json_str(p->f, reconcile_action_name(a->kind));
	fputs(",\"target\":", p->f);
	out_json_str(p->f, a->target);
	fprintf(p->f, ",\"replica\":%u,\"step\":", a->replica);
	out_json_str(p->f, it->state == ITEM_RUNNING ? (it->step ? it->step : "started")
	                   : it->state == ITEM_OK    ? "done"
	                                             : "failed");
	fprintf(p->f, ",\"attempt\":%u,\"elapsed_s\":%.3f", it->attempt,
	        it->state == ITEM_RUNNING ? now_s() - it->t0 : it->took);
	if (it->state == ITEM_FAILED) {
		fputs(",\"error\":", p->f);
		out_json_str(p->f, it->error);
	}
	fputs("}\n", p->f);
	fflush(p->f);
}

/* A step (or a start) in the modes that print as things happen. */
static void report_step(struct progress *p, const struct action *a, const struct item *it,
                        bool attempt_only)
{
	if (p->mode == PROGRESS_JSON) {
		json_event(p, "step", a, it);
	} else if (p->mode == PROGRESS_LINES && !attempt_only) {
		put_time(p->f);
		fprintf(p->f, "...    %-14s ", reconcile_action_name(a->kind));
		put_target(p->f, a);
		fputs(": ", p->f);
		fputs(it->step ? it->step : "started", p->f);
		fputc('\n', p->f);
		fflush(p->f);
	}
}

static void on_started(void *arg, const struct action *a)
{
	struct progress *p = arg;
	struct item *it = &p->items[a - p->plan->v];

	pthread_mutex_lock(&p->lock);
	it->state = ITEM_RUNNING;
	it->t0 = now_s();
	it->order = p->started++;
	/* Lines say the first step instead (creating, stopping ...): a start alone says little. */
	if (p->mode == PROGRESS_JSON)
		report_step(p, a, it, false);
	pthread_mutex_unlock(&p->lock);
}

static void on_state(void *arg, const struct action *a, const char *state, unsigned attempt)
{
	struct progress *p = arg;
	struct item *it = &p->items[a - p->plan->v];
	bool same_step;

	pthread_mutex_lock(&p->lock);
	same_step = it->step && !strcmp(it->step, state);
	it->step = state;
	it->attempt = attempt;
	/* A further probe is no new step: lines say it once, JSON says every attempt. */
	if (!same_step || p->mode == PROGRESS_JSON)
		report_step(p, a, it, same_step);
	pthread_mutex_unlock(&p->lock);
}

static void on_done(void *arg, const struct action *a, const struct err *failed)
{
	struct progress *p = arg;
	struct item *it = &p->items[a - p->plan->v];
	char line[1024];

	pthread_mutex_lock(&p->lock);
	it->state = failed ? ITEM_FAILED : ITEM_OK;
	it->took = now_s() - it->t0;
	if (failed)
		snprintf(it->error, sizeof(it->error), "%s",
		         err_format(line, sizeof(line), failed));
	p->done++;
	p->failed += failed != NULL;
	switch (p->mode) {
	case PROGRESS_JSON:
		json_event(p, "done", a, it);
		break;
	case PROGRESS_LINES:
		put_time(p->f);
		put_done(p, a, it);
		fputc('\n', p->f);
		break;
	case PROGRESS_QUIET:
		if (failed) {
			fputs("  ", p->f);
			put_done(p, a, it);
			fputc('\n', p->f);
		}
		break;
	case PROGRESS_TTY:
		draw(p, true);
		break;
	case PROGRESS_NONE:
		break;
	}
	fflush(p->f);
	if (p->kill_after && p->done == p->kill_after)
		raise(SIGKILL);
	pthread_mutex_unlock(&p->lock);
}

static void *ticker_main(void *arg)
{
	struct progress *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 1000000000L / PROGRESS_HZ;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->wake, &p->lock, &ts);
		if (p->stop)
			break;
		p->frame++;
		if (p->started > p->done)
			draw(p, true);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int progress_new(struct progress **out, const struct plan *plan, enum progress_mode mode,
                 bool color, FILE *f, struct err *err)
{
	struct progress *p = calloc(1, sizeof(*p));

	if (!p || !(p->items = calloc(plan->n + 1, sizeof(*p->items)))) {
		free(p);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	p->plan = plan;
	p->mode = mode;
	p->color = color && mode == PROGRESS_TTY;
	p->f = f;
	p->t0 = now_s();
	p->hooks = (struct reconcile_progress){ .action_started = on_started,
		                                .action_done = on_done,
		                                .action_state = on_state,
		                                .ctx = p };
	if (mode == PROGRESS_TTY)
		p->ticking = pthread_create(&p->ticker, NULL, ticker_main, p) == 0;
	*out = p;
	return 0;
}

const struct reconcile_progress *progress_hooks(struct progress *p)
{
	return &p->hooks;
}

void progress_kill_after(struct progress *p, size_t n)
{
	p->kill_after = n;
}

void progress_finish(struct progress *p)
{
	if (!p || p->finished)
		return;
	p->finished = true;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	if (p->ticking)
		pthread_join(p->ticker, NULL);
	p->ticking = false;
	if (p->mode == PROGRESS_TTY && p->started)
		draw(p, false);
}

void progress_free(struct progress *p)
{
	if (!p)
		return;
	progress_finish(p);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p->items);
	free(p);
}
