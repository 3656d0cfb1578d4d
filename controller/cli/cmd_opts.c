/*
 * cmd_opts.c - the option parser of every command: a command's table of
 * rows (cmd_opts.h) becomes getopt_long's tables, each value is parsed by
 * its row's kind and refused in one message shape, and the --help text is
 * printed from the same rows, so an option cannot be parsed one way and
 * documented another. Also the rows the commands share.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/cmd_deploy.h"
#include "deployctl/lock.h"
#include "deployctl/log.h"

/* Rows of one command, its groups expanded; getopt codes are CODE0 + index. */
#define CMD_OPTS_MAX 64
#define CODE0        0x100
#define HELP_COLUMN  21

struct flat {
	const struct cmd_opt *row;
	const char *help;
};

static int opt_vfail(const char *name, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));

static int opt_vfail(const char *name, const char *fmt, va_list ap)
{
	fprintf(stderr, "deployctl: %s takes ", name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	return -1;
}

int cmd_opt_fail(const struct cmd_opt *o, const char *fmt, ...)
{
	char name[64];
	va_list ap;
	int rc;

	snprintf(name, sizeof(name), "--%s", o->name);
	va_start(ap, fmt);
	rc = opt_vfail(name, fmt, ap);
	va_end(ap);
	return rc;
}

static int opt_fail_named(const char *name, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static int opt_fail_named(const char *name, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = opt_vfail(name, fmt, ap);
	va_end(ap);
	return rc;
}

int cmd_opt_uint(unsigned *out, const char *opt, const char *arg, unsigned min, unsigned max,
                 const char *unit)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = arg && *arg >= '0' && *arg <= '9' ? strtoull(arg, &end, 10) : 0;
	if (!arg || *arg < '0' || *arg > '9' || *end || errno || v < min || v > max)
		return opt_fail_named(opt, "%u to %u%s%s", min, max, unit ? " " : "",
		                      unit ? unit : "");
	*out = (unsigned)v;
	return 0;
}

int cmd_parse_release(int64_t *out, const char *s)
{
	long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end || errno || v <= 0)
		return -1;
	*out = v;
	return 0;
}

/* The rows of table t appended to v (groups and reused rows resolved). */
static int flatten(struct flat *v, size_t *n, const struct cmd_opt *t, int depth)
{
	size_t i;

	for (; t && t->kind != CMD_OPT_END; t++) {
		const struct cmd_opt *r = t->kind == CMD_OPT_SAME ? t->same : t;

		if (t->kind == CMD_OPT_ROWS) {
			if (depth > 4 || flatten(v, n, t->same, depth + 1) < 0)
				return -1;
			continue;
		}
		if (!r || !r->name || *n == CMD_OPTS_MAX || r->kind == CMD_OPT_SAME ||
		    r->kind == CMD_OPT_ROWS)
			return -1;
		for (i = 0; i < *n; i++)
			if (!strcmp(v[i].row->name, r->name) ||
			    (r->letter && v[i].row->letter == r->letter))
				return -1;
		v[*n].row = r;
		v[*n].help = t->help ? t->help : r->help;
		(*n)++;
	}
	return 0;
}

static void print_row(FILE *f, const struct flat *fl)
{
	const struct cmd_opt *o = fl->row;
	const char *h = fl->help ? fl->help : "";
	char head[96];
	int len;

	if (o->letter)
		len = snprintf(head, sizeof(head), "-%c, --%s%s%s", o->letter, o->name,
		               o->arg ? " " : "", o->arg ? o->arg : "");
	else
		len = snprintf(head, sizeof(head), "--%s%s%s", o->name, o->arg ? " " : "",
		               o->arg ? o->arg : "");
	if (len + 2 + 2 <= HELP_COLUMN)
		fprintf(f, "  %-*s", HELP_COLUMN - 2, head);
	else
		fprintf(f, "  %s\n%*s", head, HELP_COLUMN, "");
	for (; *h; h++) {
		fputc(*h, f);
		if (*h == '\n')
			fprintf(f, "%*s", HELP_COLUMN, "");
	}
	fputc('\n', f);
}

int cmd_print_options(const struct cmd *c, FILE *f)
{
	struct flat v[CMD_OPTS_MAX];
	size_t i, n = 0;

	if (flatten(v, &n, c->opts, 0) < 0)
		return -1;
	for (i = 0; i < n; i++)
		print_row(f, &v[i]);
	if (c->help)
		fputs(c->help, f);
	return 0;
}

void cmd_print_help(const struct cmd *c, FILE *f)
{
	fprintf(f, "usage: deployctl %s\n\n%s\n", c->usage, c->summary);
	if ((c->opts && c->opts->kind != CMD_OPT_END) || (c->help && *c->help))
		fputs("\noptions:\n", f);
	if (cmd_print_options(c, f) < 0)
		fprintf(f, "deployctl: %s: malformed option table\n", c->name);
}

/* The parse's bases, by enum cmd_opt_base. */
struct bases {
	struct ctx *ctx;
	struct cmd_args *args;
	void *own;
};

