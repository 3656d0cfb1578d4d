/*
 * swarm_diff.c - desired model + observed Swarm services -> plan, pure.
 * A service whose spec-hash label is the desired hash is left alone, so a
 * no-op costs the one list call; one that differs is updated, with the
 * reasons spec_reasons() finds against the spec its release recorded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/spec.h"
#include "deployctl/swarm.h"
#include "reconcile_diff_internal.h"

char *swarm_object_name(const char *project, const char *name, const char *content_hash)
{
	return reconcile_fmt("%s_%s-%.12s", project, name, content_hash);
}

/* Wave of each service: one more than its deepest dependency (cycles were refused). */
static unsigned *waves(const struct project *p)
{
	unsigned *w = calloc(p->nservices + 1, sizeof(*w));
	size_t round, i, k;

	if (!w)
		return NULL;
	for (round = 0; round < p->nservices; round++)
		for (i = 0; i < p->nservices; i++)
			for (k = 0; k < p->services[i].ndeps; k++) {
				const struct service *d =
				        model_service_find(p, p->services[i].deps[k].service);
				size_t j = d ? (size_t)(d - p->services) : 0;

				if (d && w[i] < w[j] + 1)
					w[i] = w[j] + 1;
			}
	return w;
}

static const struct docker_service *observed(const struct swarm_input *in, const char *service)
{
	size_t i;

	for (i = 0; i < in->nservices; i++)
		if (in->services[i].service && !strcmp(in->services[i].service, service))
			return &in->services[i];
	return NULL;
}

static char *update_reason(const struct swarm_input *in, const struct service *s,
                           const struct docker_service *o, const char *hash)
{
	char *old_json = NULL, *new_json = NULL, *reason = NULL;
	struct err err = ERR_INIT;

	if (o->release && in->old_spec &&
	    in->old_spec(in->old_spec_ctx, &old_json, o->release, s->name) == 0 &&
	    spec_render(&new_json, in->key, in->desired, s, true, &err) == 0)
		spec_reasons(&reason, old_json, new_json, &err);
	if (!o->global && o->replicas != s->replicas) {
		char *r = reconcile_fmt("replicas %u -> %u%s%s", o->replicas, s->replicas,
		                        reason && *reason ? "; " : "",
		                        reason && *reason ? reason : "");

		free(reason);
		reason = r;
	}
	if (!reason || !*reason) {
		free(reason);
		reason = reconcile_fmt("spec changed (hash %.12s -> %.12s)",
		                       o->spec_hash ? o->spec_hash : "none", hash);
	}
	free(old_json);
	free(new_json);
	return reason;
}

/*
 * What was changed on a service whose spec-hash label still matches, so by
 * hand (`docker service scale`), as a reason (new), or NULL when nothing
 * is. Only the replica count: the other fields a hand update can change
 * keep no value to compare with here that is not also the label's.
 */
static char *edited_by_hand(const struct docker_service *o, const struct service *s)
{
	if (o->global || (s->deploy_mode && !strcmp(s->deploy_mode, "global")) ||
	    o->replicas == s->replicas)
		return NULL;
	return reconcile_fmt("replicas %u -> %u (changed outside deployctl)", o->replicas,
	                     s->replicas);
}

static bool network_present(const struct swarm_input *in, const char *key)
{
	size_t i;

	for (i = 0; i < in->nnetworks; i++)
		if (in->networks[i].key && !strcmp(in->networks[i].key, key))
			return true;
	return false;
}

