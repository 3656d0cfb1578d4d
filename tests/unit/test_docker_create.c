/*
 * test_docker_create.c - the POST /containers/create and network connect
 * bodies built from a fixture service, checked without a daemon.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "deployctl/docker.h"
#include "deployctl/err.h"
#include "deployctl/files.h"
#include "deployctl/hash.h"
#include "deployctl/model.h"
#include "docker_internal.h"
#include "fixture_project.h"

#define NET_BACK    "b00000000000000000000000000000000000000000000000000000000000000b"
#define NET_DEFAULT "d00000000000000000000000000000000000000000000000000000000000000d"

static void fixture_create(struct docker_create *c, struct kvv *ids, const struct project *p)
{
	memset(c, 0, sizeof(*c));
	memset(ids, 0, sizeof(*ids));
	kvv_set(ids, "back", NET_BACK);
	kvv_set(ids, "default", NET_DEFAULT);
	c->project = p;
	c->service = &p->services[0];
	c->name = "shop-web-2";
	c->release = "rel-7";
	c->spec_hash = "feedface";
	c->replica = 2;
	c->network_ids = ids;
}

/* The body contains needle; print the body once when it does not. */
static void has(const char *body, const char *needle)
{
	const char *hit = body ? strstr(body, needle) : NULL;

	if (!hit)
		fprintf(stderr, "missing %s\n", needle);
	CHECK(hit != NULL);
}

static void test_docker_create__body(void)
{
	struct project *p = fixture_project();
	struct docker_create c;
	struct err err = ERR_INIT;
	struct kvv ids;
	char *body = NULL;

	fixture_create(&c, &ids, p);
	CHECK_INT(docker_create_body(&body, &c, &err), 0);
	/* The resolved ID runs; the reference as written is a label. */
	has(body,
	    "\"Image\":\"sha256:1111111111111111111111111111111111111111111111111111111111111111\"");
	has(body, "\"io.deployctl.image\":\"nginx:1.25\"");
	has(body, "\"Cmd\":[\"nginx\",\"-g\",\"daemon off;\"]");
	CHECK(body && !strstr(body, "Entrypoint"));
	has(body, "\"Env\":[\"DB_PASSWORD=hunter2-very-secret\",\"MODE=prod\"]");
	has(body,
	    "\"Labels\":{\"io.deployctl.image\":\"nginx:1.25\",\"io.deployctl.project\":\"shop\","
	    "\"io.deployctl.release\":\"rel-7\",\"io.deployctl.replica\":\"2\","
	    "\"io.deployctl.service\":\"web\",\"io.deployctl.spec-hash\":\"feedface\","
	    "\"team\":\"web\"}");
	has(body, "\"ExposedPorts\":{\"53/udp\":{},\"80/tcp\":{}}");
	has(body, "\"PortBindings\":{\"53/udp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}],"
	          "\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8080\"}]}");
	has(body, "\"Mounts\":[{\"ReadOnly\":true,\"Source\":\"shop_data\",\"Target\":\"/data\","
	          "\"Type\":\"volume\"},{\"ReadOnly\":false,\"Source\":\"/srv/conf\","
	          "\"Target\":\"/etc/conf\",\"Type\":\"bind\"},{\"ReadOnly\":false,"
	          "\"Target\":\"/cache\",\"Type\":\"volume\"}]");
	has(body,
	    "\"Healthcheck\":{\"Interval\":5000000000,\"Retries\":3,\"StartPeriod\":1000000000,"
	    "\"Test\":[\"CMD-SHELL\",\"curl -f http://localhost/\"],\"Timeout\":2000000000}");
	/* 1.5 s grace rounds up to 2 s. */
	has(body, "\"StopTimeout\":2");
	has(body, "\"StopSignal\":\"SIGQUIT\"");
	has(body, "\"User\":\"www\"");
	has(body, "\"WorkingDir\":\"/app\"");
	has(body, "\"Hostname\":\"web1\"");
	has(body, "\"RestartPolicy\":{\"MaximumRetryCount\":3,\"Name\":\"on-failure\"}");
	has(body, "\"Tmpfs\":{\"/run\":\"size=64m\",\"/tmp\":\"\"}");
	has(body, "\"CapAdd\":[\"NET_ADMIN\"]");
	has(body, "\"CapDrop\":[\"ALL\"]");
	has(body, "\"ReadonlyRootfs\":true");
	has(body, "\"Init\":true");
	has(body, "\"ExtraHosts\":[\"db.local:10.0.0.5\"]");
	has(body, "\"NanoCpus\":500000000");
	has(body, "\"Memory\":268435456");
	has(body, "\"LogConfig\":{\"Config\":{\"max-size\":\"10m\"},\"Type\":\"json-file\"}");
	/* First network (sorted: "back") at create, by ID, aliases = service name + its own. */
	has(body, "\"NetworkMode\":\"" NET_BACK "\"");
	has(body, "\"NetworkingConfig\":{\"EndpointsConfig\":{\"" NET_BACK
	          "\":{\"Aliases\":[\"web\",\"api\"]}}}");
	CHECK(body && !strstr(body, NET_DEFAULT));
	free(body);
	kvv_free(&ids);
	model_project_free(p);
}

