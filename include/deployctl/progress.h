/*
 * progress.h - what a release shows while it runs (deploy/progress.c).
 *
 * On a terminal: one line per action with its current step (creating,
 * starting, waiting for health with the probe's attempt count and the time
 * so far, stopping old, done, failed), redrawn in place several times a
 * second, and a summary line with the elapsed time. Without a terminal:
 * one timestamped line per step. As JSON: one object per line per step.
 * Quiet: only failures.
 */
#ifndef DEPLOYCTL_PROGRESS_H
#define DEPLOYCTL_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

#include "deployctl/reconcile.h"

enum progress_mode {
	PROGRESS_TTY,   /* live view, redrawn in place */
	PROGRESS_LINES, /* timestamped lines */
	PROGRESS_JSON,  /* JSON events, one per line */
	PROGRESS_QUIET, /* failed actions only */
	PROGRESS_NONE,  /* nothing (--json -q: the summary alone says it) */
};

/* Redraws per second of the live view. */
#define PROGRESS_HZ 8

struct progress;

/*
 * A view of plan's execution written to f; color only for PROGRESS_TTY
 * (the caller honours NO_COLOR). The live view's redraw thread starts
 * here. *out new (progress_free()); ERR_NOMEM.
 */
int progress_new(struct progress **out, const struct plan *plan, enum progress_mode mode,
                 bool color, FILE *f, struct err *err);
/* The hooks to give reconcile_apply(); borrowed, live as long as p. */
const struct reconcile_progress *progress_hooks(struct progress *p);
/* Test-only fault point: SIGKILL the process once n actions are done (0: off). */
void progress_kill_after(struct progress *p, size_t n);
/* Stop redrawing: the live view is drawn a last time, without its summary line. */
void progress_finish(struct progress *p);
void progress_free(struct progress *p);
/* The mode for a command's output: JSON, quiet, a terminal, or lines. */
enum progress_mode progress_mode_for(bool json, bool quiet, bool tty);
/* Whether color may be used on a terminal: no NO_COLOR, TERM not "dumb". */
bool progress_color_ok(void);

#endif
