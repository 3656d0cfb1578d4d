/*
 * cmd_apply.c - "deployctl apply": converge Docker to the manifests at a
 * commit, recording the release (with a full snapshot) in the state
 * database. A run with nothing to change makes no mutating Docker call and
 * records no release.
 */
#include <getopt.h>
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

static const struct option apply_options[] = {
	DEPLOY_LONG_OPTIONS,
	RELEASE_LONG_OPTIONS,
	{ "force", no_argument, NULL, 'F' },
	{ NULL, 0, NULL, 0 },
};

static int apply_run(struct ctx *ctx, int argc, char **argv)
{
	struct deploy_opts o = { 0 };
	struct deploy dp = { 0 };
	struct release_opts ro = { .kind = "apply", .parallel = 4, .t0 = clock_mono() };
	struct lock *lk = NULL;
	long lock_wait = 0;
	int64_t unpinned = 0;
	bool force = false;
	int opt, ex;

	while ((opt = getopt_long(argc, argv, "+hf:qj:", apply_options, NULL)) != -1) {
		int parsed = deploy_parse_opt(&o, opt, optarg);

		if (parsed == 0)
			parsed = cmd_release_opt(&ro, &lock_wait, opt, optarg);
		if (parsed < 0) {
			ex = EXIT_USAGE;
			goto out;
		}
		if (parsed)
			continue;
		switch (opt) {
		case 'F':
			force = true;
			break;
		case 'h':
			cmd_print_help(&cmd_apply, stdout);
			ex = EXIT_OK;
			goto out;
		default:
			cmd_print_help(&cmd_apply, stderr);
			ex = EXIT_USAGE;
			goto out;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "deployctl: apply: unexpected argument '%s'\n", argv[optind]);
		ex = EXIT_USAGE;
		goto out;
	}
	/* SIGINT/SIGTERM from here on stop the rollout cleanly (release_run()). */
	sig_catch();
	/* One apply or rollback per state directory, from planning to the last action. */
	if (o.state_dir)
		ctx->state_dir = o.state_dir;
	ex = cmd_lock(&lk, ctx, o.project, "apply", lock_wait);
	if (ex != EXIT_OK)
		goto out;
	dp.may_build = true;
	dp.json_events = ro.json && !ro.quiet;
	ex = deploy_prepare(&dp, ctx, &o);
	if (ex == EXIT_OK)
		ex = deploy_check_pin(&unpinned, ctx, &dp, force);
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
	.help = DEPLOY_OPTS_HELP
	"  -j, --parallel N   actions of one stage run at once, 1-8 (default: 4)\n"
	"  -q, --quiet        print only failures and the summary\n"
	"  --keep N           keep retained containers of the last N releases (default: 3)\n"
	"  --no-rollback      when a service fails its health gate, leave everything as it "
	"is\n"
	"  --force            deploy even the commit a rollback quarantined\n"
	"  --lock-wait DUR    wait up to DUR for another apply or rollback (default: fail at "
	"once)\n"
	"  --json             print the outcome as JSON\n",
};
