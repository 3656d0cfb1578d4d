/*
 * cmd_release.c - running a prepared plan as a recorded release, shared by
 * apply and rollback: the release, its snapshot and its planned actions
 * are written before the first mutation, with room reserved for recording
 * the outcome on a full disk; every action's outcome and the status
 * (succeeded, failed, rolled_back, interrupted) after, in one transaction.
 * A kill leaves the release running, to be marked interrupted by the next
 * run that takes the state lock; a record that still fails says what was
 * changed. SIGINT/SIGTERM stop it as reconcile_apply() says; the release
 * is recorded and the run exits 128 + the signal's number.
 */
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/clock.h"
#include "deployctl/cmd_deploy.h"
#include "deployctl/deploy_swarm.h"
#include "deployctl/fault.h"
#include "deployctl/files.h"
#include "deployctl/jobs.h"
#include "deployctl/log.h"
#include "deployctl/model_secret.h"
#include "deployctl/out.h"
#include "deployctl/progress.h"
#include "deployctl/release_checks.h"
#include "deployctl/sig.h"
#include "deployctl/spec.h"

/* Releases whose retained containers are kept for a fast way back. */
#define RETAIN_RELEASES 3

/*
 * Room kept for recording a release's outcome (store_reserve()): 1 MB,
 * and 4 KB more per action, where an outcome needs a few hundred bytes.
 */
#define RESERVE_BYTES(nactions) ((size_t)1024 * 1024 + (size_t)(nactions)*4096)

/*
 * Between the executor and the progress view (deploy/progress.c): every
 * container a rollout changes is recorded the moment it changes, before
 * the rollout's next step; everything else goes on to the view.
 */
struct apply_record {
	const struct plan *plan;
	const struct reconcile_progress *view;
	struct store *store;
	int64_t release;
	unsigned unrecorded; /* container events the store refused */
};

static void record_container(void *arg, const struct action *a, const char *event, const char *id,
                             const char *name, const char *detail)
{
	struct apply_record *r = arg;
	struct store_container_event e = {
		.action_seq = (unsigned)(a - r->plan->v) + 1,
		.container_id = id,
		.name = name,
		.event = event,
		.detail = detail,
	};
	struct err err = ERR_INIT;

	if (store_release_container_add(r->store, r->release, &e, &err) < 0 && !r->unrecorded++)
		log_warnx("cannot record container %.12s (%s): %s", id, event, err.msg);
}

static void record_started(void *arg, const struct action *a)
{
	struct apply_record *r = arg;

	if (r->view->action_started)
		r->view->action_started(r->view->ctx, a);
}

static void record_done(void *arg, const struct action *a, const struct err *failed)
{
	struct apply_record *r = arg;

	if (r->view->action_done)
		r->view->action_done(r->view->ctx, a, failed);
	if (FAULT_POINT("KILL_AFTER")) /* after the Nth action, as kill -9 would */
		raise(SIGKILL);
}

