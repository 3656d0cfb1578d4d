/*
 * test_docker_decode.c - the Engine API decoders on answers recorded from a
 * real Engine 20.10 daemon (tests/fixtures/docker/), plus URL and filter
 * encoding and image reference normalisation.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deployctl/buf.h"
#include "deployctl/docker.h"
#include "deployctl/err.h"
#include "docker_fixture.h"
#include "docker_internal.h"

/* fixtures/docker/name decoded as a container list: true when it has want entries (checked). */
static bool decode_fixture(struct docker_container **v, size_t *n, const char *name, size_t want)
{
	char *json = fixture(name);
	struct err err = ERR_INIT;

	CHECK(json != NULL);
	if (!json)
		return false;
	CHECK_INT(docker_decode_containers(v, n, json, &err), 0);
	free(json);
	CHECK_INT(*n, want);
	return *n == want;
}

static void test_docker_decode__containers(void)
{
	struct docker_container *v = NULL, *db, *web;
	size_t n = 0;

	if (!decode_fixture(&v, &n, "containers.json", 2))
		goto out;
	db = !strcmp(v[0].name, "h2fix-db-1") ? &v[0] : &v[1];
	web = db == &v[0] ? &v[1] : &v[0];
	CHECK_STR(db->name, "h2fix-db-1");
	CHECK_STR(db->state, "running");
	CHECK(strstr(db->status, "unhealthy") != NULL);
	CHECK_STR(db->project, "h2fix");
	CHECK_STR(db->service, "db");
	CHECK(db->release == NULL);
	CHECK(db->spec_hash == NULL);
	CHECK_INT(db->replica, 2);
	CHECK_STR(db->image, "deployctl-h2:pause");
	CHECK_STR(db->image_id,
	          "sha256:22dbd519abddbfe762e87ad71a36d8845ddb79d83bf57c3a1c13075a0f8e202b");
	CHECK_INT(strlen(db->id), 64);
	CHECK_INT(db->created, 1795603861);
	CHECK_INT(db->networks.n, 1);
	CHECK_STR(db->networks.v[0], "h2fix_back");
	/* The named volume and the anonymous one, sorted. */
	CHECK_INT(db->volumes.n, 2);
	CHECK_STR(db->volumes.v[0],
	          "b6f5481d65fdaac4781d8b942ce09b5247201476d6e9caa4846db5b4d51fc9be");
	CHECK_STR(db->volumes.v[1], "h2fix_data");

	CHECK_STR(web->state, "created");
	CHECK_STR(web->release, "r1");
	CHECK_STR(web->spec_hash, "abc123");
	CHECK_INT(web->replica, 1);
	CHECK_INT(web->networks.n, 2);
	CHECK_STR(web->networks.v[0], "h2fix_back");
	CHECK_STR(web->networks.v[1], "h2fix_default");
	CHECK_INT(web->volumes.n, 1);
out:
	docker_container_list_free(v, n);
}

static void test_docker_decode__containers_empty_and_bad(void)
{
	struct docker_container *v = NULL;
	struct err err = ERR_INIT;
	size_t n = 99;

	CHECK_INT(docker_decode_containers(&v, &n, "[]", &err), 0);
	CHECK_INT(n, 0);
	docker_container_list_free(v, n);
	CHECK_INT(docker_decode_containers(&v, &n, "[{\"Id\":", &err), ERR_UNREACHABLE);
	CHECK(strstr(err.msg, "bad JSON from '/containers/json'") != NULL);
	err_clear(&err);
	CHECK_INT(docker_decode_containers(&v, &n, "{\"message\":\"x\"}", &err), ERR_UNREACHABLE);
	err_clear(&err);
	/* A bad replica label reads as 0, not as an error. */
	CHECK_INT(docker_decode_containers(&v, &n,
	                                   "[{\"Id\":\"a\",\"Names\":[\"/x\"],\"Labels\":"
	                                   "{\"io.deployctl.replica\":\"2x\"}}]",
	                                   &err),
	          0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_INT(v[0].replica, 0);
		CHECK_STR(v[0].name, "x");
		CHECK_INT(v[0].networks.n, 0);
	}
	docker_container_list_free(v, n);
}

static void test_docker_decode__ports(void)
{
	struct docker_container *v = NULL;
	struct err err = ERR_INIT;
	size_t n = 0;

	if (!decode_fixture(&v, &n, "containers_ports.json", 1))
		goto out;
	/* Published bindings only (not the exposed 9090), sorted; IPv4 and IPv6 both kept. */
	CHECK_INT(v[0].ports.n, 4);
	if (v[0].ports.n == 4) {
		CHECK_STR(v[0].ports.v[0], "0.0.0.0:18082/udp");
		CHECK_STR(v[0].ports.v[1], "127.0.0.1:18081/tcp");
		CHECK_STR(v[0].ports.v[2], "127.0.0.1:18083/tcp");
		CHECK_STR(v[0].ports.v[3], ":::18082/udp");
	}
	docker_container_list_free(v, n);
	v = NULL;
	n = 0;
	/* Duplicates collapse; no Ports at all is an empty list. */
	CHECK_INT(docker_decode_containers(&v, &n,
	                                   "[{\"Id\":\"a\",\"Ports\":["
	                                   "{\"IP\":\"127.0.0.1\",\"PrivatePort\":80,"
	                                   "\"PublicPort\":8080,\"Type\":\"tcp\"},"
	                                   "{\"IP\":\"127.0.0.1\",\"PrivatePort\":80,"
	                                   "\"PublicPort\":8080,\"Type\":\"tcp\"}]},"
	                                   "{\"Id\":\"b\"}]",
	                                   &err),
	          0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_INT(v[0].ports.n, 1);
		CHECK_STR(v[0].ports.n ? v[0].ports.v[0] : NULL, "127.0.0.1:8080/tcp");
		CHECK_INT(v[1].ports.n, 0);
	}
out:
	docker_container_list_free(v, n);
}

