/*
 * cmd_plan.c - "deployctl plan": what apply would do, and why, without
 * doing it. Exits 0 with "no changes" when there is nothing to do, and as
 * apply would (2) when apply would refuse the commit (a rollback pinned it).
 */
#include <getopt.h>
#include <stdio.h>

#include "deployctl/cmd_deploy.h"
#include "deployctl/jobs.h"
#include "deployctl/smoke_net.h"

static const struct option plan_options[] = {
	DEPLOY_LONG_OPTIONS,
	{ "json", no_argument, NULL, 'J' },
	{ "force", no_argument, NULL, 'F' },
	{ NULL, 0, NULL, 0 },
};

static int plan_run(struct ctx *ctx, int argc, char **argv)
{
	struct deploy_opts o = { 0 };
	struct deploy dp = { 0 };
	bool json = false, force = false;
	int opt, ex;

	while ((opt = getopt_long(argc, argv, "+hf:", plan_options, NULL)) != -1) {
		int parsed = deploy_parse_opt(&o, opt, optarg);

		if (parsed < 0) {
			deploy_opts_release(&o);
			return EXIT_USAGE;
		}
		if (parsed)
			continue;
		if (opt == 'J') {
			json = true;
		} else if (opt == 'F') {
			force = true;
		} else if (opt == 'h') {
			cmd_print_help(&cmd_plan, stdout);
			return EXIT_OK;
		} else {
			cmd_print_help(&cmd_plan, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "deployctl: plan: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	ctx->read_only = true; /* works on a read-only state directory */
	/* plan changes nothing: not even a pull (check asks the registry). */
	dp.no_pull = true;
	ex = deploy_prepare(&dp, ctx, &o);
	/* A pinned commit: apply would refuse it, so the plan is that refusal. */
	if (ex == EXIT_OK)
		ex = deploy_check_pin(NULL, ctx, &dp, force);
	if (ex == EXIT_OK) {
		deploy_print_plan(&dp, json, stdout);
		if (!json) { /* --json: a "jobs" array of the plan's object */
			jobs_print_planned(&dp, ctx, false, stdout);
			smoke_net_print_planned(&dp, ctx, stdout);
		}
	}
	deploy_release(&dp);
	deploy_opts_release(&o);
	return ex;
}

const struct cmd cmd_plan = {
	.name = "plan",
	.run = plan_run,
	.usage =
	        "plan [--repo PATH] [--ref REF | --dir DIR] [--env-file FILE] [--allow-empty] [--json]",
	.summary = "Show what apply would change, each action with its reason; change nothing.",
	.help = DEPLOY_OPTS_HELP
	"  --json             print the plan as JSON\n"
	"  --force            plan even the commit a rollback quarantined (as "
	"apply --force)\n",
};
