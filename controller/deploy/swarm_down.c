/*
 * swarm_down.c - "deployctl down" on a project whose releases went to
 * Swarm: the plan removes the project's Swarm services — only those the
 * one filtered list finds by both the stack label and the project label —
 * then, once their tasks are gone, its overlay networks, and with
 * --volumes its volumes on this node (Swarm's volumes are node-local).
 * swarm_apply() collects the config and secret objects after success, as
 * no desired service uses them any more. A release of kind down like the
 * containers' one, so "deployctl rollback" brings the stack back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/deploy_swarm.h"
#include "deployctl/deploy_swarm_cmds.h"
#include "deployctl/docker_swarm.h"
#include "deployctl/jobs.h"

/* Prepend one service removal per listed service (level 0: before networks and volumes). */
static int add_service_removes(struct plan *plan, const struct docker_service *s, size_t ns)
{
	struct action *v = calloc(plan->n + ns + 1, sizeof(*v));
	size_t i;

	if (!v)
		return ERR_NOMEM;
	for (i = 0; i < ns; i++) {
		struct action *a = &v[i];

		a->kind = ACTION_REMOVE;
		a->level = 0;
		a->target = strdup(s[i].service ? s[i].service : s[i].name);
		a->container_id = strdup(s[i].id);
		a->container_name = strdup(s[i].name);
		a->reason = strdup("down");
		if (!a->target || !a->container_id || !a->container_name || !a->reason) {
			struct plan tmp = { .v = v, .n = i + 1 };

			reconcile_plan_release(&tmp);
			return ERR_NOMEM;
		}
	}
	for (i = 0; i < plan->n; i++) {
		v[ns + i] = plan->v[i];
		if (v[ns + i].level < 1)
			v[ns + i].level = 1;
	}
	free(plan->v);
	plan->v = v;
	plan->n += ns;
	return 0;
}

/*
 * Swarm makes a service's named volumes from the mount's VolumeOptions,
 * which carry the stack and project labels but not LABEL_VOLUME: the key is
 * the name after "<project>_" (the list was filtered on the project label).
 */
static int volume_keys(struct docker_resource *v, size_t n, const char *project)
{
	size_t i, len = strlen(project);

	for (i = 0; i < n; i++)
		if (!v[i].key && !strncmp(v[i].name, project, len) && v[i].name[len] == '_' &&
		    v[i].name[len + 1] && !(v[i].key = strdup(v[i].name + len + 1)))
			return ERR_NOMEM;
	return 0;
}

int deploy_swarm_down_prepare(struct deploy *dp, struct ctx *ctx, const char *project,
                              const struct reconcile_down_opts *o)
{
	struct reconcile_input in = { 0 };
	struct docker_service *s = NULL;
	struct err err = ERR_INIT;
	size_t ns = 0;
	int rc;

	if (o->keep_history) {
		fprintf(stderr, "deployctl: down --keep-history: Swarm services cannot be kept "
		                "stopped; 'deployctl rollback' after a plain down creates them "
		                "again from the release\n");
		return EXIT_USAGE;
	}
	if (deploy_down_begin(dp, ctx, project, &err) < 0)
		goto fail;
	if (!(dp->project->target = strdup("swarm"))) {
		err_set(&err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	/* A job service a killed run left holds the overlay networks: ours go first. */
	if (store_identity_get(&dp->owner, ctx->store, &err) < 0)
		goto fail;
	jobs_swarm_remove_leftovers(ctx->docker, project, dp->owner.id);
	if (docker_service_list(&s, &ns, ctx->docker, project, &err) < 0 ||
	    docker_resource_list(&dp->networks, &dp->nnetworks, ctx->docker, RES_NETWORK, project,
	                         &err) < 0 ||
	    docker_resource_list(&dp->volumes, &dp->nvolumes, ctx->docker, RES_VOLUME, project,
	                         &err) < 0)
		goto fail;
	if (volume_keys(dp->volumes, dp->nvolumes, project) < 0) {
		err_set(&err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	/* Task containers are Swarm's to stop: none is in the plan, only the services. */
	in.desired = dp->project;
	in.have_resources = true;
	in.networks = dp->networks;
	in.nnetworks = dp->nnetworks;
	in.volumes = dp->volumes;
	in.nvolumes = dp->nvolumes;
	if (reconcile_down(&dp->plan, &in, o, &err) < 0)
		goto fail;
	if (add_service_removes(&dp->plan, s, ns) < 0) {
		err_set(&err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	rc = deploy_swarm_take(dp, s, ns);
	s = NULL;
	if (rc < 0) {
		err_set(&err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	return EXIT_OK;
fail:
	docker_services_free(s, ns);
	cmd_report(&err);
	return cmd_exit_for(err.code);
}
