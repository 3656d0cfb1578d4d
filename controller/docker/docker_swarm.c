/*
 * docker_swarm.c - Swarm calls of the Engine API: is this a manager, services
 * (list by stack label, inspect, create, update with the version index,
 * remove), a service's tasks summed up for the rollout gate, configs and
 * secrets, overlay networks. The service spec itself is docker_swarm_spec.c.
 */
#include "deployctl/docker_swarm.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docker_internal.h"
#include "docker_json.h"

#define AUTH_HEADER "X-Registry-Auth: "

static int nomem(struct err *err)
{
	return err_set(err, ERR_NOMEM, "out of memory");
}

static char *dup_str(json_t *v)
{
	const char *s = json_string_value(v);

	return s ? strdup(s) : NULL;
}

static int bad_json(struct err *err, const char *what, const json_error_t *je)
{
	return err_set(err, ERR_DOCKER, "bad JSON from '%s': %s", what, je ? je->text : "shape");
}

/*
 * The ID a create call answered with (resp's member key) into *id_out
 * (new, the caller's); path names the call when the answer has none.
 */
static int created_id(char **id_out, const struct buf *resp, const char *key, const char *path,
                      struct err *err)
{
	json_t *root = json_loadb(resp->ptr, resp->len, 0, NULL);
	char *id = dup_str(json_object_get(root, key));

	json_decref(root);
	if (!id)
		return bad_json(err, path, NULL);
	*id_out = id;
	return 0;
}

int docker_swarm_check(struct docker *d, struct err *err)
{
	json_t *root = NULL, *sw;
	const char *state;
	int rc;

	rc = docker_get_json(&root, d, "/info", "info", "/info", JSON_OBJECT, err);
	if (rc < 0)
		goto out;
	sw = json_object_get(root, "Swarm");
	state = json_string_value(json_object_get(sw, "LocalNodeState"));
	if (json_is_true(json_object_get(sw, "ControlAvailable"))) {
		rc = 0;
		goto out;
	}
	if (state && !strcmp(state, "active"))
		rc = err_set(err, ERR_INVALID,
		             "target swarm: the daemon is a Swarm worker, not a manager: point "
		             "--docker-host (or DOCKER_HOST) at a manager");
	else
		rc = err_set(err, ERR_INVALID,
		             "target swarm: the daemon is not a Swarm manager (Swarm is %s): point "
		             "--docker-host (or DOCKER_HOST) at a manager, or run 'docker swarm "
		             "init' on a daemon meant for it",
		             state && *state ? state : "inactive");
out:
	json_decref(root);
	return rc;
}

static const char *label_of(json_t *spec, const char *key)
{
	return json_string_value(json_object_get(json_object_get(spec, "Labels"), key));
}

static int decode_service(struct docker_service *out, json_t *o)
{
	json_t *spec = json_object_get(o, "Spec"), *mode, *port;
	const char *v;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->id = dup_str(json_object_get(o, "ID"));
	out->name = dup_str(json_object_get(spec, "Name"));
	out->version = (uint64_t)json_integer_value(
	        json_object_get(json_object_get(o, "Version"), "Index"));
	if ((v = label_of(spec, LABEL_SERVICE)))
		out->service = strdup(v);
	if ((v = label_of(spec, LABEL_RELEASE)))
		out->release = strdup(v);
	if ((v = label_of(spec, LABEL_SPEC_HASH)))
		out->spec_hash = strdup(v);
	if ((v = label_of(json_object_get(json_object_get(spec, "TaskTemplate"), "ContainerSpec"),
	                  LABEL_SPEC_HASH)))
		out->task_hash = strdup(v);
	mode = json_object_get(spec, "Mode");
	out->global = json_object_get(mode, "Global") != NULL;
	out->replicas = (unsigned)json_integer_value(
	        json_object_get(json_object_get(mode, "Replicated"), "Replicas"));
	out->spec_json = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
	/* what the pre-deployment port check counts as this project's own */
	json_array_foreach(json_object_get(json_object_get(spec, "EndpointSpec"), "Ports"), i, port)
	{
		const char *proto = json_string_value(json_object_get(port, "Protocol"));
		json_int_t n = json_integer_value(json_object_get(port, "PublishedPort"));
		char text[48];

		if (n <= 0)
			continue;
		snprintf(text, sizeof(text), "%lld/%s", (long long)n, proto ? proto : "tcp");
		if (strv_push(&out->published, text) < 0)
			return ERR_NOMEM;
	}
	return out->id && out->name && out->spec_json ? 0 : ERR_NOMEM;
}

void docker_services_free(struct docker_service *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].id);
		free(v[i].name);
		free(v[i].service);
		free(v[i].release);
		free(v[i].spec_hash);
		free(v[i].task_hash);
		free(v[i].spec_json);
		strv_free(&v[i].published);
	}
	free(v);
}

