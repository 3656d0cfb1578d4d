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

/* Does the input's listing of kind k hold key under docker_name? */
static bool observed(const struct reconcile_input *in, enum res_kind k, const char *key,
                     const char *docker_name)
{
	return k == RES_NETWORK
	               ? docker_resource_find(in->networks, in->nnetworks, key, docker_name) != NULL
	               : docker_resource_find(in->volumes, in->nvolumes, key, docker_name) != NULL;
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
	static const enum action_kind create[RES__COUNT] = {
		[RES_NETWORK] = ACTION_NETWORK_CREATE,
		[RES_VOLUME] = ACTION_VOLUME_CREATE,
	};
	const struct project *p = in->desired;
	const struct project_resource *v;
	enum res_kind k;
	size_t i, n;
	int rc = 0;

	for (k = 0; k < RES__COUNT; k++) {
		const struct strv *prev = k == RES_NETWORK ? in->prev_networks : in->prev_volumes;

		v = model_resources(p, k, &n);
		for (i = 0; i < n && rc == 0; i++) {
			char *name = model_res_docker_name(p, k, v[i].name);

			if (!name)
				return ERR_NOMEM;
			if (!v[i].external && !observed(in, k, v[i].name, name))
				rc = plan_resource_create(plan, create[k], v[i].name, name, prev,
				                          model_res_noun(k));
			free(name);
		}
	}
	/* Dropped: a network is removed; a volume holds data and is only named (down --volumes). */
	for (i = 0; i < in->nnetworks && rc == 0; i++) {
		const struct docker_resource *o = &in->networks[i];
		const struct project_resource *want =
		        o->key ? model_res_find(p, RES_NETWORK, o->key) : NULL;
		struct action_args a = { .kind = ACTION_NETWORK_REMOVE,
			                 .target = o->key ? o->key : o->name,
			                 .container_id = o->id,
			                 .docker_name = o->name,
			                 .level = (unsigned)-1 };

		if (!want || want->external)
			rc = reconcile_plan_add(plan, &a,
			                        reconcile_fmt("network removed from manifests"));
	}
	for (i = 0; i < in->nvolumes && rc == 0; i++) {
		const struct docker_resource *o = &in->volumes[i];

		if (!o->key || !model_res_find(p, RES_VOLUME, o->key))
			rc = strv_push(&plan->notes, o->name);
	}
	return rc;
}
