/*
 * load.c - the part of apply and plan that comes before any change:
 * manifests at a commit, every validation, one look at Docker, the diff.
 * Nothing here mutates Docker, so a failure anywhere changes nothing.
 * Images are resolved by images.c; the plan is printed by plan_print.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/cmd_deploy.h"
#include "deployctl/deploy_swarm.h"
#include "deployctl/log.h"
#include "deployctl/out.h"
#include "deployctl/spec.h"
#include "load_internal.h"

extern char **environ;

void deploy_opts_release(struct deploy_opts *o)
{
	strv_free(&o->profiles);
	strv_free(&o->files);
}

void deploy_release(struct deploy *dp)
{
	deploy_swarm_free(dp->swarm);
	reconcile_plan_release(&dp->plan);
	kvv_free(&dp->network_ids);
	strv_free(&dp->prev_services);
	strv_free(&dp->prev_networks);
	strv_free(&dp->prev_volumes);
	strv_free(&dp->pulls);
	store_identity_release(&dp->owner);
	free(dp->adopt);
	docker_container_list_free(dp->containers, dp->ncontainers);
	docker_resource_list_free(dp->networks, dp->nnetworks);
	docker_resource_list_free(dp->volumes, dp->nvolumes);
	free(dp->hashes);
	free(dp->build_tags);
	model_project_free(dp->project);
	free(dp->source_id);
	free(dp->ref);
	gitsrc_free(dp->git);
	dirsrc_free(dp->dirsrc);
	manifest_vars_release(&dp->vars);
	strv_free(&dp->env_profiles);
	memset(dp, 0, sizeof(*dp));
}

static void report_list(const struct errlist *l, const char *prefix)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		char line[1024];

		fprintf(stderr, "deployctl: %s", prefix);
		out_safe(stderr, err_format(line, sizeof(line), &l->items[i]));
		fputc('\n', stderr);
	}
	if (l->dropped)
		fprintf(stderr, "deployctl: ... and %zu more\n", l->dropped);
}

/* The last element of directory path (made absolute first): in buf, or NULL. */
static const char *dir_name(char *buf, size_t size, const char *path)
{
	size_t len;
	char *slash;

	if (path[0] == '/') {
		if ((size_t)snprintf(buf, size, "%s", path) >= size)
			return NULL;
	} else {
		if (!getcwd(buf, size))
			return NULL;
		len = strlen(buf);
		if ((size_t)snprintf(buf + len, size - len, "/%s", path) >= size - len)
			return NULL;
	}
	for (;;) {
		len = strlen(buf);
		while (len > 1 && buf[len - 1] == '/')
			buf[--len] = '\0';
		slash = strrchr(buf, '/');
		if (!slash || strcmp(slash, "/.") || slash == buf)
			break;
		*slash = '\0'; /* "a/." is "a" */
	}
	slash = strrchr(buf, '/');
	return slash && slash[1] && strcmp(slash + 1, "..") ? slash + 1 : NULL;
}

/* A local repository is read in place; a remote one is fetched into the state directory first. */
static int open_repo(struct deploy *dp, const struct deploy_opts *o, struct err *err)
{
	const char *repo = o->repo ? o->repo : ".";
	char *cache = NULL;
	int rc;

	if (gitsrc_is_remote(repo)) {
		if (!o->state_dir)
			return err_set(err, ERR_INVALID, "a remote --repo needs --state DIR");
		rc = gitsrc_fetch(&cache, repo, o->state_dir, err);
		if (rc < 0)
			return rc;
		repo = cache;
	}
	rc = gitsrc_open(&dp->git, repo, o->ref ? o->ref : "HEAD", err);
	free(cache);
	return rc;
}

/*
 * The project's host directory (--host-dir, x-deployctl.host_dir, or
 * STATE/projects/<project>) into p->host_dir, and each untracked relative
 * bind's source under it, relative to the project directory (that of the
 * first project file).
 */