int docker_service_list(struct docker_service **out, size_t *n, struct docker *d,
                        const char *project, struct err *err)
{
	struct buf path, resp;
	json_t *root = NULL;
	json_error_t je;
	struct docker_service *v = NULL;
	long status = 0;
	size_t i = 0, k, cnt;
	int rc;

	buf_init(&path, 0);
	buf_init(&resp, DOCKER_RESPONSE_CAP);
	if (docker_label_path(&path, "/services", LABEL_STACK, project, LABEL_PROJECT, project) <
	    0) {
		rc = nomem(err);
		goto out;
	}
	rc = docker_request(&status, &resp, d, "GET", path.ptr, NULL, 0, err);
	if (rc < 0)
		goto out;
	if (status == 503) {
		/* "This node is not a swarm manager": say what the daemon is. */
		rc = docker_swarm_check(d, err);
		if (rc == 0)
			rc = docker_http_check(status, &resp, "list services", err);
		goto out;
	}
	rc = docker_http_check(status, &resp, "list services", err);
	if (rc < 0)
		goto out;
	root = json_loadb(resp.ptr, resp.len, 0, &je);
	if (!json_is_array(root)) {
		rc = bad_json(err, "/services", root ? NULL : &je);
		goto out;
	}
	cnt = json_array_size(root);
	v = calloc(cnt + 1, sizeof(*v));
	if (!v) {
		rc = nomem(err);
		goto out;
	}
	for (i = 0, k = 0; k < cnt; k++) {
		json_t *o = json_array_get(root, k);

		/* a release job's one-off service is no service of the project */
		if (label_of(json_object_get(o, "Spec"), LABEL_JOB))
			continue;
		if (decode_service(&v[i++], o) < 0) {
			rc = nomem(err);
			goto out;
		}
	}
	*out = v;
	*n = i;
	v = NULL;
	rc = 0;
out:
	docker_services_free(v, i);
	json_decref(root);
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

/* POST with an optional X-Registry-Auth header for auth_ref's registry. */
static int post_with_auth(struct buf *resp, struct docker *d, const char *path, const char *body,
                          const char *auth_ref, const char *what, struct err *err)
{
	struct buf hdr;
	char *auth = NULL;
	const char *headers[2] = { NULL, NULL };
	struct docker_req req = { .method = "POST", .path = path, .body = body };
	long status = 0;
	int rc = 0;

	buf_init(&hdr, 0);
	/* An unreadable client config only costs the header: workers may still pull anonymously. */
	if (auth_ref && docker_auth_for_ref(&auth, NULL, auth_ref, err) < 0) {
		err->code = 0;
		err->msg[0] = '\0';
	}
	if (auth) {
		if (buf_printf(&hdr, AUTH_HEADER "%s", auth) < 0) {
			rc = nomem(err);
			goto out;
		}
		headers[0] = hdr.ptr;
		req.headers = headers;
	}
	rc = docker_request_ex(&status, resp, d, &req, err);
	if (rc == 0)
		rc = docker_http_check(status, resp, what, err);
out:
	docker_auth_free(auth);
	if (hdr.ptr)
		memset(hdr.ptr, 0, hdr.len);
	buf_release(&hdr);
	return rc;
}

int docker_service_create(char **id_out, struct docker *d, const char *spec, const char *auth_ref,
                          struct err *err)
{
	struct buf resp;
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	rc = post_with_auth(&resp, d, "/services/create", spec, auth_ref, "create service", err);
	if (rc >= 0)
		rc = created_id(id_out, &resp, "ID", "/services/create", err);
	buf_release(&resp);
	return rc;
}

int docker_service_inspect(struct docker_service *out, struct docker *d, const char *id,
                           struct err *err)
{
	json_t *root = NULL;
	int rc;

	rc = docker_get_object(&root, d, "/services/", id, "", "inspect service", "/services/{id}",
	                       err);
	if (rc == 0)
		rc = decode_service(out, root) < 0 ? nomem(err) : 0;
	json_decref(root);
	return rc;
}

int docker_service_update(struct docker *d, const char *id, uint64_t version, const char *spec,
                          const char *auth_ref, struct err *err)
{
	struct docker_service cur = { 0 };
	struct buf path, resp;
	int rc;

	buf_init(&path, 0);
	buf_init(&resp, DOCKER_RESPONSE_CAP);
	if (!version) {
		rc = docker_service_inspect(&cur, d, id, err);
		if (rc < 0)
			goto out;
		version = cur.version;
	}
	if (buf_puts(&path, "/services/") < 0 || docker_path_encode(&path, id, "") < 0 ||
	    buf_printf(&path, "/update?version=%llu", (unsigned long long)version) < 0) {
		rc = nomem(err);
		goto out;
	}
	rc = post_with_auth(&resp, d, path.ptr, spec, auth_ref, "update service", err);
out:
	free(cur.id);
	free(cur.name);
	free(cur.service);
	free(cur.release);
	free(cur.spec_hash);
	free(cur.task_hash);
	free(cur.spec_json);
	strv_free(&cur.published);
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

static int delete_path(struct docker *d, const char *kind, const char *id, const char *what,
                       struct err *err)
{
	struct buf path, resp;
	int rc;

	buf_init(&path, 0);
	buf_init(&resp, DOCKER_RESPONSE_CAP);
	if (buf_printf(&path, "/%s/", kind) < 0 || docker_path_encode(&path, id, "") < 0)
		rc = nomem(err);
	else
		rc = docker_call(&resp, d, "DELETE", path.ptr, NULL, 0, what, err);
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

int docker_service_remove(struct docker *d, const char *id, struct err *err)
{
	return delete_path(d, "services", id, "remove service", err);
}

int docker_service_tasks(struct docker_task_summary *out, struct docker *d, const char *id,
                         const char *hash, unsigned settle_ms, struct err *err)
{
	struct buf path, f;
	json_t *root = NULL, *t;
	struct timespec now;
	double latest_fail = -1;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	buf_init(&path, 0);
	buf_init(&f, 0);
	if (buf_printf(&f, "%s", id) < 0 || buf_puts(&path, "/tasks?") < 0) {
		rc = nomem(err);
		goto out;
	}
	{
		const char *ids[] = { f.ptr };

		if (docker_filter_query(&path, "service", ids, 1) < 0) {
			rc = nomem(err);
			goto out;
		}
	}
	rc = docker_get_json(&root, d, path.ptr, "list tasks", "/tasks", JSON_ARRAY, err);
	if (rc < 0)
		goto out;
	clock_gettime(CLOCK_REALTIME, &now);
	json_array_foreach(root, i, t)
	{
		json_t *st = json_object_get(t, "Status");
		const char *state = json_string_value(json_object_get(st, "State"));
		const char *desired = json_string_value(json_object_get(t, "DesiredState"));
		const char *h = json_string_value(
		        json_object_get(json_object_get(json_object_get(json_object_get(t, "Spec"),
		                                                        "ContainerSpec"),
		                                        "Labels"),
		                        LABEL_SPEC_HASH));
		const char *terr = json_string_value(json_object_get(st, "Err"));
		double ts = docker_parse_time(json_string_value(json_object_get(st, "Timestamp")));
		bool mine = h && hash && !strcmp(h, hash);

		if (!state || !desired)
			continue;
		if (!mine) {
			if (!strcmp(state, "running"))
				out->others++;
			continue;
		}
		if (!strcmp(state, "failed") || !strcmp(state, "rejected") ||
		    (terr && *terr && strcmp(state, "running"))) {
			out->failed++;
			if (terr && ts >= latest_fail) {
				latest_fail = ts;
				snprintf(out->last_error, sizeof(out->last_error), "%s: %s", state,
				         terr);
			}
			continue;
		}
		if (!strcmp(state, "running") && !strcmp(desired, "running")) {
			out->running++;
			if (ts > 0 && ((double)now.tv_sec + now.tv_nsec / 1e9 - ts) * 1000.0 >=
			                      (double)settle_ms)
				out->running_long++;
		}
	}
	rc = 0;
out:
	json_decref(root);
	buf_release(&path);
	buf_release(&f);
	return rc;
}

int docker_swarm_nodes_ready(unsigned *out, struct docker *d, struct err *err)
{
	json_t *root = NULL, *nd;
	size_t i;
	unsigned n = 0;
	int rc;

	rc = docker_get_json(&root, d, "/nodes", "list nodes", "/nodes", JSON_ARRAY, err);
	if (rc < 0)
		goto out;
	json_array_foreach(root, i, nd)
	{
		const char *st =
		        json_string_value(json_object_get(json_object_get(nd, "Status"), "State"));
		const char *av = json_string_value(
		        json_object_get(json_object_get(nd, "Spec"), "Availability"));

		n += st && av && !strcmp(st, "ready") && !strcmp(av, "active");
	}
	*out = n;
out:
	json_decref(root);
	return rc;
}

void docker_swarm_objects_free(struct docker_swarm_object *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].id);
		free(v[i].name);
	}
	free(v);
}

