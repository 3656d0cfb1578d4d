/*
 * cmd_rollback.c - "deployctl rollback": return the stack to an earlier
 * successful release from its snapshot in the state database alone — no
 * git, no registry. Retained containers are brought back where they exist;
 * otherwise containers are recreated from the snapshot's exact image IDs.
 * Secret values were never stored: they are found by fingerprint among the
 * env files and the running containers. The rollback is itself a release
 * (kind rollback), health-gated and in dependency order, and it pins the
 * stack so no automatic trigger redeploys the commit rolled back from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/clock.h"
#include "deployctl/cmd_deploy.h"
#include "deployctl/deploy_swarm.h"
#include "deployctl/hash.h"
#include "deployctl/jobs.h"
#include "deployctl/lock.h"
#include "deployctl/log.h"
#include "deployctl/model_secret.h"
#include "deployctl/out.h"
#include "deployctl/sig.h"
#include "deployctl/spec.h"

extern char **environ;

struct rollback_args {
	const char *reason; /* --reason */
};

static const struct cmd_opt rollback_opts[] = {
	CMD_OPT_USE_HELP(cmd_opt_to, "the release to return to (default: the last successful one "
	                             "before the current)"),
	CMD_OPT_USE(cmd_opt_project),
	CMD_OPT_USE_HELP(cmd_opt_env_file,
	                 "where the secrets are (found by fingerprint; repeatable)"),
	{ .kind = CMD_OPT_STRING,
	  .name = "reason",
	  .arg = "TEXT",
	  CMD_FIELD(CMD_BASE_OWN, struct rollback_args, reason),
	  .help = "why, recorded with the pin" },
	CMD_OPT_USE_HELP(cmd_opt_force, "roll back past a release that ran an irreversible job\n"
	                                "(without it refused, exit 2, naming its backup artifact)"),
	CMD_OPT_USE(cmd_opt_parallel),
	CMD_OPT_USE(cmd_opt_keep),
	CMD_OPT_USE(cmd_opt_lock_wait),
	CMD_OPT_USE_HELP(cmd_opt_no_rollback,
	                 "if the rollback itself fails its health gate, leave it"),
	CMD_OPT_USE(cmd_opt_quiet),
	CMD_OPT_USE(cmd_opt_json),
	CMD_OPT_ALL(cmd_opts_tail),
	CMD_OPT_TABLE_END,
};

/* A value among vars whose fingerprint is fp; borrowed or NULL. */
static const char *value_for(const struct kvv *vars, const struct hash_key *k, const char *fp)
{
	size_t i;

	for (i = 0; i < vars->n; i++)
		if (hash_fingerprint_matches(fp, k, vars->v[i].value))
			return vars->v[i].value;
	return NULL;
}

/*
 * Mark row's key secret in the snapshot as the release had it, so the
 * rollback release stores and shows it as a secret too: a key listed in
 * x-deployctl.secrets joins p->secret_keys, an interpolated one s->secret_env;
 * keys secret by name or holding a URL password are recognised again. Rows
 * from before schema 5 say only that the key was secret.
 */
static int mark_secret(struct project *p, struct service *s, const struct store_kv_row *row)
{
	enum model_secret why = model_secret_parse(row->secret_by);
	struct strv *to = NULL;
	size_t i;

	if (why == MODEL_SECRET_NONE && !model_env_is_secret(NULL, row->key))
		why = MODEL_SECRET_LISTED;
	if (why == MODEL_SECRET_LISTED)
		to = &p->secret_keys;
	else if (why == MODEL_SECRET_INTERPOLATED)
		to = &s->secret_env;
	if (!to)
		return 0;
	for (i = 0; i < to->n; i++)
		if (!strcmp(to->v[i], row->key))
			return 0;
	if (strv_push(to, row->key) < 0)
		return ERR_NOMEM;
	strv_sort(to);
	return 0;
}

/*
 * Put real values back for every secret of s the snapshot recorded (rows:
 * the release's env rows, of every service): by fingerprint from the env
 * files and environment, then from the service's containers, running or
 * retained (known); failing that, the current value (running, then the env
 * files), and say that it differs.
 */
