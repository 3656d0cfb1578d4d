/*
 * cmd_opts.h - the commands' options as tables. A command declares each
 * option once as a row (long name, short letter, kind, where the value
 * goes, help line); the options commands share are rows they reuse by
 * reference (CMD_OPT_USE), and one parser turns argv into the values,
 * refuses a bad value in one message shape and prints the --help text
 * generated from the same rows (cli/cmd_opts.c).
 */
#ifndef DEPLOYCTL_CMD_OPTS_H
#define DEPLOYCTL_CMD_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cmd;
struct ctx;
struct deploy_opts;
struct release_opts;

enum cmd_opt_kind {
	CMD_OPT_END = 0,  /* ends a table */
	CMD_OPT_FLAG,     /* bool: set to true */
	CMD_OPT_SET,      /* int: set to .min (one of several rows choosing a value) */
	CMD_OPT_STRING,   /* const char *: the argument (borrowed from argv) */
	CMD_OPT_UINT,     /* unsigned: decimal in [min, max] */
	CMD_OPT_DURATION, /* long: milliseconds (lock_parse_duration()), at least min */
	CMD_OPT_RELEASE,  /* int64_t: a release number, 1.. */
	CMD_OPT_CALL,     /* call(base, row, arg) parses it */
	CMD_OPT_HELP,     /* print the help on stdout: the command exits 0 */
	CMD_OPT_SAME,     /* the row .same, with .help replaced when set */
	CMD_OPT_ROWS,     /* every row of the table .same, in order */
};

/* Which struct a row's field lives in (cmd_opts_parse() is given them). */
enum cmd_opt_base {
	CMD_BASE_ARGS = 0, /* struct cmd_args: what the shared rows fill */
	CMD_BASE_CTX,      /* struct ctx: --state, --docker-host */
	CMD_BASE_DEPLOY,   /* struct deploy_opts at cmd_args.deploy: the manifests' options */
	CMD_BASE_OWN,      /* the command's own struct */
};

/* How a command's operands are parsed (struct cmd's opts_flags). */
enum cmd_opts_flags {
	CMD_OPTS_PERMUTE = 1 << 0,  /* options may follow operands (else the first ends them) */
	CMD_OPTS_OPERANDS = 1 << 1, /* operands allowed (else the first is "unexpected argument") */
};

struct cmd_opt {
	enum cmd_opt_kind kind;
	const char *name; /* long option, without "--" */
	char letter;      /* short option, or 0 */
	const char *arg;  /* the argument's name in the help ("N", "DUR"); NULL: takes none */
	enum cmd_opt_base base;
	size_t off;        /* offsetof() the field in its base */
	unsigned min, max; /* UINT: the range; DURATION: the least milliseconds */
	const char *unit;  /* UINT: what the number counts ("releases"), or NULL */
	/* CALL: parse arg into base; 0, or -1 with the error said by cmd_opt_fail(). */
	int (*call)(void *base, const struct cmd_opt *o, const char *arg);
	const struct cmd_opt *same; /* SAME: the row reused; ROWS: the table included */
	const char *help;           /* its lines ('\n' between them, none at the end) */
};

/* A field of a base, for a row: CMD_FIELD(CMD_BASE_OWN, struct down_args, volumes). */
#define CMD_FIELD(b, type, field) .base = (b), .off = offsetof(type, field)
/* A shared row reused as it is, or with this command's help line. */
#define CMD_OPT_USE(row)                                                                           \
	{                                                                                          \
		.kind = CMD_OPT_SAME, .same = &(row)                                               \
	}
#define CMD_OPT_USE_HELP(row, h)                                                                   \
	{                                                                                          \
		.kind = CMD_OPT_SAME, .same = &(row), .help = (h)                                  \
	}
/* Every row of a shared table. */
#define CMD_OPT_ALL(table)                                                                         \
	{                                                                                          \
		.kind = CMD_OPT_ROWS, .same = (table)                                              \
	}
#define CMD_OPT_TABLE_END                                                                          \
	{                                                                                          \
		.kind = CMD_OPT_END                                                                \
	}

/* What the shared rows fill; a command sets its defaults before parsing. */
struct cmd_args {
	const char *project;        /* --project */
	bool json;                  /* --json */
	bool quiet;                 /* -q, --quiet (also quiets the log) */
	bool no_rollback;           /* --no-rollback */
	bool force;                 /* --force */
	unsigned parallel;          /* -j, --parallel: 1-8 */
	unsigned keep;              /* --keep: 1-100 releases */
	long lock_wait_ms;          /* --lock-wait */
	int64_t from, to;           /* --from N, --to N: release numbers (0: not given) */
	struct deploy_opts *deploy; /* where the manifests' options go; NULL: nowhere */
};

/* --parallel, --keep, --no-rollback, --json, -q of a into ro (apply, rollback, down). */
void cmd_args_release(struct release_opts *ro, const struct cmd_args *a);

/* The shared rows. */
extern const struct cmd_opt cmd_opt_project, cmd_opt_json, cmd_opt_quiet, cmd_opt_state,
        cmd_opt_docker_host, cmd_opt_help, cmd_opt_parallel, cmd_opt_keep, cmd_opt_lock_wait,
        cmd_opt_no_rollback, cmd_opt_force, cmd_opt_from, cmd_opt_to;
/* The tables shared whole: where the manifests come from (the deploy
 * options of apply, plan, check, config, diff, watch, serve) ... */
extern const struct cmd_opt cmd_opts_deploy[];
/* ... its --env-file alone (rollback) ... */
extern const struct cmd_opt cmd_opt_env_file;
/* ... and --state, --docker-host, -h, which end every command's table. */
extern const struct cmd_opt cmd_opts_tail[];

/* cmd_opts_parse() returns this when the command is to run. */
#define CMD_OPTS_RUN (-1)
/*
 * Parse argv (argv[0] is the command's name; getopt's optind is 0) by c's
 * table and opts_flags, each row's value into its base: ctx, args (NULL if
 * the table has no such row), args->deploy, own. CMD_OPTS_RUN with *first
 * the index of the first operand, or the exit status the command returns:
 * EXIT_OK after --help, EXIT_USAGE after a bad option or value (said on
 * stderr, in one shape).
 */
int cmd_opts_parse(int *first, const struct cmd *c, struct ctx *ctx, struct cmd_args *args,
                   void *own, int argc, char **argv);
/*
 * What the commands that only read the history start with: cmd_opts_parse(),
 * then the store opened read-only (cmd_open_store() with ctx->read_only).
 * CMD_OPTS_RUN, or the exit status the command returns (the failure printed).
 */
int cmd_opts_parse_read(int *first, const struct cmd *c, struct ctx *ctx, struct cmd_args *args,
                        void *own, int argc, char **argv);

/*
 * The option lines of c's help, from its table (two spaces, "-j, --parallel
 * N", the text at column 22), then c->help (notes), to f. -1 if the table
 * is malformed (a name or letter twice, too many rows), else 0.
 */
int cmd_print_options(const struct cmd *c, FILE *f);

/* "deployctl: --NAME takes <what it takes>" on stderr; returns -1. */
int cmd_opt_fail(const struct cmd_opt *o, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

#endif
