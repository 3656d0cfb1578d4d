/*
 * fixture_project.h - the project both the spec and the create-body tests
 * start from: "shop" with one fully populated service "web", and the config
 * or secret references they add to it.
 */
#ifndef DEPLOYCTL_FIXTURE_PROJECT_H
#define DEPLOYCTL_FIXTURE_PROJECT_H

#include <stdlib.h>
#include <string.h>

#include "deployctl/model.h"

/*
 * Append a config or secret reference to *v: source src mounted at target,
 * its content hash 64 times hexdigit, host_file if not NULL.
 */
static inline void fixture_file_ref(struct svc_file_ref **v, size_t *n, const char *src,
                                    const char *target, char hexdigit, const char *host_file)
{
	struct svc_file_ref *r;

	*v = realloc(*v, (*n + 1) * sizeof(**v));
	r = &(*v)[(*n)++];
	memset(r, 0, sizeof(*r));
	r->source = strdup(src);
	r->target = strdup(target);
	r->host_file = host_file ? strdup(host_file) : NULL;
	memset(r->content_hash, hexdigit, 64);
	r->content_hash[64] = '\0';
}

/* A project "shop" with one fully populated service "web"; free with model_project_free(). */
static struct project *fixture_project(void)
{
	struct project *p = calloc(1, sizeof(*p));
	struct service *s;

	p->name = strdup("shop");
	p->nnetworks = 2;
	p->networks = calloc(2, sizeof(*p->networks));
	p->networks[0].name = strdup("back");
	p->networks[0].external = true;
	p->networks[0].external_name = strdup("corp-back");
	p->networks[1].name = strdup("default");
	p->nvolumes = 1;
	p->volumes = calloc(1, sizeof(*p->volumes));
	p->volumes[0].name = strdup("data");
	p->nservices = 1;
	p->services = calloc(1, sizeof(*p->services));
	s = &p->services[0];
	model_service_release(s); /* defaults: stop_grace_ns -1, replicas 1 */
	s->name = strdup("web");
	s->image = strdup("nginx:1.25");
	s->image_id =
	        strdup("sha256:1111111111111111111111111111111111111111111111111111111111111111");
	s->has_command = true;
	strv_push(&s->command, "nginx");
	strv_push(&s->command, "-g");
	strv_push(&s->command, "daemon off;");
	kvv_set(&s->env, "MODE", "prod");
	kvv_set(&s->env, "DB_PASSWORD", "hunter2-very-secret");
	kvv_set(&s->labels, "team", "web");
	s->nports = 2;
	s->ports = calloc(2, sizeof(*s->ports));
	s->ports[0].host_ip = strdup("127.0.0.1");
	s->ports[0].host_port = 8080;
	s->ports[0].container_port = 80;
	s->ports[0].protocol = strdup("tcp");
	s->ports[1].host_ip = strdup("");
	s->ports[1].host_port = 0;
	s->ports[1].container_port = 53;
	s->ports[1].protocol = strdup("udp");
	s->nmounts = 3;
	s->mounts = calloc(3, sizeof(*s->mounts));
	s->mounts[0].type = MOUNT_VOLUME;
	s->mounts[0].source = strdup("data");
	s->mounts[0].target = strdup("/data");
	s->mounts[0].read_only = true;
	s->mounts[1].type = MOUNT_BIND;
	s->mounts[1].source = strdup("/srv/conf");
	s->mounts[1].target = strdup("/etc/conf");
	s->mounts[2].type = MOUNT_VOLUME;
	s->mounts[2].target = strdup("/cache");
	s->nnetworks = 2;
	s->networks = calloc(2, sizeof(*s->networks));
	s->networks[0].name = strdup("back");
	strv_push(&s->networks[0].aliases, "api");
	s->networks[1].name = strdup("default");
	s->ndeps = 1;
	s->deps = calloc(1, sizeof(*s->deps));
	s->deps[0].service = strdup("db");
	s->deps[0].condition = DEP_HEALTHY;
	s->deps[0].required = true;
	s->health.set = true;
	strv_push(&s->health.test, "CMD-SHELL");
	strv_push(&s->health.test, "curl -f http://localhost/");
	s->health.interval_ns = 5000000000;
	s->health.timeout_ns = 2000000000;
	s->health.start_period_ns = 1000000000;
	s->health.retries = 3;
	s->restart = strdup("on-failure:3");
	s->user = strdup("www");
	s->working_dir = strdup("/app");
	s->hostname = strdup("web1");
	strv_push(&s->extra_hosts, "db.local:10.0.0.5");
	strv_push(&s->cap_add, "NET_ADMIN");
	strv_push(&s->cap_drop, "ALL");
	strv_push(&s->tmpfs, "/run:size=64m");
	strv_push(&s->tmpfs, "/tmp");
	s->read_only = true;
	s->init = true;
	s->stop_signal = strdup("SIGQUIT");
	s->stop_grace_ns = 1500000000;
	s->replicas = 2;
	s->nano_cpus = 500000000;
	s->memory_bytes = 268435456;
	s->logging.driver = strdup("json-file");
	kvv_set(&s->logging.options, "max-size", "10m");
	return p;
}

#endif
