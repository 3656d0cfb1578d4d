/*
 * cmd_watch.h - what "deployctl watch" and "deployctl serve" share: their
 * options (one project from the command line, or --config for several)
 * and the run of the watcher.
 */
#ifndef DEPLOYCTL_CMD_WATCH_H
#define DEPLOYCTL_CMD_WATCH_H

#include "deployctl/cmd_opts.h"
#include "deployctl/watch.h"

struct watch_cli {
	struct watch_project one; /* the project given by --repo ... */
	struct watch_conf conf;
	const char *config;   /* --config FILE */
	struct cmd_args args; /* --parallel, --keep, --lock-wait: into conf by watch_cli_finish() */
	/* serve */
	const char *listen;      /* --listen ADDR:PORT */
	const char *secret_file; /* --webhook-secret-file */
	unsigned max_body;       /* --webhook-max-body bytes */
	unsigned rate;           /* --webhook-rate requests a second */
};

/* Defaults: interval 5s, events on, parallel 4, lock wait 10s; serve: 1 MiB bodies, 5/s. */
void watch_cli_init(struct watch_cli *c);
void watch_cli_release(struct watch_cli *c);
/*
 * The options of watch and serve: the deploy options (CMD_BASE_DEPLOY is
 * &c->one.opts), --interval ... --no-events (CMD_BASE_OWN is c) and the
 * shared --parallel, --keep, --lock-wait (CMD_BASE_ARGS is &c->args).
 */
extern const struct cmd_opt watch_cli_opts[];
/* The watcher's callbacks: apply's preflight, and --config reloads on SIGHUP. */
void watch_cli_callbacks(struct watch_callbacks *cb, struct watch_cli *c);
/* Build c->conf from the options (and --config): an exit status, errors printed. */
int watch_cli_finish(struct watch_cli *c, struct ctx *ctx);

#endif
