/*
 * docker_swarm_ops.c - the Swarm calls of status, exec, restart and down:
 * the project's tasks (one /tasks call on the stack label, which Swarm
 * matches against each task's service labels, so tasks of a service just
 * removed are still listed until they are gone), a listed service's spec
 * read for what status shows, the forced rolling update of restart, and
 * this daemon's node.
 */
#include "deployctl/docker_swarm_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_internal.h"
#include "docker_json.h"

static void task_release(void *elem)
{
	struct docker_task *t = elem;

	free(t->id);
	free(t->service_id);
	free(t->service);
	free(t->node_id);
	free(t->state);
	free(t->desired);
	free(t->error);
	free(t->image);
	free(t->spec_hash);
	free(t->container_id);
	memset(t, 0, sizeof(*t));
}

static int task_decode(void *elem, json_t *o, struct err *err)
{
	struct docker_task *t = elem;
	json_t *spec = json_object_get(o, "Spec");
	json_t *cs = json_object_get(spec, "ContainerSpec");
	json_t *labels = json_object_get(cs, "Labels");
	json_t *st = json_object_get(o, "Status");
	json_int_t slot = json_integer_value(json_object_get(o, "Slot"));
	json_int_t force = json_integer_value(json_object_get(spec, "ForceUpdate"));

	t->slot = slot > 0 && slot < 1000000 ? (unsigned)slot : 0;
	t->force_update = force > 0 ? (uint64_t)force : 0;
	t->since = docker_parse_time(json_string_value(json_object_get(st, "Timestamp")));
	if (docker_dup_str(&t->id, o, "ID", err) < 0 ||
	    docker_dup_str(&t->service_id, o, "ServiceID", err) < 0 ||
	    docker_dup_label(&t->service, labels, LABEL_SERVICE, err) < 0 ||
	    docker_dup_str(&t->node_id, o, "NodeID", err) < 0 ||
	    docker_dup_str(&t->state, st, "State", err) < 0 ||
	    docker_dup_str(&t->desired, o, "DesiredState", err) < 0 ||
	    docker_dup_str(&t->error, st, "Err", err) < 0 ||
	    docker_dup_str(&t->image, cs, "Image", err) < 0 ||
	    docker_dup_label(&t->spec_hash, labels, LABEL_SPEC_HASH, err) < 0 ||
	    docker_dup_str(&t->container_id, json_object_get(st, "ContainerStatus"), "ContainerID",
	                   err) < 0)
		return err->code;
	if (!t->id || !t->state || !t->desired)
		return err_set(err, ERR_DOCKER,
		               "bad JSON from '/tasks': a task without ID or state");
	return 0;
}

static const struct docker_list_decoder task_decoder = {
	.what = "/tasks",
	.noun = "tasks",
	.size = sizeof(struct docker_task),
	.decode = task_decode,
	.release = task_release,
};

void docker_tasks_free(struct docker_task *v, size_t n)
{
	docker_list_free(v, n, &task_decoder);
}

int docker_decode_tasks(struct docker_task **out, size_t *n, const char *json, struct err *err)
{
	void *v = NULL;
	int rc = docker_list_decode(&v, n, json, &task_decoder, err);

	if (rc == 0)
		*out = v;
	return rc;
}

bool docker_task_active(const struct docker_task *t)
{
	static const char *const dead[] = { "complete", "shutdown", "failed", "rejected",
		                            "remove",   "orphaned", NULL };
	size_t i;

	for (i = 0; dead[i]; i++)
		if (!strcmp(t->state, dead[i]))
			return false;
	return true;
}

