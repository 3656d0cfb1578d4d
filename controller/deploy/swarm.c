/*
 * swarm.c - apply, plan and rollback on a Swarm manager through the same
 * commands, plans and release records as containers: deploy_observe() hands
 * over here when the project targets Swarm, release_run() runs the plan with
 * swarm_apply() (its jobs and smoke checks as hooks between and after the
 * waves) and records the release's target, rollback reads it back.
 */
#include "deployctl/swarm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/deploy_swarm.h"
#include "deployctl/docker_swarm.h"
#include "deployctl/docker_swarm_job.h"
#include "deployctl/hash.h"
#include "deployctl/store.h"

struct deploy_swarm {
	struct docker_service *services;
	size_t nservices;
	char **images;                         /* per project service: the pinned reference */
	char (*task_hashes)[HASH_HEX_LEN + 1]; /* per service: the container spec's hash */
};

bool deploy_swarm_wanted(const struct deploy *dp)
{
	return dp->project && dp->project->target && !strcmp(dp->project->target, "swarm");
}

int deploy_swarm_set_target(struct deploy *dp, const char *target)
{
	char *t = strdup(target);

	if (!t)
		return ERR_NOMEM;
	free(dp->project->target);
	dp->project->target = t;
	return 0;
}

int deploy_swarm_target_from_release(struct deploy *dp, struct ctx *ctx, int64_t release)
{
	struct err err = ERR_INIT;
	char *t = NULL;
	int rc;

	rc = store_release_target(&t, ctx->store, release, &err);
	if (rc < 0) {
		cmd_report(&err);
		return rc;
	}
	free(dp->project->target);
	dp->project->target = t;
	return 0;
}

void deploy_swarm_free(struct deploy_swarm *sw)
{
	size_t i;

	if (!sw)
		return;
	docker_services_free(sw->services, sw->nservices);
	for (i = 0; sw->images && sw->images[i]; i++)
		free(sw->images[i]);
	free(sw->images);
	free(sw->task_hashes);
	free(sw);
}

/* name@sha256:... when the image has a RepoDigest, else its ID (the plan says so). */
static int pin_images(struct deploy_swarm *sw, struct deploy *dp, struct ctx *ctx, bool digests,
                      struct err *err)
{
	const struct project *p = dp->project;
	size_t i;

	for (i = 0; i < p->nservices; i++) {
		const struct service *s = &p->services[i];
		char *digest = NULL;

		free(sw->images[i]);
		sw->images[i] = NULL;
		if (s->repo_digest)
			digest = strdup(s->repo_digest);
		else if (digests && s->image_id &&
		         docker_image_digest(&digest, ctx->docker, s->image, err) < 0) {
			/* a rollback names an ID only: no digest to find is no error */
			*err = (struct err)ERR_INIT;
			digest = NULL;
		}
		sw->images[i] = digest ? digest : strdup(s->image_id ? s->image_id : s->image);
		if (!sw->images[i])
			return err_set(err, ERR_NOMEM, "out of memory");
	}
	return 0;
}

/* network key -> ID, from the project's listed networks and, for external ones, by name. */
static int network_ids(struct deploy *dp, struct ctx *ctx, struct err *err)
{
	const struct project *p = dp->project;
	size_t i;
	int rc;

	for (i = 0; i < dp->nnetworks; i++)
		if (dp->networks[i].key &&
		    kvv_set(&dp->network_ids, dp->networks[i].key, dp->networks[i].id) < 0)
			return err_set(err, ERR_NOMEM, "out of memory");
	for (i = 0; i < p->nnetworks; i++) {
		char *id = NULL, *name;

		if (!p->networks[i].external || kvv_get(&dp->network_ids, p->networks[i].name))
			continue;
		name = model_res_docker_name(p, RES_NETWORK, p->networks[i].name);
		if (!name)
			return err_set(err, ERR_NOMEM, "out of memory");
		rc = docker_resource_lookup(&id, ctx->docker, RES_NETWORK, name, err);
		free(name);
		if (rc < 0)
			return rc;
		rc = kvv_set(&dp->network_ids, p->networks[i].name, id);
		free(id);
		if (rc < 0)
			return err_set(err, ERR_NOMEM, "out of memory");
	}
	return 0;
}