int docker_swarm_object_list(struct docker_swarm_object **out, size_t *n, struct docker *d,
                             const char *kind, const char *project, struct err *err)
{
	struct buf path;
	json_t *root = NULL, *o;
	struct docker_swarm_object *v = NULL;
	size_t i, cnt = 0;
	int rc;

	buf_init(&path, 0);
	if (buf_putc(&path, '/') < 0 ||
	    docker_label_path(&path, kind, LABEL_STACK, project, NULL, NULL) < 0) {
		rc = nomem(err);
		goto out;
	}
	rc = docker_get_json(&root, d, path.ptr, kind, kind, JSON_ARRAY, err);
	if (rc < 0)
		goto out;
	v = calloc(json_array_size(root) + 1, sizeof(*v));
	if (!v) {
		rc = nomem(err);
		goto out;
	}
	json_array_foreach(root, i, o)
	{
		v[cnt].id = dup_str(json_object_get(o, "ID"));
		v[cnt].name = dup_str(json_object_get(json_object_get(o, "Spec"), "Name"));
		if (!v[cnt].id || !v[cnt].name) {
			cnt++;
			rc = nomem(err);
			goto out;
		}
		cnt++;
	}
	*out = v;
	*n = cnt;
	v = NULL;
	rc = 0;
out:
	docker_swarm_objects_free(v, cnt);
	json_decref(root);
	buf_release(&path);
	return rc;
}

