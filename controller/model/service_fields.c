/*
 * service_fields.c - the table of the fields of struct service that the
 * canonical spec carries (see model.h). Rows are sorted by key, so the
 * table reads like the rendered JSON and model_svc_field() can bsearch.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/model.h"

#define F(key, kind, member, flags)                                                                \
	{                                                                                          \
		key, NULL, kind, flags, offsetof(struct service, member), 0, 0, NULL               \
	}
#define FC(key, compose, kind, member, flags)                                                      \
	{                                                                                          \
		key, compose, kind, flags, offsetof(struct service, member), 0, 0, NULL            \
	}
#define FI(key, compose, member, flags, min, max)                                                  \
	{                                                                                          \
		key, compose, SVC_INT, flags, offsetof(struct service, member), min, max, NULL     \
	}
#define CUSTOM(key, compose, flags)                                                                \
	{                                                                                          \
		key, compose, SVC_CUSTOM, flags, 0, 0, 0, NULL                                     \
	}

const struct svc_field model_svc_fields[] = {
	F("cap_add", SVC_STRV, cap_add, 0),
	F("cap_drop", SVC_STRV, cap_drop, 0),
	CUSTOM("command", NULL, 0),
	CUSTOM("configs", NULL, SVC_SPARSE),
	F("container_name", SVC_STR, container_name, SVC_SPARSE),
	FI("cpu_shares", NULL, cpu_shares, SVC_SPARSE, 0, INT64_MAX),
	FC("deploy_mode", "deploy.mode", SVC_STR, deploy_mode, SVC_SPARSE),
	F("devices", SVC_STRV, devices, SVC_SPARSE),
	F("dns", SVC_STRV, dns, SVC_SPARSE),
	F("dns_opt", SVC_STRV, dns_opt, SVC_SPARSE),
	F("dns_search", SVC_STRV, dns_search, SVC_SPARSE),
	F("domainname", SVC_STR, domainname, SVC_SPARSE),
	FC("endpoint_mode", "deploy.endpoint_mode", SVC_STR, endpoint_mode, SVC_SPARSE),
	CUSTOM("entrypoint", NULL, 0),
	CUSTOM("env", NULL, 0),
	F("expose", SVC_STRV, expose, SVC_SPARSE),
	F("external_links", SVC_STRV, external_links, SVC_SPARSE),
	F("extra_hosts", SVC_STRV, extra_hosts, 0),
	F("group_add", SVC_STRV, group_add, SVC_SPARSE),
	CUSTOM("healthcheck", NULL, 0),
	F("hostname", SVC_STR, hostname, 0),
	F("image", SVC_STR, image, SVC_REQUIRED),
	F("image_id", SVC_STR, image_id, 0),
	F("init", SVC_BOOL, init, 0),
	F("ipc", SVC_STR, ipc, SVC_SPARSE),
	CUSTOM("labels", NULL, 0),
	CUSTOM("logging", NULL, 0),
	FC("mac_address", NULL, SVC_STR, mac_address, SVC_SPARSE),
	FI("mem_reservation", NULL, mem_reservation, SVC_SPARSE, 0, INT64_MAX),
	FI("memory_bytes", "mem_limit", memory_bytes, 0, 0, INT64_MAX),
	CUSTOM("mounts", "volumes", 0),
	F("name", SVC_STR, name, SVC_REQUIRED),
	FI("nano_cpus", "cpus", nano_cpus, 0, 0, INT64_MAX),
	F("network_mode", SVC_STR, network_mode, SVC_SPARSE),
	CUSTOM("networks", NULL, 0),
	FI("oom_score_adj", NULL, oom_score_adj, SVC_SPARSE, -1000, 1000),
	F("pid", SVC_STR, pid, SVC_SPARSE),
	FI("pids_limit", NULL, pids_limit, SVC_SPARSE, -1, INT64_MAX),
	FC("placement_constraints", "deploy.placement.constraints", SVC_STRV, placement_constraints,
	   SVC_SPARSE),
	FC("placement_prefs", "deploy.placement.preferences", SVC_STRV, placement_prefs,
	   SVC_SPARSE),
	F("platform", SVC_STR, platform, SVC_SPARSE),
	CUSTOM("ports", NULL, 0),
	F("privileged", SVC_BOOL, privileged, SVC_SPARSE),
	F("read_only", SVC_BOOL, read_only, 0),
	{ "restart", NULL, SVC_STR, 0, offsetof(struct service, restart), 0, 0, "no" },
	FC("restart_policy", "deploy.restart_policy", SVC_KVV, restart_policy, SVC_SPARSE),
	FC("rollback_config", "deploy.rollback_config", SVC_KVV, rollback_config, SVC_SPARSE),
	F("runtime", SVC_STR, runtime, SVC_SPARSE),
	CUSTOM("secrets", NULL, SVC_SPARSE),
	F("security_opt", SVC_STRV, security_opt, SVC_SPARSE),
	FI("shm_size", NULL, shm_size, SVC_SPARSE, 0, INT64_MAX),
	F("stdin_open", SVC_BOOL, stdin_open, SVC_SPARSE),
	FI("stop_grace_ns", "stop_grace_period", stop_grace_ns, 0, -1, INT64_MAX),
	F("stop_signal", SVC_STR, stop_signal, 0),
	F("storage_opt", SVC_KVV, storage_opt, SVC_SPARSE),
	F("sysctls", SVC_KVV, sysctls, SVC_SPARSE),
	F("tmpfs", SVC_STRV, tmpfs, 0),
	F("tty", SVC_BOOL, tty, SVC_SPARSE),
	CUSTOM("ulimits", NULL, SVC_SPARSE),
	FC("update_config", "deploy.update_config", SVC_KVV, update_config, SVC_SPARSE),
	F("user", SVC_STR, user, 0),
	CUSTOM("version", NULL, 0),
	F("volumes_from", SVC_STRV, volumes_from, SVC_SPARSE),
	F("working_dir", SVC_STR, working_dir, 0),
};

const size_t model_svc_nfields = sizeof(model_svc_fields) / sizeof(model_svc_fields[0]);

static int field_cmp(const void *key, const void *row)
{
	return strcmp(key, ((const struct svc_field *)row)->key);
}

const struct svc_field *model_svc_field(const char *key)
{
	return bsearch(key, model_svc_fields, model_svc_nfields, sizeof(model_svc_fields[0]),
	               field_cmp);
}