static void record_state(void *arg, const struct action *a, const char *state, unsigned attempt)
{
	struct apply_record *r = arg;

	if (r->view->action_state)
		r->view->action_state(r->view->ctx, a, state, attempt);
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
/*
 * seen[i]: what the local image of service i gave, once asked ("" for no
 * digest), so that services sharing an image ask the Engine once, not
 * once each (50 inspects of one image for a stack of 50 services).
 */
static int record_digest(struct ctx *ctx, const struct deploy *dp, size_t i, char **seen,
                         int64_t release, struct err *err)
{
	const struct service *s = &dp->project->services[i];
	struct err ignored = ERR_INIT;
	const char *digest = NULL;
	size_t j;

	/* A snapshot's tag may point elsewhere by now: only its recorded digest counts. */
	if (!s->repo_digest && s->image && !dp->from_snapshot) {
		for (j = 0; j < i && !seen[i]; j++)
			if (seen[j] && dp->project->services[j].image &&
			    !strcmp(dp->project->services[j].image, s->image))
				seen[i] = strdup(seen[j]);
		if (!seen[i] && docker_image_digest(&seen[i], ctx->docker, s->image, &ignored) < 0)
			seen[i] = NULL;
		if (!seen[i] && !(seen[i] = strdup("")))
			return err_set(err, ERR_NOMEM, "out of memory");
		digest = *seen[i] ? seen[i] : NULL;
	}
	if (!s->repo_digest && !digest)
		return 0;
	return store_release_service_set_digest(ctx->store, release, s->name,
	                                        s->repo_digest ? s->repo_digest : digest, err);
}

/*
 * Containers of s made before spec hashes were keyed that still run its
 * spec carry the unkeyed label: record (keyed) that they do, so status
 * says they match.
 */
static int record_legacy_label(struct ctx *ctx, const struct deploy *dp, size_t i, int64_t release,
                               struct err *err)
{
	const struct service *s = &dp->project->services[i];
	size_t k;

	for (k = 0; k < dp->ncontainers; k++) {
		const struct docker_container *c = &dp->containers[k];

		if (!c->service || strcmp(c->service, s->name) || !c->spec_hash ||
		    !strcmp(c->spec_hash, dp->hashes[i]) ||
		    !spec_hash_matches(c->spec_hash, dp->hashes[i], dp->project, s))
			continue;
		return store_release_service_set_legacy_label(ctx->store, release, s->name,
		                                              c->spec_hash, err);
	}
	return 0;
}

/* Snapshot every service and resource of the release before touching Docker. */
static int record_snapshot(struct ctx *ctx, const struct deploy *dp, int64_t release,
                           struct err *err)
{
	const struct project *p = dp->project;
	const struct hash_key *k = store_key(ctx->store, err);
	char **seen = calloc(p->nservices + 1, sizeof(*seen));
	enum res_kind kind;
	size_t i, n;
	int rc = !k ? err->code : seen ? 0 : err_set(err, ERR_NOMEM, "out of memory");

	for (i = 0; i < p->nservices && rc == 0; i++) {
		char *json = NULL;

		rc = spec_render(&json, k, p, &p->services[i], true, err);
		if (rc == 0)
			rc = store_release_service_add(ctx->store, release, p, &p->services[i],
			                               dp->hashes[i], json, err);
		free(json);
		if (rc == 0)
			rc = store_release_deps_add(ctx->store, release, &p->services[i], err);
		if (rc == 0)
			rc = store_release_rollout_add(ctx->store, release, &p->services[i], err);
		if (rc == 0)
			rc = record_digest(ctx, dp, i, seen, release, err);
		if (rc == 0)
			rc = record_legacy_label(ctx, dp, i, release, err);
	}
	for (i = 0; seen && i < p->nservices; i++)
		free(seen[i]);
	free(seen);
	for (kind = 0; kind < RES__COUNT && rc == 0; kind++) {
		const struct project_resource *v = model_resources(p, kind, &n);

		for (i = 0; i < n && rc == 0; i++) {
			char *name = model_res_docker_name(p, kind, v[i].name);

			rc = name ? store_release_resource_add(ctx->store, release,
			                                       model_res_noun(kind), v[i].name,
			                                       name, err)
			          : err_set(err, ERR_NOMEM, "out of memory");
			free(name);
		}
	}
	/* their settings too: a rollback may have to create a network again */
	return rc ? rc : store_release_resource_specs_add(ctx->store, release, p, err);
}

/* "target" or "target#N" of an action into buf. */
static const char *action_target(char *buf, size_t size, const struct action *a)
{
	if (a->replica)
		snprintf(buf, size, "%s#%u", a->target, a->replica);
	else
		snprintf(buf, size, "%s", a->target);
	return buf;
}

/* The reason recorded for a: a replace says which order it ran in, as the plan did. */
static const char *action_reason(char *buf, size_t size, const struct action *a)
{
	if (!a->order_why)
		return a->reason;
	snprintf(buf, size, "%s (%s)", a->reason, a->order_why);
	return buf;
}

/* The plan as rows with outcome "planned", before the first change. */
static int record_planned(struct ctx *ctx, const struct plan *plan, int64_t release,
                          struct err *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < plan->n && rc == 0; i++) {
		const struct action *a = &plan->v[i];
		char target[512], reason[2048];
		struct store_action row = {
			.seq = (unsigned)i + 1,
			.action = reconcile_action_name(a->kind),
			.target_type = reconcile_action_target_type(a->kind),
			.target = action_target(target, sizeof(target), a),
			.reason = action_reason(reason, sizeof(reason), a),
			.outcome = "planned",
		};

		rc = store_release_action_add(ctx->store, release, &row, err);
	}
	return rc;
}

