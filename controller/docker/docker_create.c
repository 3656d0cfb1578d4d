/*
 * docker_create.c - the POST /containers/create body (Config, HostConfig,
 * NetworkingConfig) and the network connect bodies built from one service
 * of the model. Pure: no daemon needed, so unit tests check the JSON.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/docker.h"
#include "deployctl/err.h"
#include "deployctl/hash.h"
#include "deployctl/model.h"
#include "docker_internal.h"
#include "docker_json.h"

/* A jansson setter failed: only allocation can make these fail here. */
#define SET(obj, key, val)                                                                         \
	do {                                                                                       \
		if (json_object_set_new((obj), (key), (val)) < 0)                                  \
			goto nomem;                                                                \
	} while (0)

/* Endpoint settings for one of the service's networks: Aliases = [service] + aliases. */
static json_t *endpoint_json(const struct service *s, const struct svc_network *net)
{
	json_t *ep = json_object(), *aliases = json_array();
	size_t i;

	if (!ep || !aliases || json_array_append_new(aliases, json_string(s->name)) < 0)
		goto fail;
	for (i = 0; i < net->aliases.n; i++) {
		if (!strcmp(net->aliases.v[i], s->name))
			continue;
		if (json_array_append_new(aliases, json_string(net->aliases.v[i])) < 0)
			goto fail;
	}
	if (json_object_set_new(ep, "Aliases", aliases) < 0) {
		aliases = NULL;
		goto fail;
	}
	aliases = NULL;
	if (s->external_links.n &&
	    json_object_set_new(ep, "Links", docker_strv_json(&s->external_links)) < 0)
		goto fail;
	if ((net->ipv4_address || net->ipv6_address) &&
	    json_object_set_new(
	            ep, "IPAMConfig",
	            json_pack("{s:o, s:o}", "IPv4Address",
	                      net->ipv4_address ? json_string(net->ipv4_address) : json_string(""),
	                      "IPv6Address",
	                      net->ipv6_address ? json_string(net->ipv6_address)
	                                        : json_string(""))) < 0)
		goto fail;
	return ep;
fail:
	json_decref(aliases);
	json_decref(ep);
	return NULL;
}

static int network_id(const char **out, const struct docker_create *c, size_t i, struct err *err)
{
	const char *key = c->service->networks[i].name;
	const char *id = c->network_ids ? kvv_get(c->network_ids, key) : NULL;

	if (!id)
		return err_set(err, ERR_INVALID, "service '%s': network '%s' has no docker id",
		               c->service->name, key);
	*out = id;
	return 0;
}

static json_t *env_json(const struct kvv *env)
{
	json_t *a = json_array();
	size_t i;
	char *kv;

	for (i = 0; a && i < env->n; i++) {
		size_t len = strlen(env->v[i].key) + strlen(env->v[i].value) + 2;

		kv = malloc(len);
		if (!kv)
			goto fail;
		snprintf(kv, len, "%s=%s", env->v[i].key, env->v[i].value);
		if (json_array_append_new(a, json_string(kv)) < 0) {
			free(kv);
			goto fail;
		}
		free(kv);
	}
	return a;
fail:
	json_decref(a);
	return NULL;
}

/* ExposedPorts into config, PortBindings into host. 0 or -1 (no memory). */
static int ports_json(json_t *config, json_t *host, const struct service *s)
{
	json_t *exposed = json_object(), *bindings = json_object();
	size_t i;

	if (!exposed || !bindings)
		goto fail;
	for (i = 0; i < s->expose.n; i++)
		if (json_object_set_new(exposed, s->expose.v[i], json_object()) < 0)
			goto fail;
	for (i = 0; i < s->nports; i++) {
		const struct svc_port *pt = &s->ports[i];
		char key[32], hp[24];
		json_t *list, *b;

		snprintf(key, sizeof(key), "%u/%s", pt->container_port, pt->protocol);
		if (pt->host_port && pt->host_port_end)
			snprintf(hp, sizeof(hp), "%u-%u", pt->host_port, pt->host_port_end);
		else if (pt->host_port)
			snprintf(hp, sizeof(hp), "%u", pt->host_port);
		else
			hp[0] = '\0';
		if (json_object_set_new(exposed, key, json_object()) < 0)
			goto fail;
		list = json_object_get(bindings, key);
		if (!list) {
			list = json_array();
			if (json_object_set_new(bindings, key, list) < 0)
				goto fail;
		}
		b = json_pack("{s:s, s:s}", "HostIp", pt->host_ip ? pt->host_ip : "", "HostPort",
		              hp);
		if (json_array_append_new(list, b) < 0)
			goto fail;
	}
	if (json_object_size(exposed)) {
		if (json_object_set_new(config, "ExposedPorts", exposed) < 0) {
			exposed = NULL;
			goto fail;
		}
		exposed = NULL;
	}
	if (s->nports) {
		if (json_object_set_new(host, "PortBindings", bindings) < 0)
			return -1;
		bindings = NULL;
	}
	json_decref(exposed);
	json_decref(bindings);
	return 0;
fail:
	json_decref(exposed);
	json_decref(bindings);
	return -1;
}

