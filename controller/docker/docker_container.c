/*
 * docker_container.c - the Engine's containers: list a project's (one
 * filtered call), create, start, stop, remove, rename, and inspect a
 * container's state, with the decoders from the daemon's JSON to struct
 * docker_container and struct docker_container_state. The decoders are
 * pure, so tests feed them recorded answers (tests/fixtures/docker/).
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deployctl/buf.h"
#include "deployctl/clock.h"
#include "deployctl/docker.h"
#include "deployctl/err.h"
#include "docker_internal.h"
#include "docker_json.h"

/* ---- containers ------------------------------------------------------ */

void docker_container_release(struct docker_container *c)
{
	free(c->id);
	free(c->name);
	free(c->image);
	free(c->image_id);
	free(c->state);
	free(c->status);
	free(c->project);
	free(c->service);
	free(c->release);
	free(c->spec_hash);
	free(c->owner);
	free(c->owner_host);
	free(c->owner_state);
	free(c->job);
	strv_free(&c->networks);
	strv_free(&c->volumes);
	strv_free(&c->ports);
	memset(c, 0, sizeof(*c));
}

/* The list decoder's release of one element. */
static void container_release(void *elem)
{
	docker_container_release(elem);
}

unsigned docker_parse_replica(const char *s)
{
	unsigned long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return 0;
	v = strtoul(s, &end, 10);
	if (*end || v > 1000000ul)
		return 0;
	return (unsigned)v;
}

void docker_strv_uniq(struct strv *s)
{
	size_t i, j = 0;

	for (i = 0; i < s->n; i++) {
		if (j > 0 && !strcmp(s->v[j - 1], s->v[i])) {
			free(s->v[i]);
			continue;
		}
		s->v[j++] = s->v[i];
	}
	s->n = j;
}

int docker_port_push(struct strv *out, long long pub, const char *ip, const char *type)
{
	char one[128];

	if (pub <= 0 || pub > 65535)
		return 0; /* exposed only */
	snprintf(one, sizeof(one), "%.64s:%u/%.16s", ip ? ip : "", (unsigned)pub,
	         type ? type : "tcp");
	return strv_push(out, one) < 0 ? ERR_NOMEM : 0;
}

/* Published bindings of a list entry's Ports: "IP:PublicPort/Type", sorted, unique. */
static int decode_ports(struct strv *out, json_t *ports, struct err *err)
{
	json_t *p;
	size_t i;

	json_array_foreach(ports, i, p)
	{
		if (docker_port_push(out, json_integer_value(json_object_get(p, "PublicPort")),
		                     json_string_value(json_object_get(p, "IP")),
		                     json_string_value(json_object_get(p, "Type"))) < 0)
			return docker_nomem(err);
	}
	strv_sort(out);
	docker_strv_uniq(out);
	return 0;
}