/* Size of the text each recorded action may take: its target and its error. */
#define ROW_TEXT (512 + 1024 + 2048) /* target, error, reason */

/* Every action's outcome and the release's status, in one transaction. */
static int record_outcome(struct ctx *ctx, const struct plan *plan,
                          const struct reconcile_result *res, int64_t release,
                          enum release_status st, const char *message, struct err *err)
{
	struct store_action *rows = calloc(plan->n ? plan->n : 1, sizeof(*rows));
	char *text = calloc(plan->n ? plan->n : 1, ROW_TEXT);
	size_t i;
	int rc;

	if (!rows || !text) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < plan->n; i++) {
		const struct action *a = &plan->v[i];
		char *target = text + i * ROW_TEXT, *msg = target + 512, *reason = msg + 1024;

		rows[i] = (struct store_action){
			.seq = (unsigned)i + 1,
			.action = reconcile_action_name(a->kind),
			.target_type = reconcile_action_target_type(a->kind),
			.target = action_target(target, 512, a),
			.reason = action_reason(reason, 2048, a),
			.outcome = res[i].rc == 0  ? "done"
			           : res[i].rc > 0 ? "skipped"
			                           : "failed",
			.error = res[i].rc < 0 ? err_format(msg, 1024, &res[i].err) : NULL,
		};
	}
	rc = FAULT_POINT("FAIL_RECORD")
	             ? err_set(err, ERR_STORE, "database or disk is full (test fault point)")
	             : store_release_close(ctx->store, release, rows, plan->n, st, message, err);
out:
	free(rows);
	free(text);
	return rc;
}

/*
 * What the rollout changed in Docker, for an error that says the outcome
 * could not be recorded: "create web#1, replace api#1 done; remove old#1
 * failed" (bounded; "... and N more").
 */
static void describe_changes(char *buf, size_t size, const struct plan *plan,
                             const struct reconcile_result *res)
{
	static const char *const what[] = { "done", "failed" };
	size_t i, len = 0, more = 0;
	unsigned pass;
	char target[512];
	int r;

	buf[0] = '\0';
	for (pass = 0; pass < 2; pass++) {
		bool any = false;

		for (i = 0; i < plan->n; i++) {
			if ((pass == 0) != (res[i].rc == 0) || res[i].rc > 0)
				continue;
			if (len + 600 > size) {
				more++;
				continue;
			}
			r = snprintf(buf + len, size - len, "%s%s %s",
			             any   ? ", "
			             : len ? "; "
			                   : "",
			             reconcile_action_name(plan->v[i].kind),
			             action_target(target, sizeof(target), &plan->v[i]));
			len += r > 0 ? (size_t)r : 0;
			any = true;
		}
		if (any && len < size)
			len += (size_t)snprintf(buf + len, size - len, " %s", what[pass]);
	}
	if (more && len < size)
		snprintf(buf + len, size - len, " (and %zu more)", more);
	if (!buf[0])
		snprintf(buf, size, "nothing");
}

/*
 * The one-line message of a release that did not succeed: the failure,
 * what the automatic rollback achieved (containers it could not put back
 * named), and the failed containers kept for inspection.
 */
static void release_message(char *out, size_t size, const struct plan *plan,
                            const struct reconcile_result *res, const struct err *aerr,
                            enum release_status st, bool no_rollback, bool swarm)
{
	struct buf b;
	size_t i;

