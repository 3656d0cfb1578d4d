/*
 * cmd_restart.c - "deployctl restart SERVICE...": restart the services'
 * containers one replica at a time, each gated on being up again (its
 * healthcheck, as apply gates it, with the rollout timeout of the latest
 * successful release) before the next one goes down. Nothing about the
 * desired state changes, so it is not a release: each restart is an event
 * in the state database. Stops at the first replica that does not come up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deployctl/clock.h"
#include "deployctl/cmd_deploy.h"
#include "deployctl/deploy_swarm_cmds.h"
#include "deployctl/lock.h"
#include "deployctl/log.h"
#include "deployctl/out.h"
#include "deployctl/spec.h"

static const struct cmd_opt restart_opts[] = {
	CMD_OPT_USE(cmd_opt_project),
	CMD_OPT_USE_HELP(cmd_opt_lock_wait,
	                 "wait up to DUR for an apply or rollback (default: fail at once)"),
	CMD_OPT_USE(cmd_opt_quiet),
	CMD_OPT_USE_HELP(cmd_opt_json, "print what was restarted as JSON"),
	CMD_OPT_ALL(cmd_opts_tail),
	CMD_OPT_TABLE_END,
};
/* The service as the latest successful release deployed it: healthcheck and rollout. */
static int load_service(struct service *out, struct ctx *ctx, int64_t release, const char *name,
                        struct err *err)
{
	char *json = NULL;
	int rc = store_service_spec(&json, ctx->store, release, name, err);

	if (rc == 0)
		rc = spec_parse(out, json, err);
	if (rc == 0)
		rc = store_release_rollout_load(out, ctx->store, release, err);
	free(json);
	return rc;
}

/* Stop, start, gate one container; says how it went and records it. */
/* How restart prints: lines, or one JSON document whose items these are. */
struct restart_out {
	bool quiet, json;
	size_t n;
};

static int restart_one(struct ctx *ctx, const char *project, const struct service *s,
                       const struct docker_container *c, struct restart_out *o, const char *who)
{
	struct err err = ERR_INIT, ignored = ERR_INIT;
	char msg[600], tail[32];
	double up_s = 0, t0 = clock_mono();
	int rc;

	rc = docker_container_stop(ctx->docker, c->id, -1, &err);
	if (rc == 0)
		rc = docker_container_start(ctx->docker, c->id, &err);
	if (rc == 0)
		rc = reconcile_wait_up(&up_s, ctx->docker, s, c->id, false, &err);
	if (rc == 0)
		snprintf(msg, sizeof(msg), "%s#%u restarted by %s: up in %.2fs", s->name,
		         c->replica, who, clock_mono() - t0);
	else
		snprintf(msg, sizeof(msg), "%s#%u restarted by %s: not up: %s", s->name, c->replica,
		         who, err.msg);
	if (store_event_add(ctx->store, project, "restart", msg, &ignored) < 0)
		cmd_report(&ignored);
	if (o->json) {
		fprintf(stdout, "%s{\"service\":", o->n++ ? "," : "");
		out_json_str(stdout, s->name);
		fprintf(stdout, ",\"replica\":%u,\"container\":", c->replica);
		out_json_str(stdout, c->name);
	}
	snprintf(tail, sizeof(tail), "#%u (", c->replica);
	return deploy_restart_end(rc, &err, t0, o->json, o->quiet, s->name, tail);
}

static int restart_run(struct ctx *ctx, int argc, char **argv)
{
	struct docker_container *c = NULL;
	struct service svc;
	struct err err = ERR_INIT;
	struct lock *lk = NULL;
	const char *given = NULL;
	char *project = NULL, *who = NULL;
	int64_t release = 0;
	struct cmd_args a = { 0 };
	struct restart_out ro = { .quiet = log_get_level() == LOG_LEVEL_QUIET };
	bool loaded = false, swarm = false;
	size_t i, n = 0;
	double t0 = clock_mono();
	int first, ex;

	memset(&svc, 0, sizeof(svc));
	ex = cmd_opts_parse(&first, &cmd_restart, ctx, &a, NULL, argc, argv);
	if (ex != CMD_OPTS_RUN)
		return ex;
	given = a.project;
	ro.quiet = ro.quiet || a.quiet;
	ro.json = a.json;
	if (first == argc) {
		fprintf(stderr, "deployctl: restart needs at least one service\n");
		return EXIT_USAGE;
	}
	/* An apply replacing these containers at the same time would race with us. */
	ex = cmd_lock(&lk, ctx, given, "restart", a.lock_wait_ms);
	if (ex == EXIT_OK)
		ex = cmd_project_open(&project, &swarm, ctx, given);
	if (ex == EXIT_OK && swarm) {
		/* On Swarm: a forced rolling update per service, gated (deploy/swarm_ops.c). */
		struct deploy_swarm_restart_opts so = { .json = ro.json, .quiet = ro.quiet };

		who = deploy_who();
		so.who = who ? who : "unknown";
		ex = deploy_swarm_restart(ctx, project, argv + first, argc - first, &so);
		goto out;
	}
	if (ex == EXIT_OK)
		ex = cmd_live_containers(&c, &n, ctx, project, argv + first, argc - first, 0);
	if (ex != EXIT_OK)
		goto out;
	if (store_release_latest(&release, ctx->store, project, "succeeded", &err) < 0) {
		cmd_report(&err);
		ex = EXIT_STATE;
		goto out;
	}
	who = deploy_who();
	if (ro.json) {
		fputs("{\"project\":", stdout);
		out_json_str(stdout, project);
		fputs(",\"restarted\":[", stdout);
	}
	for (i = 0; i < n && ex == EXIT_OK; i++) {
		if (!loaded || strcmp(svc.name, c[i].service)) {
			if (loaded)
				model_service_release(&svc);
			memset(&svc, 0, sizeof(svc));
			loaded = true;
			if (!release || load_service(&svc, ctx, release, c[i].service, &err) < 0) {
				/* Not in the release: gate on it running, the default. */
				err_clear(&err);
				model_service_release(&svc);
				memset(&svc, 0, sizeof(svc));
				svc.name = strdup(c[i].service);
				if (!svc.name) {
					ex = EXIT_FAILED;
					break;
				}
				log_warnx("%s is not in the latest successful release: gated on "
				          "running only",
				          c[i].service);
			}
		}
		ex = restart_one(ctx, project, &svc, &c[i], &ro, who ? who : "unknown");
	}
	if (ro.json)
		printf("],\"duration_s\":%.3f}\n", clock_mono() - t0);
	else if (ex == EXIT_OK)
		printf("restarted %zu container(s) of %s in %.2fs\n", n, project,
		       clock_mono() - t0);
out:
	if (loaded)
		model_service_release(&svc);
	lock_release(lk);
	docker_container_list_free(c, n);
	free(project);
	free(who);
	return ex;
}

const struct cmd cmd_restart = {
	.name = "restart",
	.run = restart_run,
	.usage = "restart [--project NAME] [--json] SERVICE...",
	.summary = "Restart services' containers one at a time, each health-gated; an event, not "
	           "a release.",
	.opts = restart_opts,
	.opts_flags = CMD_OPTS_PERMUTE | CMD_OPTS_OPERANDS,
	.help = "On Swarm: a forced rolling update (TaskTemplate.ForceUpdate + 1) per service, "
	        "gated\nlike a release wave on the new tasks running (healthy where checked).\n",
};
