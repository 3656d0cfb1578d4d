/*
 * cmd_down.c - "deployctl down": take a project's stack away — every
 * container (live, retained and failed ones) and its networks; volumes only
 * with --volumes, and never external ones. It is a release of kind down
 * with an empty snapshot, so "deployctl rollback" brings the stack back
 * from the release before it, and it holds the state lock like an apply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/clock.h"
#include "deployctl/cmd_deploy.h"
#include "deployctl/deploy_swarm_cmds.h"
#include "deployctl/jobs.h"
#include "deployctl/lock.h"
#include "deployctl/log.h"
#include "deployctl/out.h"

static const struct cmd_opt down_opts[] = {
	CMD_OPT_USE(cmd_opt_project),
	{ .kind = CMD_OPT_FLAG,
	  .name = "volumes",
	  CMD_FIELD(CMD_BASE_OWN, struct reconcile_down_opts, volumes),
	  .help = "delete the project's volumes and their data too (never external ones)" },
	{ .kind = CMD_OPT_FLAG,
	  .name = "keep-history",
	  CMD_FIELD(CMD_BASE_OWN, struct reconcile_down_opts, keep_history),
	  .help = "stop the containers and keep them (and their networks), with the\n"
	          "retained ones of earlier releases, so a rollback needs no create" },
	CMD_OPT_USE_HELP(cmd_opt_parallel, "removals at once, 1-8 (default: 4)"),
	CMD_OPT_USE(cmd_opt_keep),
	CMD_OPT_USE(cmd_opt_no_rollback),
	CMD_OPT_USE(cmd_opt_lock_wait),
	CMD_OPT_USE(cmd_opt_quiet),
	CMD_OPT_USE(cmd_opt_json),
	CMD_OPT_ALL(cmd_opts_tail),
	CMD_OPT_TABLE_END,
};

/* The project: --project, else the latest release's. *out new. Prints; exit status. */
static int pick_project(char **out, struct ctx *ctx, const char *project)
{
	struct store_release *v = NULL;
	struct err err = ERR_INIT;
	size_t n = 0;

	if (project) {
		*out = strdup(project);
		return *out ? EXIT_OK : EXIT_FAILED;
	}
	if (store_release_list(&v, &n, ctx->store, NULL, 1, &err) < 0) {
		cmd_report(&err);
		return EXIT_STATE;
	}
	if (!n) {
		fprintf(stderr, "deployctl: no releases yet: name the project with --project\n");
		return EXIT_USAGE;
	}
	*out = strdup(v[0].project);
	store_release_list_free(v, n);
	return *out ? EXIT_OK : EXIT_FAILED;
}

/*
 * dp as down needs it: an empty project of that name, recorded with the
 * source of the release it takes down, and Docker's listings of the
 * project's containers, networks and volumes.
 */
static int down_prepare(struct deploy *dp, struct ctx *ctx, const char *project,
                        const struct reconcile_down_opts *dopts)
{
	struct reconcile_input in = { 0 };
	struct err err = ERR_INIT;

	if (deploy_down_begin(dp, ctx, project, &err) < 0)
		goto fail;
	if (docker_container_list(&dp->containers, &dp->ncontainers, ctx->docker, project, &err) <
	            0 ||
	    docker_resource_list(&dp->networks, &dp->nnetworks, ctx->docker, RES_NETWORK, project,
	                         &err) < 0 ||
	    docker_resource_list(&dp->volumes, &dp->nvolumes, ctx->docker, RES_VOLUME, project,
	                         &err) < 0 ||
	    store_identity_get(&dp->owner, ctx->store, &err) < 0 ||
	    jobs_append_leftovers(&dp->containers, &dp->ncontainers, ctx->docker, project,
	                          dp->owner.id, &err) < 0)
		goto fail;
	in.desired = dp->project;
	in.containers = dp->containers;
	in.ncontainers = dp->ncontainers;
	in.have_resources = true;
	in.networks = dp->networks;
	in.nnetworks = dp->nnetworks;
	in.volumes = dp->volumes;
	in.nvolumes = dp->nvolumes;
	if (reconcile_down(&dp->plan, &in, dopts, &err) < 0)
		goto fail;
	return EXIT_OK;
fail:
	cmd_report(&err);
	return cmd_exit_for(err.code);
}