	buf_init(&b, 4096);
	buf_puts(&b, aerr->msg);
	if (st == RELEASE_ROLLED_BACK)
		buf_puts(&b, swarm ? "; previous service specs restored"
		                   : "; previous containers restored");
	else if (st == RELEASE_INTERRUPTED)
		buf_puts(&b, "; completed actions kept, the next apply converges");
	else if (!no_rollback)
		buf_puts(&b, "; automatic rollback incomplete");
	for (i = 0; st == RELEASE_FAILED && !no_rollback && i < plan->n; i++)
		if (res[i].undo_failed)
			buf_printf(&b, "; %s#%u not put back%s%.12s%s", plan->v[i].target,
			           plan->v[i].replica,
			           res[i].container_id ? " (new container " : "",
			           res[i].container_id ? res[i].container_id : "",
			           res[i].container_id ? " still there)" : "");
	for (i = 0; i < plan->n; i++)
		if (res[i].kept_name)
			buf_printf(&b, "; failed container kept as %s", res[i].kept_name);
	snprintf(out, size, "%s", b.ptr);
	buf_release(&b);
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
		out_json_field(stdout, "source", dp->source_id);
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

/* Record the smoke checks and tell the notify targets of the outcome (never fails). */
static void tell(struct release_checks *checks, struct ctx *ctx,
                 const struct store_release_info *info, int64_t release, enum release_status st,
                 const char *message, double took, const struct kvv *vars)
{
	struct notify_event ev = {
		.project = info->project,
		.release = release,
		.kind = info->kind,
		.status = store_status_name(st),
		.source_kind = info->source_kind,
		.commit = info->source,
		.subject = info->subject,
		.ref = info->ref,
		.who = info->who,
		.host = info->host,
		.duration_s = took,
		.reason = message,
	};

	if (checks->p)
		release_checks_finish(checks, ctx->store, &ev, vars);
}

int release_run(struct deploy *dp, struct ctx *ctx, const struct release_opts *ro)
{
	struct reconcile_result *res = NULL;
	struct progress *view = NULL;
	struct apply_record rec = { .plan = &dp->plan };
	struct reconcile_progress progress = { .action_started = record_started,
		                               .action_done = record_done,
		                               .container = record_container,
		                               .action_state = record_state,
		                               .ctx = &rec };
	bool quiet = ro->quiet || log_get_level() == LOG_LEVEL_QUIET;
	struct docker_connect conn = { 0 };
	struct docker_stats calls = { 0 }, extra = { 0 };
	struct store_release_info info = { 0 };
	struct strv secrets = { 0 };
	struct reconcile_opts opts = { 0 };
	struct jobs_run jr = { 0 };
	struct release_checks checks = { 0 };
	struct err err = ERR_INIT, aerr = ERR_INIT, ignored = ERR_INIT;
	enum release_status st = RELEASE_FAILED;
	char host[256] = "", release_label[32], message[sizeof(aerr.msg) + 512] = "";
	char changes[2048];
	char *who = NULL, *files_dir = NULL;
	bool json = ro->json;
	unsigned undone = 0;
	int64_t release = 0;
	double t0 = ro->t0;
	size_t i;
	int ex = EXIT_FAILED;

	if (sig_pending()) {
		fprintf(stderr, "deployctl: interrupted by %s; nothing was changed\n",
		        sig_name(sig_pending()));
		return sig_exit_status(sig_pending());
	}
	if (!dp->plan.n) {
		docker_get_stats(&calls, ctx->docker);
		print_summary(dp, 0, RELEASE_SUCCEEDED, clock_mono() - t0, &calls, json, NULL);
		ex = EXIT_OK;
		goto out;
	}
	gethostname(host, sizeof(host) - 1);
	/*
	 * Configs and environment secrets become files the containers mount
	 * read-only, checked against their hashes, before a release is begun:
	 * a refusal here leaves no release behind.
	 */
	files_dir = state_path(ctx->state_dir_abs ? ctx->state_dir_abs : ctx->state_dir, "files");
	if (!files_dir) {
		err_set(&err, ERR_NOMEM, "out of memory");
		goto fail_state;
	}
	if (files_materialize(dp->project, files_dir, &err) < 0 ||
	    files_verify(dp->project, files_dir, &err) < 0)
		goto fail_state;
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
	info.author = dp->git ? gitsrc_author(dp->git) : NULL;
	info.committed_at = dp->git ? gitsrc_committed_at(dp->git) : NULL;
	info.who = who ? who : "unknown";
	info.host = host;
	info.pid = (long)getpid();
	/*
	 * Before the first change: the release, its snapshot and its planned
	 * actions, then room for recording the outcome even if the disk fills
	 * during the rollout.
	 */
	if (store_release_begin(&release, ctx->store, &info, &err) < 0)
		goto fail_state;
	res = calloc(dp->plan.n, sizeof(*res));
	if (!res)
		err_set(&err, ERR_NOMEM, "out of memory");
	if (err.code ||
	    progress_new(&view, &dp->plan, progress_mode_for(json, quiet, ctx->stdout_tty),
	                 progress_color_ok(), stdout, &err) < 0 ||
	    record_snapshot(ctx, dp, release, &err) < 0 ||
	    deploy_swarm_record(ctx, dp, release, &err) < 0 ||
	    jobs_record_specs(ctx, dp, release, ro->rollback_of, &err) < 0 ||
	    (release_checks_init(&checks, dp->project) < 0 &&
	     err_set(&err, ERR_NOMEM, "out of memory") < 0) ||
	    store_release_smoke_add(ctx->store, release, dp->project, &checks.secrets, &err) < 0 ||
	    record_planned(ctx, &dp->plan, release, &err) < 0 ||
	    store_reserve(ctx->store, RESERVE_BYTES(dp->plan.n), &err) < 0)
		goto fail_unchanged;
	rec.view = progress_hooks(view);
	rec.store = ctx->store;
	rec.release = release;
	conn.host = ctx->docker_host;
	snprintf(release_label, sizeof(release_label), "%lld", (long long)release);
	opts.release = release_label;
	opts.files_dir = files_dir;
	opts.owner = dp->owner.id;
	opts.owner_host = dp->owner.host;
	opts.owner_state = dp->owner.path;
	opts.parallel = ro->parallel;
	opts.no_rollback = ro->no_rollback;
	opts.progress = &progress;
	opts.verify = release_checks_verify; /* the smoke checks, after the last action */
	opts.verify_ctx = &checks;
	release_checks_net(&checks, ctx, dp, release_label, files_dir, json || quiet);
	if (jobs_any(dp->project, dp->from_snapshot)) {
		jr = (struct jobs_run){ .ctx = ctx,
			                .dp = dp,
			                .release = release,
			                .release_label = release_label,
			                .files_dir = files_dir,
			                .rollback = dp->from_snapshot,
			                .quiet = json || quiet };
		opts.stage_hook = jobs_stage_hook;
		opts.stage_ctx = &jr;
	}
	if ((dp->swarm ? deploy_swarm_run(dp, ctx, &opts, res, &aerr)
	               : reconcile_apply(ctx->docker, &conn, dp->project, &dp->plan, &opts,
	                                 &dp->network_ids, res, &extra, &aerr)) == 0)
		st = RELEASE_SUCCEEDED;
	else if (!ro->no_rollback)
		st = RELEASE_ROLLED_BACK;
	else if (aerr.code == ERR_STOPPED)
		st = RELEASE_INTERRUPTED;
	progress_finish(view);
	if (!json && !quiet)
		smoke_print(stdout, dp->project, checks.smoke);
	/* Stopped between actions: nothing was undone, and it is said so. */
	for (i = 0, undone = 0; st == RELEASE_ROLLED_BACK && i < dp->plan.n; i++)
		undone += res[i].undone;
	if (st == RELEASE_ROLLED_BACK && aerr.code == ERR_STOPPED && !undone)
		st = RELEASE_INTERRUPTED;
	/* rolled_back only if every change was really put back. */
	for (i = 0; st == RELEASE_ROLLED_BACK && i < dp->plan.n; i++)
		if (res[i].undo_failed)
			st = RELEASE_FAILED;
	/* A before job failed: no service was touched, so nothing was rolled back. */
	if (jr.failed_before)
		st = RELEASE_FAILED;
	if (jr.failed_before)
		snprintf(message, sizeof(message), "%s; nothing was changed", aerr.msg);
	else if (st != RELEASE_SUCCEEDED)
		release_message(message, sizeof(message), &dp->plan, res, &aerr, st,
		                ro->no_rollback, dp->swarm != NULL);
	/* The engine scrubbed its outcomes; what is recorded and printed is scrubbed again here. */
	if (model_secrets_collect(&secrets, dp->project) < 0) {
		static const char withheld[] = "failed (message withheld: out of memory)";

		snprintf(message, sizeof(message), "%s", withheld);
		snprintf(aerr.msg, sizeof(aerr.msg), "%s", withheld);
	}
	model_scrub(message, &secrets);
	model_scrub_err(&aerr, &secrets);
	if (record_outcome(ctx, &dp->plan, res, release, st,
	                   st == RELEASE_SUCCEEDED ? NULL : message, &err) < 0)
		goto fail_record;
	if (st == RELEASE_SUCCEEDED && !sig_pending() && !dp->swarm)
		prune_retained(dp, ctx, release, ro->keep);
	docker_get_stats(&calls, ctx->docker);
	calls.calls += extra.calls;
	calls.mutating += extra.mutating;
	print_summary(dp, release, st, clock_mono() - t0, &calls, json,
	              st == RELEASE_SUCCEEDED ? NULL : &aerr);
	for (i = 0; !json && i < dp->plan.n; i++)
		if (res[i].kept_name)
			fprintf(stdout, "failed container kept for inspection: %s\n",
			        res[i].kept_name);
	if (st != RELEASE_SUCCEEDED && !json)
		cmd_report(&aerr);
	tell(&checks, ctx, &info, release, st, st == RELEASE_SUCCEEDED ? NULL : message,
	     clock_mono() - t0, &dp->vars.vars);
	ex = st == RELEASE_SUCCEEDED ? EXIT_OK : EXIT_FAILED;
	if (sig_pending())
		ex = sig_exit_status(sig_pending());
	goto out;
fail_record:
	/* Docker was changed and the record says nothing of it: say what. */
	describe_changes(changes, sizeof(changes), &dp->plan, res);
	fprintf(stderr, "deployctl: release %lld: cannot record the outcome (%s) of its %s: ",
	        (long long)release, store_status_name(st), ro->kind);
	out_safe(stderr, err.msg);
	fprintf(stderr, "\ndeployctl: release %lld changed Docker: ", (long long)release);
	out_safe(stderr, changes);
	fprintf(stderr, "\ndeployctl: it stays 'running' in the history until the next apply or "
	                "rollback marks it interrupted\n");
	ex = EXIT_STATE;
	goto out;
fail_unchanged:
	/* Nothing was changed yet: close the release as failed if the store lets us. */
	snprintf(message, sizeof(message), "not started: %s; nothing was changed", err.msg);
	if (store_release_finish(ctx->store, release, RELEASE_FAILED, message, &ignored) < 0)
		log_debug("cannot close release %lld: %s", (long long)release, ignored.msg);
	fprintf(stderr, "deployctl: release %lld: ", (long long)release);
	out_safe(stderr, err.msg);
	fputs("; nothing was changed\n", stderr);
	tell(&checks, ctx, &info, release, RELEASE_FAILED, message, clock_mono() - t0,
	     &dp->vars.vars);
	ex = EXIT_STATE;
	goto out;
fail_state:
	cmd_report(&err);
	ex = EXIT_STATE;
out:
	jobs_run_release(&jr);
	if (res)
		reconcile_results_release(res, dp->plan.n);
	free(res);
	progress_free(view);
	free(who);
	free(files_dir);
	strv_free(&secrets);
	release_checks_release(&checks);
	return ex;
}