/* A read-only bind of a config or secret: materialised content, or a secret's host file. */
static int file_mount(json_t *a, const struct docker_create *c, const struct svc_file_ref *r,
                      struct err *err)
{
	char path[4096];
	const char *src = r->host_file;
	json_t *m;

	if (!src) {
		if (!c->files_dir)
			return err_set(err, ERR_INVALID,
			               "service '%s': no directory for config and secret files",
			               c->service->name);
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", c->files_dir, r->content_hash) >=
		    sizeof(path))
			return err_set(err, ERR_INVALID, "service '%s': files directory too long",
			               c->service->name);
		src = path;
	}
	m = json_pack("{s:s, s:s, s:s, s:b}", "Type", "bind", "Source", src, "Target", r->target,
	              "ReadOnly", 1);
	if (json_array_append_new(a, m) < 0)
		return err_set(err, ERR_NOMEM, "out of memory");
	return 0;
}

/* "service:NAME[...]" -> "container:<NAME's container>[...]"; others as written. */
static json_t *mode_json(const struct docker_create *c, const char *mode, bool prefix)
{
	const char *rest;
	char *cname, *name;
	size_t len;
	json_t *j;

	if (strncmp(mode, "service:", 8))
		return json_string(mode);
	rest = strchr(mode + 8, ':');
	name = strndup(mode + 8, rest ? (size_t)(rest - mode - 8) : strlen(mode + 8));
	cname = name ? model_container_name(c->project, name, 1) : NULL;
	free(name);
	if (!cname)
		return NULL;
	len = strlen(cname) + (rest ? strlen(rest) : 0) + 16;
	name = malloc(len);
	if (name)
		snprintf(name, len, "%s%s%s", prefix ? "container:" : "", cname, rest ? rest : "");
	j = name ? json_string(name) : NULL;
	free(name);
	free(cname);
	return j;
}

