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
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/cmd_deploy.h"
#include "deployctl/hash.h"
#include "deployctl/lock.h"
#include "deployctl/log.h"
#include "deployctl/out.h"
#include "deployctl/spec.h"

extern char **environ;

static const struct option rollback_options[] = {
	{ "to", required_argument, NULL, 't' },
	{ "project", required_argument, NULL, 'p' },
	{ "env-file", required_argument, NULL, 'e' },
	{ "reason", required_argument, NULL, 'm' },
	RELEASE_LONG_OPTIONS,
	{ "state", required_argument, NULL, 'S' },
	{ "docker-host", required_argument, NULL, 'H' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Does v look like a stored fingerprint ("sha256:" and 12 hex digits)? */
static bool is_fingerprint(const char *v)
{
	size_t i;

	if (strncmp(v, "sha256:", 7) || strlen(v) != HASH_FINGERPRINT_SIZE - 1)
		return false;
	for (i = 7; v[i]; i++)
		if (!strchr("0123456789abcdef", v[i]))
			return false;
	return true;
}

/* A value among vars whose fingerprint is fp; borrowed or NULL. */
static const char *value_for(const struct kvv *vars, const char *fp)
{
	char f[HASH_FINGERPRINT_SIZE];
	size_t i;

	for (i = 0; i < vars->n; i++) {
		hash_fingerprint(f, vars->v[i].value);
		if (!strcmp(f, fp))
			return vars->v[i].value;
	}
	return NULL;
}

/*
 * Put real values back for the secrets of s: by fingerprint from the env
 * files and environment, then from the service's running containers;
 * failing that, the current value, and say that it differs.
 */
static int resolve_secrets(struct service *s, const struct kvv *vars, const struct kvv *running,
                           int64_t target, unsigned *differ)
{
	size_t i;

	for (i = 0; i < s->env.n; i++) {
		struct kv *e = &s->env.v[i];
		const char *v, *now;
		char *copy;

		if (!model_env_is_secret(NULL, e->key) || !is_fingerprint(e->value))
			continue;
		v = value_for(vars, e->value);
		if (!v)
			v = value_for(running, e->value);
		if (!v) {
			char fp[HASH_FINGERPRINT_SIZE] = "none";

			now = kvv_get(running, e->key);
			if (!now)
				now = kvv_get(vars, e->key);
			if (!now) {
				fprintf(stderr,
				        "deployctl: services.%s.environment.%s: secret of release "
				        "%lld (%s) not found in the env files or the running "
				        "containers\n",
				        s->name, e->key, (long long)target, e->value);
				return ERR_INVALID;
			}
			hash_fingerprint(fp, now);
			log_warnx("services.%s.environment.%s: secret differs from release %lld "
			          "(%s there, %s now): using the current value",
			          s->name, e->key, (long long)target, e->value, fp);
			v = now;
			(*differ)++;
		}
		copy = strdup(v);
		if (!copy)
			return ERR_NOMEM;
		free(e->value);
		e->value = copy;
	}
	return 0;
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
	struct kvv nets = { 0 }, vols = { 0 };
	size_t i;
	int rc;

	rc = store_release_resources(&nets, ctx->store, target, "network", err);
	if (rc == 0)
		rc = store_release_resources(&vols, ctx->store, target, "volume", err);
	if (rc < 0)
		goto out;
	p->networks = calloc(nets.n + 1, sizeof(*p->networks));
	p->volumes = calloc(vols.n + 1, sizeof(*p->volumes));
	if (!p->networks || !p->volumes) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nets.n; i++) {
		struct project_network *n = &p->networks[p->nnetworks++];

		n->name = strdup(nets.v[i].key);
		n->external = is_external(p, &nets.v[i]);
		n->external_name = n->external ? strdup(nets.v[i].value) : NULL;
		if (!n->name || (n->external && !n->external_name)) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	for (i = 0; i < vols.n; i++) {
		struct project_volume *v = &p->volumes[p->nvolumes++];

		v->name = strdup(vols.v[i].key);
		v->external = is_external(p, &vols.v[i]);
		v->external_name = v->external ? strdup(vols.v[i].value) : NULL;
		if (!v->name || (v->external && !v->external_name)) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
	}
out:
	kvv_free(&nets);
	kvv_free(&vols);
	return rc;
}

/* The project as release `target` left it, secrets resolved; into dp->project. */
static int load_snapshot(struct deploy *dp, struct ctx *ctx, const struct store_release *rel,
                         unsigned *differ)
{
	struct store_service_row *rows = NULL;
	struct docker_container *c = NULL;
	struct kvv digests = { 0 };
	struct project *p = calloc(1, sizeof(*p));
	struct err err = ERR_INIT;
	size_t i, k, n = 0, nc = 0;
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
		rc = load_resources(p, ctx, rel->id, &err);
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
		struct kvv running = { 0 };

		rc = spec_parse(s, rows[i].spec_json, &err);
		if (rc < 0)
			goto fail;
		p->nservices++;
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
		/* The current value of each secret is in this service's running containers. */
		for (k = 0; k < nc; k++)
			if (c[k].service && !strcmp(c[k].service, s->name) &&
			    !strcmp(c[k].state, "running"))
				docker_container_env(&running, ctx->docker, c[k].id, &err);
		err_clear(&err);
		rc = resolve_secrets(s, &dp->vars.vars, &running, rel->id, differ);
		kvv_free(&running);
		if (rc < 0)
			goto out;
	}
	rc = 0;
	goto out;
fail:
	cmd_report(&err);
out:
	store_service_rows_free(rows, n);
	docker_container_list_free(c, nc);
	kvv_free(&digests);
	return rc;
}

/* The release to go back to: --to N, or the last success before the current one. */
static int pick_target(struct store_release *out, struct ctx *ctx, const char *project, int64_t to,
                       int64_t *current)
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
	for (i = 0; i < n; i++) {
		bool ok = !strcmp(v[i].status, "succeeded");

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
	struct release_opts ro = { .kind = "rollback", .parallel = 4, .t0 = deploy_now() };
	struct store_release target = { 0 }, from = { 0 };
	struct err err = ERR_INIT;
	const char *project = NULL, *reason = NULL;
	char *proj = NULL;
	int64_t to = 0, current = 0, latest = 0;
	struct lock *lk = NULL;
	long lock_wait = 0;
	unsigned k, differ = 0;
	int opt, ex;

	while ((opt = getopt_long(argc, argv, "+hqj:", rollback_options, NULL)) != -1) {
		int parsed = cmd_release_opt(&ro, &lock_wait, opt, optarg);

		if (parsed < 0)
			return EXIT_USAGE;
		if (parsed)
			continue;
		switch (opt) {
		case 't':
			if (cmd_parse_release(&to, optarg) < 0) {
				fprintf(stderr, "deployctl: --to takes a release number\n");
				return EXIT_USAGE;
			}
			break;
		case 'p':
			project = optarg;
			break;
		case 'e':
			if (deploy_parse_opt(&o, opt, optarg) < 0)
				return EXIT_USAGE;
			break;
		case 'm':
			reason = optarg;
			break;
		case 'S':
			ctx->state_dir = optarg;
			break;
		case 'H':
			ctx->docker_host = optarg;
			break;
		case 'h':
			cmd_print_help(&cmd_rollback, stdout);
			return EXIT_OK;
		default:
			cmd_print_help(&cmd_rollback, stderr);
			return EXIT_USAGE;
		}
	}
	ro.quiet = ro.quiet || log_get_level() == LOG_LEVEL_QUIET; /* -q before the command */
	ex = cmd_lock(&lk, ctx, project, "rollback", lock_wait);
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
	if (pick_target(&target, ctx, project, to, &current) < 0) {
		ex = EXIT_USAGE;
		goto out;
	}
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
	if (load_snapshot(&dp, ctx, &target, &differ) < 0) {
		ex = EXIT_USAGE;
		goto out;
	}
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
	if (ex == EXIT_OK &&
	    store_release_latest(&latest, ctx->store, project, "succeeded", &err) == 0 &&
	    latest > current && store_release_get(&from, ctx->store, current, &err) == 0 &&
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
	.usage = "rollback [--to N] [--project NAME] [--env-file FILE]... [--json]",
	.summary = "Return to the previous successful release (or --to N) without git or a "
	           "registry.",
	.help = "  --to N             the release to return to (default: the last successful "
	        "one before the current)\n"
	        "  --project NAME     the project (default: the latest release's)\n"
	        "  --env-file FILE    where the secrets are (found by fingerprint; repeatable)\n"
	        "  --reason TEXT      why, recorded with the pin\n"
	        "  -j, --parallel N   actions of one stage at once, 1-8 (default: 4)\n"
	        "  --keep N           keep retained containers of the last N releases (default: 3)\n"
	        "  --no-rollback      if the rollback itself fails its health gate, leave it\n"
	        "  -q, --quiet        print only failures and the summary\n"
	        "  --json             print the outcome as JSON\n",
};
