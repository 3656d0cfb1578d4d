/*
 * test_cmd_opts.c - the commands' option tables and their parser: every
 * command's table is well-formed (no name or letter twice), values land in
 * their fields, bad values are refused in one shape, the shared rows take
 * a command's own help line, and the help is made from the rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "deployctl/cmd.h"
#include "deployctl/cmd_deploy.h"

struct own {
	unsigned n;
	int64_t release;
	bool flag;
	int what;
};

static const struct cmd_opt own_rows[] = {
	{ .kind = CMD_OPT_UINT,
	  .name = "count",
	  .letter = 'n',
	  .arg = "N",
	  CMD_FIELD(CMD_BASE_OWN, struct own, n),
	  .min = 2,
	  .max = 9,
	  .unit = "things",
	  .help = "how many" },
	{ .kind = CMD_OPT_RELEASE,
	  .name = "to",
	  .arg = "N",
	  CMD_FIELD(CMD_BASE_OWN, struct own, release),
	  .help = "a release" },
	{ .kind = CMD_OPT_FLAG,
	  .name = "a-very-long-flag-name",
	  CMD_FIELD(CMD_BASE_OWN, struct own, flag),
	  .help = "first line\nsecond line" },
	{ .kind = CMD_OPT_SET,
	  .name = "three",
	  CMD_FIELD(CMD_BASE_OWN, struct own, what),
	  .min = 3,
	  .help = "what is 3" },
	CMD_OPT_USE_HELP(cmd_opt_json, "print it as JSON"),
	CMD_OPT_USE(cmd_opt_lock_wait),
	CMD_OPT_ALL(cmd_opts_deploy),
	CMD_OPT_ALL(cmd_opts_tail),
	CMD_OPT_TABLE_END,
};

static const struct cmd test_cmd = {
	.name = "test",
	.usage = "test [--count N]",
	.summary = "A test command.",
	.opts = own_rows,
	.opts_flags = CMD_OPTS_OPERANDS,
	.help = "a note\n",
};

static const struct cmd_opt twice_rows[] = {
	CMD_OPT_USE(cmd_opt_json),
	CMD_OPT_USE_HELP(cmd_opt_json, "again"),
	CMD_OPT_TABLE_END,
};

static const struct cmd twice_cmd = { .name = "twice", .opts = twice_rows };

/* Writable copies of a test's arguments (getopt may permute them); they outlive the parse. */
static char arg_text[32][64];
static char *arg_v[33];

/* Parse v (NULL-terminated) with fresh values; the parse's result. */
static int parse(struct own *own, struct cmd_args *a, struct deploy_opts *d, struct ctx *ctx,
                 const char *const *v, int *first)
{
	char **argv = arg_v;
	int argc = 0;

	for (; v[argc] && argc < 32; argc++) {
		snprintf(arg_text[argc], sizeof(arg_text[argc]), "%s", v[argc]);
		arg_v[argc] = arg_text[argc];
	}
	arg_v[argc] = NULL;
	optind = 0;
	memset(own, 0, sizeof(*own));
	memset(a, 0, sizeof(*a));
	memset(d, 0, sizeof(*d));
	memset(ctx, 0, sizeof(*ctx));
	a->deploy = d;
	return cmd_opts_parse(first, &test_cmd, ctx, a, own, argc, argv);
}

static void test_cmd_opts__every_command_table(void)
{
	FILE *null = fopen("/dev/null", "we");
	size_t i;

	CHECK(null != NULL);
	for (i = 0; null && cmd_table[i]; i++) {
		CHECK(cmd_table[i]->opts != NULL);
		if (cmd_print_options(cmd_table[i], null) < 0) {
			fprintf(stderr, "malformed table: %s\n", cmd_table[i]->name);
			CHECK(0);
		}
	}
	CHECK_INT(cmd_print_options(&twice_cmd, null), -1);
	if (null)
		fclose(null);
}