static void test_docker_decode__images(void)
{
	char *json = fixture("images.json");
	const char *refs[] = { "deployctl-h2:pause", "docker.io/library/deployctl-h2:empty",
		               "deployctl-h2", "sha256:22dbd519abdd", "nosuch:latest" };
	char *ids[5] = { 0 };
	struct err err = ERR_INIT;
	size_t i;

	CHECK(json != NULL);
	if (!json)
		return;
	CHECK_INT(docker_decode_images(ids, json, refs, 5, &err), 0);
	CHECK_STR(ids[0],
	          "sha256:22dbd519abddbfe762e87ad71a36d8845ddb79d83bf57c3a1c13075a0f8e202b");
	CHECK_STR(ids[1],
	          "sha256:d3b2384912f56734c243e9b21509878ff033c4485aeb72621e51bcbb4c1e9f29");
	CHECK(ids[2] == NULL); /* means deployctl-h2:latest, which is not there */
	CHECK(ids[3] == NULL); /* by ID: resolved by inspect, not from the list */
	CHECK(ids[4] == NULL);
	for (i = 0; i < 5; i++)
		free(ids[i]);
	free(json);
}

static void test_docker_decode__ref_normalise(void)
{
	static const char *const cases[][2] = {
		{ "nginx", "nginx:latest" },
		{ "nginx:1.25", "nginx:1.25" },
		{ "docker.io/library/nginx:1.25", "nginx:1.25" },
		{ "library/nginx", "nginx:latest" },
		{ "docker.io/grafana/grafana", "grafana/grafana:latest" },
		{ "localhost:5000/app", "localhost:5000/app:latest" },
		{ "localhost:5000/app:v2", "localhost:5000/app:v2" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = docker_ref_normalise(cases[i][0]);

		CHECK_STR(s, cases[i][1]);
		free(s);
	}
}

static void test_docker_decode__networks(void)
{
	char *json = fixture("networks.json"), *byname = fixture("networks_by_name.json");
	struct docker_resource *v = NULL;
	struct err err = ERR_INIT;
	size_t n = 0, i;
	int seen = 0;

	CHECK(json && byname);
	if (!json || !byname)
		goto out;
	CHECK_INT(docker_decode_resources(&v, &n, RES_NETWORK, json, &err), 0);
	CHECK_INT(n, 2);
	for (i = 0; i < n; i++) {
		if (!strcmp(v[i].name, "h2fix_back")) {
			CHECK_STR(v[i].key, "back");
			CHECK_STR(
			        v[i].id,
			        "7c311923a10e25d05c37e9a9a6ea8f56b11249f72debc074ed48643ec48f3507");
			seen |= 1;
		} else if (!strcmp(v[i].name, "h2fix_default")) {
			CHECK_STR(v[i].key, "default");
			seen |= 2;
		}
	}
	CHECK_INT(seen, 3);
	docker_resource_list_free(v, n);
	v = NULL;
	CHECK_INT(docker_decode_resources(&v, &n, RES_NETWORK, byname, &err), 0);
	CHECK_INT(n, 1);
	CHECK_STR(n ? v[0].name : NULL, "h2fix_back");
	docker_resource_list_free(v, n);
	CHECK_INT(docker_decode_resources(&v, &n, RES_NETWORK, "[{\"Name\":\"x\"}]", &err),
	          ERR_UNREACHABLE);
out:
	free(json);
	free(byname);
}

static void test_docker_decode__volumes(void)
{
	char *json = fixture("volumes.json"), *empty = fixture("volumes_empty.json");
	struct docker_resource *v = NULL;
	struct err err = ERR_INIT;
	size_t n = 0;

	CHECK(json && empty);
	if (!json || !empty)
		goto out;
	CHECK_INT(docker_decode_resources(&v, &n, RES_VOLUME, json, &err), 0);
	CHECK_INT(n, 1);
	CHECK_STR(n ? v[0].name : NULL, "h2fix_data");
	CHECK_STR(n ? v[0].key : NULL, "data");
	docker_resource_list_free(v, n);
	CHECK_INT(docker_decode_resources(&v, &n, RES_VOLUME, empty, &err), 0);
	CHECK_INT(n, 0);
	docker_resource_list_free(v, n);
	/* Engine 20.10 also answers "Volumes": null. */
	CHECK_INT(docker_decode_resources(&v, &n, RES_VOLUME,
	                                  "{\"Volumes\":null,\"Warnings\":null}", &err),
	          0);
	CHECK_INT(n, 0);
	docker_resource_list_free(v, n);
out:
	free(json);
	free(empty);
}

static void test_docker_decode__state(void)
{
	const char *names[] = { "container_unhealthy.json", "container_created.json",
		                "container_exited.json" };
	struct docker_container_state s[3];
	struct err err = ERR_INIT;
	size_t i;

	memset(s, 0, sizeof(s));
	for (i = 0; i < 3; i++) {
		char *json = fixture(names[i]);

		CHECK(json != NULL);
		if (json)
			CHECK_INT(docker_decode_state(&s[i], json, &err), 0);
		free(json);
	}
	CHECK_STR(s[0].status, "running");
	CHECK_STR(s[0].health, "unhealthy");
	CHECK(s[0].health_output && strstr(s[0].health_output, "/bin/sh"));
	CHECK_INT(s[0].exit_code, 0);
	CHECK_STR(s[1].status, "created");
	CHECK(s[1].health == NULL);
	CHECK(s[1].health_output == NULL);
	CHECK_STR(s[2].status, "exited");
	CHECK_INT(s[2].exit_code, 137);
	CHECK_INT(s[2].oom_killed, 0);
	CHECK_INT(s[2].restarting, 0);
	for (i = 0; i < 3; i++)
		docker_container_state_release(&s[i]);
	CHECK_INT(docker_decode_state(&s[0], "{}", &err), ERR_UNREACHABLE);
}

static void test_docker_decode__http_error(void)
{
	char *json = fixture("error_conflict.json");
	struct err err = ERR_INIT;
	struct buf b;

	buf_init(&b, 0);
	CHECK(json != NULL);
	if (json)
		buf_puts(&b, json);
	CHECK_INT(docker_http_check(200, &b, "create \"h2fix-web-1\"", &err), 0);
	CHECK_INT(err.code, 0);
	CHECK_INT(docker_http_check(409, &b, "create \"h2fix-web-1\"", &err), ERR_DOCKER);
	CHECK(!strncmp(err.msg, "docker: create \"h2fix-web-1\": Conflict. The container name",
	               57));
	err_clear(&err);
	buf_reset(&b);
	buf_puts(&b, "{\"message\":\"No such container: x\"}");
	CHECK_INT(docker_http_check(404, &b, "start \"x\"", &err), ERR_NOTFOUND);
	CHECK_STR(err.msg, "docker: start \"x\": No such container: x");
	err_clear(&err);
	buf_reset(&b);
	buf_puts(&b, "page not found\n");
	CHECK_INT(docker_http_check(500, &b, "ping", &err), ERR_DOCKER);
	CHECK_STR(err.msg, "docker: ping: page not found");
	buf_release(&b);
	free(json);
}

static void test_docker_decode__query_encoding(void)
{
	const char *values[] = { "io.deployctl.project=shop" };
	const char *two[] = { "a b", "x&y" };
	struct buf b;

	buf_init(&b, 0);
	CHECK_INT(docker_filter_query(&b, "label", values, 1), 0);
	CHECK_STR(b.ptr, "filters=%7B%22label%22%3A%5B%22io.deployctl.project%3Dshop%22%5D%7D");
	buf_reset(&b);
	CHECK_INT(docker_filter_query(&b, "reference", two, 2), 0);
	CHECK_STR(b.ptr, "filters=%7B%22reference%22%3A%5B%22a%20b%22%2C%22x%26y%22%5D%7D");
	buf_reset(&b);
	CHECK_INT(docker_urlencode(&b, "web-1_a.b~"), 0);
	CHECK_STR(b.ptr, "web-1_a.b~");
	buf_release(&b);
}

/* Host selection and an unreachable socket need no daemon. */
static void test_docker_decode__open_errors(void)
{
	struct docker *d = NULL;
	struct err err = ERR_INIT;

	CHECK_INT(docker_open(&d, "tcp://127.0.0.1:2375", &err), ERR_INVALID);
	CHECK(strstr(err.msg, "only unix sockets are supported") != NULL);
	CHECK(d == NULL);
	err_clear(&err);
	CHECK_INT(docker_open(&d, "unix:///nonexistent/docker.sock", &err), ERR_UNREACHABLE);
	CHECK(strstr(err.msg, "/nonexistent/docker.sock") != NULL);
	CHECK(d == NULL);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
	RUN(test_docker_decode__open_errors);
	RUN(test_docker_decode__containers);
	RUN(test_docker_decode__containers_empty_and_bad);
	RUN(test_docker_decode__ports);
	RUN(test_docker_decode__images);
	RUN(test_docker_decode__ref_normalise);
	RUN(test_docker_decode__networks);
	RUN(test_docker_decode__volumes);
	RUN(test_docker_decode__state);
	RUN(test_docker_decode__http_error);
	RUN(test_docker_decode__query_encoding);
	curl_global_cleanup();
	return CHECK_DONE();
}