static int resolve_host_binds(struct deploy *dp, const struct deploy_opts *o, struct err *err)
{
	struct project *p = dp->project;
	const char *first = p->files.n ? p->files.v[0] : "", *slash = strrchr(first, '/');
	size_t pl = slash ? (size_t)(slash - first) + 1 : 0, i, j;
	char *hd;
	struct buf b;

	buf_init(&b, 8192);
	if (o->host_dir)
		buf_puts(&b, o->host_dir);
	else if (p->host_dir)
		buf_puts(&b, p->host_dir);
	else
		buf_printf(&b, "%s/projects/%s",
		           dp->state_dir ? dp->state_dir : "/var/lib/deployctl", p->name);
	hd = buf_detach(&b);
	if (!hd)
		return err_set(err, ERR_NOMEM, "out of memory");
	free(p->host_dir);
	p->host_dir = hd;
	for (i = 0; i < p->nservices; i++) {
		for (j = 0; j < p->services[i].nmounts; j++) {
			struct svc_mount *m = &p->services[i].mounts[j];
			const char *rel;

			if (!m->host || !m->source || m->source[0] == '/')
				continue;
			rel = strncmp(m->source, first, pl) ? m->source : m->source + pl;
			buf_init(&b, 8192);
			if (buf_printf(&b, "%s/%s", hd, rel) < 0) {
				buf_release(&b);
				return err_set(err, ERR_NOMEM, "out of memory");
			}
			free(m->source);
			m->source = buf_detach(&b);
			if (!m->source)
				return err_set(err, ERR_NOMEM, "out of memory");
		}
	}
	return 0;
}

/*
 * The refusal of a project without services (ERR_INVALID, in errs): naming
 * the files read (under the --dir directory), and, when every service is
 * left out by profiles (disabled: service -> its profiles), the profiles
 * that would select them, as Compose's "no service selected".
 */
static int empty_project(const struct deploy *dp, const struct kvv *disabled, struct errlist *errs)
{
	const struct project *p = dp->project;
	const char *root = dp->dirsrc ? dp->src.root : NULL;
	bool bad = false;
	struct buf b;
	size_t i;

	buf_init(&b, 8192);
	bad |= buf_puts(&b, disabled->n ? "no service selected in " : "no services in ") < 0;
	for (i = 0; i < p->files.n && i < 3; i++)
		bad |= buf_printf(&b, "%s%s%s%s", i ? ", " : "", root ? root : "", root ? "/" : "",
		                  p->files.v[i]) < 0;
	if (p->files.n > 3)
		bad |= buf_printf(&b, " and %zu more files", p->files.n - 3) < 0;
	if (disabled->n) {
		bad |= buf_puts(&b, ": every service needs a profile that is not on (") < 0;
		for (i = 0; i < disabled->n && i < 5; i++)
			bad |= buf_printf(&b, "%s%s: %s", i ? "; " : "", disabled->v[i].key,
			                  disabled->v[i].value) < 0;
		if (disabled->n > 5)
			bad |= buf_printf(&b, "; and %zu more", disabled->n - 5) < 0;
		bad |= buf_puts(&b, "): turn one on with --profile NAME or COMPOSE_PROFILES") < 0;
	}
	if (bad) {
		buf_release(&b);
		return errlist_add(errs, ERR_NOMEM, NULL, 0, 0, "out of memory");
	}
	errlist_add(errs, ERR_INVALID, "", 0, 0,
	            "%s%s removing every service of '%s' is `deployctl down`; use --allow-empty "
	            "to apply an empty project",
	            b.ptr, disabled->n ? ";" : ":", p->name);
	buf_release(&b);
	return ERR_INVALID;
}

int deploy_load(struct deploy *dp, const struct deploy_opts *o, struct errlist *errs,
                struct errlist *warns, struct err *err)
{
	struct kvv disabled = { NULL, 0 };
	struct manifest_opts mo = { .dir = o->manifests ? o->manifests : "manifests",
		                    .project_name = o->project,
		                    .vars = &dp->vars,
		                    .profiles = &o->profiles,
		                    .files = &o->files,
		                    .disabled = &disabled };
	char dirbuf[4096];
	unsigned k;
	int rc;

