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

#include "deployctl/cmd_deploy.h"
#include "deployctl/log.h"
#include "deployctl/out.h"
#include "deployctl/spec.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct apply_view {
	const struct plan *plan;
	double *started;
	size_t done, failed;
	size_t kill_after; /* test-only fault point: SIGKILL ourselves after N actions; 0 off */
	bool tty;
	bool quiet;
};

static void view_started(void *arg, const struct action *a)
{
	struct apply_view *v = arg;

	v->started[a - v->plan->v] = now_s();
	if (v->tty && !v->quiet) {
		fprintf(stdout, "\r\033[K[%zu/%zu] %s %s", v->done, v->plan->n,
		        reconcile_action_name(a->kind), a->target);
		fflush(stdout);
	}
}

static void view_done(void *arg, const struct action *a, const struct err *failed)
{
	struct apply_view *v = arg;
	double took = now_s() - v->started[a - v->plan->v];
	char line[1024];

	v->done++;
	v->failed += failed != NULL;
	if (v->quiet && !failed)
		return;
	if (v->tty)
		fputs("\r\033[K", stdout);
	fprintf(stdout, "  %-6s %-14s ", failed ? "FAILED" : "ok", reconcile_action_name(a->kind));
	out_safe(stdout, a->target);
	if (a->replica)
		fprintf(stdout, "#%u", a->replica);
	fprintf(stdout, " (%.2fs)", took);
	if (failed) {
		fputs(": ", stdout);
		out_safe(stdout, err_format(line, sizeof(line), failed));
	}
	fputc('\n', stdout);
	fflush(stdout);
	if (v->kill_after && v->done == v->kill_after)
		raise(SIGKILL);
}

static char *who_am_i(void)
{
	const char *u = getenv("DEPLOYCTL_USER");

	if (!u || !*u)
		u = getenv("SUDO_USER");
	if (!u || !*u)
		u = getlogin();
	if (!u || !*u)
		u = getenv("USER");
	return strdup(u && *u ? u : "unknown");
}

/* Snapshot every service and resource of the release before touching Docker. */
static int record_snapshot(struct ctx *ctx, const struct deploy *dp, int64_t release,
                           struct err *err)
{
	const struct project *p = dp->project;
	size_t i;
	int rc = 0;

	for (i = 0; i < p->nservices && rc == 0; i++) {
		char *json = NULL;

		rc = spec_render(&json, p, &p->services[i], true, err);
		if (rc == 0)
			rc = store_release_service_add(ctx->store, release, p, &p->services[i],
			                               dp->hashes[i], json, err);
		free(json);
	}
	for (i = 0; i < p->nnetworks && rc == 0; i++) {
		char *name = model_network_docker_name(p, p->networks[i].name);

		rc = name ? store_release_resource_add(ctx->store, release, "network",
		                                       p->networks[i].name, name, err)
		          : err_set(err, ERR_NOMEM, "out of memory");
		free(name);
	}
	for (i = 0; i < p->nvolumes && rc == 0; i++) {
		char *name = model_volume_docker_name(p, p->volumes[i].name);

		rc = name ? store_release_resource_add(ctx->store, release, "volume",
		                                       p->volumes[i].name, name, err)
		          : err_set(err, ERR_NOMEM, "out of memory");
		free(name);
	}
	return rc;
}

static int record_actions(struct ctx *ctx, const struct plan *plan,
                          const struct reconcile_result *res, int64_t release, struct err *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < plan->n && rc == 0; i++) {
		const struct action *a = &plan->v[i];
		char target[512], msg[1024];
		struct store_action row = {
			.seq = (unsigned)i + 1,
			.action = reconcile_action_name(a->kind),
			.target_type = reconcile_action_target_type(a->kind),
			.target = target,
			.reason = a->reason,
			.outcome = res[i].rc == 0  ? "done"
			           : res[i].rc > 0 ? "skipped"
			                           : "failed",
			.error = res[i].rc < 0 ? err_format(msg, sizeof(msg), &res[i].err) : NULL,
		};

		if (a->replica)
			snprintf(target, sizeof(target), "%s#%u", a->target, a->replica);
		else
			snprintf(target, sizeof(target), "%s", a->target);
		rc = store_release_action_add(ctx->store, release, &row, err);
	}
	return rc;
}

static void print_summary(const struct deploy *dp, int64_t release, enum release_status st,
                          double took, const struct docker_stats *calls, bool json,
                          const struct err *failed)
{
	char msg[1024];

	if (json) {
		fputs("{\"project\":", stdout);
		out_json_str(stdout, dp->project->name);
		fprintf(stdout, ",\"release\":%lld,\"status\":", (long long)release);
		out_json_str(stdout, release ? store_status_name(st) : "unchanged");
		fputs(",\"source\":", stdout);
		out_json_str(stdout, dp->source_id);
		fprintf(stdout,
		        ",\"changes\":%zu,\"duration_s\":%.3f,\"docker_calls\":%u,"
		        "\"docker_mutating_calls\":%u,\"error\":",
		        dp->plan.n, took, calls->calls, calls->mutating);
		out_json_str(stdout, failed ? err_format(msg, sizeof(msg), failed) : NULL);
		fputs("}\n", stdout);
		return;
	}
	if (!release) {
		fprintf(stdout,
		        "no changes: %s is up to date with %s %.12s (%u Docker calls, %u "
		        "mutating)\n",
		        dp->project->name, dp->source_kind, dp->source_id, calls->calls,
		        calls->mutating);
		return;
	}
	fprintf(stdout, "release %lld %s in %.2fs: %zu change(s) (%u Docker calls, %u mutating)\n",
	        (long long)release, store_status_name(st), took, dp->plan.n, calls->calls,
	        calls->mutating);
}