static void test_cmd_opts__values(void)
{
	struct own own;
	struct cmd_args a;
	struct deploy_opts d;
	struct ctx ctx;
	int first = 0;
	const char *const argv[] = {
		"test",   "-n",          "4",     "--to",     "12",    "--three",
		"--json", "--lock-wait", "1m",    "--state",  "/s",    "--ref",
		"main",   "-f",          "a.yml", "--target", "swarm", "--a-very-long-flag-name",
		"rest",   NULL
	};

	CHECK_INT(parse(&own, &a, &d, &ctx, argv, &first), CMD_OPTS_RUN);
	CHECK_INT(own.n, 4);
	CHECK_INT(own.release, 12);
	CHECK_INT(own.what, 3);
	CHECK(own.flag);
	CHECK(a.json);
	CHECK_INT(a.lock_wait_ms, 60000);
	CHECK_STR(ctx.state_dir, "/s");
	CHECK_STR(d.ref, "main");
	CHECK_STR(d.target, "swarm");
	CHECK_INT(d.files.n, 1);
	CHECK_INT(first, 18);
	CHECK_STR(arg_v[first], "rest");
	deploy_opts_release(&d);
}

static void test_cmd_opts__refused(void)
{
	const char *const bad[][4] = {
		{ "test", "--count", "1", NULL },
		{ "test", "--count", "10", NULL },
		{ "test", "-n", "4x", NULL },
		{ "test", "--to", "0", NULL },
		{ "test", "--to", "-3", NULL },
		{ "test", "--lock-wait", "soon", NULL },
		{ "test", "--target", "k8s", NULL },
		{ "test", "--host-dir", "rel", NULL },
		{ "test", "--no-such-option", NULL, NULL },
	};
	struct own own;
	struct cmd_args a;
	struct deploy_opts d;
	struct ctx ctx;
	size_t i;
	int first = -7;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ex;

		ex = parse(&own, &a, &d, &ctx, bad[i], &first);
		if (ex != EXIT_USAGE)
			fprintf(stderr, "accepted: %s %s\n", bad[i][1], bad[i][2] ? bad[i][2] : "");
		CHECK_INT(ex, EXIT_USAGE);
		deploy_opts_release(&d);
	}
	CHECK_INT(first, -7); /* never set unless the command runs */
}

static void test_cmd_opts__operands(void)
{
	static const struct cmd strict = { .name = "strict", .opts = cmd_opts_tail };
	static const struct cmd permute = { .name = "permute",
		                            .opts = cmd_opts_tail,
		                            .opts_flags = CMD_OPTS_PERMUTE | CMD_OPTS_OPERANDS };
	char a0[] = "x", a1[] = "op", a2[] = "--state", a3[] = "/s";
	char *argv[] = { a0, a1, a2, a3, NULL };
	struct ctx ctx = { 0 };
	int first = -7;

	optind = 0;
	CHECK_INT(cmd_opts_parse(&first, &strict, &ctx, NULL, NULL, 4, argv), EXIT_USAGE);
	CHECK(ctx.state_dir == NULL); /* the operand ended the options */
	optind = 0;
	CHECK_INT(cmd_opts_parse(&first, &permute, &ctx, NULL, NULL, 4, argv), CMD_OPTS_RUN);
	CHECK_STR(ctx.state_dir, "/s");
	CHECK_INT(first, 3);
	CHECK_STR(argv[first], "op"); /* getopt moved the operand after the options */
	/* a row whose base was not given is refused, not written through NULL */
	optind = 0;
	CHECK_INT(cmd_opts_parse(&first, &test_cmd, &ctx, NULL, NULL, 3,
	                         (char *[]){ a0, (char[]){ "--json" }, a3, NULL }),
	          EXIT_USAGE);
}

/*
 * Every command that takes no operand refuses one with the usage status
 * (EXIT_USAGE) before it runs, rather than ignoring it: rollback, diff,
 * status and the others the parser is told take none.
 */