	manifest_vars_init(&dp->vars);
	for (k = 0; k < o->nenv_files; k++) {
		rc = manifest_vars_load_file(&dp->vars, o->env_files[k], err);
		if (rc < 0)
			return rc == ERR_NOTFOUND ? err_set(err, ERR_INVALID, "%s", err->msg) : rc;
	}
	if (manifest_vars_load_environ(&dp->vars, environ) < 0)
		return err_set(err, ERR_NOMEM, "out of memory");
	/* no --profile: $COMPOSE_PROFILES, comma-separated, as Compose reads it */
	if (!o->profiles.n && kvv_get(&dp->vars.vars, "COMPOSE_PROFILES")) {
		if (manifest_profiles_parse(&dp->env_profiles,
		                            kvv_get(&dp->vars.vars, "COMPOSE_PROFILES")) < 0)
			return err_set(err, ERR_NOMEM, "out of memory");
		mo.profiles = &dp->env_profiles;
	}
	if (o->dir) {
		rc = dirsrc_new(&dp->dirsrc, o->dir, err);
		if (rc < 0)
			return rc;
		dirsrc_source(&dp->src, dp->dirsrc);
		dp->source_kind = "dir";
		dp->ref = strdup(o->dir);
	} else {
		rc = open_repo(dp, o, err);
		if (rc < 0)
			return rc;
		gitsrc_source(&dp->src, dp->git);
		dp->source_kind = "git";
		dp->source_id = strdup(gitsrc_commit(dp->git));
		dp->ref = strdup(o->ref ? o->ref : "HEAD");
		rc = gitsrc_dirty(&dp->dirty, dp->git, mo.dir, err);
		if (rc < 0)
			return rc;
	}
	/* Compose's last resort for the project name: the project directory's name. */
	mo.default_name = dir_name(dirbuf, sizeof(dirbuf), dp->git ? gitsrc_path(dp->git) : o->dir);
	rc = manifest_load(&dp->project, &dp->src, &mo, errs, warns);
	if (rc < 0)
		return errs->n ? ERR_INVALID : err_set(err, rc, "cannot load manifests");
	/* An empty or truncated file must not take the whole stack down with it. */
	if (!dp->project->nservices && !o->allow_empty) {
		rc = empty_project(dp, &disabled, errs);
		kvv_free(&disabled);
		return rc;
	}
	kvv_free(&disabled);
	rc = resolve_host_binds(dp, o, err);
	if (rc < 0)
		return rc;
	if (dp->dirsrc)
		dp->source_id = dirsrc_content_id(dp->dirsrc);
	if (!dp->ref || !dp->source_id)
		return err_set(err, ERR_NOMEM, "out of memory");
	return 0;
}

int deploy_load_print(struct deploy *dp, const struct deploy_opts *o)
{
	struct errlist *errs = calloc(2, sizeof(*errs));
	struct err err = ERR_INIT;
	int rc, ex;

	if (!errs) {
		err_set(&err, ERR_NOMEM, "out of memory");
		cmd_report(&err);
		return EXIT_FAILED;
	}
	errlist_init(&errs[0]);
	errlist_init(&errs[1]);
	rc = deploy_load(dp, o, &errs[0], &errs[1], &err);
	if (dp->dirty)
		log_warnx(
		        "uncommitted changes under %s/ are not deployed: deploying commit %.12s (%s)",
		        o->manifests ? o->manifests : "manifests", dp->source_id, dp->ref);
	report_list(&errs[1], "warning: ");
	if (rc == ERR_INVALID && errs[0].n) {
		report_list(&errs[0], "");
		fprintf(stderr, "deployctl: %zu error(s); nothing was changed\n",
		        errs[0].n + errs[0].dropped);
		ex = EXIT_USAGE;
	} else if (rc < 0) {
		cmd_report(&err);
		ex = cmd_exit_for(err.code);
		if (ex == EXIT_FAILED)
			ex = EXIT_USAGE;
	} else {
		ex = EXIT_OK;
	}
	free(errs);
	return ex;
}

