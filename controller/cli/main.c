/*
 * main.c - deployctl's entry point: global options, the command table,
 * library set-up, opening what a command needs, and the exit status.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deployctl/cmd.h"
#include "deployctl/gitsrc.h"
#include "deployctl/log.h"

#define DEFAULT_STATE_DIR "/var/lib/deployctl"

static int version_run(struct ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		cmd_print_help(&cmd_version, stdout);
		return EXIT_OK;
	}
	printf("deployctl %s (Docker API up to %s)\n", DEPLOYCTL_VERSION, DOCKER_API_MAX);
	return EXIT_OK;
}

const struct cmd cmd_version = {
	.name = "version",
	.run = version_run,
	.usage = "version",
	.summary = "Print deployctl's version.",
	.help = "",
};

static void print_usage(FILE *f)
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
	      "apply.\n",
	      f);
}

static const struct cmd *find_cmd(const char *name)
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
		print_usage(stdout);
		return EXIT_OK;
	}
	c = find_cmd(argv[1]);
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
	.help = "",
};

const struct cmd *const cmd_table[] = {
	&cmd_apply, &cmd_plan,    &cmd_rollback, &cmd_down,   &cmd_status,  &cmd_ps,
	&cmd_logs,  &cmd_exec,    &cmd_restart,  &cmd_diff,   &cmd_history, &cmd_show,
	&cmd_tag,   &cmd_unpin,   &cmd_check,    &cmd_config, &cmd_hook,    &cmd_watch,
	&cmd_serve, &cmd_metrics, &cmd_version,  &cmd_help,   NULL,
};

static const struct option global_options[] = {
	{ "state", required_argument, NULL, 'S' },
	{ "docker-host", required_argument, NULL, 'H' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	struct ctx ctx = { 0 };
	struct err gerr = ERR_INIT;
	const struct cmd *c;
	int opt, ex;

	ctx.state_dir = getenv("DEPLOYCTL_STATE");
	if (!ctx.state_dir || !*ctx.state_dir)
		ctx.state_dir = DEFAULT_STATE_DIR;
	ctx.stdout_tty = isatty(STDOUT_FILENO);
	while ((opt = getopt_long(argc, argv, "+hvqV", global_options, NULL)) != -1) {
		switch (opt) {
		case 'S':
			ctx.state_dir = optarg;
			break;
		case 'H':
			ctx.docker_host = optarg;
			break;
		case 'v':
			log_set_level(LOG_LEVEL_DEBUG);
			break;
		case 'q':
			log_set_level(LOG_LEVEL_WARN);
			break;
		case 'V':
			return version_run(&ctx, 1, argv);
		case 'h':
			print_usage(stdout);
			return EXIT_OK;
		default:
			print_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	c = find_cmd(argv[optind]);
	if (!c) {
		fprintf(stderr, "deployctl: unknown command '%s' (see 'deployctl help')\n",
		        argv[optind]);
		return EXIT_USAGE;
	}
	if (docker_global_init(&gerr) < 0) {
		cmd_report(&gerr);
		return EXIT_FAILED;
	}
	argc -= optind;
	argv += optind;
	optind = 0; /* the command parses its own options from argv[0] on */
	ex = c->run(&ctx, argc, argv);
	store_free(ctx.store);
	docker_free(ctx.docker);
	free(ctx.state_dir_abs);
	gitsrc_global_cleanup();
	docker_global_cleanup();
	if (fflush(stdout) != 0 && ex == EXIT_OK) {
		perror("deployctl: stdout");
		ex = EXIT_FAILED;
	}
	return ex;
}
