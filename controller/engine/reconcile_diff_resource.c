/*
 * reconcile_diff_resource.c - the networks and volumes part of the plan:
 * create what the model declares and Docker lacks, and remove what this
 * project created and no longer declares, only once no container of the
 * project kept or planned still uses it. Pure, like reconcile_diff.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "deployctl/reconcile.h"
#include "deployctl/spec.h"
#include "reconcile_diff_internal.h"

static const struct docker_network *find_network(const struct reconcile_input *in, const char *key,
                                                 const char *docker_name)
{
	size_t i;

	for (i = 0; i < in->nnetworks; i++)
		if (in->networks[i].key && !strcmp(in->networks[i].key, key) &&
		    !strcmp(in->networks[i].name, docker_name))
			return &in->networks[i];
	return NULL;
}

static const struct docker_volume *find_volume(const struct reconcile_input *in, const char *key,
                                               const char *docker_name)
{
	size_t i;

	for (i = 0; i < in->nvolumes; i++)
		if (in->volumes[i].key && !strcmp(in->volumes[i].key, key) &&
		    !strcmp(in->volumes[i].name, docker_name))
			return &in->volumes[i];
	return NULL;
}

/* Without a network/volume listing: can the kept containers vouch for every resource? */
bool reconcile_resources_proven(const struct reconcile_input *in, const struct strv *kept_nets,
                                const struct strv *kept_vols)
{
	const struct project *p = in->desired;
	size_t i, owned = 0;
	bool ok = true;

	for (i = 0; i < p->nnetworks && ok; i++) {
		char *name = model_network_docker_name(p, p->networks[i].name);

		ok = name && reconcile_strv_has(kept_nets, name) &&
		     (p->networks[i].external ||
		      reconcile_strv_has(in->prev_networks, p->networks[i].name));
		owned += !p->networks[i].external;
		free(name);
	}
	/* A network dropped since the last release must be found to be removed. */
	if (ok && in->prev_networks && in->prev_networks->n != owned)
		ok = false;
	for (i = 0; i < p->nvolumes && ok; i++) {
		char *name = model_volume_docker_name(p, p->volumes[i].name);

		ok = name && reconcile_strv_has(kept_vols, name);
		free(name);
	}
	return ok && in->prev_networks && in->prev_volumes;
}

int reconcile_diff_resources(struct plan *plan, const struct reconcile_input *in)
{
	const struct project *p = in->desired;
	size_t i;
	int rc = 0;

	for (i = 0; i < p->nnetworks && rc == 0; i++) {
		const struct project_network *n = &p->networks[i];
		char *name = model_network_docker_name(p, n->name);
		struct action_args a = { .kind = ACTION_NETWORK_CREATE,
			                 .target = n->name,
			                 .docker_name = name,
			                 .level = LEVEL_RESOURCES };

		if (!name)
			return ERR_NOMEM;
		if (!n->external && !find_network(in, n->name, name))
			rc = reconcile_plan_add(
			        plan, &a,
			        reconcile_fmt(reconcile_strv_has(in->prev_networks, n->name)
			                              ? "missing"
			                              : "new network"));
		free(name);
	}
	for (i = 0; i < p->nvolumes && rc == 0; i++) {
		const struct project_volume *v = &p->volumes[i];
		char *name = model_volume_docker_name(p, v->name);
		struct action_args a = { .kind = ACTION_VOLUME_CREATE,
			                 .target = v->name,
			                 .docker_name = name,
			                 .level = LEVEL_RESOURCES };

		if (!name)
			return ERR_NOMEM;
		if (!v->external && !find_volume(in, v->name, name))
			rc = reconcile_plan_add(
			        plan, &a,
			        reconcile_fmt(reconcile_strv_has(in->prev_volumes, v->name)
			                              ? "missing"
			                              : "new volume"));
		free(name);
	}
	for (i = 0; i < in->nnetworks && rc == 0; i++) {
		const struct docker_network *n = &in->networks[i];
		const struct project_network *want = n->key ? model_network_find(p, n->key) : NULL;
		struct action_args a = { .kind = ACTION_NETWORK_REMOVE,
			                 .target = n->key ? n->key : n->name,
			                 .container_id = n->id,
			                 .docker_name = n->name,
			                 .level = (unsigned)-1 };

		if (!want || want->external)
			rc = reconcile_plan_add(plan, &a,
			                        reconcile_fmt("network removed from manifests"));
	}
	for (i = 0; i < in->nvolumes && rc == 0; i++) {
		const struct docker_volume *v = &in->volumes[i];

		if (!v->key || !model_volume_find(p, v->key))
			rc = strv_push(&plan->notes, v->name);
	}
	return rc;
}