static int resolve_secrets(struct project *p, struct service *s, const struct store_kv_row *rows,
                           size_t nrows, const struct kvv *vars, const struct kvv *running,
                           const struct kvv *known, const struct hash_key *k, int64_t target,
                           unsigned *differ)
{
	size_t i;

	for (i = 0; i < nrows; i++) {
		const struct store_kv_row *row = &rows[i];
		char fp[HASH_FINGERPRINT_SIZE] = "none";
		const char *v, *now;
		char *copy;

		if (!row->secret || !row->fingerprint || strcmp(row->service, s->name) ||
		    !kvv_get(&s->env, row->key))
			continue;
		if (mark_secret(p, s, row) < 0)
			return ERR_NOMEM;
		v = kvv_get(vars, row->key);
		if (!v || !hash_fingerprint_matches(row->fingerprint, k, v))
			v = value_for(vars, k, row->fingerprint);
		if (!v)
			v = value_for(known, k, row->fingerprint);
		if (!v) {
			now = kvv_get(running, row->key);
			if (!now)
				now = kvv_get(vars, row->key);
			if (!now) {
				fprintf(stderr,
				        "deployctl: services.%s.environment.%s: secret of release "
				        "%lld (%s) not found in the env files or the running "
				        "containers\n",
				        s->name, row->key, (long long)target, row->fingerprint);
				return ERR_INVALID;
			}
			hash_fingerprint(fp, k, now);
			log_warnx("services.%s.environment.%s: secret differs from release %lld "
			          "(%s there, %s now): using the current value",
			          s->name, row->key, (long long)target, row->fingerprint, fp);
			v = now;
			(*differ)++;
		}
		copy = strdup(v);
		if (!copy || kvv_set(&s->env, row->key, copy) < 0) {
			free(copy);
			return ERR_NOMEM;
		}
		free(copy);
	}
	return 0;
}

/*
 * Put real values back for the secret labels of s, by fingerprint from the
 * service's containers (known) or the env files; a label found nowhere
 * keeps its shown form, and that is said.
 */
static int resolve_secret_labels(struct service *s, const struct store_kv_row *rows, size_t nrows,
                                 const struct kvv *vars, const struct kvv *known,
                                 const struct hash_key *k)
{
	const char *v;
	size_t i;

	for (i = 0; i < nrows; i++) {
		if (!rows[i].secret || !rows[i].fingerprint || strcmp(rows[i].service, s->name))
			continue;
		if (model_secret_parse(rows[i].secret_by) == MODEL_SECRET_INTERPOLATED &&
		    strv_push(&s->secret_labels, rows[i].key) < 0)
			return ERR_NOMEM;
		v = value_for(known, k, rows[i].fingerprint);
		if (!v)
			v = value_for(vars, k, rows[i].fingerprint);
		if (!v) {
			log_warnx(
			        "services.%s.labels.%s: secret label of the release (%s) found in no "
			        "container nor env file: it comes back as its fingerprint",
			        s->name, rows[i].key, rows[i].fingerprint);
			continue;
		}
		if (kvv_set(&s->labels, rows[i].key, v) < 0)
			return ERR_NOMEM;
	}
	strv_sort(&s->secret_labels);
	return 0;
}

/* Add the pairs of from to into, under "<n>:<key>": values of several containers side by side. */
static int add_numbered(struct kvv *into, size_t n, const struct kvv *from)
{
	char key[300];
	size_t i;

	for (i = 0; i < from->n; i++) {
		snprintf(key, sizeof(key), "%zu:%s", n, from->v[i].key);
		if (kvv_set(into, key, from->v[i].value) < 0)
			return ERR_NOMEM;
	}
	return 0;
}

/*
 * What the containers of service s hold: running, the env of its running
 * containers (current values); known_env and known_labels, the env and
 * labels of all of them, running or retained (values a release had).
 */
static int service_values(struct kvv *running, struct kvv *known_env, struct kvv *known_labels,
                          struct ctx *ctx, const struct docker_container *c, size_t nc,
                          const char *service)
{
	struct err ignored = ERR_INIT;
	size_t k, i;
	int rc = 0;

	for (k = 0; k < nc && rc == 0; k++) {
		struct kvv env = { 0 }, labels = { 0 };

		if (!c[k].service || strcmp(c[k].service, service))
			continue;
		docker_container_env(&env, ctx->docker, c[k].id, &ignored);
		docker_container_labels(&labels, ctx->docker, c[k].id, &ignored);
		err_clear(&ignored);
		rc = add_numbered(known_env, k, &env);
		if (rc == 0)
			rc = add_numbered(known_labels, k, &labels);
		for (i = 0; rc == 0 && !strcmp(c[k].state, "running") && i < env.n; i++)
			rc = kvv_set(running, env.v[i].key, env.v[i].value);
		kvv_free(&env);
		kvv_free(&labels);
	}
	return rc;
}

