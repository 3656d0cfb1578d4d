/*
 * manifest_keys.c - the Compose service keys as one table: each key is a
 * row (name, kind, field of struct service, validator or reader), read by
 * manifest_read_map()/manifest_read_key() (manifest_table.c, which reads
 * the plain kinds for every table). Keys with shapes of their
 * own (ports, depends_on, healthcheck, deploy, ...) name their reader in
 * manifest_service*.c. Refused and ignored keys are rows too, with the
 * reason the user reads (docs/compose-keys.md says the same, and a unit
 * test holds the two together).
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_internal.h"

/* ---- validators of string values ---- */

static bool image_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (isspace((unsigned char)s[i]) || !isprint((unsigned char)s[i]))
			return false;
	return i > 0;
}

static bool restart_ok(const char *r)
{
	size_t i;

	if (!strcmp(r, "no") || !strcmp(r, "always") || !strcmp(r, "on-failure") ||
	    !strcmp(r, "unless-stopped"))
		return true;
	if (strncmp(r, "on-failure:", 11) || !r[11])
		return false;
	for (i = 11; isdigit((unsigned char)r[i]) && i < 20; i++)
		;
	return !r[i];
}

static bool absolute_ok(const char *s)
{
	return s[0] == '/';
}

/* Docker's container name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
bool manifest_container_name_ok(const char *n)
{
	size_t i;

	if (!isalnum((unsigned char)n[0]) || !n[1])
		return false;
	for (i = 1; n[i]; i++)
		if (!isalnum((unsigned char)n[i]) && !strchr("_.-", n[i]))
			return false;
	return i <= 128;
}

/* "service:NAME" or "container:NAME" with a valid NAME. */
static bool mode_ref_ok(const char *m)
{
	if (!strncmp(m, "service:", 8))
		return manifest_name_ok(m + 8);
	if (!strncmp(m, "container:", 10))
		return manifest_container_name_ok(m + 10);
	return false;
}

static bool network_mode_ok(const char *m)
{
	return !strcmp(m, "host") || !strcmp(m, "none") || !strcmp(m, "bridge") || mode_ref_ok(m);
}

static bool pid_ok(const char *m)
{
	return !strcmp(m, "host") || mode_ref_ok(m);
}

static bool ipc_ok(const char *m)
{
	return !strcmp(m, "host") || !strcmp(m, "private") || !strcmp(m, "shareable") ||
	       !strcmp(m, "none") || mode_ref_ok(m);
}

static bool platform_ok(const char *s)
{
	const char *p = strchr(s, '/');

	return p && p != s && p[1] &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_/") == strlen(s);
}

static bool mac_ok(const char *m)
{
	size_t i;

	for (i = 0; i < 17; i++)
		if ((i % 3 == 2) ? m[i] != ':' : !isxdigit((unsigned char)m[i]))
			return false;
	return !m[17];
}

/* ---- the table ---- */

#define SVC(field) offsetof(struct service, field)

/* services.<name>.logging */
static const struct manifest_key logging_keys[] = {
	{ .key = "driver", .kind = MK_STRING, .offset = SVC(logging.driver) },
	{ .key = "options",
	  .kind = MK_PAIRS,
	  .offset = SVC(logging.options),
	  .flags = MKF_MAP | MKF_NULL_OK },
	{ .key = NULL },
};