static int decode_container(void *elem, json_t *o, struct err *err)
{
	struct docker_container *c = elem;
	json_t *labels = json_object_get(o, "Labels");
	json_t *names = json_object_get(o, "Names");
	json_t *nets = json_object_get(json_object_get(o, "NetworkSettings"), "Networks");
	json_t *mounts = json_object_get(o, "Mounts"), *v;
	const char *name = json_string_value(json_array_get(names, 0)), *key;
	size_t i;

	if (!json_is_object(o) || !json_string_value(json_object_get(o, "Id")))
		return err_set(err, ERR_UNREACHABLE,
		               "bad JSON from '/containers/json': entry without Id");
	if (docker_dup_str(&c->id, o, "Id", err) < 0 ||
	    docker_dup_str(&c->image, o, "Image", err) < 0 ||
	    docker_dup_str(&c->image_id, o, "ImageID", err) < 0 ||
	    docker_dup_str(&c->state, o, "State", err) < 0 ||
	    docker_dup_str(&c->status, o, "Status", err) < 0 ||
	    docker_dup_label(&c->project, labels, LABEL_PROJECT, err) < 0 ||
	    docker_dup_label(&c->service, labels, LABEL_SERVICE, err) < 0 ||
	    docker_dup_label(&c->release, labels, LABEL_RELEASE, err) < 0 ||
	    docker_dup_label(&c->spec_hash, labels, LABEL_SPEC_HASH, err) < 0 ||
	    docker_dup_label(&c->owner, labels, LABEL_OWNER, err) < 0 ||
	    docker_dup_label(&c->owner_host, labels, LABEL_OWNER_HOST, err) < 0 ||
	    docker_dup_label(&c->owner_state, labels, LABEL_OWNER_STATE, err) < 0 ||
	    docker_dup_label(&c->job, labels, LABEL_JOB, err) < 0)
		return ERR_NOMEM;
	if (name) {
		c->name = strdup(name[0] == '/' ? name + 1 : name);
		if (!c->name)
			return docker_nomem(err);
	}
	c->replica =
	        docker_parse_replica(json_string_value(json_object_get(labels, LABEL_REPLICA)));
	c->created = json_integer_value(json_object_get(o, "Created"));
	json_object_foreach(nets, key, v)
	{
		if (strv_push(&c->networks, key) < 0)
			return docker_nomem(err);
	}
	strv_sort(&c->networks);
	json_array_foreach(mounts, i, v)
	{
		const char *type = json_string_value(json_object_get(v, "Type"));
		const char *vname = json_string_value(json_object_get(v, "Name"));

		if (type && vname && !strcmp(type, "volume") && strv_push(&c->volumes, vname) < 0)
			return docker_nomem(err);
	}
	strv_sort(&c->volumes);
	return decode_ports(&c->ports, json_object_get(o, "Ports"), err);
}

static const struct docker_list_decoder container_list = {
	"/containers/json", "containers",      NULL, sizeof(struct docker_container),
	decode_container,   container_release,
};

void docker_container_list_free(struct docker_container *v, size_t n)
{
	docker_list_free(v, n, &container_list);
}

int docker_decode_containers_jansson(struct docker_container **out, size_t *n, const char *json,
                                     struct err *err)
{
	return docker_list_decode((void **)out, n, json, &container_list, err);
}

/*
 * The fast reader (docker_container_scan.c) first; what it does not accept
 * goes through jansson, whose error is the one reported.
 */
int docker_decode_containers(struct docker_container **out, size_t *n, const char *json,
                             struct err *err)
{
	int rc = docker_scan_containers(out, n, json);

	if (rc == ERR_NOMEM)
		return docker_nomem(err);
	if (rc == 0)
		return 0;
	return docker_decode_containers_jansson(out, n, json, err);
}

/* A project's containers (all of deployctl's: project NULL), decoded. */
static int container_fetch(struct docker_container **out, size_t *n, struct docker *d,
                           const char *project, struct err *err)
{
	struct buf resp;
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	rc = docker_list_by_project(&resp, d, container_list.what, "all=1&", project, err);
	if (rc == 0)
		rc = docker_decode_containers(out, n, resp.ptr, err);
	buf_release(&resp);
	return rc;
}

/* Keep the job containers (jobs true) or the others of v[0..*n). */
static void keep_jobs(struct docker_container *v, size_t *n, bool jobs)
{
	size_t i, k = 0;

	for (i = 0; i < *n; i++) {
		if ((v[i].job != NULL) != jobs) {
			docker_container_release(&v[i]);
			continue;
		}
		if (k != i)
			v[k] = v[i];
		k++;
	}
	*n = k;
}

int docker_container_list(struct docker_container **out, size_t *n, struct docker *d,
                          const char *project, struct err *err)
{
	int rc = container_fetch(out, n, d, project, err);

	/* A job's one-off container is never a service's: reconcile, prune, status skip it. */
	if (rc == 0)
		keep_jobs(*out, n, false);
	return rc;
}

int docker_container_list_since(struct docker_container **out, size_t *n, bool *unchanged,
                                struct buf *last, struct docker *d, const char *project,
                                struct err *err)
{
	struct buf resp;
	int rc;

