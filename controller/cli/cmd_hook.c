/*
 * cmd_hook.c - "deployctl hook install|uninstall": a post-receive hook in
 * a bare repository, so that a push to the deploy branch deploys it.
 */
#define _XOPEN_SOURCE 700 /* realpath() */
#include <errno.h>
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

/* What hook's options fill: the apply options the hook passes on, in order. */
struct hook_args {
	const char *args[HOOK_MAX_ARGS];
	char *owned[HOOK_MAX_ARGS];
	size_t nargs;
	const char *repo, *branch, *lock_wait;
};

/* --manifests, --project, --profile: passed on as given (.unit is "--<name>"). */
static int opt_pass(void *base, const struct cmd_opt *o, const char *arg)
{
	struct hook_args *h = base;

	return hook_push_arg(h->args, h->owned, &h->nargs, o->unit, arg);
}

/* --env-file: passed on made absolute (the hook runs in the repository). */
static int opt_env_file(void *base, const struct cmd_opt *o, const char *arg)
{
	struct hook_args *h = base;

	if (hook_push_arg(h->args, h->owned, &h->nargs, "--env-file", arg) < 0)
		return -1;
	h->owned[h->nargs - 1] = hook_abs(arg, true);
	if (!h->owned[h->nargs - 1]) {
		return cmd_opt_fail(o, "a file that exists, not '%s' (%s)", arg, strerror(errno));
	}
	h->args[h->nargs - 1] = h->owned[h->nargs - 1];
	return 0;
}

#define HOOK_PASS(n, a, h)                                                                         \
	{                                                                                          \
		.kind = CMD_OPT_CALL, .name = (n), .arg = (a), .base = CMD_BASE_OWN,               \
		.unit = "--" n, .call = opt_pass, .help = (h)                                      \
	}

static const struct cmd_opt hook_opts[] = {
	{ .kind = CMD_OPT_STRING,
	  .name = "repo",
	  .arg = "BARE.git",
	  CMD_FIELD(CMD_BASE_OWN, struct hook_args, repo),
	  .help = "the bare repository pushed to" },
	{ .kind = CMD_OPT_STRING,
	  .name = "branch",
	  .arg = "BRANCH",
	  CMD_FIELD(CMD_BASE_OWN, struct hook_args, branch),
	  .help = "the deploy branch (default: the repository's HEAD branch)" },
	{ .kind = CMD_OPT_CALL,
	  .name = "env-file",
	  .arg = "FILE",
	  .base = CMD_BASE_OWN,
	  .call = opt_env_file,
	  .help = "passed to apply (repeatable; made absolute)" },
	HOOK_PASS("manifests", "DIR", "passed to apply"),
	HOOK_PASS("project", "NAME", "passed to apply"),
	HOOK_PASS("profile", "NAME", "passed to apply (repeatable)"),
	{ .kind = CMD_OPT_STRING,
	  .name = "lock-wait",
	  .arg = "DUR",
	  CMD_FIELD(CMD_BASE_OWN, struct hook_args, lock_wait),
	  .help = "how long the hook's apply waits for another one (default: 10m)" },
	CMD_OPT_USE(cmd_opt_state),
	CMD_OPT_USE(cmd_opt_help),
	CMD_OPT_TABLE_END,
};

static int hook_run(struct ctx *ctx, int argc, char **argv)
{
	struct hook_args ha = { .lock_wait = "10m" };
	const char **args = ha.args, *repo, *branch, *lock_wait, *verb;
	char **owned = ha.owned, *gitdir = NULL, *head = NULL, *state = NULL;
	char *exe = NULL;
	struct hook_opts ho = { 0 };
	struct err err = ERR_INIT;
	bool install, flag = false;
	size_t i, nargs;
	int first, ex;

	if (argc < 2 || (strcmp(argv[1], "install") && strcmp(argv[1], "uninstall"))) {
		cmd_print_help(&cmd_hook, argc > 1 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc > 1 && !strcmp(argv[1], "--help") ? EXIT_OK : EXIT_USAGE;
	}
	verb = argv[1];
	install = !strcmp(verb, "install");
	argc--;
	argv++;
	ex = cmd_opts_parse(&first, &cmd_hook, ctx, NULL, &ha, argc, argv);
	if (ex != CMD_OPTS_RUN)
		goto out;
	ex = EXIT_USAGE;
	repo = ha.repo;
	branch = ha.branch;
	lock_wait = ha.lock_wait;
	nargs = ha.nargs;
	if (!repo) {
		fprintf(stderr, "deployctl: hook %s: --repo BARE.git is required\n", verb);
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
	.opts = hook_opts,
	.help = "A hook already there is moved to hooks/" HOOK_CHAINED " and run first\n"
	        "with the same input; uninstall puts it back. A failed deploy is reported in\n"
	        "the push output and never rejects the push.\n",
};