static void test_docker_create__connect_body(void)
{
	struct project *p = fixture_project();
	struct docker_create c;
	struct err err = ERR_INIT;
	struct kvv ids;
	const char *net_id = NULL;
	char *body = NULL;

	fixture_create(&c, &ids, p);
	CHECK_INT(docker_connect_body(&body, &net_id, &c, 1, "cid123", &err), 0);
	CHECK_STR(net_id, NET_DEFAULT);
	CHECK_STR(body, "{\"Container\":\"cid123\",\"EndpointConfig\":{\"Aliases\":[\"web\"]}}");
	free(body);
	kvv_free(&ids);
	model_project_free(p);
}

static void test_docker_create__minimal_and_defaults(void)
{
	struct project *p = fixture_project();
	struct service *s = &p->services[0];
	struct docker_create c;
	struct err err = ERR_INIT;
	struct kvv ids;
	char *body = NULL;

	fixture_create(&c, &ids, p);
	s->has_command = false;
	s->has_entrypoint = true; /* entrypoint: [] is passed on as written */
	s->stop_grace_ns = -1;
	s->health.disable = true;
	s->init = false;
	free(s->restart);
	s->restart = NULL;
	free(s->hostname);
	s->hostname = NULL;
	CHECK_INT(docker_create_body(&body, &c, &err), 0);
	CHECK(body && !strstr(body, "\"Cmd\""));
	has(body, "\"Entrypoint\":[]");
	CHECK(body && !strstr(body, "StopTimeout"));
	CHECK(body && !strstr(body, "Hostname"));
	CHECK(body && !strstr(body, "\"Init\""));
	has(body, "\"Healthcheck\":{\"Test\":[\"NONE\"]}");
	has(body, "\"RestartPolicy\":{\"MaximumRetryCount\":0,\"Name\":\"no\"}");
	free(body);
	kvv_free(&ids);
	model_project_free(p);
}

static void test_docker_create__errors(void)
{
	struct project *p = fixture_project();
	struct docker_create c;
	struct err err = ERR_INIT;
	struct kvv ids, partial = { 0 };
	char *body = NULL;
	const char *net_id;

	fixture_create(&c, &ids, p);
	/* A network without a Docker ID cannot be attached. */
	kvv_set(&partial, "back", NET_BACK);
	c.network_ids = &partial;
	CHECK_INT(docker_create_body(&body, &c, &err), 0);
	free(body);
	body = NULL;
	CHECK_INT(docker_connect_body(&body, &net_id, &c, 1, "cid", &err), ERR_INVALID);
	CHECK_STR(err.msg, "service 'web': network 'default' has no docker id");
	CHECK(body == NULL);
	err_clear(&err);
	/* An unresolved image cannot be created. */
	free(p->services[0].image_id);
	p->services[0].image_id = NULL;
	CHECK_INT(docker_create_body(&body, &c, &err), ERR_INVALID);
	CHECK(strstr(err.msg, "not resolved") != NULL);
	CHECK(body == NULL);
	kvv_free(&partial);
	kvv_free(&ids);
	model_project_free(p);
}

static void add_service(struct project *p, const char *name)
{
	struct service *s;

	p->services = realloc(p->services, (p->nservices + 1) * sizeof(*p->services));
	s = &p->services[p->nservices++];
	memset(s, 0, sizeof(*s));
	model_service_release(s);
	s->name = strdup(name);
	s->image = strdup("x:1");
}