/* The volumes left in place, and how to remove them. */
static void print_kept_volumes(const struct deploy *dp, bool volumes)
{
	size_t i;

	if (!dp->plan.notes.n)
		return;
	fputs("volumes kept:", stdout);
	for (i = 0; i < dp->plan.notes.n; i++) {
		fputc(' ', stdout);
		out_safe(stdout, dp->plan.notes.v[i]);
	}
	fputs(volumes ? " (not created by deployctl)\n"
	              : " ('deployctl down --volumes' deletes them and their data)\n",
	      stdout);
}

static int down_run(struct ctx *ctx, int argc, char **argv)
{
	struct deploy dp = { 0 };
	struct release_opts ro = { .kind = "down", .t0 = clock_mono() };
	struct reconcile_down_opts dopts = { 0 };
	struct cmd_args a = { .parallel = 4 };
	const char *project;
	char *proj = NULL;
	struct lock *lk = NULL;
	bool swarm = false;
	int first, ex;

	ex = cmd_opts_parse(&first, &cmd_down, ctx, &a, &dopts, argc, argv);
	if (ex != CMD_OPTS_RUN)
		return ex;
	cmd_args_release(&ro, &a);
	project = a.project;
	ro.quiet = ro.quiet || log_get_level() == LOG_LEVEL_QUIET; /* -q before the command */
	/* What down removes, an apply running at the same time may be creating. */
	ex = cmd_lock(&lk, ctx, project, "down", a.lock_wait_ms);
	if (ex == EXIT_OK)
		ex = cmd_open_store(ctx);
	if (ex == EXIT_OK)
		ex = pick_project(&proj, ctx, project);
	if (ex == EXIT_OK)
		ex = cmd_open_docker(ctx);
	if (ex == EXIT_OK)
		ex = deploy_swarm_project(&swarm, ctx, proj);
	/* On Swarm: its services, networks, objects (deploy/swarm_down.c). */
	if (ex == EXIT_OK)
		ex = swarm ? deploy_swarm_down_prepare(&dp, ctx, proj, &dopts)
		           : down_prepare(&dp, ctx, proj, &dopts);
	if (ex != EXIT_OK)
		goto out;
	if (!dp.plan.n) {
		if (!ro.json)
			printf("nothing to take down: %s has no containers or networks%s\n", proj,
			       dp.plan.notes.n ? "" : " or volumes");
		else {
			fputs("{\"project\":", stdout);
			out_json_str(stdout, proj);
			fputs(",\"release\":0,\"status\":\"unchanged\"}\n", stdout);
		}
		if (!ro.json && !ro.quiet)
			print_kept_volumes(&dp, dopts.volumes);
		goto out;
	}
	/* Nothing to put back: a half-done down is reported as failed, and down again finishes it.
	 */
	ro.no_rollback = true;
	ex = release_run(&dp, ctx, &ro);
	if (!ro.json && !ro.quiet)
		print_kept_volumes(&dp, dopts.volumes);
	if (ex == EXIT_OK && !ro.json && !ro.quiet && dp.prev_release)
		printf("'deployctl rollback --project %s' brings the stack back\n", proj);
out:
	lock_release(lk);
	deploy_release(&dp);
	free(proj);
	return ex;
}

const struct cmd cmd_down = {
	.name = "down",
	.run = down_run,
	.usage = "down [--project NAME] [--volumes] [--keep-history] [--json]",
	.summary = "Remove a project's containers and networks (volumes with --volumes), as a "
	           "release.",
	.opts = down_opts,
	.help = "On Swarm: the project's services (by its stack and project labels), then its "
	        "overlay\nnetworks and config and secret objects; --volumes: its volumes on this "
	        "node;\n--keep-history is refused.\n",
};
