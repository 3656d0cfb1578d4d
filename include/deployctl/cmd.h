/*
 * cmd.h - the command table and what main() hands each command.
 */
#ifndef DEPLOYCTL_CMD_H
#define DEPLOYCTL_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "deployctl/cmd_opts.h"
#include "deployctl/docker.h"
#include "deployctl/err.h"
#include "deployctl/store.h"

/* Exit statuses, documented in docs/deployctl.1 and the README. */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILED = 1,      /* a deploy (or another command) ran and failed */
	EXIT_USAGE = 2,       /* bad usage, manifest or input: nothing was changed */
	EXIT_UNREACHABLE = 3, /* Docker does not answer, or its answers are malformed or late */
	EXIT_STATE = 4,       /* the state database cannot be opened or written */
	EXIT_BUSY = 5,        /* another apply or rollback holds the state lock */
};

struct ctx {
	const char *state_dir;   /* --state, $DEPLOYCTL_STATE, or the default */
	const char *docker_host; /* --docker-host or NULL ($DOCKER_HOST, default socket) */
	bool stdout_tty;
	/*
	 * The command only reads the state (history, show, status, plan): the
	 * database is opened read-only, and a missing one reads as empty.
	 */
	bool read_only;
	/* state_dir made absolute and checked by cmd_state_dir(); owned, main() frees it. */
	char *state_dir_abs;
	/*
	 * Opened by the command once its own options are parsed (they may
	 * name --state or --docker-host): cmd_open_store(), cmd_open_docker().
	 * main() closes them.
	 */
	struct store *store;
	struct docker *docker;
};

struct cmd {
	const char *name;
	int (*run)(struct ctx *ctx, int argc, char **argv); /* returns an enum exit_code */
	const char *usage;          /* "apply [--repo PATH] [--ref REF] ..." */
	const char *summary;        /* one line */
	const struct cmd_opt *opts; /* its options (cmd_opts.h); the help is made from them */
	const char *help;           /* notes printed after the options, or NULL */
};

extern const struct cmd cmd_apply, cmd_plan, cmd_rollback, cmd_status, cmd_history, cmd_show,
        cmd_tag, cmd_unpin, cmd_check, cmd_version, cmd_help, cmd_down, cmd_ps, cmd_logs, cmd_exec,
        cmd_restart, cmd_diff, cmd_config;
/* The smoke checks of what is deployed, on demand (cmd_smoke.c). */
extern const struct cmd cmd_smoke;
/* Prometheus metrics from the state (cmd_metrics.c). */
extern const struct cmd cmd_metrics;
/* The controller's commands: push hook, watcher, webhook server. */
extern const struct cmd cmd_hook, cmd_watch, cmd_serve;

/* NULL-terminated table, in help order (cmd_table.c). */
extern const struct cmd *const cmd_table[];
/* The command called name, or NULL. */
const struct cmd *cmd_find(const char *name);
/* deployctl's usage: global options, the commands with their summaries, exit statuses. */
void cmd_print_usage(FILE *f);

/*
 * A decimal number in [min, max] given to option opt ("--keep"); on a bad
 * value prints "deployctl: --keep takes 1 to 100 releases" (unit may be
 * NULL) and returns -1.
 */
int cmd_opt_uint(unsigned *out, const char *opt, const char *arg, unsigned min, unsigned max,
                 const char *unit);
/* A release number: 1..INT64_MAX, digits only. 0, or -1 (nothing printed). */
int cmd_parse_release(int64_t *out, const char *s);

/* Print "usage: deployctl <usage>", the summary and the options (cmd_print_options()) to f. */
void cmd_print_help(const struct cmd *c, FILE *f);
/* Exit status for an error code. */
int cmd_exit_for(int code);
/* Print an error as "deployctl: src:line:col: msg" on stderr. */
void cmd_report(const struct err *e);
/* Connect to Docker for a command (prints the error); returns an exit status. */
int cmd_open_docker(struct ctx *ctx);
/*
 * Resolve ctx->state_dir once into an absolute path and check that it can
 * be trusted (statedir_resolve()); ctx->state_dir then points at the
 * absolute path. create: make it when missing (apply, rollback). A
 * missing directory is EXIT_OK when !create (nothing recorded yet).
 * Prints the error; returns an exit status.
 */
int cmd_state_dir(struct ctx *ctx, bool create);
/*
 * Open the state database (prints the error); returns an exit status.
 * With ctx->read_only it is opened read-only, and a state directory
 * without a database reads as an empty history.
 */
int cmd_open_store(struct ctx *ctx);

/*
 * The project a command acts on: given (--project), else the latest
 * release's. *out new. Prints; returns an exit status.
 */
int cmd_pick_project(char **out, struct ctx *ctx, const char *given);
/*
 * The live (not retained) containers of project, sorted by service and
 * replica: of the named services (all when nservices is 0), of one replica
 * when replica > 0. A named service without such a container is a usage
 * error (printed). *out new (docker_container_list_free()); exit status.
 */
int cmd_live_containers(struct docker_container **out, size_t *n, struct ctx *ctx,
                        const char *project, char **services, int nservices, unsigned replica);
/*
 * What logs, exec and restart start with: open the store, pick the project
 * (cmd_pick_project()), open Docker and take its live containers
 * (cmd_live_containers()). *project and *out new, also on failure (NULL
 * or freeable); returns an exit status, each failure printed.
 */
int cmd_project_containers(char **project, struct docker_container **out, size_t *n,
                           struct ctx *ctx, const char *given, char **services, int nservices,
                           unsigned replica);

struct lock;
/*
 * Take the state lock for a whole apply or rollback (jobs included),
 * waiting up to wait_ms; records an event when a dead holder's lock is
 * taken over. *out new (lock_release()). Prints; returns an exit status.
 */
int cmd_lock(struct lock **out, struct ctx *ctx, const char *project, const char *what,
             long wait_ms);

#endif