/* Every key of issue 5 reaches its Config / HostConfig field. */
static void test_docker_create__runtime_keys(void)
{
	struct project *p = fixture_project();
	struct service *s = &p->services[0];
	struct docker_create c;
	struct err err = ERR_INIT;
	struct kvv ids;
	char *body = NULL;

	kvv_set(&s->sysctls, "net.core.somaxconn", "1024");
	s->ulimits = calloc(1, sizeof(*s->ulimits));
	s->ulimits[0].name = strdup("nofile");
	s->ulimits[0].soft = 20000;
	s->ulimits[0].hard = 40000;
	s->nulimits = 1;
	s->privileged = true;
	strv_push(&s->devices, "/dev/null:/dev/xnull:r");
	strv_push(&s->dns, "10.0.0.2");
	strv_push(&s->dns_search, "example.test");
	strv_push(&s->dns_opt, "ndots:2");
	s->shm_size = 67108864;
	s->pid = strdup("host");
	s->ipc = strdup("shareable");
	strv_push(&s->security_opt, "no-new-privileges:true");
	strv_push(&s->group_add, "mail");
	s->oom_score_adj = -500;
	s->pids_limit = 200;
	kvv_set(&s->storage_opt, "size", "1G");
	s->mem_reservation = 134217728;
	s->cpu_shares = 512;
	s->domainname = strdup("example.test");
	s->mac_address = strdup("02:42:ac:11:00:02");
	s->stdin_open = true;
	s->tty = true;
	strv_push(&s->expose, "3000/tcp");
	strv_push(&s->external_links, "legacy-redis:redis");
	fixture_create(&c, &ids, p);
	CHECK_INT(docker_create_body(&body, &c, &err), 0);
	has(body, "\"Sysctls\":{\"net.core.somaxconn\":\"1024\"}");
	has(body, "\"Ulimits\":[{\"Hard\":40000,\"Name\":\"nofile\",\"Soft\":20000}]");
	has(body, "\"Privileged\":true");
	has(body, "\"Devices\":[{\"CgroupPermissions\":\"r\",\"PathInContainer\":\"/dev/xnull\","
	          "\"PathOnHost\":\"/dev/null\"}]");
	has(body, "\"Dns\":[\"10.0.0.2\"]");
	has(body, "\"DnsSearch\":[\"example.test\"]");
	has(body, "\"DnsOptions\":[\"ndots:2\"]");
	has(body, "\"ShmSize\":67108864");
	has(body, "\"PidMode\":\"host\"");
	has(body, "\"IpcMode\":\"shareable\"");
	has(body, "\"SecurityOpt\":[\"no-new-privileges:true\"]");
	has(body, "\"GroupAdd\":[\"mail\"]");
	has(body, "\"OomScoreAdj\":-500");
	has(body, "\"PidsLimit\":200");
	has(body, "\"StorageOpt\":{\"size\":\"1G\"}");
	has(body, "\"MemoryReservation\":134217728");
	has(body, "\"CpuShares\":512");
	has(body, "\"Domainname\":\"example.test\"");
	has(body, "\"MacAddress\":\"02:42:ac:11:00:02\"");
	has(body, "\"OpenStdin\":true");
	has(body, "\"Tty\":true");
	/* expose joins the published ports in ExposedPorts. */
	has(body, "\"ExposedPorts\":{\"3000/tcp\":{},\"53/udp\":{},\"80/tcp\":{}}");
	has(body, "\"Links\":[\"legacy-redis:redis\"]");
	free(body);
	kvv_free(&ids);
	model_project_free(p);
}

/* network_mode, pid, ipc and volumes_from name other services by their containers. */
static void test_docker_create__modes_and_volumes_from(void)
{
	struct project *p = fixture_project();
	struct service *s;
	struct docker_create c;
	struct err err = ERR_INIT;
	struct kvv ids;
	char *body = NULL;

	add_service(p, "db");
	add_service(p, "files");
	p->services[2].container_name = strdup("shop-files");
	s = &p->services[0];
	s->network_mode = strdup("service:db");
	s->pid = strdup("container:other");
	s->ipc = strdup("service:db");
	strv_push(&s->volumes_from, "service:db:ro");
	strv_push(&s->volumes_from, "service:files");
	strv_push(&s->volumes_from, "container:legacy:ro");
	for (; s->nnetworks; s->nnetworks--) {
		free(s->networks[s->nnetworks - 1].name);
		strv_free(&s->networks[s->nnetworks - 1].aliases);
	}
	for (; s->nports; s->nports--) {
		free(s->ports[s->nports - 1].host_ip);
		free(s->ports[s->nports - 1].protocol);
	}
	fixture_create(&c, &ids, p);
	CHECK_INT(docker_create_body(&body, &c, &err), 0);
	has(body, "\"NetworkMode\":\"container:shop-db-1\"");
	has(body, "\"PidMode\":\"container:other\"");
	has(body, "\"IpcMode\":\"container:shop-db-1\"");
	has(body, "\"VolumesFrom\":[\"shop-db-1:ro\",\"shop-files\",\"legacy:ro\"]");
	CHECK(body && !strstr(body, "NetworkingConfig"));
	free(body);
	body = NULL;
	/* host and none pass through. */
	free(s->network_mode);
	s->network_mode = strdup("none");
	CHECK_INT(docker_create_body(&body, &c, &err), 0);
	has(body, "\"NetworkMode\":\"none\"");
	free(body);
	/* container_name replaces <project>-<service>-<n>. */
	body = model_container_name(p, "files", 1);
	CHECK_STR(body, "shop-files");
	free(body);
	body = model_container_name(p, "db", 2);
	CHECK_STR(body, "shop-db-2");
	free(body);
	kvv_free(&ids);
	model_project_free(p);
}

