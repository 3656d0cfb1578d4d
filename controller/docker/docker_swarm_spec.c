/*
 * docker_swarm_spec.c - a service of the model as a Swarm service spec:
 * the task's container (image pinned, command, env, user, healthcheck,
 * mounts, configs and secrets as Swarm objects), resources, restart policy,
 * networks with aliases, replicas, the update order and published ports.
 * The labels carry the stack namespace (so `docker stack` sees the
 * service) and deployctl's spec hash, on the service and on its containers,
 * which is what the rollout gate tells new tasks from old ones by.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/docker_swarm.h"
#include "docker_internal.h"
#include "docker_json.h"

/*
 * A job's labels: the service's name it by job, release and owner (what a
 * leftover is positively identified by); its container's carry the job and
 * release but not the project, so the container backend never lists it.
 */
static json_t *job_labels(json_t *l, const struct docker_service_want *w, bool task)
{
	json_object_set_new(l, LABEL_JOB, json_string(w->job));
	json_object_set_new(l, LABEL_RELEASE, json_string(w->release));
	if (task)
		return l;
	json_object_set_new(l, LABEL_PROJECT, json_string(w->project->name));
	if (w->owner)
		json_object_set_new(l, LABEL_OWNER, json_string(w->owner));
	if (w->owner_host)
		json_object_set_new(l, LABEL_OWNER_HOST, json_string(w->owner_host));
	if (w->owner_state)
		json_object_set_new(l, LABEL_OWNER_STATE, json_string(w->owner_state));
	return l;
}

static json_t *labels_json(const struct docker_service_want *w, bool user)
{
	json_t *l = json_object();
	size_t i;

	for (i = 0; user && i < w->service->labels.n; i++)
		json_object_set_new(l, w->service->labels.v[i].key,
		                    json_string(w->service->labels.v[i].value));
	json_object_set_new(l, LABEL_STACK, json_string(w->project->name));
	if (w->job)
		return job_labels(l, w, user);
	json_object_set_new(l, LABEL_PROJECT, json_string(w->project->name));
	json_object_set_new(l, LABEL_SERVICE, json_string(w->service->name));
	json_object_set_new(l, LABEL_SPEC_HASH, json_string(user ? w->task_hash : w->spec_hash));
	if (!user)
		json_object_set_new(l, LABEL_RELEASE, json_string(w->release));
	return l;
}

static json_t *health_json(const struct svc_health *h)
{
	json_t *o = json_object();

	if (h->disable) {
		json_object_set_new(o, "Test", json_pack("[s]", "NONE"));
		return o;
	}
	json_object_set_new(o, "Test", docker_strv_json(&h->test));
	if (h->interval_ns)
		json_object_set_new(o, "Interval", json_integer(h->interval_ns));
	if (h->timeout_ns)
		json_object_set_new(o, "Timeout", json_integer(h->timeout_ns));
	if (h->start_period_ns)
		json_object_set_new(o, "StartPeriod", json_integer(h->start_period_ns));
	if (h->retries)
		json_object_set_new(o, "Retries", json_integer(h->retries));
	return o;
}

static int mounts_json(json_t **out, const struct docker_service_want *w, struct err *err)
{
	const struct service *s = w->service;
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < s->nmounts; i++) {
		const struct svc_mount *m = &s->mounts[i];
		json_t *o = json_object();
		char *vol = NULL;

		json_object_set_new(o, "Target", json_string(m->target));
		json_object_set_new(o, "ReadOnly", json_boolean(m->read_only));
		if (m->type == MOUNT_TMPFS) {
			json_object_set_new(o, "Type", json_string("tmpfs"));
		} else if (m->type == MOUNT_BIND) {
			if (m->content_hash[0] || m->host || !m->source || m->source[0] != '/') {
				json_decref(o);
				json_decref(a);
				return err_set(
				        err, ERR_INVALID,
				        "services.%s.volumes: a bind from the repository or a "
				        "relative path cannot reach other nodes: use a config",
				        s->name);
			}
			json_object_set_new(o, "Type", json_string("bind"));
			json_object_set_new(o, "Source", json_string(m->source));
		} else {
			json_object_set_new(o, "Type", json_string("volume"));
			if (m->source) {
				vol = model_res_docker_name(w->project, RES_VOLUME, m->source);
				if (!vol) {
					json_decref(o);
					json_decref(a);
					return err_set(err, ERR_NOMEM, "out of memory");
				}
				json_object_set_new(o, "Source", json_string(vol));
				json_object_set_new(o, "VolumeOptions",
				                    json_pack("{s:{s:s,s:s}}", "Labels",
				                              LABEL_STACK, w->project->name,
				                              LABEL_PROJECT, w->project->name));
				free(vol);
			}
		}
		json_array_append_new(a, o);
	}
	*out = a;
	return 0;
}