int docker_task_list(struct docker_task **out, size_t *n, struct docker *d, const char *project,
                     const char *service, struct err *err)
{
	struct buf path, resp;
	int rc;

	buf_init(&path, 0);
	buf_init(&resp, DOCKER_RESPONSE_CAP);
	if (docker_label_path(&path, "/tasks", LABEL_STACK, project, service ? LABEL_SERVICE : NULL,
	                      service) < 0) {
		rc = docker_nomem(err);
		goto out;
	}
	rc = docker_call(&resp, d, "GET", path.ptr, NULL, 0, "list tasks", err);
	if (rc == 0)
		rc = docker_decode_tasks(out, n, resp.ptr, err);
out:
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

void docker_service_view_release(struct docker_service_view *v)
{
	free(v->image);
	free(v->ports);
	memset(v, 0, sizeof(*v));
}

/* EndpointSpec.Ports as "published:target/proto", host mode marked. */
static int ports_text(struct buf *b, json_t *ports)
{
	json_t *p;
	size_t i;

	json_array_foreach(ports, i, p)
	{
		const char *proto = json_string_value(json_object_get(p, "Protocol"));
		const char *mode = json_string_value(json_object_get(p, "PublishMode"));

		if (buf_printf(b, "%s%lld:%lld/%s%s", i ? "," : "",
		               (long long)json_integer_value(json_object_get(p, "PublishedPort")),
		               (long long)json_integer_value(json_object_get(p, "TargetPort")),
		               proto ? proto : "tcp",
		               mode && !strcmp(mode, "host") ? " (host)" : "") < 0)
			return ERR_NOMEM;
	}
	return 0;
}

int docker_service_view(struct docker_service_view *out, const struct docker_service *s,
                        struct err *err)
{
	json_t *spec = docker_load_json(s->spec_json, "/services", JSON_OBJECT, err);
	json_t *tt, *cs, *test;
	struct buf ports;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!spec)
		return err->code;
	buf_init(&ports, 1u << 16);
	tt = json_object_get(spec, "TaskTemplate");
	cs = json_object_get(tt, "ContainerSpec");
	test = json_object_get(json_object_get(cs, "Healthcheck"), "Test");
	out->healthcheck = json_array_size(test) > 0 &&
	                   strcmp(json_string_value(json_array_get(test, 0))
	                                  ? json_string_value(json_array_get(test, 0))
	                                  : "",
	                          "NONE");
	out->force_update = (uint64_t)json_integer_value(json_object_get(tt, "ForceUpdate"));
	rc = docker_dup_str(&out->image, cs, "Image", err);
	if (rc == 0 &&
	    ports_text(&ports, json_object_get(json_object_get(spec, "EndpointSpec"), "Ports")) < 0)
		rc = docker_nomem(err);
	if (rc == 0 && !(out->ports = buf_detach(&ports)))
		rc = docker_nomem(err);
	buf_release(&ports);
	json_decref(spec);
	if (rc < 0)
		docker_service_view_release(out);
	return rc;
}

int docker_service_force_update(uint64_t *force_out, struct docker *d,
                                const struct docker_service *s, struct err *err)
{
	json_t *spec = docker_load_json(s->spec_json, "/services", JSON_OBJECT, err);
	json_t *tt;
	char *body = NULL;
	const char *image;
	uint64_t force;
	int rc;

	if (!spec)
		return err->code;
	tt = json_object_get(spec, "TaskTemplate");
	if (!json_is_object(tt)) {
		rc = err_set(err, ERR_DOCKER, "service %s has no TaskTemplate", s->name);
		goto out;
	}
	force = (uint64_t)json_integer_value(json_object_get(tt, "ForceUpdate")) + 1;
	image = json_string_value(json_object_get(json_object_get(tt, "ContainerSpec"), "Image"));
	if (json_object_set_new(tt, "ForceUpdate", json_integer((json_int_t)force)) < 0 ||
	    !(body = json_dumps(spec, JSON_COMPACT))) {
		rc = docker_nomem(err);
		goto out;
	}
	/* Registry credentials too: a task may be placed on a node that has to pull. */
	rc = docker_service_update(d, s->id, s->version, body, image, err);
	if (rc == 0)
		*force_out = force;
out:
	free(body);
	json_decref(spec);
	return rc;
}

int docker_swarm_node_self(char **out, struct docker *d, struct err *err)
{
	json_t *root = NULL;
	const char *id;
	int rc;

	rc = docker_get_json(&root, d, "/info", "info", "/info", JSON_OBJECT, err);
	if (rc == 0) {
		id = json_string_value(json_object_get(json_object_get(root, "Swarm"), "NodeID"));
		if (!id || !*id)
			rc = err_set(err, ERR_INVALID, "the daemon is not a Swarm node");
		else if (!(*out = strdup(id)))
			rc = docker_nomem(err);
	}
	json_decref(root);
	return rc;
}

int docker_swarm_node_name(char **out, struct docker *d, const char *node_id, struct err *err)
{
	json_t *root = NULL;
	const char *host = NULL;
	int rc;

	rc = docker_get_object(&root, d, "/nodes/", node_id, "", "inspect node", "/nodes/{id}",
	                       err);
	if (rc == 0) {
		host = json_string_value(
		        json_object_get(json_object_get(root, "Description"), "Hostname"));
		if (!(*out = strdup(host && *host ? host : node_id)))
			rc = docker_nomem(err);
	}
	json_decref(root);
	return rc;
}
