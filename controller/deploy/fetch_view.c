/*
 * fetch_view.c - the pulls and builds of an apply as they happen (see
 * fetch_view.h): one line per image on a terminal, redrawn in place with
 * the pull's percent of bytes or the build's step, so a long pull or build
 * is seen moving; plain lines without one; nothing but failures with -q.
 */
#include "deployctl/fetch_view.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deployctl/log.h"
#include "deployctl/out.h"
#include "deployctl/progress.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void fetch_view_begin(struct fetch_view *v, const char *kind, const char *name, bool json)
{
	memset(v, 0, sizeof(*v));
	v->json = json;
	v->f = json ? stdout : stderr;
	v->quiet = log_get_level() == LOG_LEVEL_QUIET;
	v->tty = !json && !v->quiet && isatty(fileno(stderr));
	v->kind = kind;
	snprintf(v->name, sizeof(v->name), "%s", name ? name : "");
	snprintf(v->state, sizeof(v->state), "%s", !strcmp(kind, "pull") ? "pulling" : "building");
	v->t0 = now_s();
}

/* {"event":"pull","image":"...","state":"pulling 42%","elapsed_s":1.204} */
static void json_event(struct fetch_view *v, const char *state)
{
	fputs("{\"event\":", v->f);
	out_json_str(v->f, v->kind);
	fputs(!strcmp(v->kind, "pull") ? ",\"image\":" : ",\"service\":", v->f);
	out_json_str(v->f, v->name);
	fputs(",\"state\":", v->f);
	out_json_str(v->f, state);
	fprintf(v->f, ",\"elapsed_s\":%.3f}\n", now_s() - v->t0);
	fflush(v->f);
}

static void draw(struct fetch_view *v, const char *state, bool final)
{
	fputs("\r\033[K", v->f);
	fprintf(v->f, "%s ", v->kind);
	out_safe(v->f, v->name);
	fputs(": ", v->f);
	out_safe(v->f, state);
	fprintf(v->f, " (%.1fs)%s", now_s() - v->t0, final ? "\n" : "");
	fflush(v->f);
	v->drawn = !final;
	v->drawn_at = now_s();
}

void fetch_view_status(struct fetch_view *v, const char *status)
{
	if (v->quiet || v->tty || v->json)
		return;
	fprintf(v->f, "deployctl: %s ", v->kind);
	out_safe(v->f, v->name);
	fputs(": ", v->f);
	out_safe(v->f, status);
	fputc('\n', v->f);
}

void fetch_view_state(struct fetch_view *v, const char *state)
{
	bool changed = strcmp(v->state, state) != 0;

	snprintf(v->state, sizeof(v->state), "%s", state);
	if (v->json && changed)
		json_event(v, v->state);
	if (!v->tty)
		return;
	/* a new state is drawn at once; the same one only for its clock */
	if (changed || !v->drawn || now_s() - v->drawn_at >= 1.0 / PROGRESS_HZ)
		draw(v, v->state, false);
}

void fetch_view_build_line(struct fetch_view *v, const char *line)
{
	unsigned k, n;
	char state[64];

	if (sscanf(line, "Step %u/%u :", &k, &n) == 2 && k <= n) {
		snprintf(state, sizeof(state), "building step %u/%u", k, n);
		fetch_view_state(v, state);
	}
	fetch_view_status(v, line);
}

void fetch_view_end(struct fetch_view *v, bool ok)
{
	if (v->json)
		json_event(v, ok ? "done" : "failed");
	if (v->tty)
		draw(v, ok ? "done" : "failed", true);
}