/* Configs and environment secrets mount <files_dir>/<hash>; file secrets their host path. */
static void test_docker_create__config_and_secret_mounts(void)
{
	struct project *p = fixture_project();
	struct service *s = &p->services[0];
	struct docker_create c;
	struct err err = ERR_INIT;
	struct kvv ids;
	char *body = NULL, dir[] = "/tmp/test_docker_create.XXXXXX", path[256];
	struct stat st;
	FILE *f;

	fixture_file_ref(&s->configs, &s->nconfigs, "nginx", "/etc/nginx.conf", 'a', NULL);
	fixture_file_ref(&s->secrets, &s->nsecrets, "api_key", "/run/secrets/api_key", 'b', NULL);
	fixture_file_ref(&s->secrets, &s->nsecrets, "tls", "/run/secrets/tls", 'c', "/etc/tls.pem");
	fixture_create(&c, &ids, p);
	/* Without a files directory there is nowhere to mount from. */
	CHECK_INT(docker_create_body(&body, &c, &err), ERR_INVALID);
	CHECK(body == NULL);
	err_clear(&err);
	c.files_dir = "/var/lib/deployctl/files";
	CHECK_INT(docker_create_body(&body, &c, &err), 0);
	has(body, "{\"ReadOnly\":true,\"Source\":\"/var/lib/deployctl/files/"
	          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
	          "\"Target\":\"/etc/nginx.conf\",\"Type\":\"bind\"}");
	has(body, "{\"ReadOnly\":true,\"Source\":\"/var/lib/deployctl/files/"
	          "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\","
	          "\"Target\":\"/run/secrets/api_key\",\"Type\":\"bind\"}");
	has(body, "{\"ReadOnly\":true,\"Source\":\"/etc/tls.pem\",\"Target\":\"/run/secrets/tls\","
	          "\"Type\":\"bind\"}");
	free(body);

	/* files_materialize writes configs 0444 and environment secrets 0400, once. */
	p->configs = calloc(1, sizeof(*p->configs));
	p->nconfigs = 1;
	p->configs[0].name = strdup("nginx");
	p->configs[0].content = strdup("listen 80;\n");
	p->configs[0].content_len = strlen("listen 80;\n");
	hash_sha256_hex(p->configs[0].content_hash, "listen 80;\n", p->configs[0].content_len);
	p->secrets = calloc(2, sizeof(*p->secrets));
	p->nsecrets = 2;
	p->secrets[0].name = strdup("api_key");
	p->secrets[0].environment = strdup("API_KEY");
	p->secrets[0].content = strdup("s3cr3t");
	p->secrets[0].content_len = 6;
	hash_sha256_hex(p->secrets[0].content_hash, "s3cr3t", 6);
	p->secrets[1].name = strdup("tls");
	p->secrets[1].file = strdup("/etc/tls.pem");
	memset(p->secrets[1].content_hash, 'c', 64);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/files", dir);
	CHECK_INT(files_materialize(p, path, &err), 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/files/%s", dir, p->configs[0].content_hash);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0444);
	f = fopen(path, "re");
	CHECK(f != NULL);
	if (f) {
		char got[32] = "";

		CHECK(fgets(got, sizeof(got), f) != NULL);
		CHECK_STR(got, "listen 80;\n");
		fclose(f);
	}
	unlink(path);
	snprintf(path, sizeof(path), "%s/files/%s", dir, p->secrets[0].content_hash);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0400);
	CHECK_INT((int)st.st_size, 6);
	/* Present files are kept; file secrets are not copied. */
	CHECK_INT(files_materialize(p, dir, &err), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", dir, p->configs[0].content_hash);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", dir, p->secrets[0].content_hash);
	unlink(path);
	snprintf(path, sizeof(path), "%s/files/%s", dir, p->secrets[1].content_hash);
	CHECK(stat(path, &st) != 0);
	snprintf(path, sizeof(path), "%s/files", dir);
	rmdir(path);
	CHECK_INT(rmdir(dir), 0);
	kvv_free(&ids);
	model_project_free(p);
}

int main(void)
{
	RUN(test_docker_create__body);
	RUN(test_docker_create__connect_body);
	RUN(test_docker_create__minimal_and_defaults);
	RUN(test_docker_create__errors);
	RUN(test_docker_create__runtime_keys);
	RUN(test_docker_create__modes_and_volumes_from);
	RUN(test_docker_create__config_and_secret_mounts);
	return CHECK_DONE();
}