/* clang-format off */
static const struct manifest_key service_keys[] = {
	{ .key = "annotations", .kind = MK_REFUSED, .why = "container annotations need Docker Engine API 1.43; this engine speaks 1.41" },
	{ .key = "attach", .kind = MK_IGNORED, .why = "ignored: deployctl does not attach to container logs" },
	{ .key = "blkio_config", .kind = MK_REFUSED, .why = "not supported yet: block I/O weights and limits" },
	{ .key = "build", .kind = MK_LATER, .render = manifest_render_build }, /* read in manifest_service_finish */
	{ .key = "cap_add", .kind = MK_STRINGS, .offset = SVC(cap_add), .flags = MKF_SORT },
	{ .key = "cap_drop", .kind = MK_STRINGS, .offset = SVC(cap_drop), .flags = MKF_SORT },
	{ .key = "cgroup", .kind = MK_REFUSED, .why = "not supported yet: cgroup namespace mode" },
	{ .key = "cgroup_parent", .kind = MK_REFUSED, .why = "not supported yet: cgroup parent" },
	{ .key = "command", .kind = MK_CUSTOM, .fn = manifest_key_command, .render = manifest_render_command },
	{ .key = "configs", .kind = MK_CUSTOM, .fn = manifest_key_configs, .render = manifest_render_configs },
	{ .key = "container_name", .kind = MK_STRING, .offset = SVC(container_name), .valid = manifest_container_name_ok,
	  .what = "invalid container name", .hint = "use letters, digits, '_', '.' and '-', starting with a letter or digit", .flags = MKF_EMPTY_OK },
	{ .key = "cpu_count", .kind = MK_REFUSED, .why = "Windows containers only" },
	{ .key = "cpu_percent", .kind = MK_REFUSED, .why = "Windows containers only" },
	{ .key = "cpu_period", .kind = MK_REFUSED, .why = "not supported yet: use cpus" },
	{ .key = "cpu_quota", .kind = MK_REFUSED, .why = "not supported yet: use cpus" },
	{ .key = "cpu_rt_period", .kind = MK_REFUSED, .why = "not supported yet: real-time scheduling" },
	{ .key = "cpu_rt_runtime", .kind = MK_REFUSED, .why = "not supported yet: real-time scheduling" },
	{ .key = "cpu_shares", .kind = MK_INT, .offset = SVC(cpu_shares), .min = 0, .max = 262144 },
	{ .key = "cpus", .kind = MK_FIELD, .offset = SVC(nano_cpus), .field = manifest_read_cpus, .what = "deploy.resources.limits.cpus",
	  .render = manifest_render_none },
	{ .key = "cpuset", .kind = MK_REFUSED, .why = "not supported yet: CPU pinning" },
	{ .key = "credential_spec", .kind = MK_REFUSED, .why = "Windows containers only" },
	{ .key = "depends_on", .kind = MK_CUSTOM, .fn = manifest_key_depends_on, .render = manifest_render_depends_on },
	{ .key = "deploy", .kind = MK_CUSTOM, .fn = manifest_key_deploy, .render = manifest_render_deploy },
	{ .key = "develop", .kind = MK_IGNORED, .why = "ignored: compose watch is a development feature, not for a production host" },
	{ .key = "device_cgroup_rules", .kind = MK_REFUSED, .why = "not supported yet: use devices" },
	{ .key = "devices", .kind = MK_CUSTOM, .fn = manifest_key_devices, .offset = SVC(devices), .render = manifest_render_strv },
	{ .key = "dns", .kind = MK_STRINGS, .offset = SVC(dns), .flags = MKF_SINGLE },
	{ .key = "dns_opt", .kind = MK_STRINGS, .offset = SVC(dns_opt) },
	{ .key = "dns_search", .kind = MK_STRINGS, .offset = SVC(dns_search), .flags = MKF_SINGLE },
	{ .key = "domainname", .kind = MK_STRING, .offset = SVC(domainname) },
	{ .key = "entrypoint", .kind = MK_CUSTOM, .fn = manifest_key_entrypoint, .render = manifest_render_entrypoint },
	{ .key = "env_file", .kind = MK_LATER },    /* read after the other keys: env_file, then environment */
	{ .key = "environment", .kind = MK_LATER, .render = manifest_render_environment }, /* idem */
	{ .key = "expose", .kind = MK_CUSTOM, .fn = manifest_key_expose, .offset = SVC(expose), .render = manifest_render_strv },
	{ .key = "extends", .kind = MK_LATER },     /* resolved before (manifest_extends.c) */
	{ .key = "external_links", .kind = MK_CUSTOM, .fn = manifest_key_external_links, .offset = SVC(external_links), .render = manifest_render_strv },
	{ .key = "extra_hosts", .kind = MK_CUSTOM, .fn = manifest_key_extra_hosts, .offset = SVC(extra_hosts), .render = manifest_render_strv },
	{ .key = "gpus", .kind = MK_REFUSED, .why = "not supported: GPU device requests need a vendor runtime deployctl does not manage" },
	{ .key = "group_add", .kind = MK_STRINGS, .offset = SVC(group_add), .flags = MKF_SORT },
	{ .key = "healthcheck", .kind = MK_CUSTOM, .fn = manifest_key_healthcheck, .render = manifest_render_healthcheck },
	{ .key = "hostname", .kind = MK_STRING, .offset = SVC(hostname) },
	{ .key = "image", .kind = MK_STRING, .offset = SVC(image), .valid = image_ok, .what = "invalid image reference" },
	{ .key = "init", .kind = MK_BOOL, .offset = SVC(init) },
	{ .key = "ipc", .kind = MK_STRING, .offset = SVC(ipc), .valid = ipc_ok, .what = "invalid ipc",
	  .hint = "use host, private, shareable, none, service:NAME or container:NAME", .flags = MKF_DROP_BAD | MKF_EMPTY_OK },
	{ .key = "isolation", .kind = MK_REFUSED, .why = "Windows containers only" },
	{ .key = "label_file", .kind = MK_REFUSED, .why = "not supported yet: use labels" },
	{ .key = "labels", .kind = MK_PAIRS, .offset = SVC(labels), .flags = MKF_FROM, .render = manifest_render_labels },
	{ .key = "links", .kind = MK_CUSTOM, .fn = manifest_key_links, .offset = SVC(links), .render = manifest_render_strv },
	{ .key = "logging", .kind = MK_MAP, .sub = logging_keys },
	{ .key = "mac_address", .kind = MK_STRING, .offset = SVC(mac_address), .valid = mac_ok, .what = "invalid MAC address",
	  .hint = "use xx:xx:xx:xx:xx:xx", .flags = MKF_EMPTY_OK },
	{ .key = "mem_limit", .kind = MK_FIELD, .offset = SVC(memory_bytes), .field = manifest_read_size_agreed,
	  .what = "deploy.resources.limits.memory", .render = manifest_render_none },
	{ .key = "mem_reservation", .kind = MK_FIELD, .offset = SVC(mem_reservation), .field = manifest_read_size_agreed,
	  .what = "deploy.resources.reservations.memory", .render = manifest_render_none },
	{ .key = "mem_swappiness", .kind = MK_REFUSED, .why = "not supported yet: swap tuning" },
	{ .key = "memswap_limit", .kind = MK_REFUSED, .why = "not supported yet: swap limits" },
	{ .key = "models", .kind = MK_REFUSED, .why = "AI model runner services are not supported" },
	{ .key = "network_mode", .kind = MK_STRING, .offset = SVC(network_mode), .valid = network_mode_ok, .what = "invalid network_mode",
	  .hint = "use host, none, bridge, service:NAME or container:NAME", .flags = MKF_DROP_BAD | MKF_EMPTY_OK },
	{ .key = "networks", .kind = MK_CUSTOM, .fn = manifest_key_networks, .render = manifest_render_networks },
	{ .key = "oom_kill_disable", .kind = MK_REFUSED, .why = "not supported: a container that cannot be OOM-killed endangers the host" },
	{ .key = "oom_score_adj", .kind = MK_INT, .offset = SVC(oom_score_adj), .min = -1000, .max = 1000 },
	{ .key = "pid", .kind = MK_STRING, .offset = SVC(pid), .valid = pid_ok, .what = "invalid pid",
	  .hint = "use host, service:NAME or container:NAME", .flags = MKF_DROP_BAD | MKF_EMPTY_OK },
	{ .key = "pids_limit", .kind = MK_INT, .offset = SVC(pids_limit), .min = -1, .max = INT64_MAX },
	{ .key = "platform", .kind = MK_STRING, .offset = SVC(platform), .valid = platform_ok, .what = "invalid platform",
	  .hint = "use os/arch[/variant]", .flags = MKF_EMPTY_OK },
	{ .key = "ports", .kind = MK_CUSTOM, .fn = manifest_key_ports, .render = manifest_render_ports },
	{ .key = "post_start", .kind = MK_REFUSED, .why = "lifecycle hooks are not supported" },
	{ .key = "pre_stop", .kind = MK_REFUSED, .why = "lifecycle hooks are not supported" },
	{ .key = "privileged", .kind = MK_BOOL, .offset = SVC(privileged) },
	{ .key = "profiles", .kind = MK_CUSTOM, .fn = manifest_key_profiles, .offset = SVC(profiles), .render = manifest_render_strv },
	{ .key = "provider", .kind = MK_REFUSED, .why = "provider services are not supported" },
	{ .key = "pull_policy", .kind = MK_CUSTOM, .fn = manifest_key_pull_policy, .offset = SVC(pull_policy), .render = manifest_render_string },
	{ .key = "read_only", .kind = MK_BOOL, .offset = SVC(read_only) },
	{ .key = "restart", .kind = MK_STRING, .offset = SVC(restart), .valid = restart_ok, .what = "invalid restart policy",
	  .hint = "use no, always, on-failure[:N] or unless-stopped", .flags = MKF_EMPTY_OK },
	{ .key = "runtime", .kind = MK_STRING, .offset = SVC(runtime), .valid = image_ok, .what = "invalid runtime", .flags = MKF_EMPTY_OK },
	{ .key = "scale", .kind = MK_REFUSED, .why = "use deploy.replicas" },
	{ .key = "secrets", .kind = MK_CUSTOM, .fn = manifest_key_secrets, .render = manifest_render_secrets },
	{ .key = "security_opt", .kind = MK_STRINGS, .offset = SVC(security_opt) },
	{ .key = "shm_size", .kind = MK_BYTES, .offset = SVC(shm_size) },
	{ .key = "stdin_open", .kind = MK_BOOL, .offset = SVC(stdin_open) },
	{ .key = "stop_grace_period", .kind = MK_DURATION, .offset = SVC(stop_grace_ns) },
	{ .key = "stop_signal", .kind = MK_STRING, .offset = SVC(stop_signal) },
	{ .key = "storage_opt", .kind = MK_PAIRS, .offset = SVC(storage_opt), .flags = MKF_MAP },
	{ .key = "sysctls", .kind = MK_PAIRS, .offset = SVC(sysctls) },
	{ .key = "tmpfs", .kind = MK_CUSTOM, .fn = manifest_key_tmpfs, .offset = SVC(tmpfs), .render = manifest_render_strv },
	{ .key = "tty", .kind = MK_BOOL, .offset = SVC(tty) },
	{ .key = "ulimits", .kind = MK_CUSTOM, .fn = manifest_key_ulimits, .render = manifest_render_ulimits },
	{ .key = "use_api_socket", .kind = MK_REFUSED, .why = "not supported: it hands the container the Docker socket and credentials" },
	{ .key = "user", .kind = MK_STRING, .offset = SVC(user) },
	{ .key = "userns_mode", .kind = MK_REFUSED, .why = "not supported yet: user namespace mode" },
	{ .key = "uts", .kind = MK_REFUSED, .why = "not supported yet: UTS namespace mode" },
	{ .key = "volumes", .kind = MK_CUSTOM, .fn = manifest_key_volumes, .render = manifest_render_volumes },
	{ .key = "volumes_from", .kind = MK_CUSTOM, .fn = manifest_key_volumes_from, .offset = SVC(volumes_from), .render = manifest_render_strv },
	{ .key = "working_dir", .kind = MK_STRING, .offset = SVC(working_dir), .valid = absolute_ok, .what = "invalid working_dir",
	  .hint = "use an absolute path", .flags = MKF_EMPTY_OK },
	{ .key = NULL },
};
/* clang-format on */

const struct manifest_key *manifest_service_keys(void)
{
	return service_keys;
}
