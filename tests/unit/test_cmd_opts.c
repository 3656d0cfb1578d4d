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
	return cmd_opts_parse(first,
	                      &(struct cmd_parse){ .cmd = &test_cmd,
	                                           .ctx = ctx,
	                                           .args = a,
	                                           .deploy = d,
	                                           .own = own,
	                                           .operands = true },
	                      argc, argv);
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
	RUN(test_cmd_opts__help_from_rows);
	return CHECK_DONE();
}
