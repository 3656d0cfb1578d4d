/*
 * cmd_watch.h - what "deployctl watch" and "deployctl serve" share: their
 * options (one project from the command line, or --config for several)
 * and the run of the watcher.
 */
#ifndef DEPLOYCTL_CMD_WATCH_H
#define DEPLOYCTL_CMD_WATCH_H

#include "deployctl/watch.h"

struct watch_cli {
	struct watch_project one; /* the project given by --repo ... */
	struct watch_conf conf;
	const char *config; /* --config FILE */
	/* serve */
	const char *listen;      /* --listen ADDR:PORT */
	const char *secret_file; /* --webhook-secret-file */
	unsigned max_body;       /* --webhook-max-body bytes */
};

/* Defaults: interval 5s, events on, parallel 4. */
void watch_cli_init(struct watch_cli *c);
void watch_cli_release(struct watch_cli *c);
/* One option of watch or serve: 1 if it was one, 0 if not, -1 on a usage error (printed). */
int watch_cli_opt(struct watch_cli *c, int opt, const char *arg);
/* The watcher's callbacks: apply's preflight, and --config reloads on SIGHUP. */
void watch_cli_callbacks(struct watch_callbacks *cb, struct watch_cli *c);
/* Build c->conf from the options (and --config): an exit status, errors printed. */
int watch_cli_finish(struct watch_cli *c, struct ctx *ctx);

/* clang-format off */
#define WATCH_LONG_OPTIONS                                                                         \
	{ "interval", required_argument, NULL, 'i' },                                              \
	{ "self-heal", no_argument, NULL, 'E' },                                                   \
	{ "config", required_argument, NULL, 'C' },                                                \
	{ "ticks", required_argument, NULL, 'T' },                                                 \
	{ "no-events", no_argument, NULL, 'X' },                                                   \
	{ "parallel", required_argument, NULL, 'j' },                                              \
	{ "keep", required_argument, NULL, 'K' },                                                  \
	{ "lock-wait", required_argument, NULL, 'W' }
/* clang-format on */

#define WATCH_OPTS_HELP                                                                            \
	"  --interval DUR     how often each project is looked at (default: 5s)\n"                 \
	"  --self-heal        repair drift (a container stopped, removed or changed by hand);\n"   \
	"                     without it drift is only reported\n"                                 \
	"  --config FILE      several projects from a YAML file (see docs/controller.md)\n"        \
	"  --lock-wait DUR    how long an apply waits for another one (default: 10s)\n"            \
	"  -j, --parallel N   actions of one stage run at once, 1-8 (default: 4)\n"                \
	"  --keep N           keep retained containers of the last N releases (default: 3)\n"      \
	"  --ticks N          stop after N ticks (tests and benchmarks)\n"                         \
	"  --no-events        do not follow the Docker events stream (poll only)\n"

#endif