/* Configs or secrets: refs of the service, ids "id\tname" by key. */
static int files_json(json_t **out, const struct svc_file_ref *refs, size_t n,
                      const struct kvv *ids, const char *idkey, const char *namekey,
                      const char *what, struct err *err)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++) {
		const char *v = ids ? kvv_get(ids, refs[i].source) : NULL;
		const char *tab = v ? strchr(v, '\t') : NULL;
		char id[128];

		if (!tab || (size_t)(tab - v) >= sizeof(id)) {
			json_decref(a);
			return err_set(err, ERR_INVALID, "%s '%s' has no Swarm object", what,
			               refs[i].source);
		}
		memcpy(id, v, (size_t)(tab - v));
		id[tab - v] = '\0';
		json_array_append_new(a, json_pack("{s:{s:s,s:s,s:s,s:i},s:s,s:s}", "File", "Name",
		                                   refs[i].target, "UID",
		                                   refs[i].uid ? refs[i].uid : "0", "GID",
		                                   refs[i].gid ? refs[i].gid : "0", "Mode",
		                                   (int)(refs[i].mode ? refs[i].mode : 0444), idkey,
		                                   id, namekey, tab + 1));
	}
	*out = a;
	return 0;
}

static json_t *restart_json(const char *restart)
{
	const char *cond = "any";
	json_t *o;

	if (!restart || !strcmp(restart, "no"))
		cond = restart ? "none" : "any";
	else if (!strncmp(restart, "on-failure", 10))
		cond = "on-failure";
	o = json_pack("{s:s}", "Condition", cond);
	if (!strncmp(cond, "on-failure", 10) && restart[10] == ':')
		json_object_set_new(o, "MaxAttempts", json_integer(strtol(restart + 11, NULL, 10)));
	return o;
}

static int networks_json(json_t **out, const struct docker_service_want *w, struct err *err)
{
	const struct service *s = w->service;
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < s->nnetworks; i++) {
		const char *id =
		        w->network_ids ? kvv_get(w->network_ids, s->networks[i].name) : NULL;
		json_t *al;

		if (!id) {
			json_decref(a);
			return err_set(err, ERR_INVALID, "network '%s' has no ID",
			               s->networks[i].name);
		}
		al = docker_strv_json(&s->networks[i].aliases);
		json_array_append_new(al, json_string(s->name));
		json_array_append_new(a, json_pack("{s:s,s:o}", "Target", id, "Aliases", al));
	}
	*out = a;
	return 0;
}

static json_t *ports_json(const struct service *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < s->nports; i++) {
		const struct svc_port *p = &s->ports[i];
		json_t *o =
		        json_pack("{s:s,s:i,s:s}", "Protocol", p->protocol, "TargetPort",
		                  (int)p->container_port, "PublishMode",
		                  p->host_mode || (p->host_ip && *p->host_ip) ? "host" : "ingress");

		if (p->host_port)
			json_object_set_new(o, "PublishedPort", json_integer(p->host_port));
		json_array_append_new(a, o);
	}
	return a;
}