/* A Docker name that is not "<project>_<key>" belonged to an external network or volume. */
static bool is_external(const struct project *p, const struct kv *res)
{
	size_t plen = strlen(p->name);

	return strncmp(res->value, p->name, plen) || res->value[plen] != '_' ||
	       strcmp(res->value + plen + 1, res->key);
}

/* Networks and volumes of the snapshot, as project resources. */
static int load_resources(struct project *p, struct ctx *ctx, int64_t target, struct err *err)
{
	struct kvv recorded = { 0 };
	struct project_resource **v;
	enum res_kind k;
	size_t i, *n;
	int rc = 0;

	for (k = 0; k < RES__COUNT && rc == 0; k++) {
		model_resources_slot(p, k, &v, &n);
		rc = store_release_resources(&recorded, ctx->store, target, model_res_noun(k), err);
		if (rc == 0 && !(*v = calloc(recorded.n + 1, sizeof(**v))))
			rc = err_set(err, ERR_NOMEM, "out of memory");
		for (i = 0; rc == 0 && i < recorded.n; i++) {
			struct project_resource *r = &(*v)[(*n)++];

			r->name = strdup(recorded.v[i].key);
			r->external = is_external(p, &recorded.v[i]);
			r->external_name = r->external ? strdup(recorded.v[i].value) : NULL;
			if (!r->name || (r->external && !r->external_name))
				rc = err_set(err, ERR_NOMEM, "out of memory");
		}
		kvv_free(&recorded);
	}
	return rc;
}