	*out = NULL;
	*n = 0;
	*unchanged = false;
	buf_init(&resp, DOCKER_RESPONSE_CAP);
	rc = docker_list_by_project(&resp, d, container_list.what, "all=1&", project, err);
	if (rc == 0 && last->len && resp.len == last->len &&
	    !memcmp(resp.ptr, last->ptr, resp.len)) {
		*unchanged = true;
		buf_release(&resp);
		return 0;
	}
	if (rc == 0)
		rc = docker_decode_containers(out, n, resp.ptr, err);
	if (rc == 0)
		keep_jobs(*out, n, false);
	buf_release(last);
	if (rc == 0)
		*last = resp; /* the caller's now */
	else
		buf_release(&resp);
	return rc;
}

int docker_job_list(struct docker_container **out, size_t *n, struct docker *d, const char *project,
                    struct err *err)
{
	int rc = container_fetch(out, n, d, project, err);

	if (rc == 0)
		keep_jobs(*out, n, true);
	return rc;
}

int docker_container_create(char **id_out, struct docker *d, const struct docker_create *c,
                            struct err *err)
{
	struct buf resp, path;
	char *body = NULL, *id = NULL, *cbody = NULL;
	const char *net_id;
	char what[300];
	size_t i;
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	buf_init(&path, 0);
	rc = docker_create_body(&body, c, err);
	if (rc < 0)
		goto out;
	/* platform: (API 1.41) picks the variant of a multi-platform image. */
	if (buf_puts(&path, "/containers/create?name=") < 0 ||
	    docker_urlencode(&path, c->name) < 0 ||
	    (c->service->platform && (buf_puts(&path, "&platform=") < 0 ||
	                              docker_urlencode(&path, c->service->platform) < 0))) {
		rc = docker_nomem(err);
		goto out;
	}
	docker_what(what, sizeof(what), "create", c->name);
	rc = docker_call(&resp, d, "POST", path.ptr, body, 0, what, err);
	if (rc == 0)
		rc = docker_decode_id(&id, resp.ptr, "/containers/create", err);
	if (rc < 0)
		goto out;
	for (i = 1; i < c->service->nnetworks; i++) {
		free(cbody);
		cbody = NULL;
		rc = docker_connect_body(&cbody, &net_id, c, i, id, err);
		if (rc < 0)
			goto out_remove;
		buf_reset(&path);
		if (buf_puts(&path, "/networks/") < 0 || docker_urlencode(&path, net_id) < 0 ||
		    buf_puts(&path, "/connect") < 0) {
			rc = docker_nomem(err);
			goto out_remove;
		}
		snprintf(what, sizeof(what), "connect \"%s\" to network '%s'", c->name,
		         c->service->networks[i].name);
		rc = docker_call(&resp, d, "POST", path.ptr, cbody, 0, what, err);
		if (rc < 0)
			goto out_remove;
	}
	*id_out = id;
	id = NULL;
	rc = 0;
	goto out;
out_remove:
	/* Do not leave a half-attached container behind; the first error is what counts. */
	docker_container_remove(d, id, DOCKER_REMOVE_FORCE | DOCKER_REMOVE_VOLUMES, err);
out:
	free(id);
	free(body);
	free(cbody);
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

/* POST/DELETE /containers/{id}<suffix> where some statuses are fine. */
static int container_op(struct docker *d, const char *method, const char *id, const char *suffix,
                        const char *verb, long timeout_s, long ok_status, struct err *err)
{
	struct buf resp, path;
	long status = 0;
	char what[200];
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	buf_init(&path, 0);
	if (buf_puts(&path, "/containers/") < 0 || docker_urlencode(&path, id) < 0 ||
	    buf_puts(&path, suffix) < 0) {
		rc = docker_nomem(err);
		goto out;
	}
	rc = docker_request(&status, &resp, d, method, path.ptr, NULL, timeout_s, err);
	if (rc < 0 || status == ok_status)
		goto out;
	docker_what(what, sizeof(what), verb, id);
	rc = docker_http_check(status, &resp, what, err);
out:
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

int docker_container_start(struct docker *d, const char *id, struct err *err)
{
	/* 304: already started. */
	return container_op(d, "POST", id, "/start", "start", 120, 304, err);
}

int docker_container_stop(struct docker *d, const char *id, int timeout_s, struct err *err)
{
	char suffix[48];
	long limit;

	if (timeout_s >= 0) {
		snprintf(suffix, sizeof(suffix), "/stop?t=%d", timeout_s);
		limit = (long)timeout_s + 30;
	} else {
		snprintf(suffix, sizeof(suffix), "/stop");
		limit = 600; /* the container's StopTimeout is not known here */
	}
	/* 304: already stopped. */
	return container_op(d, "POST", id, suffix, "stop", limit, 304, err);
}

int docker_container_remove(struct docker *d, const char *id, unsigned flags, struct err *err)
{
	static const char *const suffix[] = { "", "?force=1", "?v=1", "?force=1&v=1" };

	/* 404: already gone. */
	return container_op(d, "DELETE", id, suffix[flags & 3], "remove", 0, 404, err);
}

int docker_container_rename(struct docker *d, const char *id, const char *name, struct err *err)
{
	struct buf suffix;
	int rc;

	buf_init(&suffix, 0);
	if (buf_puts(&suffix, "/rename?name=") < 0 || docker_urlencode(&suffix, name) < 0) {
		buf_release(&suffix);
		return docker_nomem(err);
	}
	rc = container_op(d, "POST", id, suffix.ptr, "rename", 0, 0, err);
	buf_release(&suffix);
	return rc;
}

void docker_container_state_release(struct docker_container_state *s)
{
	free(s->status);
	free(s->health);
	free(s->health_output);
	memset(s, 0, sizeof(*s));
}

int docker_decode_state(struct docker_container_state *out, const char *json, struct err *err)
{
	json_t *root = docker_load_json(json, "/containers/{id}/json", JSON_OBJECT, err);
	json_t *state, *health, *log;
	struct docker_container_state s = { 0 };
	int rc;

	if (!root)
		return err->code;
	state = json_object_get(root, "State");
	if (!json_is_object(state)) {
		rc = err_set(err, ERR_UNREACHABLE,
		             "bad JSON from '/containers/{id}/json': no State");
		goto out;
	}
	health = json_object_get(state, "Health");
	log = json_object_get(health, "Log");
	if (docker_dup_str(&s.status, state, "Status", err) < 0 ||
	    docker_dup_str(&s.health, health, "Status", err) < 0 ||
	    docker_dup_str(&s.health_output, json_array_get(log, json_array_size(log) - 1),
	                   "Output", err) < 0) {
		rc = ERR_NOMEM;
		goto out;
	}
	s.exit_code = (int)json_integer_value(json_object_get(state, "ExitCode"));
	s.health_exit_code = -1;
	if (json_is_integer(
	            json_object_get(json_array_get(log, json_array_size(log) - 1), "ExitCode")))
		s.health_exit_code = (int)json_integer_value(
		        json_object_get(json_array_get(log, json_array_size(log) - 1), "ExitCode"));
	s.restarting = json_is_true(json_object_get(state, "Restarting"));
	s.oom_killed = json_is_true(json_object_get(state, "OOMKilled"));
	s.restart_count = (int)json_integer_value(json_object_get(root, "RestartCount"));
	*out = s;
	memset(&s, 0, sizeof(s));
	rc = 0;
out:
	docker_container_state_release(&s);
	json_decref(root);
	return rc;
}

int docker_container_inspect_state(struct docker_container_state *out, struct docker *d,
                                   const char *id, struct err *err)
{
	struct buf resp, path;
	char what[200];
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	buf_init(&path, 0);
	if (buf_puts(&path, "/containers/") < 0 || docker_urlencode(&path, id) < 0 ||
	    buf_puts(&path, "/json") < 0) {
		rc = docker_nomem(err);
		goto out;
	}
	docker_what(what, sizeof(what), "inspect", id);
	rc = docker_call(&resp, d, "GET", path.ptr, NULL, 0, what, err);
	if (rc == 0)
		rc = docker_decode_state(out, resp.ptr, err);
out:
	buf_release(&path);
	buf_release(&resp);
	return rc;
}