int deploy_swarm_observe(struct deploy *dp, struct ctx *ctx, const struct hash_key *key,
                         reconcile_old_spec_fn old_spec)
{
	struct swarm_input in = { 0 };
	struct deploy_swarm *sw = calloc(1, sizeof(*sw));
	struct err err = ERR_INIT;
	size_t i;

	/*
	 * Jobs run as Swarm one-off services (jobs_swarm.c): what a task cannot
	 * be is refused here, before anything changes; their services carry this
	 * database's identity, as job containers do.
	 */
	for (i = 0; i < dp->project->njobs; i++)
		if (docker_swarm_job_check(&dp->project->jobs[i].svc, &err) < 0) {
			free(sw);
			goto fail;
		}
	if (dp->project->njobs && !dp->owner.id &&
	    store_identity_get(&dp->owner, ctx->store, &err) < 0) {
		free(sw);
		goto fail;
	}
	if (!sw || !(sw->images = calloc(dp->project->nservices + 1, sizeof(char *))) ||
	    !(sw->task_hashes = calloc(dp->project->nservices + 1, sizeof(*sw->task_hashes)))) {
		if (sw)
			free(sw->images);
		free(sw);
		err_set(&err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	dp->swarm = sw;
	/*
	 * The container backend counts replicas as containers; a Swarm service
	 * holds its count in its spec, so the hash recorded and compared says it.
	 */
	for (i = 0; i < dp->project->nservices; i++) {
		char in_text[HASH_HEX_LEN + 32];

		memcpy(sw->task_hashes[i], dp->hashes[i], sizeof(sw->task_hashes[i]));
		snprintf(in_text, sizeof(in_text), "%s|replicas=%u", dp->hashes[i],
		         dp->project->services[i].replicas);
		hash_sha256_hex(dp->hashes[i], in_text, strlen(in_text));
	}
	if (docker_service_list(&sw->services, &sw->nservices, ctx->docker, dp->project->name,
	                        &err) < 0 ||
	    pin_images(sw, dp, ctx, false, &err) < 0)
		goto fail;
	in.desired = dp->project;
	in.key = key;
	in.hashes = (const char(*)[HASH_HEX_LEN + 1]) dp->hashes;
	in.images = (const char *const *)sw->images;
	in.services = sw->services;
	in.nservices = sw->nservices;
	in.old_spec = old_spec;
	in.old_spec_ctx = ctx;
	if (swarm_diff(&dp->plan, &in, &err) < 0)
		goto fail;
	if (!dp->plan.need_resources)
		return EXIT_OK;
	/* Something changes: digests to pin, networks to find. */
	reconcile_plan_release(&dp->plan);
	if (pin_images(sw, dp, ctx, true, &err) < 0 ||
	    docker_resource_list(&dp->networks, &dp->nnetworks, ctx->docker, RES_NETWORK,
	                         dp->project->name, &err) < 0 ||
	    network_ids(dp, ctx, &err) < 0)
		goto fail;
	in.have_networks = true;
	in.networks = dp->networks;
	in.nnetworks = dp->nnetworks;
	if (swarm_diff(&dp->plan, &in, &err) < 0)
		goto fail;
	/* plan.notes name volumes kept (containers); Swarm's notes print as the plan's "note:"
	 * lines */
	for (i = 0; i < dp->plan.notes.n; i++)
		if (strv_push(&dp->pulls, dp->plan.notes.v[i]) < 0) {
			err_set(&err, ERR_NOMEM, "out of memory");
			goto fail;
		}
	strv_free(&dp->plan.notes);
	return EXIT_OK;
fail:
	cmd_report(&err);
	return cmd_exit_for(err.code);
}

int deploy_swarm_apply(struct deploy *dp, struct ctx *ctx, const char *release,
                       const char *files_dir, const struct reconcile_progress *pg, bool no_rollback,
                       struct reconcile_result *res, struct err *err)
{
	struct reconcile_opts ro = { 0 };

	ro.release = release;
	ro.files_dir = files_dir;
	ro.progress = pg;
	ro.no_rollback = no_rollback;
	return deploy_swarm_run(dp, ctx, &ro, res, err);
}

int deploy_swarm_run(struct deploy *dp, struct ctx *ctx, const struct reconcile_opts *ro,
                     struct reconcile_result *res, struct err *err)
{
	struct swarm_apply_opts o = { 0 };

	o.release = ro->release;
	o.files_dir = ro->files_dir;
	o.stage_hook = ro->stage_hook;
	o.stage_ctx = ro->stage_ctx;
	o.verify = ro->verify;
	o.verify_ctx = ro->verify_ctx;
	o.hashes = (const char(*)[HASH_HEX_LEN + 1]) dp->hashes;
	o.task_hashes = (const char(*)[HASH_HEX_LEN + 1]) dp->swarm->task_hashes;
	o.images = (const char *const *)dp->swarm->images;
	o.observed = dp->swarm->services;
	o.nobserved = dp->swarm->nservices;
	o.network_ids = &dp->network_ids;
	o.progress = ro->progress;
	o.no_rollback = ro->no_rollback;
	return swarm_apply(ctx->docker, dp->project, &dp->plan, &o, res, err);
}

int deploy_swarm_look(struct plan *out, struct deploy *dp, struct ctx *ctx,
                      reconcile_old_spec_fn old_spec, struct err *err)
{
	struct swarm_input in = { 0 };
	struct docker_service *v = NULL;
	size_t n = 0;
	int rc;

	if (!dp->swarm)
		return err_set(err, ERR_INVALID, "project %s was not observed on Swarm",
		               dp->project->name);
	in.key = store_key(ctx->store, err);
	if (!in.key)
		return err->code ? err->code : ERR_STORE;
	rc = docker_service_list(&v, &n, ctx->docker, dp->project->name, err);
	if (rc < 0)
		return rc;
	in.desired = dp->project;
	in.hashes = (const char(*)[HASH_HEX_LEN + 1]) dp->hashes;
	in.images = (const char *const *)dp->swarm->images;
	in.services = v;
	in.nservices = n;
	in.old_spec = old_spec;
	in.old_spec_ctx = ctx;
	rc = swarm_diff(out, &in, err);
	docker_services_free(v, n);
	return rc;
}

int deploy_swarm_counts(unsigned *desired, unsigned *running, unsigned *healthy,
                        const struct deploy *dp, struct ctx *ctx, struct err *err)
{
	const struct project *p = dp->project;
	unsigned want = 0, run = 0;
	size_t i, k;
	int rc;

	if (!dp->swarm)
		return err_set(err, ERR_INVALID, "project %s was not observed on Swarm", p->name);
	for (i = 0; i < p->nservices; i++) {
		const struct docker_service *o = NULL;
		struct docker_task_summary t;

		for (k = 0; k < dp->swarm->nservices && !o; k++)
			if (dp->swarm->services[k].service &&
			    !strcmp(dp->swarm->services[k].service, p->services[i].name))
				o = &dp->swarm->services[k];
		if (!o) {
			want += p->services[i].replicas;
			continue;
		}
		rc = docker_service_tasks(&t, ctx->docker, o->id,
		                          o->task_hash ? o->task_hash : o->spec_hash, 0, err);
		if (rc < 0)
			return rc;
		want += o->global ? t.running : p->services[i].replicas;
		run += t.running;
	}
	*desired = want;
	*running = run;
	*healthy = run;
	return 0;
}

bool deploy_swarm_publishes(const struct deploy *dp, unsigned port, const char *proto)
{
	char want[48];
	size_t i, k;

	if (!dp->swarm)
		return false;
	snprintf(want, sizeof(want), "%u/%s", port, proto);
	for (i = 0; i < dp->swarm->nservices; i++)
		for (k = 0; k < dp->swarm->services[i].published.n; k++)
			if (!strcmp(dp->swarm->services[i].published.v[k], want))
				return true;
	return false;
}

int deploy_swarm_record(struct ctx *ctx, const struct deploy *dp, int64_t release, struct err *err)
{
	if (!deploy_swarm_wanted(dp))
		return 0;
	return store_release_target_set(ctx->store, release, "swarm", err);
}

int deploy_swarm_take(struct deploy *dp, struct docker_service *services, size_t n)
{
	struct deploy_swarm *sw = calloc(1, sizeof(*sw));
	size_t ns = dp->project->nservices;

	if (!sw || !(sw->images = calloc(ns + 1, sizeof(char *))) ||
	    !(sw->task_hashes = calloc(ns + 1, sizeof(*sw->task_hashes)))) {
		deploy_swarm_free(sw);
		docker_services_free(services, n);
		return ERR_NOMEM;
	}
	sw->services = services;
	sw->nservices = n;
	deploy_swarm_free(dp->swarm);
	dp->swarm = sw;
	return 0;
}