static void *base_of(const struct bases *b, enum cmd_opt_base which)
{
	switch (which) {
	case CMD_BASE_ARGS:
		return b->args;
	case CMD_BASE_CTX:
		return b->ctx;
	case CMD_BASE_DEPLOY:
		return b->args ? b->args->deploy : NULL;
	case CMD_BASE_OWN:
		return b->own;
	}
	return NULL;
}

/* One value into its field; 0, or -1 with the error printed. */
static int opt_set(const struct cmd *c, const struct bases *b, const struct cmd_opt *o,
                   const char *arg)
{
	char *base = base_of(b, o->base);
	void *field;
	struct err err = ERR_INIT;
	char name[64];
	long ms;

	if (!base) {
		fprintf(stderr, "deployctl: %s: --%s has nowhere to go\n", c->name, o->name);
		return -1;
	}
	field = base + o->off;
	switch (o->kind) {
	case CMD_OPT_FLAG:
		*(bool *)field = true;
		return 0;
	case CMD_OPT_SET:
		*(int *)field = (int)o->min;
		return 0;
	case CMD_OPT_STRING:
		*(const char **)field = arg;
		return 0;
	case CMD_OPT_UINT:
		snprintf(name, sizeof(name), "--%s", o->name);
		return cmd_opt_uint(field, name, arg, o->min, o->max, o->unit);
	case CMD_OPT_DURATION:
		if (lock_parse_duration(&ms, arg, &err) < 0 || ms < (long)o->min)
			return cmd_opt_fail(o,
			                    "a duration of %ums to a day such as 30s, 5m or 500ms, "
			                    "not '%s'",
			                    o->min, arg);
		*(long *)field = ms;
		return 0;
	case CMD_OPT_RELEASE:
		if (cmd_parse_release(field, arg) < 0)
			return cmd_opt_fail(o, "a release number (1, 2, ...), not '%s'", arg);
		return 0;
	case CMD_OPT_CALL:
		return o->call(base, o, arg);
	default:
		return -1;
	}
}

/*
 * An operand the command takes none of; a number where the command takes
 * release numbers as options (`rollback 3`) is shown the option for it.
 */
static void unexpected_operand(const struct cmd *c, const struct flat *v, size_t n, const char *arg)
{
	int64_t release;
	size_t i, shown = 0;

	fprintf(stderr, "deployctl: %s: unexpected argument '%s'", c->name, arg);
	for (i = 0; i < n && cmd_parse_release(&release, arg) == 0; i++)
		if (v[i].row->kind == CMD_OPT_RELEASE)
			fprintf(stderr, "%s--%s %s", shown++ ? " or " : " (a release is given as ",
			        v[i].row->name, arg);
	fputs(shown ? ")\n" : "\n", stderr);
}

