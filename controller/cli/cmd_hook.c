/*
 * cmd_hook.c - "deployctl hook install|uninstall": a post-receive hook in
 * a bare repository, so that a push to the deploy branch deploys it.
 */
#define _XOPEN_SOURCE 700 /* realpath() */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deployctl/cmd.h"
#include "deployctl/gitsrc.h"
#include "deployctl/hook.h"
#include "deployctl/out.h"

/* --env-file and friends, passed on to the hook's apply. */
#define HOOK_MAX_ARGS 40

static const struct option hook_options[] = {
	{ "repo", required_argument, NULL, 'R' },
	{ "branch", required_argument, NULL, 'b' },
	{ "state", required_argument, NULL, 'S' },
	{ "env-file", required_argument, NULL, 'e' },
	{ "manifests", required_argument, NULL, 'M' },
	{ "project", required_argument, NULL, 'p' },
	{ "profile", required_argument, NULL, 'P' },
	{ "lock-wait", required_argument, NULL, 'W' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* path made absolute (the hook runs in the repository); new. */
static char *hook_abs(const char *path, bool must_exist)
{
	char cwd[PATH_MAX], *r;
	size_t n;

	r = realpath(path, NULL);
	if (r || must_exist || path[0] == '/')
		return r ? r : must_exist ? NULL : strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	n = strlen(cwd) + strlen(path) + 2;
	r = malloc(n);
	if (r)
		snprintf(r, n, "%s/%s", cwd, path);
	return r;
}

static int hook_push_arg(const char **args, char **owned, size_t *n, const char *opt,
                         const char *val)
{
	if (*n + 2 > HOOK_MAX_ARGS) {
		fprintf(stderr, "deployctl: hook: too many options\n");
		return -1;
	}
	args[(*n)++] = opt;
	args[*n] = val;
	owned[*n] = NULL;
	(*n)++;
	return 0;
}

static int hook_run(struct ctx *ctx, int argc, char **argv)
{
	const char *args[HOOK_MAX_ARGS] = { 0 }, *repo = NULL, *branch = NULL, *verb;
	char *owned[HOOK_MAX_ARGS] = { 0 }, *gitdir = NULL, *head = NULL, *state = NULL;
	char *exe = NULL;
	struct hook_opts ho = { 0 };
	struct err err = ERR_INIT;
	const char *lock_wait = "10m";
	bool install, flag = false;
	size_t i, nargs = 0;
	int opt, ex = EXIT_USAGE;

	if (argc < 2 || (strcmp(argv[1], "install") && strcmp(argv[1], "uninstall"))) {
		cmd_print_help(&cmd_hook, argc > 1 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc > 1 && !strcmp(argv[1], "--help") ? EXIT_OK : EXIT_USAGE;
	}
	verb = argv[1];
	install = !strcmp(verb, "install");
	argc--;
	argv++;
	while ((opt = getopt_long(argc, argv, "+h", hook_options, NULL)) != -1) {
		switch (opt) {
		case 'R':
			repo = optarg;
			break;
		case 'b':
			branch = optarg;
			break;
		case 'S':
			ctx->state_dir = optarg;
			break;
		case 'e':
			if (hook_push_arg(args, owned, &nargs, "--env-file", optarg) < 0)
				goto out;
			owned[nargs - 1] = hook_abs(optarg, true);
			if (!owned[nargs - 1]) {
				fprintf(stderr, "deployctl: --env-file '%s': %s\n", optarg,
				        strerror(errno));
				goto out;
			}
			args[nargs - 1] = owned[nargs - 1];
			break;
		case 'M':
		case 'p':
		case 'P':
			if (hook_push_arg(args, owned, &nargs,
			                  opt == 'M'   ? "--manifests"
			                  : opt == 'p' ? "--project"
			                               : "--profile",
			                  optarg) < 0)
				goto out;
			break;
		case 'W':
			lock_wait = optarg;
			break;
		case 'h':
			cmd_print_help(&cmd_hook, stdout);
			ex = EXIT_OK;
			goto out;
		default:
			cmd_print_help(&cmd_hook, stderr);
			goto out;
		}
	}
	if (!repo || optind != argc) {
		fprintf(stderr, "deployctl: hook %s: %s\n", verb,
		        repo ? "unexpected argument" : "--repo BARE.git is required");
		goto out;
	}
	if (gitsrc_bare_info(&gitdir, &head, repo, &err) < 0) {
		cmd_report(&err);
		ex = cmd_exit_for(err.code);
		goto out;
	}
	if (!install) {
		if (hook_uninstall(&flag, gitdir, &err) < 0) {
			cmd_report(&err);
			ex = err.code == ERR_IO ? EXIT_FAILED : EXIT_USAGE;
			goto out;
		}
		printf("removed deployctl's post-receive hook from %s%s\n", gitdir,
		       flag ? "; the hook it chained is back in place" : "");
		ex = EXIT_OK;
		goto out;
	}
	if (hook_push_arg(args, owned, &nargs, "--lock-wait", lock_wait) < 0)
		goto out;
	exe = realpath("/proc/self/exe", NULL);
	state = hook_abs(ctx->state_dir, false);
	if (!exe || !state) {
		fprintf(stderr, "deployctl: cannot find deployctl's own path: %s\n",
		        strerror(errno));
		ex = EXIT_FAILED;
		goto out;
	}
	ho.gitdir = gitdir;
	ho.branch = branch ? branch : head;
	ho.exe = exe;
	ho.state_dir = state;
	ho.args = args;
	ho.nargs = nargs;
	if (hook_install(&flag, &ho, &err) < 0) {
		cmd_report(&err);
		ex = err.code == ERR_IO ? EXIT_FAILED : EXIT_USAGE;
		goto out;
	}
	fputs("installed deployctl's post-receive hook in ", stdout);
	out_safe(stdout, gitdir);
	fputs(": a push to ", stdout);
	out_safe(stdout, ho.branch);
	printf(" deploys it (state %s)%s\n", state,
	       flag ? "; the existing hook is kept and runs first (hooks/" HOOK_CHAINED ")" : "");
	ex = EXIT_OK;
out:
	for (i = 0; i < HOOK_MAX_ARGS; i++)
		free(owned[i]);
	free(gitdir);
	free(head);
	free(state);
	free(exe);
	return ex;
}

const struct cmd cmd_hook = {
	.name = "hook",
	.run = hook_run,
	.usage = "hook install|uninstall --repo BARE.git [--branch BRANCH] [--env-file FILE]...",
	.summary = "Deploy on every push to a bare repository (a git post-receive hook).",
	.help = "  --repo BARE.git    the bare repository pushed to\n"
	        "  --branch BRANCH    the deploy branch (default: the repository's HEAD branch)\n"
	        "  --env-file FILE    passed to apply (repeatable; made absolute)\n"
	        "  --manifests DIR    passed to apply\n"
	        "  --project NAME     passed to apply\n"
	        "  --profile NAME     passed to apply (repeatable)\n"
	        "  --lock-wait DUR    how long the hook's apply waits for another one (default: "
	        "10m)\n"
	        "A hook already there is moved to hooks/" HOOK_CHAINED " and run first\n"
	        "with the same input; uninstall puts it back. A failed deploy is reported in\n"
	        "the push output and never rejects the push.\n",
};
