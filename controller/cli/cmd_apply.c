/*
 * cmd_apply.c - "deployctl apply": converge Docker to the manifests at a
 * commit, recording the release (with a full snapshot) in the state
 * database. A run with nothing to change makes no mutating Docker call and
 * records no release.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deployctl/check.h"
#include "deployctl/clock.h"
#include "deployctl/cmd_deploy.h"
#include "deployctl/lock.h"
#include "deployctl/log.h"
#include "deployctl/out.h"
#include "deployctl/sig.h"
#include "deployctl/spec.h"

static const struct cmd_opt apply_opts[] = {
	CMD_OPT_ALL(cmd_opts_deploy),
	CMD_OPT_USE_HELP(cmd_opt_parallel,
	                 "actions of one stage at work at once, 1-8 (default: 4)"),
	CMD_OPT_USE(cmd_opt_quiet),
	CMD_OPT_USE(cmd_opt_keep),
	CMD_OPT_USE(cmd_opt_no_rollback),
	CMD_OPT_USE(cmd_opt_force),
	CMD_OPT_USE(cmd_opt_lock_wait),
	CMD_OPT_USE(cmd_opt_json),
	CMD_OPT_ALL(cmd_opts_tail),
	CMD_OPT_TABLE_END,
};

static int apply_run(struct ctx *ctx, int argc, char **argv)
{
	struct deploy_opts o = { 0 };
	struct deploy dp = { 0 };
	struct release_opts ro = { .kind = "apply", .t0 = clock_mono() };
	struct cmd_args a = { .parallel = 4 };
	struct lock *lk = NULL;
	int64_t unpinned = 0;
	int first, ex;

	ex = cmd_opts_parse(
	        &first,
	        &(struct cmd_parse){ .cmd = &cmd_apply, .ctx = ctx, .args = &a, .deploy = &o },
	        argc, argv);
	if (ex != CMD_OPTS_RUN)
		goto out;
	cmd_args_release(&ro, &a);
	/* SIGINT/SIGTERM from here on stop the rollout cleanly (release_run()). */
	sig_catch();
	/* One apply or rollback per state directory, from planning to the last action. */
	ex = cmd_lock(&lk, ctx, o.project, "apply", a.lock_wait_ms);
	if (ex != EXIT_OK)
		goto out;
	dp.may_build = true;
	dp.json_events = ro.json && !ro.quiet;
	ex = deploy_prepare(&dp, ctx, &o);
	if (ex == EXIT_OK)
		ex = deploy_check_pin(&unpinned, ctx, &dp, a.force);
	if (unpinned)
		log_info("pin on release %lld cleared: deploying %s %.12s", (long long)unpinned,
		         dp.source_kind, dp.source_id);
	if (ex == EXIT_OK && dp.plan.n)
		ex = check_preflight(ctx, &dp, &o);
	if (ex != EXIT_OK)
		goto out;
	ex = release_run(&dp, ctx, &ro);
out:
	lock_release(lk);
	deploy_release(&dp);
	deploy_opts_release(&o);
	return ex;
}

const struct cmd cmd_apply = {
	.name = "apply",
	.run = apply_run,
	.usage =
	        "apply [--repo PATH] [--ref REF | --dir DIR] [--env-file FILE] [--allow-empty] [--json]",
	.summary = "Converge Docker to the manifests at a commit and record the release.",
	.opts = apply_opts,
};