int cmd_opts_parse(int *first, const struct cmd *c, struct ctx *ctx, struct cmd_args *args,
                   void *own, int argc, char **argv)
{
	const struct bases b = { ctx, args, own };
	struct flat v[CMD_OPTS_MAX];
	struct option lo[CMD_OPTS_MAX + 1];
	char shorts[3 * CMD_OPTS_MAX + 2];
	size_t n = 0, i, k = 0;
	int opt;

	if (flatten(v, &n, c->opts, 0) < 0) {
		fprintf(stderr, "deployctl: %s: malformed option table\n", c->name);
		return EXIT_USAGE;
	}
	if (!(c->opts_flags & CMD_OPTS_PERMUTE))
		shorts[k++] = '+';
	for (i = 0; i < n; i++) {
		const struct cmd_opt *o = v[i].row;

		lo[i] = (struct option){ o->name, o->arg ? required_argument : no_argument, NULL,
			                 CODE0 + (int)i };
		if (o->letter) {
			shorts[k++] = o->letter;
			if (o->arg)
				shorts[k++] = ':';
		}
	}
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	shorts[k] = '\0';
	while ((opt = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		const struct cmd_opt *o = NULL;

		if (opt >= CODE0 && opt < CODE0 + (int)n)
			o = v[opt - CODE0].row;
		for (i = 0; !o && opt != '?' && opt != ':' && i < n; i++)
			if (v[i].row->letter == opt)
				o = v[i].row;
		if (!o) {
			cmd_print_help(c, stderr);
			return EXIT_USAGE;
		}
		if (o->kind == CMD_OPT_HELP) {
			cmd_print_help(c, stdout);
			return EXIT_OK;
		}
		if (opt_set(c, &b, o, optarg) < 0)
			return EXIT_USAGE;
	}
	if (!(c->opts_flags & CMD_OPTS_OPERANDS) && optind < argc) {
		unexpected_operand(c, v, n, argv[optind]);
		return EXIT_USAGE;
	}
	*first = optind;
	return CMD_OPTS_RUN;
}

int cmd_opts_parse_read(int *first, const struct cmd *c, struct ctx *ctx, struct cmd_args *args,
                        void *own, int argc, char **argv)
{
	int ex = cmd_opts_parse(first, c, ctx, args, own, argc, argv);

	if (ex != CMD_OPTS_RUN)
		return ex;
	ctx->read_only = true; /* works on a read-only state directory */
	ex = cmd_open_store(ctx);
	return ex == EXIT_OK ? CMD_OPTS_RUN : ex;
}

void cmd_args_release(struct release_opts *ro, const struct cmd_args *a)
{
	ro->parallel = a->parallel;
	ro->keep = a->keep;
	ro->no_rollback = a->no_rollback;
	ro->json = a->json;
	ro->quiet = a->quiet;
}

/* The shared rows. */

/* -q: only errors and the final line: no plan, no progress, no warnings. */
static int opt_quiet(void *base, const struct cmd_opt *o, const char *arg)
{
	(void)o;
	(void)arg;
	((struct cmd_args *)base)->quiet = true;
	log_set_level(LOG_LEVEL_QUIET);
	return 0;
}

const struct cmd_opt cmd_opt_project = {
	.kind = CMD_OPT_STRING,
	.name = "project",
	.arg = "NAME",
	CMD_FIELD(CMD_BASE_ARGS, struct cmd_args, project),
	.help = "the project (default: the latest release's)",
};
const struct cmd_opt cmd_opt_json = {
	.kind = CMD_OPT_FLAG,
	.name = "json",
	CMD_FIELD(CMD_BASE_ARGS, struct cmd_args, json),
	.help = "print the outcome as JSON",
};
const struct cmd_opt cmd_opt_quiet = {
	.kind = CMD_OPT_CALL,
	.name = "quiet",
	.letter = 'q',
	.base = CMD_BASE_ARGS,
	.call = opt_quiet,
	.help = "print only failures and the summary",
};
const struct cmd_opt cmd_opt_parallel = {
	.kind = CMD_OPT_UINT,
	.name = "parallel",
	.letter = 'j',
	.arg = "N",
	CMD_FIELD(CMD_BASE_ARGS, struct cmd_args, parallel),
	.min = 1,
	.max = 8,
	.help = "actions of one stage at once, 1-8 (default: 4)",
};
const struct cmd_opt cmd_opt_keep = {
	.kind = CMD_OPT_UINT,
	.name = "keep",
	.arg = "N",
	CMD_FIELD(CMD_BASE_ARGS, struct cmd_args, keep),
	.min = 1,
	.max = 100,
	.unit = "releases",
	.help = "keep retained containers of the last N releases (default: 3)",
};
const struct cmd_opt cmd_opt_lock_wait = {
	.kind = CMD_OPT_DURATION,
	.name = "lock-wait",
	.arg = "DUR",
	CMD_FIELD(CMD_BASE_ARGS, struct cmd_args, lock_wait_ms),
	.help = "wait up to DUR for another apply or rollback (default: fail at once)",
};
const struct cmd_opt cmd_opt_no_rollback = {
	.kind = CMD_OPT_FLAG,
	.name = "no-rollback",
	CMD_FIELD(CMD_BASE_ARGS, struct cmd_args, no_rollback),
	.help = "when a service fails its health gate, leave everything as it is",
};
const struct cmd_opt cmd_opt_force = {
	.kind = CMD_OPT_FLAG,
	.name = "force",
	CMD_FIELD(CMD_BASE_ARGS, struct cmd_args, force),
	.help = "deploy even the commit a rollback quarantined",
};
/* The release numbers of rollback --to and diff --from (a command gives its help line). */
const struct cmd_opt cmd_opt_from = {
	.kind = CMD_OPT_RELEASE,
	.name = "from",
	.arg = "N",
	CMD_FIELD(CMD_BASE_ARGS, struct cmd_args, from),
	.help = "the older release",
};
const struct cmd_opt cmd_opt_to = {
	.kind = CMD_OPT_RELEASE,
	.name = "to",
	.arg = "N",
	CMD_FIELD(CMD_BASE_ARGS, struct cmd_args, to),
	.help = "the release to go to",
};
const struct cmd_opt cmd_opt_state = {
	.kind = CMD_OPT_STRING,
	.name = "state",
	.arg = "DIR",
	CMD_FIELD(CMD_BASE_CTX, struct ctx, state_dir),
	.help = "state directory (default: $DEPLOYCTL_STATE or /var/lib/deployctl)",
};
const struct cmd_opt cmd_opt_docker_host = {
	.kind = CMD_OPT_STRING,
	.name = "docker-host",
	.arg = "URL",
	CMD_FIELD(CMD_BASE_CTX, struct ctx, docker_host),
	.help = "Docker socket, unix:///path (default: $DOCKER_HOST or "
	        "unix:///var/run/docker.sock)",
};
const struct cmd_opt cmd_opt_help = {
	.kind = CMD_OPT_HELP,
	.name = "help",
	.letter = 'h',
	.help = "this help",
};

const struct cmd_opt cmd_opts_tail[] = {
	CMD_OPT_USE(cmd_opt_state),
	CMD_OPT_USE(cmd_opt_docker_host),
	CMD_OPT_USE(cmd_opt_help),
	CMD_OPT_TABLE_END,
};