/* Standard base64 (with padding): what Swarm's Data field carries. */
static int base64_std(struct buf *b, const unsigned char *p, size_t len)
{
	static const char tab[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		char q[4] = { tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], tab[v & 63] };

		if (buf_add(b, q, 4) < 0)
			return ERR_NOMEM;
	}
	if (i < len) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0);
		char q[4] = { tab[v >> 18], tab[(v >> 12) & 63],
			      i + 1 < len ? tab[(v >> 6) & 63] : '=', '=' };

		if (buf_add(b, q, 4) < 0)
			return ERR_NOMEM;
	}
	return buf_putc(b, '\0') < 0 ? ERR_NOMEM : 0;
}

int docker_swarm_object_create(char **id_out, struct docker *d, const char *kind, const char *name,
                               const char *project, const void *data, size_t len, struct err *err)
{
	struct buf b64, resp, path;
	json_t *body = NULL, *labels;
	char *text = NULL;
	int rc;

	buf_init(&b64, 0);
	buf_init(&resp, DOCKER_RESPONSE_CAP);
	buf_init(&path, 0);
	if (base64_std(&b64, data, len) < 0 || buf_printf(&path, "/%s/create", kind) < 0) {
		rc = nomem(err);
		goto out;
	}
	labels = json_object();
	json_object_set_new(labels, LABEL_STACK, json_string(project));
	json_object_set_new(labels, LABEL_PROJECT, json_string(project));
	body = json_object();
	json_object_set_new(body, "Name", json_string(name));
	json_object_set_new(body, "Labels", labels);
	json_object_set_new(body, "Data", json_string(b64.ptr));
	text = json_dumps(body, JSON_COMPACT);
	if (!text) {
		rc = nomem(err);
		goto out;
	}
	rc = docker_call(&resp, d, "POST", path.ptr, text, 0, kind, err);
	if (rc >= 0)
		rc = created_id(id_out, &resp, "ID", path.ptr, err);
out:
	if (b64.ptr)
		memset(b64.ptr, 0, b64.len);
	if (text)
		memset(text, 0, strlen(text));
	free(text);
	json_decref(body);
	buf_release(&b64);
	buf_release(&resp);
	buf_release(&path);
	return rc;
}

int docker_swarm_object_remove(struct docker *d, const char *kind, const char *id, struct err *err)
{
	return delete_path(d, kind, id, kind, err);
}

int docker_swarm_network_create(char **id_out, struct docker *d, const char *name,
                                const char *project, const char *key, bool internal,
                                struct err *err)
{
	struct buf resp;
	json_t *body = json_object(), *labels = json_object();
	char *text = NULL;
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	json_object_set_new(labels, LABEL_STACK, json_string(project));
	json_object_set_new(labels, LABEL_PROJECT, json_string(project));
	json_object_set_new(labels, LABEL_NETWORK, json_string(key));
	json_object_set_new(body, "Name", json_string(name));
	json_object_set_new(body, "Driver", json_string("overlay"));
	json_object_set_new(body, "Attachable", json_true());
	json_object_set_new(body, "CheckDuplicate", json_true());
	json_object_set_new(body, "Internal", json_boolean(internal));
	json_object_set_new(body, "Labels", labels);
	text = json_dumps(body, JSON_COMPACT);
	if (!text) {
		rc = nomem(err);
		goto out;
	}
	rc = docker_call(&resp, d, "POST", "/networks/create", text, 0, "create network", err);
	if (rc >= 0)
		rc = created_id(id_out, &resp, "Id", "/networks/create", err);
out:
	free(text);
	json_decref(body);
	buf_release(&resp);
	return rc;
}
