/*
 * swarm.c - apply, plan and rollback on a Swarm manager through the same
 * commands, plans and release records as containers: deploy_observe() hands
 * over here when the project targets Swarm, release_run() runs the plan with
 * swarm_apply() and records the release's target, rollback reads it back.
 */
#include "deployctl/swarm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/deploy_swarm.h"
#include "deployctl/docker_swarm.h"
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
		name = model_network_docker_name(p, p->networks[i].name);
		if (!name)
			return err_set(err, ERR_NOMEM, "out of memory");
		rc = docker_network_lookup(&id, ctx->docker, name, err);
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

	/* Jobs run as containers of the one-host backend only: refuse, never skip them. */
	if (dp->project->njobs) {
		const struct loc *l = &dp->project->jobs[0].svc.loc;

		free(sw);
		err_set_at(&err, ERR_INVALID, l->file ? l->file : "", l->line, l->col,
		           "x-deployctl.jobs.%s: jobs do not run on the Swarm target yet "
		           "(deploy them with target docker, or run them by hand)",
		           dp->project->jobs[0].svc.name);
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
	    docker_network_list(&dp->networks, &dp->nnetworks, ctx->docker, dp->project->name,
	                        &err) < 0 ||
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
	struct swarm_apply_opts o = { 0 };

	o.release = release;
	o.files_dir = files_dir;
	o.hashes = (const char(*)[HASH_HEX_LEN + 1]) dp->hashes;
	o.task_hashes = (const char(*)[HASH_HEX_LEN + 1]) dp->swarm->task_hashes;
	o.images = (const char *const *)dp->swarm->images;
	o.observed = dp->swarm->services;
	o.nobserved = dp->swarm->nservices;
	o.network_ids = &dp->network_ids;
	o.progress = pg;
	o.no_rollback = no_rollback;
	return swarm_apply(ctx->docker, dp->project, &dp->plan, &o, res, err);
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
