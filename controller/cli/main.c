/*
 * main.c - deployctl's entry point: global options, library set-up, the
 * command picked from the table (cmd_table.c), and the exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deployctl/cmd.h"
#include "deployctl/gitsrc.h"
#include "deployctl/log.h"
#include "deployctl/sig.h"

#define DEFAULT_STATE_DIR "/var/lib/deployctl"

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

	/* A reader that goes away (apply | head) must not end a rollout half-way. */
	sig_ignore_pipe();
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
			log_set_level(LOG_LEVEL_QUIET); /* only errors and the final line */
			break;
		case 'V':
			return cmd_version.run(&ctx, 1, argv);
		case 'h':
			cmd_print_usage(stdout);
			return EXIT_OK;
		default:
			cmd_print_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cmd_print_usage(stderr);
		return EXIT_USAGE;
	}
	c = cmd_find(argv[optind]);
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
	/*
	 * A closed pipe (the reader had what it wanted) is not a failure of
	 * the command: its status stands. Any other output error is.
	 */
	errno = 0;
	if ((fflush(stdout) != 0 || ferror(stdout)) && ex == EXIT_OK && errno != EPIPE) {
		perror("deployctl: stdout");
		ex = EXIT_FAILED;
	}
	return ex;
}
