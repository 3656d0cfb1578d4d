/*
 * cmd_plan.c - "deployctl plan": what apply would do, and why, without
 * doing it. Exits 0 with "no changes" when there is nothing to do, and as
 * apply would (2) when apply would refuse the commit (a rollback pinned it).
 */
#include <stdio.h>

#include "deployctl/cmd_deploy.h"
#include "deployctl/jobs.h"

static const struct cmd_opt plan_opts[] = {
	CMD_OPT_ALL(cmd_opts_deploy),
	CMD_OPT_USE_HELP(cmd_opt_json, "print the plan as JSON"),
	CMD_OPT_USE_HELP(cmd_opt_force,
	                 "plan even the commit a rollback quarantined (as apply --force)"),
	CMD_OPT_ALL(cmd_opts_tail),
	CMD_OPT_TABLE_END,
};

static int plan_run(struct ctx *ctx, int argc, char **argv)
{
	struct deploy_opts o = { 0 };
	struct deploy dp = { 0 };
	struct cmd_args a = { 0 };
	int first, ex;

	ex = cmd_opts_parse(
	        &first,
	        &(struct cmd_parse){ .cmd = &cmd_plan, .ctx = ctx, .args = &a, .deploy = &o }, argc,
	        argv);
	if (ex != CMD_OPTS_RUN) {
		deploy_opts_release(&o);
		return ex;
	}
	ctx->read_only = true; /* works on a read-only state directory */
	/* plan changes nothing: not even a pull (check asks the registry). */
	dp.no_pull = true;
	ex = deploy_prepare(&dp, ctx, &o);
	/* A pinned commit: apply would refuse it, so the plan is that refusal. */
	if (ex == EXIT_OK)
		ex = deploy_check_pin(NULL, ctx, &dp, a.force);
	if (ex == EXIT_OK) {
		deploy_print_plan(&dp, a.json, stdout);
		if (!a.json) /* --json: a "jobs" array of the plan's object */
			jobs_print_planned(&dp, ctx, false, stdout);
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
	.opts = plan_opts,
};