static void test_cmd_opts__extra_operand_refused(void)
{
	static const char *const none[] = { "rollback", "diff",  "status", "ps",   "history",
		                            "smoke",    "unpin", "apply",  "plan", "down" };
	struct cmd_args a;
	struct deploy_opts d;
	struct ctx ctx;
	size_t i, refused = 0;

	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		const struct cmd *c = cmd_find(none[i]);

		CHECK(c != NULL);
		if (c)
			CHECK(!(c->opts_flags & CMD_OPTS_OPERANDS));
	}
	for (i = 0; cmd_table[i]; i++) {
		const struct cmd *c = cmd_table[i];
		char a0[32], a1[] = "extra";
		char *argv[] = { a0, a1, NULL };
		int first = -7;

		if ((c->opts_flags & CMD_OPTS_OPERANDS) || !strcmp(c->name, "hook"))
			continue; /* hook's first word is its verb, taken before the parse */
		snprintf(a0, sizeof(a0), "%s", c->name);
		memset(&a, 0, sizeof(a));
		memset(&d, 0, sizeof(d));
		memset(&ctx, 0, sizeof(ctx));
		a.deploy = &d;
		optind = 0;
		CHECK_INT(cmd_opts_parse(&first, c, &ctx, &a, NULL, 2, argv), EXIT_USAGE);
		CHECK_INT(first, -7);
		deploy_opts_release(&d);
		refused++;
	}
	CHECK(refused >= sizeof(none) / sizeof(none[0]));
}

/* rollback --to and diff --from are the shared release rows: parsed and refused alike. */
static void test_cmd_opts__release_rows_shared(void)
{
	char a0[] = "rollback", a1[] = "--to", a2[] = "7", b0[] = "diff", b1[] = "--from",
	     b2[] = "3", c2[] = "0", d2[] = "2x";
	struct cmd_args a = { 0 };
	struct deploy_opts d = { 0 };
	struct ctx ctx = { 0 };
	int first = -7;

	optind = 0;
	CHECK_INT(cmd_opts_parse(&first, &cmd_rollback, &ctx, &a, NULL, 3,
	                         (char *[]){ a0, a1, a2, NULL }),
	          CMD_OPTS_RUN);
	CHECK_INT(a.to, 7);
	a.deploy = &d;
	optind = 0;
	CHECK_INT(cmd_opts_parse(&first, &cmd_diff, &ctx, &a, NULL, 3,
	                         (char *[]){ b0, b1, b2, NULL }),
	          CMD_OPTS_RUN);
	CHECK_INT(a.from, 3);
	optind = 0;
	CHECK_INT(cmd_opts_parse(&first, &cmd_rollback, &ctx, &a, NULL, 3,
	                         (char *[]){ a0, a1, c2, NULL }),
	          EXIT_USAGE);
	optind = 0;
	CHECK_INT(cmd_opts_parse(&first, &cmd_diff, &ctx, &a, NULL, 3,
	                         (char *[]){ b0, b1, d2, NULL }),
	          EXIT_USAGE);
	deploy_opts_release(&d);
}

static void test_cmd_opts__help_from_rows(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_INT(cmd_print_options(&test_cmd, f), 0);
	fclose(f);
	CHECK(strstr(text, "\n  -n, --count N      how many\n") != NULL ||
	      !strncmp(text, "  -n, --count N      how many\n", 29));
	/* a head too long for the column: the text on the next line, aligned */
	CHECK(strstr(text, "  --a-very-long-flag-name\n                     first line\n"
	                   "                     second line\n") != NULL);
	/* a shared row with this command's help */
	CHECK(strstr(text, "  --json             print it as JSON\n") != NULL);
	CHECK(strstr(text, "  --lock-wait DUR    wait up to DUR for another apply") != NULL);
	CHECK(strstr(text, "  -h, --help         this help\na note\n") != NULL);
	free(text);
}

int main(void)
{
	/* the refusals print their messages on stderr, in the test's output */
	RUN(test_cmd_opts__every_command_table);
	RUN(test_cmd_opts__values);
	RUN(test_cmd_opts__refused);
	RUN(test_cmd_opts__operands);
	RUN(test_cmd_opts__extra_operand_refused);
	RUN(test_cmd_opts__release_rows_shared);
	RUN(test_cmd_opts__help_from_rows);
	return CHECK_DONE();
}
