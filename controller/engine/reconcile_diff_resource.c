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

/* Is the resource observed as (key, name) the declared key under docker_name? */
static bool resource_is(const char *key, const char *name, const char *want_key,
                        const char *docker_name)
{
	return key && !strcmp(key, want_key) && !strcmp(name, docker_name);
}

static bool network_observed(const struct reconcile_input *in, const char *key,
                             const char *docker_name)
{
	size_t i;

	for (i = 0; i < in->nnetworks; i++)
		if (resource_is(in->networks[i].key, in->networks[i].name, key, docker_name))
			return true;
	return false;
}

static bool volume_observed(const struct reconcile_input *in, const char *key,
                            const char *docker_name)
{
	size_t i;

	for (i = 0; i < in->nvolumes; i++)
		if (resource_is(in->volumes[i].key, in->volumes[i].name, key, docker_name))
			return true;
	return false;
}

/*
 * The create of a declared network or volume (noun) Docker lacks: "missing"
 * when the last release had it (prev), else "new <noun>".
 */
static int plan_resource_create(struct plan *plan, enum action_kind kind, const char *key,
                                const char *docker_name, const struct strv *prev, const char *noun)
{
	struct action_args a = {
		.kind = kind, .target = key, .docker_name = docker_name, .level = LEVEL_RESOURCES
	};

	return reconcile_plan_add(plan, &a,
	                          reconcile_strv_has(prev, key) ? reconcile_fmt("missing")
	                                                        : reconcile_fmt("new %s", noun));
}

/* Without a network/volume listing: can the kept containers vouch for every resource? */
bool reconcile_resources_proven(const struct reconcile_input *in, const struct strv *kept_nets,
                                const struct strv *kept_vols)
{
	const struct project *p = in->desired;
	size_t i, owned = 0;
	bool ok = true;

	for (i = 0; i < p->nnetworks && ok; i++) {
		char *name = model_res_docker_name(p, RES_NETWORK, p->networks[i].name);

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
		char *name = model_res_docker_name(p, RES_VOLUME, p->volumes[i].name);

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
		const struct project_resource *n = &p->networks[i];
		char *name = model_res_docker_name(p, RES_NETWORK, n->name);

		if (!name)
			return ERR_NOMEM;
		if (!n->external && !network_observed(in, n->name, name))
			rc = plan_resource_create(plan, ACTION_NETWORK_CREATE, n->name, name,
			                          in->prev_networks, "network");
		free(name);
	}
	for (i = 0; i < p->nvolumes && rc == 0; i++) {
		const struct project_resource *v = &p->volumes[i];
		char *name = model_res_docker_name(p, RES_VOLUME, v->name);

		if (!name)
			return ERR_NOMEM;
		if (!v->external && !volume_observed(in, v->name, name))
			rc = plan_resource_create(plan, ACTION_VOLUME_CREATE, v->name, name,
			                          in->prev_volumes, "volume");
		free(name);
	}
	for (i = 0; i < in->nnetworks && rc == 0; i++) {
		const struct docker_network *n = &in->networks[i];
		const struct project_resource *want = n->key ? model_res_find(p, RES_NETWORK, n->key) : NULL;
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

		if (!v->key || !model_res_find(p, RES_VOLUME, v->key))
			rc = strv_push(&plan->notes, v->name);
	}
	return rc;
}
