/*
 * test_swarm_ops.c - what status, exec and restart read from Swarm, on
 * answers recorded from a real Engine 20.10 single-node Swarm
 * (tests/fixtures/docker/swarm_*.json: a project of two services, api with
 * a healthcheck restarted once by a forced update, db without one): the
 * task list decoder and a service spec's view.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deployctl/buf.h"
#include "deployctl/docker_swarm_ops.h"
#include "deployctl/err.h"
#include "docker_fixture.h"

static void test_swarm_ops__tasks(void)
{
	char *json = fixture("swarm_tasks.json");
	struct docker_task *t = NULL;
	struct err err = ERR_INIT;
	size_t n = 0, i, running = 0, api_new = 0, api_old = 0;

	CHECK(json != NULL);
	CHECK_INT(docker_decode_tasks(&t, &n, json, &err), 0);
	CHECK_INT((int)n, 4);
	for (i = 0; i < n; i++) {
		CHECK(t[i].id && t[i].service_id && t[i].node_id && t[i].state && t[i].desired);
		CHECK(t[i].service != NULL);
		CHECK(t[i].image && !strncmp(t[i].image, "sha256:", 7));
		CHECK(t[i].spec_hash && strlen(t[i].spec_hash) == 64);
		CHECK_INT((int)t[i].slot, 1);
		CHECK(t[i].since > 1.7e9);
		if (!strcmp(t[i].state, "running")) {
			running++;
			CHECK(docker_task_active(&t[i]));
			CHECK(t[i].container_id && strlen(t[i].container_id) == 64);
		} else {
			CHECK_STR(t[i].state, "shutdown");
			CHECK(!docker_task_active(&t[i]));
		}
		if (!strcmp(t[i].service, "api")) {
			/* the restart's task carries the new ForceUpdate, the old ones 0 */
			api_new += t[i].force_update == 1 && !strcmp(t[i].state, "running");
			api_old += t[i].force_update == 0 && !strcmp(t[i].desired, "shutdown");
		}
	}
	CHECK_INT((int)running, 2);
	CHECK_INT((int)api_new, 1);
	CHECK_INT((int)api_old, 2);
	docker_tasks_free(t, n);
	free(json);

	/* a task without an ID is a bad answer, not a half-filled struct */
	CHECK(docker_decode_tasks(&t, &n, "[{\"Status\":{\"State\":\"running\"}}]", &err) < 0);
	CHECK_INT(err.code, ERR_DOCKER);
	err = (struct err)ERR_INIT;
	CHECK(docker_decode_tasks(&t, &n, "{\"message\":\"no\"}", &err) < 0);
	err = (struct err)ERR_INIT;
	CHECK_INT(docker_decode_tasks(&t, &n, "[]", &err), 0);
	CHECK_INT((int)n, 0);
	docker_tasks_free(t, n);
}

/* The Spec of one service of the fixture, as docker_service_list() keeps it. */
static char *spec_of(const char *all, const char *name)
{
	const char *p = strstr(all, name), *start, *q;
	int depth = 0;

	if (!p || !(start = strchr(p, '{')))
		return NULL;
	for (q = start; *q; q++) {
		depth += *q == '{';
		depth -= *q == '}';
		if (!depth)
			break;
	}
	return *q ? strndup(start, (size_t)(q - start + 1)) : NULL;
}

static void test_swarm_ops__service_view(void)
{
	char *all = fixture("swarm_service_specs.json");
	char id[] = "x", api[] = "scr1_api", db[] = "scr1_db";
	struct docker_service s = { .id = id, .name = api };
	struct docker_service_view v;
	struct err err = ERR_INIT;

	CHECK(all != NULL);
	s.spec_json = spec_of(all, "\"scr1_api\": ");
	CHECK(s.spec_json != NULL);
	CHECK_INT(docker_service_view(&v, &s, &err), 0);
	CHECK(v.healthcheck);
	CHECK_INT((int)v.force_update, 1);
	CHECK(v.image && !strncmp(v.image, "sha256:", 7));
	CHECK_STR(v.ports, "");
	docker_service_view_release(&v);
	free(s.spec_json);

	s.name = db;
	s.spec_json = spec_of(all, "\"scr1_db\": ");
	CHECK(s.spec_json != NULL);
	CHECK_INT(docker_service_view(&v, &s, &err), 0);
	CHECK(!v.healthcheck);
	CHECK_INT((int)v.force_update, 0);
	docker_service_view_release(&v);
	free(s.spec_json);

	/* published ports as status prints them; a NONE healthcheck is none */
	s.spec_json = strdup("{\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"a@sha256:00\","
	                     "\"Healthcheck\":{\"Test\":[\"NONE\"]}}},\"EndpointSpec\":{\"Ports\":["
	                     "{\"Protocol\":\"tcp\",\"TargetPort\":8080,\"PublishedPort\":18080,"
	                     "\"PublishMode\":\"ingress\"},{\"Protocol\":\"udp\",\"TargetPort\":53,"
	                     "\"PublishedPort\":53,\"PublishMode\":\"host\"}]}}");
	CHECK_INT(docker_service_view(&v, &s, &err), 0);
	CHECK(!v.healthcheck);
	CHECK_STR(v.ports, "18080:8080/tcp,53:53/udp (host)");
	CHECK_STR(v.image, "a@sha256:00");
	docker_service_view_release(&v);
	free(s.spec_json);

	s.spec_json = strdup("[1]");
	CHECK(docker_service_view(&v, &s, &err) < 0);
	free(s.spec_json);
	free(all);
}

int main(void)
{
	RUN(test_swarm_ops__tasks);
	RUN(test_swarm_ops__service_view);
	return CHECK_DONE();
}