/* update_config / rollback_config from the manifest's normalised pairs, over base. */
static json_t *update_json(json_t *base, const struct kvv *kv)
{
	static const struct {
		const char *key, *api;
		bool num;
	} map[] = {
		{ "parallelism", "Parallelism", true },
		{ "delay", "Delay", true },
		{ "failure_action", "FailureAction", false },
		{ "monitor", "Monitor", true },
		{ "max_failure_ratio", "MaxFailureRatio", true },
		{ "order", "Order", false },
		{ "condition", "Condition", false },
		{ "max_attempts", "MaxAttempts", true },
		{ "window", "Window", true },
	};
	size_t i, k;

	for (i = 0; i < kv->n; i++)
		for (k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
			if (strcmp(kv->v[i].key, map[k].key))
				continue;
			if (!map[k].num)
				json_object_set_new(base, map[k].api, json_string(kv->v[i].value));
			else if (!strcmp(map[k].key, "max_failure_ratio"))
				json_object_set_new(base, map[k].api,
				                    json_real(strtod(kv->v[i].value, NULL)));
			else
				json_object_set_new(
				        base, map[k].api,
				        json_integer(strtoll(kv->v[i].value, NULL, 10)));
		}
	return base;
}

static json_t *placement_json(const struct service *s)
{
	json_t *o = json_object(), *prefs = json_array();
	size_t i;

	json_object_set_new(o, "Constraints", docker_strv_json(&s->placement_constraints));
	for (i = 0; i < s->placement_prefs.n; i++)
		json_array_append_new(prefs, json_pack("{s:{s:s}}", "Spread", "SpreadDescriptor",
		                                       s->placement_prefs.v[i]));
	json_object_set_new(o, "Preferences", prefs);
	return o;
}

