/*
 * cmd_table.c - the command table (help order), and the two commands that
 * only describe deployctl: version and help. main.c, the completion and man
 * page generator (tools/gen-docs.c) and help read the same table.
 */
#include <stdio.h>
#include <string.h>

#include "deployctl/cmd.h"

/* version reads its argument itself (main's --version runs it too); the table is its help. */
static const struct cmd_opt version_opts[] = {
	CMD_OPT_USE_HELP(cmd_opt_json, "the version and the newest Docker API as JSON"),
	CMD_OPT_USE(cmd_opt_help),
	CMD_OPT_TABLE_END,
};

static const struct cmd_opt help_opts[] = {
	CMD_OPT_USE(cmd_opt_help),
	CMD_OPT_TABLE_END,
};

static int version_run(struct ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		cmd_print_help(&cmd_version, stdout);
		return EXIT_OK;
	}
	if (argc > 1 && !strcmp(argv[1], "--json")) {
		printf("{\"version\":\"%s\",\"docker_api_max\":\"%s\"}\n", DEPLOYCTL_VERSION,
		       DOCKER_API_MAX);
		return EXIT_OK;
	}
	if (argc > 1) {
		cmd_print_help(&cmd_version, stderr);
		return EXIT_USAGE;
	}
	printf("deployctl %s (Docker API up to %s)\n", DEPLOYCTL_VERSION, DOCKER_API_MAX);
	return EXIT_OK;
}

const struct cmd cmd_version = {
	.name = "version",
	.run = version_run,
	.usage = "version [--json]",
	.summary = "Print deployctl's version.",
	.opts = version_opts,
};

void cmd_print_usage(FILE *f)
{
	size_t i;

	fputs("usage: deployctl [--state DIR] [--docker-host URL] [-v|-q] <command> [options]\n\n"
	      "Deploy a Compose-format stack from a git commit to Docker, and record every "
	      "release.\n\ncommands:\n",
	      f);
	for (i = 0; cmd_table[i]; i++)
		fprintf(f, "  %-10s %s\n", cmd_table[i]->name, cmd_table[i]->summary);
	fputs("\n'deployctl <command> --help' describes a command's options.\n"
	      "exit status: 0 success, 1 deploy failed, 2 usage or manifest error (nothing "
	      "changed),\n3 Docker unreachable, 4 state database error, 5 state locked by another "
	      "apply,\n130/143 apply or rollback stopped by SIGINT/SIGTERM.\n",
	      f);
}

const struct cmd *cmd_find(const char *name)
{
	size_t i;

	for (i = 0; cmd_table[i]; i++)
		if (!strcmp(cmd_table[i]->name, name))
			return cmd_table[i];
	return NULL;
}

static int help_run(struct ctx *ctx, int argc, char **argv)
{
	const struct cmd *c;

	(void)ctx;
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		cmd_print_usage(stdout);
		return EXIT_OK;
	}
	c = cmd_find(argv[1]);
	if (!c) {
		fprintf(stderr, "deployctl: unknown command '%s'\n", argv[1]);
		return EXIT_USAGE;
	}
	cmd_print_help(c, stdout);
	return EXIT_OK;
}

const struct cmd cmd_help = {
	.name = "help",
	.run = help_run,
	.usage = "help [COMMAND]",
	.summary = "Describe deployctl or one command.",
	.opts = help_opts,
};

const struct cmd *const cmd_table[] = {
	&cmd_apply, &cmd_plan,  &cmd_rollback, &cmd_down,    &cmd_status,  &cmd_ps,
	&cmd_logs,  &cmd_exec,  &cmd_restart,  &cmd_diff,    &cmd_history, &cmd_show,
	&cmd_smoke, &cmd_tag,   &cmd_unpin,    &cmd_check,   &cmd_config,  &cmd_hook,
	&cmd_watch, &cmd_serve, &cmd_metrics,  &cmd_version, &cmd_help,    NULL,
};
