/*
 * cmd_release.c - running a prepared plan as a recorded release, shared by
 * apply and rollback: the snapshot is written before the first mutation,
 * every action with its outcome after, and the status is honest
 * (succeeded, failed, rolled_back); a kill leaves the release running, to
 * be marked interrupted by the next run.
 */
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deployctl/cmd_deploy.h"
#include "deployctl/files.h"
#include "deployctl/log.h"
#include "deployctl/out.h"
#include "deployctl/progress.h"
#include "deployctl/spec.h"

/* Releases whose retained containers are kept for a fast way back. */
#define RETAIN_RELEASES 3

double deploy_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *deploy_who(void)
{
	const char *u = getenv("DEPLOYCTL_USER");
	struct passwd *pw;

	if (!u || !*u)
		u = getenv("SUDO_USER");
	if (!u || !*u)
		u = getlogin();
	if (!u || !*u)
		u = getenv("USER");
	if ((!u || !*u) && (pw = getpwuid(getuid())))
		u = pw->pw_name;
	return strdup(u && *u ? u : "unknown");
}

/*
 * The repo digest deployed, so the release says exactly which image it ran
 * even after the tag moved: known from a pull or a snapshot, else read from
 * the local image (an image never pulled has none).
 */
static int record_digest(struct ctx *ctx, const struct deploy *dp, const struct service *s,
                         int64_t release, struct err *err)
{
	struct err ignored = ERR_INIT;
	char *digest = NULL;
	int rc;

	/* A snapshot's tag may point elsewhere by now: only its recorded digest counts. */
	if (!s->repo_digest && s->image && !dp->from_snapshot)
		docker_image_digest(&digest, ctx->docker, s->image, &ignored);
	if (!s->repo_digest && !digest)
		return 0;
	rc = store_release_service_set_digest(ctx->store, release, s->name,
	                                      s->repo_digest ? s->repo_digest : digest, err);
	free(digest);
	return rc;
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
		if (rc == 0)
			rc = store_release_deps_add(ctx->store, release, &p->services[i], err);
		if (rc == 0)
			rc = store_release_rollout_add(ctx->store, release, &p->services[i], err);
		if (rc == 0)
			rc = record_digest(ctx, dp, &p->services[i], release, err);
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

/* <state>/<name>; new. */
static char *state_path(const char *state, const char *name)
{
	size_t n = strlen(state) + strlen(name) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", state, name);
	return p;
}

/*
 * Keep the retained containers of the last few releases, the release
 * rollback would go to, and tagged ones; a failure here fails nothing.
 */
/* Add the spec hashes of a release's services to out. */
static int release_hashes(struct strv *out, struct ctx *ctx, int64_t release, struct err *err)
{
	struct store_service_row *rows = NULL;
	size_t i, n = 0;
	int rc = store_release_services(&rows, &n, ctx->store, release, err);

	for (i = 0; rc == 0 && i < n; i++)
		rc = strv_push(out, rows[i].spec_hash);
	store_service_rows_free(rows, n);
	return rc;
}

/*
 * Keep the retained containers of the last few releases, of the release
 * rollback would go to, and of tagged releases; a failure here fails
 * nothing, it is only said.
 */
static void prune_retained(struct deploy *dp, struct ctx *ctx, int64_t release, unsigned keep)
{
	struct store_release *v = NULL;
	struct store_tag_row *tags = NULL;
	struct strv protect = { 0 };
	struct err err = ERR_INIT;
	size_t i, n = 0, ntags = 0;
	unsigned removed = 0;
	int rc;

	rc = store_release_list(&v, &n, ctx->store, dp->project->name, 0, &err);
	/* The rollback target: the newest success before this release. */
	for (i = 0; rc == 0 && i < n; i++)
		if (v[i].id < release && !strcmp(v[i].status, "succeeded")) {
			rc = release_hashes(&protect, ctx, v[i].id, &err);
			break;
		}
	if (rc == 0)
		rc = store_tag_list(&tags, &ntags, ctx->store, dp->project->name, &err);
	for (i = 0; rc == 0 && i < ntags; i++)
		rc = release_hashes(&protect, ctx, tags[i].release_id, &err);
	if (rc == 0)
		rc = reconcile_prune(&removed, ctx->docker, dp->project->name,
		                     keep ? keep : RETAIN_RELEASES, &protect, &err);
	if (rc < 0)
		log_warnx("cannot prune retained containers: %s", err.msg);
	else if (removed)
		log_info("pruned %u retained container(s) of older releases", removed);
	store_release_list_free(v, n);
	store_tag_rows_free(tags, ntags);
	strv_free(&protect);
}

int release_run(struct deploy *dp, struct ctx *ctx, const struct release_opts *ro)
{
	struct reconcile_result *res = NULL;
	struct progress *view = NULL;
	bool quiet = ro->quiet || log_get_level() == LOG_LEVEL_QUIET;
	struct docker_connect conn = { 0 };
	struct docker_stats calls = { 0 }, extra = { 0 };
	struct store_release_info info = { 0 };
	struct reconcile_opts opts = { 0 };
	struct err err = ERR_INIT, aerr = ERR_INIT;
	enum release_status st = RELEASE_FAILED;
	char host[256] = "", release_label[32], message[sizeof(aerr.msg) + 64] = "";
	char *who = NULL, *files_dir = NULL;
	bool json = ro->json;
	unsigned interrupted = 0;
	int64_t release = 0;
	double t0 = ro->t0;
	size_t i;
	int ex = EXIT_FAILED;

	if (!dp->plan.n) {
		docker_get_stats(&calls, ctx->docker);
		print_summary(dp, 0, RELEASE_SUCCEEDED, deploy_now() - t0, &calls, json, NULL);
		ex = EXIT_OK;
		goto out;
	}
	gethostname(host, sizeof(host) - 1);
	if (store_mark_interrupted(&interrupted, ctx->store, host, &err) < 0)
		goto fail_state;
	if (interrupted)
		log_warnx("%u earlier release(s) were interrupted and are marked so", interrupted);
	if (!json && !quiet)
		deploy_print_plan(dp, false, stdout);
	who = deploy_who();
	info.project = dp->project->name;
	info.kind = ro->kind;
	info.rollback_of = ro->rollback_of;
	info.source_kind = dp->source_kind;
	info.source = dp->source_id;
	info.ref = dp->ref;
	info.subject = dp->git ? gitsrc_subject(dp->git) : NULL;
	info.who = who ? who : "unknown";
	info.host = host;
	info.pid = (long)getpid();
	if (store_release_begin(&release, ctx->store, &info, &err) < 0 ||
	    record_snapshot(ctx, dp, release, &err) < 0)
		goto fail_state;
	res = calloc(dp->plan.n, sizeof(*res));
	if (!res) {
		err_set(&err, ERR_NOMEM, "out of memory");
		goto fail_state;
	}
	if (progress_new(&view, &dp->plan, progress_mode_for(json, quiet, ctx->stdout_tty),
	                 progress_color_ok(), stdout, &err) < 0)
		goto fail_state;
	/* Crash-safety tests kill apply at a chosen point, as kill -9 would. */
	if (getenv("DEPLOYCTL_TEST_KILL_AFTER"))
		progress_kill_after(view, strtoul(getenv("DEPLOYCTL_TEST_KILL_AFTER"), NULL, 10));
	conn.host = ctx->docker_host;
	snprintf(release_label, sizeof(release_label), "%lld", (long long)release);
	files_dir = state_path(ctx->state_dir, "files");
	if (!files_dir) {
		err_set(&err, ERR_NOMEM, "out of memory");
		goto fail_state;
	}
	/* Configs and environment secrets become files the containers mount read-only. */
	if (files_materialize(dp->project, files_dir, &err) < 0)
		goto fail_state;
	opts.release = release_label;
	opts.files_dir = files_dir;
	opts.parallel = ro->parallel;
	opts.no_rollback = ro->no_rollback;
	opts.progress = progress_hooks(view);
	if (reconcile_apply(ctx->docker, &conn, dp->project, &dp->plan, &opts, &dp->network_ids,
	                    res, &extra, &aerr) == 0)
		st = RELEASE_SUCCEEDED;
	else if (!ro->no_rollback)
		st = RELEASE_ROLLED_BACK;
	progress_finish(view);
	/* rolled_back only if every change was really put back. */
	for (i = 0; st == RELEASE_ROLLED_BACK && i < dp->plan.n; i++)
		if (res[i].undo_failed)
			st = RELEASE_FAILED;
	if (st != RELEASE_SUCCEEDED)
		snprintf(message, sizeof(message), "%s%s", aerr.msg,
		         st == RELEASE_ROLLED_BACK ? "; previous containers restored"
		         : ro->no_rollback         ? ""
		                                   : "; automatic rollback incomplete");
	if (record_actions(ctx, &dp->plan, res, release, &err) < 0 ||
	    store_release_finish(ctx->store, release, st, st == RELEASE_SUCCEEDED ? NULL : message,
	                         &err) < 0)
		goto fail_state;
	if (st == RELEASE_SUCCEEDED)
		prune_retained(dp, ctx, release, ro->keep);
	docker_get_stats(&calls, ctx->docker);
	calls.calls += extra.calls;
	calls.mutating += extra.mutating;
	print_summary(dp, release, st, deploy_now() - t0, &calls, json,
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
		reconcile_results_release(res, dp->plan.n);
	free(res);
	progress_free(view);
	free(who);
	free(files_dir);
	return ex;
}