static const struct option apply_options[] = {
	DEPLOY_LONG_OPTIONS,
	{ "parallel", required_argument, NULL, 'j' },
	{ "json", no_argument, NULL, 'J' },
	{ "quiet", no_argument, NULL, 'q' },
	{ NULL, 0, NULL, 0 },
};

static int apply_run(struct ctx *ctx, int argc, char **argv)
{
	struct deploy_opts o = { 0 };
	struct deploy dp = { 0 };
	struct reconcile_result *res = NULL;
	struct apply_view view = { 0 };
	struct reconcile_progress progress = { view_started, view_done, &view };
	struct docker_connect conn = { 0 };
	struct docker_stats calls = { 0 }, extra = { 0 };
	struct store_release_info info = { 0 };
	struct err err = ERR_INIT, aerr = ERR_INIT;
	enum release_status st = RELEASE_FAILED;
	char host[256] = "", release_label[32];
	char *who = NULL;
	bool json = false;
	unsigned parallel = 4, interrupted = 0;
	int64_t release = 0;
	double t0 = now_s();
	int opt, ex;

	while ((opt = getopt_long(argc, argv, "+hqj:", apply_options, NULL)) != -1) {
		int parsed = deploy_parse_opt(&o, opt, optarg);

		if (parsed < 0) {
			deploy_opts_release(&o);
			return EXIT_USAGE;
		}
		if (parsed)
			continue;
		switch (opt) {
		case 'j': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end || n < 1 || n > 8) {
				fprintf(stderr, "deployctl: --parallel takes 1 to 8\n");
				return EXIT_USAGE;
			}
			parallel = (unsigned)n;
			break;
		}
		case 'J':
			json = true;
			break;
		case 'q':
			view.quiet = true;
			break;
		case 'h':
			cmd_print_help(&cmd_apply, stdout);
			return EXIT_OK;
		default:
			cmd_print_help(&cmd_apply, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "deployctl: apply: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	ex = deploy_prepare(&dp, ctx, &o);
	if (ex != EXIT_OK)
		goto out;
	if (!dp.plan.n) {
		docker_get_stats(&calls, ctx->docker);
		print_summary(&dp, 0, RELEASE_SUCCEEDED, now_s() - t0, &calls, json, NULL);
		goto out;
	}
	gethostname(host, sizeof(host) - 1);
	if (store_mark_interrupted(&interrupted, ctx->store, host, &err) < 0)
		goto fail_state;
	if (interrupted)
		log_warnx("%u earlier release(s) were interrupted and are marked so", interrupted);
	if (!json)
		deploy_print_plan(&dp, false, stdout);
	who = who_am_i();
	info.project = dp.project->name;
	info.kind = "apply";
	info.source_kind = dp.source_kind;
	info.source = dp.source_id;
	info.ref = dp.ref;
	info.subject = dp.git ? gitsrc_subject(dp.git) : NULL;
	info.who = who ? who : "unknown";
	info.host = host;
	info.pid = (long)getpid();
	if (store_release_begin(&release, ctx->store, &info, &err) < 0 ||
	    record_snapshot(ctx, &dp, release, &err) < 0)
		goto fail_state;
	res = calloc(dp.plan.n, sizeof(*res));
	view.started = calloc(dp.plan.n, sizeof(*view.started));
	if (!res || !view.started) {
		err_set(&err, ERR_NOMEM, "out of memory");
		goto fail_state;
	}
	view.plan = &dp.plan;
	/* Crash-safety tests kill apply at a chosen point, as kill -9 would. */
	if (getenv("DEPLOYCTL_TEST_KILL_AFTER"))
		view.kill_after = strtoul(getenv("DEPLOYCTL_TEST_KILL_AFTER"), NULL, 10);
	view.tty = ctx->stdout_tty && !json;
	view.quiet = view.quiet || json;
	conn.host = ctx->docker_host;
	snprintf(release_label, sizeof(release_label), "%lld", (long long)release);
	if (reconcile_apply(ctx->docker, &conn, dp.project, &dp.plan, release_label,
	                    &dp.network_ids, parallel, &progress, res, &extra, &aerr) == 0)
		st = RELEASE_SUCCEEDED;
	if (record_actions(ctx, &dp.plan, res, release, &err) < 0 ||
	    store_release_finish(ctx->store, release, st, st == RELEASE_SUCCEEDED ? NULL : aerr.msg,
	                         &err) < 0)
		goto fail_state;
	docker_get_stats(&calls, ctx->docker);
	calls.calls += extra.calls;
	calls.mutating += extra.mutating;
	print_summary(&dp, release, st, now_s() - t0, &calls, json,
	              st == RELEASE_SUCCEEDED ? NULL : &aerr);
	if (st != RELEASE_SUCCEEDED && !json)
		cmd_report(&aerr);
	ex = st == RELEASE_SUCCEEDED ? EXIT_OK : EXIT_FAILED;
	goto out;
fail_state:
	cmd_report(&err);
	ex = EXIT_STATE;
out:
	if (res)
		reconcile_results_release(res, dp.plan.n);
	free(res);
	free(view.started);
	free(who);
	deploy_release(&dp);
	deploy_opts_release(&o);
	return ex;
}

const struct cmd cmd_apply = {
	.name = "apply",
	.run = apply_run,
	.needs = 0,
	.usage = "apply [--repo PATH] [--ref REF | --dir DIR] [--env-file FILE] [--json]",
	.summary = "Converge Docker to the manifests at a commit and record the release.",
	.help = DEPLOY_OPTS_HELP
	"  -j, --parallel N   actions of one stage run at once, 1-8 (default: 4)\n"
	"  -q, --quiet        print only failures and the summary\n"
	"  --json             print the outcome as JSON\n",
};
