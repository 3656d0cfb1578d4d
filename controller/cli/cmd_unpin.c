/*
 * cmd_unpin.c - "deployctl unpin": clear the pin a rollback left on a
 * project, so apply deploys (and accepts the quarantined commit) again.
 */
#include <stdio.h>
#include <stdlib.h>

#include "deployctl/cmd.h"
#include "deployctl/out.h"

/* Until cmd.h lists it (a repeated extern declaration is harmless). */
extern const struct cmd cmd_unpin;

static const struct cmd_opt unpin_opts[] = {
	CMD_OPT_USE_HELP(cmd_opt_project, "the project to unpin (default: the one pinned project)"),
	CMD_OPT_USE(cmd_opt_state),
	CMD_OPT_USE(cmd_opt_help),
	CMD_OPT_TABLE_END,
};
static void unpin_print(const struct store_pin *p)
{
	fputs("unpinned project ", stdout);
	out_safe(stdout, p->project);
	printf(": it was pinned to release %lld by ", (long long)p->release_id);
	out_safe(stdout, p->who);
	printf(" at %s", p->pinned_at);
	if (p->reason && *p->reason)
		out_safe_between(stdout, " (", p->reason, ")");
	fputc('\n', stdout);
	if (p->commit) {
		fputs("commit ", stdout);
		out_safe(stdout, p->commit);
		fputs(" is no longer quarantined\n", stdout);
	}
}

/* The one pinned project into *out (borrowed from pins), or explain why not. */
static int unpin_pick(const char **out, const struct store_pin *pins, size_t n)
{
	size_t i;

	if (n == 1) {
		*out = pins[0].project;
		return EXIT_OK;
	}
	fputs("deployctl: several projects are pinned (", stderr);
	for (i = 0; i < n; i++) {
		fputs(i ? ", " : "", stderr);
		out_safe(stderr, pins[i].project);
	}
	fputs("): name one with --project\n", stderr);
	return EXIT_USAGE;
}

static int unpin_project(struct store *s, const char *project)
{
	struct store_pin pin = { 0 };
	struct err err = ERR_INIT;
	int rc;

	rc = store_pin_get(&pin, s, project, &err);
	if (!rc)
		rc = store_pin_clear(s, project, &err);
	if (rc == ERR_NOTFOUND) {
		fputs("project ", stdout);
		out_safe(stdout, project);
		fputs(" is not pinned: nothing to do\n", stdout);
		store_pin_release(&pin);
		return EXIT_OK;
	}
	if (rc < 0) {
		cmd_report(&err);
		store_pin_release(&pin);
		return cmd_exit_for(err.code);
	}
	unpin_print(&pin);
	store_pin_release(&pin);
	return EXIT_OK;
}

static int unpin_run(struct ctx *ctx, int argc, char **argv)
{
	struct store_pin *pins = NULL;
	struct err err = ERR_INIT;
	struct cmd_args a = { 0 };
	const char *project;
	size_t n = 0;
	int first, ex;

	ex = cmd_opts_parse(&first, &cmd_unpin, ctx, &a, NULL, argc, argv);
	if (ex != CMD_OPTS_RUN)
		return ex;
	project = a.project;
	ex = cmd_open_store(ctx);
	if (ex != EXIT_OK)
		return ex;
	if (project)
		return unpin_project(ctx->store, project);
	if (store_pin_list(&pins, &n, ctx->store, &err) < 0) {
		cmd_report(&err);
		return cmd_exit_for(err.code);
	}
	if (!n) {
		fputs("nothing is pinned: nothing to do\n", stdout);
		ex = EXIT_OK;
	} else {
		ex = unpin_pick(&project, pins, n);
		if (ex == EXIT_OK)
			ex = unpin_project(ctx->store, project);
	}
	store_pin_list_free(pins, n);
	return ex;
}

const struct cmd cmd_unpin = {
	.name = "unpin",
	.run = unpin_run,
	.usage = "unpin [--project NAME]",
	.summary = "Clear the pin a rollback left, so apply deploys new commits again.",
	.opts = unpin_opts,
};