int docker_service_spec(char **out, const struct docker_service_want *w, struct err *err)
{
	const struct service *s = w->service;
	json_t *spec = json_object(), *task = json_object(), *cs = json_object(),
	       *env = json_array();
	json_t *mounts = NULL, *configs = NULL, *secrets = NULL, *nets = NULL, *res;
	char *text;
	size_t i;
	int rc;

	if (s->network_mode || s->pid || s->ipc || s->privileged || s->devices.n ||
	    s->volumes_from.n || s->container_name) {
		rc = err_set(
		        err, ERR_INVALID,
		        "services.%s: network_mode, pid, ipc, privileged, devices, volumes_from "
		        "and container_name are not available to Swarm services",
		        s->name);
		goto out;
	}
	if ((rc = mounts_json(&mounts, w, err)) < 0 || (rc = networks_json(&nets, w, err)) < 0 ||
	    (rc = files_json(&configs, s->configs, s->nconfigs, w->config_ids, "ConfigID",
	                     "ConfigName", "config", err)) < 0 ||
	    (rc = files_json(&secrets, s->secrets, s->nsecrets, w->secret_ids, "SecretID",
	                     "SecretName", "secret", err)) < 0)
		goto out;
	json_object_set_new(cs, "Image", json_string(w->image));
	json_object_set_new(cs, "Labels", labels_json(w, true));
	if (s->has_entrypoint)
		json_object_set_new(cs, "Command", docker_strv_json(&s->entrypoint));
	if (s->has_command)
		json_object_set_new(cs, "Args", docker_strv_json(&s->command));
	for (i = 0; i < s->env.n; i++) {
		char *kv = NULL;
		size_t len = strlen(s->env.v[i].key) + strlen(s->env.v[i].value) + 2;

		kv = malloc(len);
		if (!kv) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
		snprintf(kv, len, "%s=%s", s->env.v[i].key, s->env.v[i].value);
		json_array_append_new(env, json_string(kv));
		memset(kv, 0, len);
		free(kv);
	}
	json_object_set_new(cs, "Env", env);
	env = NULL;
	if (s->user)
		json_object_set_new(cs, "User", json_string(s->user));
	if (s->working_dir)
		json_object_set_new(cs, "Dir", json_string(s->working_dir));
	if (s->hostname)
		json_object_set_new(cs, "Hostname", json_string(s->hostname));
	if (s->init)
		json_object_set_new(cs, "Init", json_true());
	if (s->read_only)
		json_object_set_new(cs, "ReadOnly", json_true());
	if (s->stop_signal)
		json_object_set_new(cs, "StopSignal", json_string(s->stop_signal));
	if (s->stop_grace_ns >= 0)
		json_object_set_new(cs, "StopGracePeriod", json_integer(s->stop_grace_ns));
	if (s->health.set)
		json_object_set_new(cs, "Healthcheck", health_json(&s->health));
	if (s->cap_add.n)
		json_object_set_new(cs, "CapabilityAdd", docker_strv_json(&s->cap_add));
	if (s->cap_drop.n)
		json_object_set_new(cs, "CapabilityDrop", docker_strv_json(&s->cap_drop));
	json_object_set_new(cs, "Mounts", mounts);
	json_object_set_new(cs, "Configs", configs);
	json_object_set_new(cs, "Secrets", secrets);
	mounts = configs = secrets = NULL;
	json_object_set_new(task, "ContainerSpec", cs);
	cs = NULL;
	res = json_object();
	if (s->nano_cpus || s->memory_bytes)
		json_object_set_new(res, "Limits",
		                    json_pack("{s:I,s:I}", "NanoCPUs", (json_int_t)s->nano_cpus,
		                              "MemoryBytes", (json_int_t)s->memory_bytes));
	if (s->mem_reservation)
		json_object_set_new(
		        res, "Reservations",
		        json_pack("{s:I}", "MemoryBytes", (json_int_t)s->mem_reservation));
	json_object_set_new(task, "Resources", res);
	json_object_set_new(task, "RestartPolicy",
	                    w->job ? json_pack("{s:s}", "Condition", "none")
	                           : update_json(restart_json(s->restart), &s->restart_policy));
	json_object_set_new(task, "Placement", placement_json(s));
	json_object_set_new(task, "Networks", nets);
	nets = NULL;
	json_object_set_new(spec, "Name", json_string(w->name));
	json_object_set_new(spec, "Labels", labels_json(w, false));
	json_object_set_new(spec, "TaskTemplate", task);
	task = NULL;
	if (w->job) {
		/* one task to completion (API 1.41); no update or endpoint config to speak of */
		json_object_set_new(spec, "Mode",
		                    json_pack("{s:{s:i,s:i}}", "ReplicatedJob", "MaxConcurrent", 1,
		                              "TotalCompletions", 1));
		goto render;
	}
	if (s->deploy_mode && !strcmp(s->deploy_mode, "global"))
		json_object_set_new(spec, "Mode", json_pack("{s:{}}", "Global"));
	else
		json_object_set_new(
		        spec, "Mode",
		        json_pack("{s:{s:i}}", "Replicated", "Replicas", (int)s->replicas));
	json_object_set_new(
	        spec, "UpdateConfig",
	        update_json(json_pack("{s:i,s:s,s:s,s:I}", "Parallelism",
	                              (int)(s->rollout.parallelism ? s->rollout.parallelism : 1),
	                              "Order",
	                              s->rollout.order == ROLLOUT_START_FIRST ? "start-first"
	                                                                      : "stop-first",
	                              "FailureAction", "pause", "Monitor", (json_int_t)1000000000),
	                    &s->update_config));
	if (s->rollback_config.n)
		json_object_set_new(spec, "RollbackConfig",
		                    update_json(json_object(), &s->rollback_config));
	json_object_set_new(spec, "EndpointSpec",
	                    json_pack("{s:s,s:o}", "Mode",
	                              s->endpoint_mode ? s->endpoint_mode : "vip", "Ports",
	                              ports_json(s)));
render:
	text = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	*out = text;
	rc = 0;
out:
	json_decref(spec);
	json_decref(task);
	json_decref(cs);
	json_decref(env);
	json_decref(mounts);
	json_decref(configs);
	json_decref(secrets);
	json_decref(nets);
	return rc;
}