static json_t *volumes_from_json(const struct docker_create *c)
{
	const struct strv *v = &c->service->volumes_from;
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < v->n; i++) {
		const char *vf = v->v[i];

		/* "container:NAME[:ro]" -> "NAME[:ro]"; "service:NAME[:ro]" -> its container. */
		if (json_array_append_new(a, !strncmp(vf, "container:", 10)
		                                     ? json_string(vf + 10)
		                                     : mode_json(c, vf, false)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *ulimits_json(const struct service *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < s->nulimits; i++)
		if (json_array_append_new(a,
		                          json_pack("{s:s, s:I, s:I}", "Name", s->ulimits[i].name,
		                                    "Soft", (json_int_t)s->ulimits[i].soft, "Hard",
		                                    (json_int_t)s->ulimits[i].hard)) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* "src:dst:perms" (as manifest_ normalises them). */
static json_t *devices_json(const struct strv *v)
{
	json_t *a = json_array();
	char *copy, *dst, *perms;
	size_t i;
	int rc;

	for (i = 0; a && i < v->n; i++) {
		copy = strdup(v->v[i]);
		dst = copy ? strchr(copy, ':') : NULL;
		perms = dst ? strchr(dst + 1, ':') : NULL;
		rc = -1;
		if (perms) {
			*dst++ = '\0';
			*perms++ = '\0';
			rc = json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "PathOnHost",
			                                        copy, "PathInContainer", dst,
			                                        "CgroupPermissions", perms));
		}
		free(copy);
		if (rc < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *mounts_json(const struct docker_create *c, struct err *err)
{
	const struct service *s = c->service;
	json_t *a = json_array(), *m = NULL;
	char *vname = NULL;
	size_t i;

	for (i = 0; a && i < s->nmounts; i++) {
		const struct svc_mount *mt = &s->mounts[i];
		static const char *const types[] = { "volume", "bind", "tmpfs" };
		const char *src = NULL;

		if (mt->type == MOUNT_VOLUME && mt->source) {
			vname = model_res_docker_name(c->project, RES_VOLUME, mt->source);
			if (!vname)
				goto fail;
			src = vname;
		} else if (mt->type == MOUNT_BIND && mt->content_hash[0]) {
			/* a bind from git: its content, materialised like a config */
			if (!c->files_dir)
				goto fail;
			vname = malloc(strlen(c->files_dir) + 2 * HASH_HEX_LEN + 8);
			if (!vname)
				goto fail;
			if (mt->read_only)
				snprintf(vname, strlen(c->files_dir) + HASH_HEX_LEN + 2, "%s/%s",
				         c->files_dir, mt->content_hash);
			else /* writable: this spec's own copy (files_bind_copies()) */
				snprintf(vname, strlen(c->files_dir) + 2 * HASH_HEX_LEN + 8,
				         MODEL_BIND_COPY_FMT, c->files_dir,
				         c->spec_hash ? c->spec_hash : "", mt->content_hash);
			src = vname;
		} else if (mt->type == MOUNT_BIND) {
			src = mt->source;
		}
		m = json_pack("{s:s, s:s, s:b}", "Type", types[mt->type], "Target", mt->target,
		              "ReadOnly", mt->read_only);
		if (!m || (src && json_object_set_new(m, "Source", json_string(src)) < 0) ||
		    json_array_append(a, m) < 0)
			goto fail;
		json_decref(m);
		m = NULL;
		free(vname);
		vname = NULL;
	}
	for (i = 0; a && i < s->nconfigs; i++)
		if (file_mount(a, c, &s->configs[i], err) < 0)
			goto fail_err;
	for (i = 0; a && i < s->nsecrets; i++)
		if (file_mount(a, c, &s->secrets[i], err) < 0)
			goto fail_err;
	if (!a)
		err_set(err, ERR_NOMEM, "out of memory");
	return a;
fail:
	err_set(err, ERR_NOMEM, "out of memory");
fail_err:
	free(vname);
	json_decref(m);
	json_decref(a);
	return NULL;
}

static json_t *tmpfs_json(const struct strv *tmpfs)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o && i < tmpfs->n; i++) {
		const char *colon = strchr(tmpfs->v[i], ':');
		size_t len = colon ? (size_t)(colon - tmpfs->v[i]) : strlen(tmpfs->v[i]);
		json_t *path = json_stringn(tmpfs->v[i], len);

		if (!path || json_object_set_new(o, json_string_value(path),
		                                 json_string(colon ? colon + 1 : "")) < 0) {
			json_decref(path);
			json_decref(o);
			return NULL;
		}
		json_decref(path);
	}
	return o;
}

static json_t *restart_json(const char *restart)
{
	const char *r = restart ? restart : "no";
	long long max = 0;

	if (!strncmp(r, "on-failure:", 11)) {
		max = strtoll(r + 11, NULL, 10);
		return json_pack("{s:s, s:I}", "Name", "on-failure", "MaximumRetryCount",
		                 (json_int_t)max);
	}
	return json_pack("{s:s, s:I}", "Name", r, "MaximumRetryCount", (json_int_t)0);
}

static json_t *health_json(const struct svc_health *h)
{
	json_t *o;

	if (h->disable)
		return json_pack("{s:[s]}", "Test", "NONE");
	o = json_pack("{s:I, s:I, s:I, s:i}", "Interval", (json_int_t)h->interval_ns, "Timeout",
	              (json_int_t)h->timeout_ns, "StartPeriod", (json_int_t)h->start_period_ns,
	              "Retries", h->retries);
	if (o && h->test.n && json_object_set_new(o, "Test", docker_strv_json(&h->test)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *labels_json(const struct docker_create *c)
{
	const struct service *s = c->service;
	json_t *o = docker_kvv_json(&s->labels);
	char replica[16];

	snprintf(replica, sizeof(replica), "%u", c->replica);
	if (!o)
		return NULL;
	SET(o, LABEL_PROJECT, json_string(c->project->name));
	SET(o, LABEL_RELEASE, json_string(c->release ? c->release : ""));
	if (c->job) {
		SET(o, LABEL_JOB, json_string(c->job));
	} else {
		SET(o, LABEL_SERVICE, json_string(s->name));
		SET(o, LABEL_SPEC_HASH, json_string(c->spec_hash ? c->spec_hash : ""));
		SET(o, LABEL_REPLICA, json_string(replica));
	}
	SET(o, "io.deployctl.image", json_string(s->image ? s->image : ""));
	/* Labels only: never part of the spec hash, so adding them changes no container. */
	if (c->owner)
		SET(o, LABEL_OWNER, json_string(c->owner));
	if (c->owner_host)
		SET(o, LABEL_OWNER_HOST, json_string(c->owner_host));
	if (c->owner_state)
		SET(o, LABEL_OWNER_STATE, json_string(c->owner_state));
	return o;
nomem:
	json_decref(o);
	return NULL;
}

/* The keys of issue 5, each only when set. */
static int host_config_extra(json_t *host, const struct docker_create *c)
{
	const struct service *s = c->service;

	if (s->network_mode)
		SET(host, "NetworkMode", mode_json(c, s->network_mode, true));
	if (s->pid)
		SET(host, "PidMode", mode_json(c, s->pid, true));
	if (s->ipc)
		SET(host, "IpcMode", mode_json(c, s->ipc, true));
	if (s->sysctls.n)
		SET(host, "Sysctls", docker_kvv_json(&s->sysctls));
	if (s->runtime)
		SET(host, "Runtime", json_string(s->runtime));
	if (s->nulimits)
		SET(host, "Ulimits", ulimits_json(s));
	if (s->privileged)
		SET(host, "Privileged", json_true());
	if (s->security_opt.n)
		SET(host, "SecurityOpt", docker_strv_json(&s->security_opt));
	if (s->devices.n)
		SET(host, "Devices", devices_json(&s->devices));
	if (s->dns.n)
		SET(host, "Dns", docker_strv_json(&s->dns));
	if (s->dns_search.n)
		SET(host, "DnsSearch", docker_strv_json(&s->dns_search));
	if (s->dns_opt.n)
		SET(host, "DnsOptions", docker_strv_json(&s->dns_opt));
	if (s->shm_size)
		SET(host, "ShmSize", json_integer(s->shm_size));
	if (s->mem_reservation)
		SET(host, "MemoryReservation", json_integer(s->mem_reservation));
	if (s->cpu_shares)
		SET(host, "CpuShares", json_integer(s->cpu_shares));
	if (s->group_add.n)
		SET(host, "GroupAdd", docker_strv_json(&s->group_add));
	if (s->oom_score_adj)
		SET(host, "OomScoreAdj", json_integer(s->oom_score_adj));
	if (s->pids_limit)
		SET(host, "PidsLimit", json_integer(s->pids_limit));
	if (s->storage_opt.n)
		SET(host, "StorageOpt", docker_kvv_json(&s->storage_opt));
	if (s->volumes_from.n)
		SET(host, "VolumesFrom", volumes_from_json(c));
	return 0;
nomem:
	return -1;
}

static int host_config(json_t *host, const struct docker_create *c, struct err *err)
{
	const struct service *s = c->service;
	json_t *log, *mounts = mounts_json(c, err);

	if (!mounts)
		return -1;
	SET(host, "Mounts", mounts);
	if (s->tmpfs.n)
		SET(host, "Tmpfs", tmpfs_json(&s->tmpfs));
	SET(host, "RestartPolicy", restart_json(s->restart));
	if (s->cap_add.n)
		SET(host, "CapAdd", docker_strv_json(&s->cap_add));
	if (s->cap_drop.n)
		SET(host, "CapDrop", docker_strv_json(&s->cap_drop));
	SET(host, "ReadonlyRootfs", json_boolean(s->read_only));
	if (s->init)
		SET(host, "Init", json_true());
	if (s->extra_hosts.n)
		SET(host, "ExtraHosts", docker_strv_json(&s->extra_hosts));
	if (s->nano_cpus)
		SET(host, "NanoCpus", json_integer(s->nano_cpus));
	if (s->memory_bytes)
		SET(host, "Memory", json_integer(s->memory_bytes));
	if (s->logging.driver) {
		log = json_pack("{s:s, s:o}", "Type", s->logging.driver, "Config",
		                docker_kvv_json(&s->logging.options));
		SET(host, "LogConfig", log);
	}
	if (host_config_extra(host, c) < 0)
		goto nomem;
	return 0;
nomem:
	return err_set(err, ERR_NOMEM, "out of memory");
}

int docker_create_body(char **out, const struct docker_create *c, struct err *err)
{
	const struct service *s = c->service;
	json_t *body = json_object(), *host = json_object(), *eps = NULL;
	const char *net_id = NULL;
	char *text;
	int rc;

	if (!body || !host)
		goto nomem;
	if (!s->image_id) {
		rc = err_set(err, ERR_INVALID, "service '%s': image '%s' is not resolved", s->name,
		             s->image ? s->image : "");
		goto out;
	}
	if (s->nnetworks) {
		rc = network_id(&net_id, c, 0, err);
		if (rc < 0)
			goto out;
	}
	SET(body, "Image", json_string(s->image_id));
	if (s->has_command)
		SET(body, "Cmd", docker_strv_json(&s->command));
	if (s->has_entrypoint)
		SET(body, "Entrypoint", docker_strv_json(&s->entrypoint));
	SET(body, "Env", env_json(&s->env));
	SET(body, "Labels", labels_json(c));
	if (s->user)
		SET(body, "User", json_string(s->user));
	if (s->working_dir)
		SET(body, "WorkingDir", json_string(s->working_dir));
	if (s->hostname)
		SET(body, "Hostname", json_string(s->hostname));
	if (s->stop_signal)
		SET(body, "StopSignal", json_string(s->stop_signal));
	if (s->stop_grace_ns >= 0)
		SET(body, "StopTimeout", json_integer((s->stop_grace_ns + 999999999) / 1000000000));
	if (s->health.set)
		SET(body, "Healthcheck", health_json(&s->health));
	if (s->domainname)
		SET(body, "Domainname", json_string(s->domainname));
	if (s->mac_address)
		SET(body, "MacAddress", json_string(s->mac_address));
	if (s->stdin_open)
		SET(body, "OpenStdin", json_true());
	if (s->tty)
		SET(body, "Tty", json_true());
	if (ports_json(body, host, s) < 0)
		goto nomem;
	if (host_config(host, c, err) < 0) {
		rc = err->code ? err->code : ERR_NOMEM;
		goto out;
	}
	if (net_id) {
		/* Refer to the network by ID: names can be duplicated (CheckDuplicate was off). */
		SET(host, "NetworkMode", json_string(net_id));
		eps = json_object();
		if (!eps)
			goto nomem;
		SET(eps, net_id, endpoint_json(s, &s->networks[0]));
		SET(body, "NetworkingConfig", json_pack("{s:O}", "EndpointsConfig", eps));
	}
	if (json_object_set(body, "HostConfig", host) < 0)
		goto nomem;
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		goto nomem;
	*out = text;
	rc = 0;
	goto out;
nomem:
	rc = err_set(err, ERR_NOMEM, "out of memory");
out:
	json_decref(eps);
	json_decref(host);
	json_decref(body);
	return rc;
}

int docker_connect_body(char **out, const char **net_id_out, const struct docker_create *c,
                        size_t i, const char *container_id, struct err *err)
{
	const struct service *s = c->service;
	json_t *body = NULL;
	const char *net_id;
	char *text;
	int rc;

	rc = network_id(&net_id, c, i, err);
	if (rc < 0)
		return rc;
	body = json_pack("{s:s, s:o}", "Container", container_id, "EndpointConfig",
	                 endpoint_json(s, &s->networks[i]));
	text = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(body);
	if (!text)
		return err_set(err, ERR_NOMEM, "out of memory");
	*out = text;
	*net_id_out = net_id;
	return 0;
}
