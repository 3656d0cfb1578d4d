/*
 * fetch_view.h - what apply shows while it pulls and builds images, before
 * the release's actions run (deploy/fetch_view.c): on a terminal (stderr)
 * one line per image redrawn in place, "pull nginx:1.25: pulling 42%
 * (3.1s)", "build web: building step 3/7 (2.0s)", ended by its outcome;
 * with --json, JSON events on stdout ({"event":"pull","image":...,
 * "state":"pulling 42%",...}) as the release's own events are; otherwise
 * the plain lines "deployctl: pull nginx:1.25: <status>" as the daemon
 * reports them; with -q nothing but failures (printed by the caller).
 */
#ifndef DEPLOYCTL_FETCH_VIEW_H
#define DEPLOYCTL_FETCH_VIEW_H

#include <stdbool.h>
#include <stdio.h>

struct fetch_view {
	FILE *f;
	bool tty, quiet, json;
	const char *kind; /* "pull" or "build" */
	char name[256];   /* the image or service */
	char state[128];  /* "pulling 42%", "building step 3/7" */
	double t0, drawn_at;
	bool drawn;
};

/*
 * Start the view of one pull or build of name; kind is "pull" or "build"
 * (static); json: events on stdout instead of lines.
 */
void fetch_view_begin(struct fetch_view *v, const char *kind, const char *name, bool json);
/* The daemon's status line (plain lines only; a terminal shows the state instead). */
void fetch_view_status(struct fetch_view *v, const char *status);
/* The current state; a terminal redraws at most PROGRESS_HZ times a second. */
void fetch_view_state(struct fetch_view *v, const char *state);
/* A build output line: "Step k/n : ..." becomes the state "building step k/n". */
void fetch_view_build_line(struct fetch_view *v, const char *line);
/* The end: a terminal's line says "done" or "failed" with the time, and moves on. */
void fetch_view_end(struct fetch_view *v, bool ok);

#endif