/* The project as release `target` left it, secrets resolved; into dp->project. */
static int load_snapshot(struct deploy *dp, struct ctx *ctx, const struct store_release *rel,
                         unsigned *differ)
{
	struct store_service_row *rows = NULL;
	struct store_kv_row *env = NULL, *labels = NULL;
	struct docker_container *c = NULL;
	const struct hash_key *key = NULL;
	struct kvv digests = { 0 };
	struct project *p = calloc(1, sizeof(*p));
	struct err err = ERR_INIT;
	size_t i, n = 0, nc = 0, nenv = 0, nlabels = 0;
	int rc;

	if (!p || !(p->name = strdup(rel->project))) {
		free(p);
		return err_set(&err, ERR_NOMEM, "out of memory");
	}
	dp->project = p;
	dp->from_snapshot = true;
	rc = store_release_services(&rows, &n, ctx->store, rel->id, &err);
	if (rc == 0)
		rc = store_release_digests(&digests, ctx->store, rel->id, &err);
	if (rc == 0)
		rc = store_release_env(&env, &nenv, ctx->store, rel->id, &err);
	if (rc == 0)
		rc = store_release_labels(&labels, &nlabels, ctx->store, rel->id, &err);
	if (rc == 0 && !(key = store_key(ctx->store, &err)))
		rc = err.code;
	if (rc == 0)
		rc = load_resources(p, ctx, rel->id, &err);
	/* The smoke checks and notify targets the release had: the rollback runs them too. */
	if (rc == 0)
		rc = store_release_smoke_load(p, ctx->store, rel->id, &err);
	if (rc == 0)
		rc = store_release_resource_specs_load(p, ctx->store, rel->id, &err);
	if (rc == 0)
		rc = docker_container_list(&c, &nc, ctx->docker, p->name, &err);
	if (rc < 0)
		goto fail;
	p->services = calloc(n + 1, sizeof(*p->services));
	if (!p->services) {
		rc = err_set(&err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		struct service *s = &p->services[p->nservices];
		struct kvv running = { 0 }, known_env = { 0 }, known_labels = { 0 };

		rc = spec_parse(s, rows[i].spec_json, &err);
		if (rc < 0)
			goto fail;
		p->nservices++;
		if (s->redacted.n) {
			rc = err_set(&err, ERR_INVALID,
			             "services.%s: release %lld holds its %s with a secret "
			             "variable's value scrubbed out, so it cannot be rebuilt from "
			             "the snapshot: deploy %s %.12s again instead",
			             s->name, (long long)rel->id, s->redacted.v[0],
			             rel->source_kind, rel->source ? rel->source : "");
			goto fail;
		}
		s->replicas = rows[i].replicas;
		if (kvv_get(&digests, s->name) &&
		    !(s->repo_digest = strdup(kvv_get(&digests, s->name)))) {
			rc = err_set(&err, ERR_NOMEM, "out of memory");
			goto fail;
		}
		rc = store_release_deps_load(s, ctx->store, rel->id, &err);
		if (rc == 0)
			rc = store_release_rollout_load(s, ctx->store, rel->id, &err);
		if (rc < 0)
			goto fail;
		/* A secret's value may be in this service's containers, running or retained. */
		rc = service_values(&running, &known_env, &known_labels, ctx, c, nc, s->name);
		if (rc == 0)
			rc = resolve_secrets(p, s, env, nenv, &dp->vars.vars, &running, &known_env,
			                     key, rel->id, differ);
		if (rc == 0)
			rc = resolve_secret_labels(s, labels, nlabels, &dp->vars.vars,
			                           &known_labels, key);
		kvv_free(&running);
		kvv_free(&known_env);
		kvv_free(&known_labels);
		if (rc < 0)
			goto out;
	}
	rc = 0;
	goto out;
fail:
	cmd_report(&err);
out:
	store_service_rows_free(rows, n);
	store_kv_rows_free(env, nenv);
	store_kv_rows_free(labels, nlabels);
	docker_container_list_free(c, nc);
	kvv_free(&digests);
	return rc;
}

/*
 * The release to go back to: --to N, or the last success before the
 * current one (the newest success or interrupted release; rolled back and
 * failed ones changed nothing that stayed, or are not a state to keep; an
 * interrupted rollback is skipped, so that running rollback again finishes
 * it).
 */
static int pick_target(struct store_release *out, struct ctx *ctx, const char *project, int64_t to,
                       int64_t *current, int64_t *resumed)
{
	struct store_release *v = NULL;
	struct err err = ERR_INIT;
	size_t i, n = 0;
	int rc = ERR_NOTFOUND;

	if (store_release_list(&v, &n, ctx->store, project, 0, &err) < 0) {
		cmd_report(&err);
		return ERR_STORE;
	}
	*current = 0;
	*resumed = 0;
	for (i = 0; i < n; i++) {
		bool ok = !strcmp(v[i].status, "succeeded");

		/*
		 * A rollback killed on its way is this same way back, half done:
		 * neither what runs (rolling back from it would quarantine the
		 * commit it was going to) nor a state to return to (t1501).
		 */
		if (!strcmp(v[i].status, "interrupted") && !strcmp(v[i].kind, "rollback")) {
			if (!*current && !*resumed)
				*resumed = v[i].id;
			continue;
		}
		/*
		 * An interrupted release (killed, or stopped by a full disk,
		 * after its changes) is what runs: the way back from it is the
		 * last success, not the one before.
		 */
		if (!*current && !ok && !strcmp(v[i].status, "interrupted")) {
			*current = v[i].id;
			continue;
		}
		if (!ok)
			continue;
		if (!*current) {
			*current = v[i].id;
			if (!to)
				continue;
		}
		/* A down left nothing to return to: the release before it is the target. */
		if (!strcmp(v[i].kind, "down"))
			continue;
		if ((to && v[i].id == to) || (!to && v[i].id != *current)) {
			*out = v[i];
			memset(&v[i], 0, sizeof(v[i]));
			rc = 0;
			break;
		}
	}
	if (rc < 0 && to)
		fprintf(stderr,
		        "deployctl: release %lld of %s is not a successful release with "
		        "services (a down has none)\n",
		        (long long)to, project);
	else if (rc < 0)
		fprintf(stderr, "deployctl: %s has no successful release before the current one\n",
		        project);
	store_release_list_free(v, n);
	return rc;
}

static int rollback_run(struct ctx *ctx, int argc, char **argv)
{
	struct deploy_opts o = { 0 };
	struct deploy dp = { 0 };
	struct release_opts ro = { .kind = "rollback", .t0 = clock_mono() };
	struct store_release target = { 0 }, from = { 0 };
	struct err err = ERR_INIT;
	struct cmd_args a = { .parallel = 4, .deploy = &o };
	struct rollback_args ra = { 0 };
	const char *project = NULL, *reason = NULL;
	char *proj = NULL;
	int64_t to = 0, current = 0, latest = 0, resumed = 0;
	struct lock *lk = NULL;
	unsigned k, differ = 0;
	bool force;
	int first, ex, rc;

	ex = cmd_opts_parse(&first, &cmd_rollback, ctx, &a, &ra, argc, argv);
	if (ex != CMD_OPTS_RUN)
		return ex;
	cmd_args_release(&ro, &a);
	project = a.project;
	reason = ra.reason;
	to = a.to;
	force = a.force;
	sig_catch();
	ro.quiet = ro.quiet || log_get_level() == LOG_LEVEL_QUIET; /* -q before the command */
	ex = cmd_lock(&lk, ctx, project, "rollback", a.lock_wait_ms);
	if (ex != EXIT_OK)
		goto out;
	ex = cmd_open_store(ctx);
	if (ex != EXIT_OK)
		goto out;
	if (!project) {
		struct store_release *v = NULL;
		size_t n = 0;

		if (store_release_list(&v, &n, ctx->store, NULL, 1, &err) < 0 || !n) {
			fprintf(stderr, "deployctl: no releases yet: nothing to roll back to\n");
			store_release_list_free(v, n);
			ex = EXIT_USAGE;
			goto out;
		}
		proj = strdup(v[0].project);
		store_release_list_free(v, n);
		project = proj;
	}
	if (pick_target(&target, ctx, project, to, &current, &resumed) < 0) {
		ex = EXIT_USAGE;
		goto out;
	}
	/* Past a release that ran an irreversible job: only with --force. */
	ex = jobs_rollback_check(ctx, project, target.id, current, force);
	if (ex != EXIT_OK)
		goto out;
	/* Secrets come from the env files (--env-file) and the environment. */
	manifest_vars_init(&dp.vars);
	for (k = 0; k < o.nenv_files; k++)
		if (manifest_vars_load_file(&dp.vars, o.env_files[k], &err) < 0) {
			cmd_report(&err);
			ex = EXIT_USAGE;
			goto out;
		}
	if (manifest_vars_load_environ(&dp.vars, environ) < 0) {
		ex = EXIT_FAILED;
		goto out;
	}
	ex = cmd_open_docker(ctx);
	if (ex != EXIT_OK)
		goto out;
	rc = load_snapshot(&dp, ctx, &target, &differ);
	if (rc < 0) {
		/* a snapshot or a secret the user must supply: 2; Docker, the store: theirs */
		ex = rc == ERR_UNREACHABLE || rc == ERR_STORE || rc == ERR_NOMEM ? cmd_exit_for(rc)
		                                                                 : EXIT_USAGE;
		goto out;
	}
	if (deploy_swarm_target_from_release(&dp, ctx, target.id) < 0) {
		ex = EXIT_STATE;
		goto out;
	}
	/* The rollback jobs of the release rolled back from run before any change. */
	ex = jobs_load_rollback(&dp, ctx, current, &dp.vars.vars);
	if (ex != EXIT_OK)
		goto out;
	dp.source_kind = target.source_kind;
	dp.source_id = strdup(target.source ? target.source : "");
	dp.ref = strdup(target.ref ? target.ref : "");
	if (!ro.quiet && !ro.json)
		printf("rolling %s back to release %lld (%s %.12s)%s\n", project,
		       (long long)target.id, target.source_kind, target.source ? target.source : "",
		       differ ? ", with current secrets where they changed" : "");
	ex = deploy_observe(&dp, ctx);
	if (ex != EXIT_OK)
		goto out;
	ro.rollback_of = target.id;
	ex = release_run(&dp, ctx, &ro);
	/*
	 * Pin: the commit rolled back from is quarantined from automatic
	 * deploys — once the rollback release succeeded (with no change to
	 * make, nothing was recorded and nothing is pinned).
	 */
	/*
	 * A rollback killed after its last change left nothing to do but
	 * the pin it never set (t1501): set it, on that release.
	 */
	if (ex == EXIT_OK &&
	    store_release_latest(&latest, ctx->store, project, "succeeded", &err) == 0 &&
	    latest <= current && resumed && (!to || to == target.id))
		latest = resumed;
	if (ex == EXIT_OK && latest > current &&
	    store_release_get(&from, ctx->store, current, &err) == 0 &&
	    strcmp(from.kind, "down")) { /* after a down, nothing is quarantined */
		char why[512], *who = deploy_who();

		snprintf(why, sizeof(why), "%s", reason ? reason : "rolled back");
		if (store_pin_set(ctx->store, project, latest, from.source, who, why, &err) < 0)
			cmd_report(&err);
		else if (!ro.json)
			printf("pinned %s to release %lld: %s %.12s will not be redeployed "
			       "automatically (deployctl unpin clears it)\n",
			       project, (long long)latest, from.source_kind,
			       from.source ? from.source : "");
		free(who);
	}
out:
	lock_release(lk);
	store_release_release(&target);
	store_release_release(&from);
	deploy_release(&dp);
	deploy_opts_release(&o);
	free(proj);
	return ex;
}

const struct cmd cmd_rollback = {
	.name = "rollback",
	.run = rollback_run,
	.usage = "rollback [--to N] [--project NAME] [--env-file FILE]... [--force] [--json]",
	.summary = "Return to the previous successful release (or --to N) without git or a "
	           "registry.",
	.opts = rollback_opts,
};