static int diff_networks(struct plan *out, const struct swarm_input *in)
{
	const struct project *p = in->desired;
	size_t i, k;

	for (i = 0; i < p->nnetworks; i++) {
		const struct project_resource *n = &p->networks[i];
		struct action_args a = { .kind = ACTION_NETWORK_CREATE, .level = 0 };
		char *docker_name;
		bool used = false;
		int rc;

		for (k = 0; !used && k < p->nservices; k++) {
			size_t j;

			for (j = 0; j < p->services[k].nnetworks; j++)
				used |= !strcmp(p->services[k].networks[j].name, n->name);
		}
		/* a job's network too: its one-off service joins it (attachable) */
		for (k = 0; !used && k < p->njobs; k++) {
			size_t j;

			for (j = 0; j < p->jobs[k].svc.nnetworks; j++)
				used |= !strcmp(p->jobs[k].svc.networks[j].name, n->name);
		}
		if (!used || n->external || network_present(in, n->name))
			continue;
		a.target = n->name;
		a.docker_name = docker_name = model_res_docker_name(p, RES_NETWORK, n->name);
		rc = docker_name ? reconcile_plan_add(out, &a,
		                                      strdup("new overlay network "
		                                             "(attachable)"))
		                 : ERR_NOMEM;
		free(docker_name);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int notes(struct plan *out, const struct swarm_input *in)
{
	const struct project *p = in->desired;
	size_t i;

	for (i = 0; i < p->nvolumes; i++) {
		char *n = reconcile_fmt(
		        "volume %s is node-local: each node running a task of a service that "
		        "mounts it has its own copy",
		        p->volumes[i].name);

		if (!n || strv_push(&out->notes, n) < 0) {
			free(n);
			return ERR_NOMEM;
		}
		free(n);
	}
	for (i = 0; i < p->nservices; i++) {
		const char *img = in->images ? in->images[i] : NULL;
		char *n;

		if (!img || strchr(img, '@'))
			continue;
		n = reconcile_fmt(
		        "service %s: image %s has no registry digest: pinned by ID %.19s, which only "
		        "nodes that hold it can run",
		        p->services[i].name, p->services[i].image, img);
		if (!n || strv_push(&out->notes, n) < 0) {
			free(n);
			return ERR_NOMEM;
		}
		free(n);
	}
	return 0;
}

int swarm_diff(struct plan *out, const struct swarm_input *in, struct err *err)
{
	const struct project *p = in->desired;
	unsigned *w = waves(p);
	size_t i;
	int rc = ERR_NOMEM;

	memset(out, 0, sizeof(*out));
	if (!w)
		goto out;
	for (i = 0; i < p->nservices; i++) {
		const struct service *s = &p->services[i];
		const struct docker_service *o = observed(in, s->name);
		struct action_args a = { .service = s, .level = 1 + w[i], .hash = in->hashes[i] };
		char *name, *edited = NULL;
		int added;

		if (o && o->spec_hash && !strcmp(o->spec_hash, in->hashes[i]) &&
		    !(edited = edited_by_hand(o, s)))
			continue;
		a.kind = o ? ACTION_REPLACE : ACTION_CREATE;
		a.target = s->name;
		a.container_id = o ? o->id : NULL;
		a.container_name = name = reconcile_fmt("%s_%s", p->name, s->name);
		added = name ? reconcile_plan_add(out, &a,
		                                  edited ? edited
		                                  : o    ? update_reason(in, s, o, in->hashes[i])
		                                         : strdup("new service"))
		             : ERR_NOMEM;
		if (!name)
			free(edited);
		free(name);
		if (added < 0)
			goto out;
	}
	for (i = 0; i < in->nservices; i++) {
		const struct docker_service *o = &in->services[i];
		struct action_args a = { .kind = ACTION_REMOVE, .level = 1 };

		if (o->service && model_service_find(p, o->service))
			continue;
		a.target = o->service ? o->service : o->name;
		a.container_id = o->id;
		a.container_name = o->name;
		if (reconcile_plan_add(out, &a, strdup("not in the manifests")) < 0)
			goto out;
	}
	if (out->n && !in->have_networks) {
		out->need_resources = true;
	} else if (out->n && diff_networks(out, in) < 0) {
		goto out;
	}
	/* stable order: by level, removes first, then by target */
	for (i = 1; i < out->n; i++) {
		struct action a = out->v[i];
		size_t j = i;

		while (j > 0 && (out->v[j - 1].level > a.level ||
		                 (out->v[j - 1].level == a.level &&
		                  (out->v[j - 1].kind > a.kind ||
		                   (out->v[j - 1].kind == a.kind &&
		                    strcmp(out->v[j - 1].target, a.target) > 0))))) {
			out->v[j] = out->v[j - 1];
			j--;
		}
		out->v[j] = a;
	}
	if (out->n && notes(out, in) < 0)
		goto out;
	rc = 0;
out:
	free(w);
	if (rc < 0) {
		reconcile_plan_release(out);
		return err_set(err, rc, "out of memory");
	}
	return 0;
}