int deploy_old_spec(void *arg, char **out, const char *release, const char *service)
{
	struct ctx *ctx = arg;
	struct err err = ERR_INIT;
	char *end;
	long long id = strtoll(release, &end, 10);

	if (*end || id <= 0)
		return ERR_NOTFOUND;
	return store_service_spec(out, ctx->store, id, service, &err);
}

/* What the latest release of the project had, to tell drops and new things apart. */
static int load_previous(struct deploy *dp, struct ctx *ctx, struct err *err)
{
	struct store_service_row *rows = NULL;
	struct kvv res = { 0 };
	enum res_kind k;
	size_t i, n = 0;
	int rc;

	rc = store_release_latest(&dp->prev_release, ctx->store, dp->project->name, NULL, err);
	if (rc < 0 || !dp->prev_release)
		return rc;
	rc = store_release_services(&rows, &n, ctx->store, dp->prev_release, err);
	for (i = 0; rc == 0 && i < n; i++)
		rc = strv_push(&dp->prev_services, rows[i].service);
	store_service_rows_free(rows, n);
	for (k = 0; k < RES__COUNT && rc == 0; k++) {
		struct strv *prev = k == RES_NETWORK ? &dp->prev_networks : &dp->prev_volumes;

		rc = store_release_resources(&res, ctx->store, dp->prev_release, model_res_noun(k),
		                             err);
		for (i = 0; rc == 0 && i < res.n; i++)
			rc = strv_push(prev, res.v[i].key);
		kvv_free(&res);
	}
	strv_sort(&dp->prev_services);
	return rc;
}

/*
 * External networks and volumes must exist (found by name); the IDs of the
 * networks into dp->network_ids, for creates: owned ones by label from
 * the listing, external ones from the lookup.
 */
static int network_ids(struct deploy *dp, struct ctx *ctx, struct err *err)
{
	const struct project *p = dp->project;
	const struct project_resource *v;
	const struct docker_resource *own;
	enum res_kind k;
	size_t i, n;
	int rc = 0;

	for (k = 0; k < RES__COUNT && rc == 0; k++) {
		v = model_resources(p, k, &n);
		for (i = 0; i < n && rc == 0; i++) {
			const struct project_resource *r = &v[i];
			char *name = model_res_docker_name(p, k, r->name), *id = NULL;

			if (!name)
				return err_set(err, ERR_NOMEM, "out of memory");
			if (r->external) {
				rc = docker_resource_lookup(&id, ctx->docker, k, name, err);
				/* Docker's "no such" says less than where the name was written. */
				if (rc == ERR_NOTFOUND) {
					err_clear(err);
					rc = err_set_at(err, ERR_INVALID, r->loc.file, r->loc.line,
					                r->loc.col,
					                "%ss.%s: external %s '%s' does not exist",
					                model_res_noun(k), r->name,
					                model_res_noun(k), name);
				}
			} else if (k == RES_NETWORK &&
			           (own = docker_resource_find(dp->networks, dp->nnetworks, r->name,
			                                       name)) != NULL) {
				id = strdup(own->id);
			}
			if (rc == 0 && k == RES_NETWORK && id &&
			    kvv_set(&dp->network_ids, r->name, id) < 0)
				rc = err_set(err, ERR_NOMEM, "out of memory");
			free(id);
			free(name);
		}
	}
	return rc;
}

/* "<id> on host <host> at <path>" of a container's owner labels, into buf. */
static const char *owner_text(char *buf, size_t size, const struct docker_container *c)
{
	snprintf(buf, size, "state %s on host %s at %s", c->owner,
	         c->owner_host ? c->owner_host : "?", c->owner_state ? c->owner_state : "?");
	return buf;
}

/*
 * Containers of the project this state database did not make: labelled
 * with another database's identity, or (made before owner labels) with
 * none, and made by none of its releases. Live ones are refused, each
 * with its owner named, unless --adopt marks them for replacing
 * (relabelling); foreign retained ones are only kept from being reused.
 * Returns an exit status.
 */
static int check_owners(struct deploy *dp, struct ctx *ctx)
{
	struct err err = ERR_INIT;
	size_t i, foreign = 0;
	char who[1200];

	if (store_identity_get(&dp->owner, ctx->store, &err) < 0)
		goto fail;
	dp->adopt = calloc(dp->ncontainers + 1, sizeof(*dp->adopt));
	if (!dp->adopt) {
		err_set(&err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < dp->ncontainers; i++) {
		const struct docker_container *c = &dp->containers[i];
		bool mine = false;

		if (c->owner)
			mine = !strcmp(c->owner, dp->owner.id);
		else if (store_release_made(&mine, ctx->store, dp->project->name,
		                            c->release ? strtoll(c->release, NULL, 10) : 0,
		                            c->service, c->created, &err) < 0)
			goto fail;
		if (mine)
			continue;
		dp->adopt[i] = true;
		/*
		 * The live containers say who deploys the project; a foreign
		 * retained one (kept by the database taken over from) is never
		 * brought back, only pruned in time.
		 */
		if (dp->adopt_foreign || reconcile_is_retained(c->name) || ++foreign > 10)
			continue;
		fprintf(stderr, "deployctl: container '");
		out_safe(stderr, c->name ? c->name : c->id);
		if (c->owner) {
			fputs("' belongs to another state database: ", stderr);
			out_safe(stderr, owner_text(who, sizeof(who), c));
		} else {
			fputs("' has no owner label and no release of this state database made it",
			      stderr);
		}
		fputc('\n', stderr);
	}
	if (foreign) {
		if (foreign > 10)
			fprintf(stderr, "deployctl: ... and %zu more\n", foreign - 10);
		fprintf(stderr,
		        "deployctl: project '%s' is deployed from another state database (this one "
		        "is state %s at %s); nothing was changed: use that state directory (--state), "
		        "or take its containers over with --adopt (each is replaced)\n",
		        dp->project->name, dp->owner.id, dp->owner.path);
		return EXIT_USAGE;
	}
	return EXIT_OK;
fail:
	cmd_report(&err);
	return cmd_exit_for(err.code);
}

int deploy_prepare(struct deploy *dp, struct ctx *ctx, const struct deploy_opts *o)
{
	struct deploy_opts with_state = *o;
	int ex;

	/* apply resolved it already (cmd_lock()): keep the absolute path */
	if (o->state_dir && !ctx->state_dir_abs)
		ctx->state_dir = o->state_dir;
	if (o->docker_host)
		ctx->docker_host = o->docker_host;
	/* A remote repository's cache lives in the state directory, however it was named. */
	with_state.state_dir = ctx->state_dir;
	dp->state_dir = ctx->state_dir;
	ex = deploy_load_print(dp, &with_state);
	if (ex != EXIT_OK)
		return ex;
	if (o->target && deploy_swarm_set_target(dp, o->target) < 0)
		return EXIT_FAILED;
	dp->adopt_foreign = o->adopt;
	return deploy_observe(dp, ctx);
}

int deploy_observe(struct deploy *dp, struct ctx *ctx)
{
	struct reconcile_input in = { 0 };
	struct deploy_hashes hashes;
	const struct hash_key *key;
	struct err err = ERR_INIT;
	int ex, rc;

	ex = cmd_open_docker(ctx);
	if (ex != EXIT_OK)
		return ex;
	ex = deploy_resolve_images(dp, ctx);
	if (ex != EXIT_OK)
		return ex;
	ex = cmd_open_store(ctx);
	if (ex != EXIT_OK)
		return ex;
	/* Hashes are keyed with the state directory's key, so the store comes first. */
	key = store_key(ctx->store, &err);
	if (!key)
		goto fail;
	dp->hashes = calloc(dp->project->nservices + 1, sizeof(*dp->hashes));
	if (!dp->hashes) {
		err_set(&err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	/* Hashed meanwhile: the list below is mostly waiting for the Engine and decoding. */
	deploy_hashes_start(&hashes, dp->hashes, dp->project, key);
	rc = load_previous(dp, ctx, &err);
	if (rc == 0 && !deploy_swarm_wanted(dp))
		rc = docker_container_list(&dp->containers, &dp->ncontainers, ctx->docker,
		                           dp->project->name, &err);
	if (deploy_hashes_join(&hashes, &err) < 0 || rc < 0)
		goto fail;
	if (deploy_swarm_wanted(dp))
		return deploy_swarm_observe(dp, ctx, key, deploy_old_spec);
	ex = check_owners(dp, ctx);
	if (ex != EXIT_OK)
		return ex;
	in.adopt = dp->adopt;
	in.desired = dp->project;
	in.key = key;
	in.hashes = (const char(*)[HASH_HEX_LEN + 1]) dp->hashes;
	in.containers = dp->containers;
	in.ncontainers = dp->ncontainers;
	in.prev_services = &dp->prev_services;
	in.prev_networks = dp->prev_release ? &dp->prev_networks : NULL;
	in.prev_volumes = dp->prev_release ? &dp->prev_volumes : NULL;
	in.old_spec = deploy_old_spec;
	in.old_spec_ctx = ctx;
	if (reconcile_diff(&dp->plan, &in, &err) < 0)
		goto fail;
	if (!dp->plan.need_resources)
		return EXIT_OK;
	/* The containers could not vouch for every network and volume: look. */
	reconcile_plan_release(&dp->plan);
	if (docker_resource_list(&dp->networks, &dp->nnetworks, ctx->docker, RES_NETWORK,
	                         dp->project->name, &err) < 0 ||
	    docker_resource_list(&dp->volumes, &dp->nvolumes, ctx->docker, RES_VOLUME,
	                         dp->project->name, &err) < 0 ||
	    network_ids(dp, ctx, &err) < 0)
		goto fail;
	in.have_resources = true;
	in.networks = dp->networks;
	in.nnetworks = dp->nnetworks;
	in.volumes = dp->volumes;
	in.nvolumes = dp->nvolumes;
	if (reconcile_diff(&dp->plan, &in, &err) < 0)
		goto fail;
	return EXIT_OK;
fail:
	cmd_report(&err);
	return cmd_exit_for(err.code);
}

int deploy_check_pin(int64_t *cleared, struct ctx *ctx, const struct deploy *dp, bool force)
{
	struct store_pin pin = { 0 };
	struct err err = ERR_INIT;
	bool clear = cleared != NULL;
	int ex = EXIT_OK;

	if (cleared)
		*cleared = 0;
	if (store_pin_get(&pin, ctx->store, dp->project->name, &err) < 0)
		return EXIT_OK;
	if (pin.commit && dp->source_id && !strcmp(pin.commit, dp->source_id) && !force) {
		fprintf(stderr,
		        "deployctl: %s%s %.12s was rolled back (pinned to release %lld by %s: %s); "
		        "deploy a newer commit, run 'deployctl unpin', or use --force\n",
		        clear ? "" : "apply would refuse it: ", dp->source_kind, pin.commit,
		        (long long)pin.release_id, pin.who ? pin.who : "?",
		        pin.reason ? pin.reason : "");
		ex = EXIT_USAGE;
	} else if (clear && store_pin_clear(ctx->store, dp->project->name, &err) == 0) {
		*cleared = pin.release_id;
	}
	store_pin_release(&pin);
	return ex;
}
