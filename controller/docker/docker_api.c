/*
 * docker_api.c - the Engine API calls deployctl makes (containers, images,
 * networks, volumes) and the decoders from the daemon's JSON to the
 * structs of docker.h. Decoders are pure, so tests feed them recorded
 * answers (tests/fixtures/docker/).
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

/* Network removal retries while the daemon still reports active endpoints (moby#42119). */
#define NETWORK_REMOVE_TRIES    5
#define NETWORK_REMOVE_DELAY_MS 200
/* Upper bound on objects decoded from one list answer. */
#define DOCKER_LIST_MAX 100000u

/* ---- JSON helpers ---------------------------------------------------- */

static int nomem(struct err *err)
{
	return err_set(err, ERR_NOMEM, "out of memory");
}

/* *out = copy of o[key] when it is a string, else NULL. 0 or ERR_NOMEM. */
static int dup_str(char **out, json_t *o, const char *key, struct err *err)
{
	const char *s = json_string_value(json_object_get(o, key));

	*out = NULL;
	if (!s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : nomem(err);
}

static int dup_label(char **out, json_t *labels, const char *key, struct err *err)
{
	return dup_str(out, labels, key, err);
}

static json_t *load_json(const char *json, const char *what, json_type want, struct err *err)
{
	json_error_t je;
	json_t *root = json_loads(json, 0, &je);

	if (!root) {
		err_set(err, ERR_UNREACHABLE, "bad JSON from '%s': %s", what, je.text);
		return NULL;
	}
	if (json_typeof(root) != want) {
		err_set(err, ERR_UNREACHABLE, "bad JSON from '%s': unexpected %s", what,
		        want == JSON_ARRAY ? "non-array" : "non-object");
		json_decref(root);
		return NULL;
	}
	return root;
}

/* Short form of an ID for messages: 12 characters of a 64-hex ID, names whole. */
static void docker_what(char *out, size_t size, const char *verb, const char *id)
{
	if (strlen(id) == 64)
		snprintf(out, size, "%s \"%.12s\"", verb, id);
	else
		snprintf(out, size, "%s \"%s\"", verb, id);
}

int docker_path_encode(struct buf *b, const char *s, const char *keep)
{
	char one[2] = { 0, 0 };

	for (; *s; s++) {
		one[0] = *s;
		if (strchr(keep, *s) ? buf_putc(b, *s) < 0 : docker_urlencode(b, one) < 0)
			return ERR_NOMEM;
	}
	return 0;
}

/* ---- list answers ---------------------------------------------------- */

/*
 * How one Engine list endpoint decodes: its answer is an array (or an object
 * holding the array under `member`), each entry decoded into an element of
 * `size` bytes by `decode`, released by `release` (also for a partly decoded
 * element).
 */
struct list_decoder {
	const char *what;   /* the endpoint, for messages */
	const char *noun;   /* "containers", for the limit's message */
	const char *member; /* NULL: the root is the array */
	size_t size;
	int (*decode)(void *elem, json_t *o, struct err *err);
	void (*release)(void *elem);
};

static void list_free(void *v, size_t n, const struct list_decoder *ld)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		ld->release((char *)v + i * ld->size);
	free(v);
}

/* Decode a list answer into *out (new array of *n elements, zeroed one past the end). */
static int list_decode(void **out, size_t *n, const char *json, const struct list_decoder *ld,
                       struct err *err)
{
	json_t *root = load_json(json, ld->what, ld->member ? JSON_OBJECT : JSON_ARRAY, err);
	json_t *arr, *o;
	void *v = NULL;
	size_t count = 0, i;
	int rc;

	if (!root)
		return err->code;
	arr = ld->member ? json_object_get(root, ld->member) : root; /* null when none */
	if (arr && !json_is_array(arr) && !json_is_null(arr)) {
		rc = err_set(err, ERR_UNREACHABLE, "bad JSON from '%s': \"%s\" is not an array",
		             ld->what, ld->member);
		goto out;
	}
	if (json_array_size(arr) > DOCKER_LIST_MAX) {
		rc = err_set(err, ERR_DOCKER, "too many %s in one answer from '%s' (limit %u)",
		             ld->noun, ld->what, DOCKER_LIST_MAX);
		goto out;
	}
	v = calloc(json_array_size(arr) + 1, ld->size);
	if (!v) {
		rc = nomem(err);
		goto out;
	}
	json_array_foreach(arr, i, o)
	{
		count++;
		rc = ld->decode((char *)v + i * ld->size, o, err);
		if (rc < 0)
			goto out;
	}
	*out = v;
	*n = count;
	v = NULL;
	rc = 0;
out:
	list_free(v, count, ld);
	json_decref(root);
	return rc;
}

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

static unsigned parse_replica(const char *s)
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

/* Drop adjacent duplicates from a sorted vector. */
static void strv_uniq(struct strv *s)
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

/* Published bindings of a list entry's Ports: "IP:PublicPort/Type", sorted, unique. */
static int decode_ports(struct strv *out, json_t *ports, struct err *err)
{
	json_t *p;
	size_t i;
	char one[128];

	json_array_foreach(ports, i, p)
	{
		json_int_t pub = json_integer_value(json_object_get(p, "PublicPort"));
		const char *ip = json_string_value(json_object_get(p, "IP"));
		const char *type = json_string_value(json_object_get(p, "Type"));

		if (pub <= 0 || pub > 65535)
			continue; /* exposed only */
		snprintf(one, sizeof(one), "%.64s:%u/%.16s", ip ? ip : "", (unsigned)pub,
		         type ? type : "tcp");
		if (strv_push(out, one) < 0)
			return nomem(err);
	}
	strv_sort(out);
	strv_uniq(out);
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
	if (dup_str(&c->id, o, "Id", err) < 0 || dup_str(&c->image, o, "Image", err) < 0 ||
	    dup_str(&c->image_id, o, "ImageID", err) < 0 ||
	    dup_str(&c->state, o, "State", err) < 0 || dup_str(&c->status, o, "Status", err) < 0 ||
	    dup_label(&c->project, labels, LABEL_PROJECT, err) < 0 ||
	    dup_label(&c->service, labels, LABEL_SERVICE, err) < 0 ||
	    dup_label(&c->release, labels, LABEL_RELEASE, err) < 0 ||
	    dup_label(&c->spec_hash, labels, LABEL_SPEC_HASH, err) < 0 ||
	    dup_label(&c->owner, labels, LABEL_OWNER, err) < 0 ||
	    dup_label(&c->owner_host, labels, LABEL_OWNER_HOST, err) < 0 ||
	    dup_label(&c->owner_state, labels, LABEL_OWNER_STATE, err) < 0 ||
	    dup_label(&c->job, labels, LABEL_JOB, err) < 0)
		return ERR_NOMEM;
	if (name) {
		c->name = strdup(name[0] == '/' ? name + 1 : name);
		if (!c->name)
			return nomem(err);
	}
	c->replica = parse_replica(json_string_value(json_object_get(labels, LABEL_REPLICA)));
	c->created = json_integer_value(json_object_get(o, "Created"));
	json_object_foreach(nets, key, v)
	{
		if (strv_push(&c->networks, key) < 0)
			return nomem(err);
	}
	strv_sort(&c->networks);
	json_array_foreach(mounts, i, v)
	{
		const char *type = json_string_value(json_object_get(v, "Type"));
		const char *vname = json_string_value(json_object_get(v, "Name"));

		if (type && vname && !strcmp(type, "volume") && strv_push(&c->volumes, vname) < 0)
			return nomem(err);
	}
	strv_sort(&c->volumes);
	return decode_ports(&c->ports, json_object_get(o, "Ports"), err);
}

static const struct list_decoder container_list = {
	"/containers/json", "containers",      NULL, sizeof(struct docker_container),
	decode_container,   container_release,
};

void docker_container_list_free(struct docker_container *v, size_t n)
{
	list_free(v, n, &container_list);
}

int docker_decode_containers(struct docker_container **out, size_t *n, const char *json,
                             struct err *err)
{
	return list_decode((void **)out, n, json, &container_list, err);
}

/*
 * GET <what>?filters={"label":["io.deployctl.project=<project>"]} into resp;
 * project NULL: every deployctl object (the label present, any value).
 */
static int list_by_project(struct buf *resp, struct docker *d, const char *what,
                           const char *extra_query, const char *project, struct err *err)
{
	struct buf path, label;
	const char *values[1];
	char verb[64];
	int rc;

	buf_init(&path, 0);
	buf_init(&label, 0);
	if ((project ? buf_printf(&label, "%s=%s", LABEL_PROJECT, project)
	             : buf_puts(&label, LABEL_PROJECT)) < 0) {
		rc = nomem(err);
		goto out;
	}
	values[0] = label.ptr;
	if (buf_printf(&path, "%s?%s", what, extra_query) < 0 ||
	    docker_filter_query(&path, "label", values, 1) < 0) {
		rc = nomem(err);
		goto out;
	}
	snprintf(verb, sizeof(verb), "list %s", what);
	rc = docker_call(resp, d, "GET", path.ptr, NULL, 0, verb, err);
out:
	buf_release(&path);
	buf_release(&label);
	return rc;
}

/* One list endpoint's objects of a project, decoded into *out (see list_decode). */
static int list_fetch(void **out, size_t *n, struct docker *d, const struct list_decoder *ld,
                      const char *extra_query, const char *project, struct err *err)
{
	struct buf resp;
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	rc = list_by_project(&resp, d, ld->what, extra_query, project, err);
	if (rc == 0)
		rc = list_decode(out, n, resp.ptr, ld, err);
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
	int rc = list_fetch((void **)out, n, d, &container_list, "all=1&", project, err);

	/* A job's one-off container is never a service's: reconcile, prune, status skip it. */
	if (rc == 0)
		keep_jobs(*out, n, false);
	return rc;
}

int docker_job_list(struct docker_container **out, size_t *n, struct docker *d, const char *project,
                    struct err *err)
{
	int rc = list_fetch((void **)out, n, d, &container_list, "all=1&", project, err);

	if (rc == 0)
		keep_jobs(*out, n, true);
	return rc;
}

/* Read "Id" of a create answer into *id_out (new). */
static int decode_id(char **id_out, const char *json, const char *what, struct err *err)
{
	json_t *root = load_json(json, what, JSON_OBJECT, err);
	int rc;

	if (!root)
		return err->code;
	rc = dup_str(id_out, root, "Id", err);
	if (rc == 0 && !*id_out)
		rc = err_set(err, ERR_UNREACHABLE, "bad JSON from '%s': no Id", what);
	json_decref(root);
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
		rc = nomem(err);
		goto out;
	}
	docker_what(what, sizeof(what), "create", c->name);
	rc = docker_call(&resp, d, "POST", path.ptr, body, 0, what, err);
	if (rc == 0)
		rc = decode_id(&id, resp.ptr, "/containers/create", err);
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
			rc = nomem(err);
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
		rc = nomem(err);
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
		return nomem(err);
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
	json_t *root = load_json(json, "/containers/{id}/json", JSON_OBJECT, err);
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
	if (dup_str(&s.status, state, "Status", err) < 0 ||
	    dup_str(&s.health, health, "Status", err) < 0 ||
	    dup_str(&s.health_output, json_array_get(log, json_array_size(log) - 1), "Output",
	            err) < 0) {
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
		rc = nomem(err);
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

/* ---- images ---------------------------------------------------------- */

char *docker_ref_normalise(const char *ref)
{
	const char *r = ref, *slash, *colon;
	size_t len;
	char *s;

	if (!strncmp(r, "docker.io/", 10))
		r += 10;
	else if (!strncmp(r, "index.docker.io/", 16))
		r += 16;
	if (!strncmp(r, "library/", 8))
		r += 8;
	if (strchr(r, '@'))
		return strdup(r);
	slash = strrchr(r, '/');
	colon = strrchr(r, ':');
	if (colon && (!slash || colon > slash))
		return strdup(r);
	len = strlen(r) + sizeof(":latest");
	s = malloc(len);
	if (s)
		snprintf(s, len, "%s:latest", r);
	return s;
}

static bool ref_by_digest(const char *ref)
{
	return strchr(ref, '@') || !strncmp(ref, "sha256:", 7);
}

/* Does any of the image's RepoTags normalise to want? -1 on no memory. */
static int image_has_tag(json_t *img, const char *want)
{
	json_t *tags = json_object_get(img, "RepoTags"), *t;
	size_t i;

	json_array_foreach(tags, i, t)
	{
		const char *tag = json_string_value(t);
		char *norm;
		int same;

		if (!tag)
			continue;
		norm = docker_ref_normalise(tag);
		if (!norm)
			return -1;
		same = !strcmp(norm, want);
		free(norm);
		if (same)
			return 1;
	}
	return 0;
}

int docker_decode_images(char **ids, const char *json, const char *const *refs, size_t n,
                         struct err *err)
{
	json_t *root = load_json(json, "/images/json", JSON_ARRAY, err), *img;
	char *want = NULL;
	size_t i, j;
	int rc = 0, has;

	if (!root)
		return err->code;
	for (i = 0; i < n && rc == 0; i++) {
		if (ids[i] || ref_by_digest(refs[i]))
			continue;
		want = docker_ref_normalise(refs[i]);
		if (!want) {
			rc = nomem(err);
			break;
		}
		json_array_foreach(root, j, img)
		{
			has = image_has_tag(img, want);
			if (has < 0) {
				rc = nomem(err);
				break;
			}
			if (has) {
				rc = dup_str(&ids[i], img, "Id", err);
				break;
			}
		}
		free(want);
		want = NULL;
	}
	json_decref(root);
	return rc;
}

/* GET /images/{ref}/json: the ID, or NULL when the daemon does not have it. */
static int image_inspect(char **id_out, struct docker *d, const char *ref, struct err *err)
{
	struct buf resp, path;
	long status = 0;
	char what[300];
	int rc;

	*id_out = NULL;
	buf_init(&resp, DOCKER_RESPONSE_CAP);
	buf_init(&path, 0);
	if (buf_puts(&path, "/images/") < 0 || docker_path_encode(&path, ref, "/:@") < 0 ||
	    buf_puts(&path, "/json") < 0) {
		rc = nomem(err);
		goto out;
	}
	rc = docker_request(&status, &resp, d, "GET", path.ptr, NULL, 0, err);
	if (rc < 0 || status == 404)
		goto out;
	snprintf(what, sizeof(what), "inspect image '%s'", ref);
	rc = docker_http_check(status, &resp, what, err);
	if (rc == 0)
		rc = decode_id(id_out, resp.ptr, "/images/{name}/json", err);
out:
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

int docker_image_resolve(char **ids, struct docker *d, const char *const *refs, size_t n,
                         struct err *err)
{
	const char **values = NULL;
	struct buf resp, path;
	size_t i, nv = 0;
	int rc = 0;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	buf_init(&path, 0);
	for (i = 0; i < n; i++)
		ids[i] = NULL;
	values = calloc(n + 1, sizeof(*values));
	if (!values) {
		rc = nomem(err);
		goto out;
	}
	/*
	 * One list call for every tagged reference: the daemon ORs the values
	 * of the reference filter (checked on Engine 20.10). Values are the
	 * normalised familiar forms the filter matches against.
	 */
	for (i = 0; i < n; i++) {
		if (ref_by_digest(refs[i]))
			continue;
		values[nv] = docker_ref_normalise(refs[i]);
		if (!values[nv++]) {
			rc = nomem(err);
			goto out;
		}
	}
	if (nv) {
		if (buf_puts(&path, "/images/json?") < 0 ||
		    docker_filter_query(&path, "reference", values, nv) < 0) {
			rc = nomem(err);
			goto out;
		}
		rc = docker_call(&resp, d, "GET", path.ptr, NULL, 0, "list images", err);
		if (rc == 0)
			rc = docker_decode_images(ids, resp.ptr, refs, n, err);
		if (rc < 0)
			goto out;
	}
	for (i = 0; i < n && rc == 0; i++)
		if (ref_by_digest(refs[i]))
			rc = image_inspect(&ids[i], d, refs[i], err);
out:
	if (rc < 0)
		for (i = 0; i < n; i++) {
			free(ids[i]);
			ids[i] = NULL;
		}
	for (i = 0; values && i < nv; i++)
		free((char *)values[i]);
	free(values);
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

/* ---- networks -------------------------------------------------------- */

static void network_release(void *elem)
{
	struct docker_network *nw = elem;

	free(nw->id);
	free(nw->name);
	free(nw->key);
}

static int decode_network(void *elem, json_t *o, struct err *err)
{
	struct docker_network *nw = elem;

	if (!json_string_value(json_object_get(o, "Id")) ||
	    !json_string_value(json_object_get(o, "Name")))
		return err_set(err, ERR_UNREACHABLE, "bad JSON from '/networks': entry without Id");
	if (dup_str(&nw->id, o, "Id", err) < 0 || dup_str(&nw->name, o, "Name", err) < 0 ||
	    dup_label(&nw->key, json_object_get(o, "Labels"), LABEL_NETWORK, err) < 0)
		return ERR_NOMEM;
	return 0;
}

static const struct list_decoder network_list = {
	"/networks",    "networks",      NULL, sizeof(struct docker_network),
	decode_network, network_release,
};

void docker_network_list_free(struct docker_network *v, size_t n)
{
	list_free(v, n, &network_list);
}

int docker_decode_networks(struct docker_network **out, size_t *n, const char *json,
                           struct err *err)
{
	return list_decode((void **)out, n, json, &network_list, err);
}

int docker_network_list(struct docker_network **out, size_t *n, struct docker *d,
                        const char *project, struct err *err)
{
	return list_fetch((void **)out, n, d, &network_list, "", project, err);
}

/* Labels object: user labels, then the owner labels (which win). NULL on no memory. */
static json_t *owner_labels(const struct kvv *user, const char *project, const char *kind_label,
                            const char *key)
{
	json_t *labels = json_object();
	size_t i;

	if (!labels)
		return NULL;
	for (i = 0; i < user->n; i++)
		if (json_object_set_new(labels, user->v[i].key, json_string(user->v[i].value)) < 0)
			goto fail;
	if (json_object_set_new(labels, LABEL_PROJECT, json_string(project)) < 0 ||
	    json_object_set_new(labels, kind_label, json_string(key)) < 0)
		goto fail;
	return labels;
fail:
	json_decref(labels);
	return NULL;
}

/* {"Driver": ..., "Config": [{"Subnet", "Gateway", "IPRange"}]}, or NULL when out of memory. */
static json_t *ipam_json(const struct project_network *net)
{
	json_t *cfg = json_array(), *o;
	size_t i;

	for (i = 0; cfg && i < net->nipam; i++) {
		o = json_pack("{s:s}", "Subnet", net->ipam[i].subnet ? net->ipam[i].subnet : "");
		if (o && net->ipam[i].gateway)
			json_object_set_new(o, "Gateway", json_string(net->ipam[i].gateway));
		if (o && net->ipam[i].ip_range)
			json_object_set_new(o, "IPRange", json_string(net->ipam[i].ip_range));
		if (!o || json_array_append_new(cfg, o) < 0) {
			json_decref(cfg);
			return NULL;
		}
	}
	return cfg ? json_pack("{s:s, s:o}", "Driver",
	                       net->ipam_driver ? net->ipam_driver : "default", "Config", cfg)
	           : NULL;
}

int docker_network_create(char **id_out, struct docker *d, const struct project *p,
                          const struct project_network *net, const char *docker_name,
                          struct err *err)
{
	json_t *body = json_object(), *labels = NULL;
	struct buf resp;
	char *text = NULL;
	char what[300];
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	labels = owner_labels(&net->labels, p->name, LABEL_NETWORK, net->name);
	if (!body || !labels || json_object_set_new(body, "Name", json_string(docker_name)) < 0 ||
	    json_object_set_new(body, "CheckDuplicate", json_true()) < 0 ||
	    json_object_set_new(body, "Driver", json_string(net->driver ? net->driver : "bridge")) <
	            0 ||
	    json_object_set_new(body, "Internal", json_boolean(net->internal)) < 0 ||
	    json_object_set_new(body, "EnableIPv6", json_boolean(net->enable_ipv6)) < 0 ||
	    (net->nipam && json_object_set_new(body, "IPAM", ipam_json(net)) < 0) ||
	    json_object_set(body, "Labels", labels) < 0 ||
	    !(text = json_dumps(body, JSON_COMPACT))) {
		rc = nomem(err);
		goto out;
	}
	snprintf(what, sizeof(what), "create network '%s'", docker_name);
	rc = docker_call(&resp, d, "POST", "/networks/create", text, 0, what, err);
	if (rc == 0)
		rc = decode_id(id_out, resp.ptr, "/networks/create", err);
out:
	free(text);
	json_decref(labels);
	json_decref(body);
	buf_release(&resp);
	return rc;
}

int docker_network_remove(struct docker *d, const char *id, struct err *err)
{
	struct buf resp, path;
	long status = 0;
	char what[200];
	int rc, try;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	buf_init(&path, 0);
	if (buf_puts(&path, "/networks/") < 0 || docker_urlencode(&path, id) < 0) {
		rc = nomem(err);
		goto out;
	}
	for (try = 1;; try++) {
		rc = docker_request(&status, &resp, d, "DELETE", path.ptr, NULL, 0, err);
		if (rc < 0 || status < 400)
			goto out;
		if (try >= NETWORK_REMOVE_TRIES || !strstr(resp.ptr, "active endpoints"))
			break;
		clock_sleep_ms(NETWORK_REMOVE_DELAY_MS);
	}
	if (try > 1)
		snprintf(what, sizeof(what), "remove network \"%.12s\" (%d tries)", id, try);
	else
		docker_what(what, sizeof(what), "remove network", id);
	rc = docker_http_check(status, &resp, what, err);
out:
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

int docker_network_lookup(char **id_out, struct docker *d, const char *name, struct err *err)
{
	struct docker_network *v = NULL;
	struct buf resp, path;
	const char *values[1] = { name };
	size_t n = 0, i, found = 0;
	char *id = NULL;
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	buf_init(&path, 0);
	if (buf_puts(&path, "/networks?") < 0 ||
	    docker_filter_query(&path, "name", values, 1) < 0) {
		rc = nomem(err);
		goto out;
	}
	rc = docker_call(&resp, d, "GET", path.ptr, NULL, 0, "list networks", err);
	if (rc == 0)
		rc = docker_decode_networks(&v, &n, resp.ptr, err);
	if (rc < 0)
		goto out;
	/* The name filter matches substrings: keep exact matches only. */
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].name, name))
			continue;
		if (found++)
			continue;
		id = v[i].id;
		v[i].id = NULL;
	}
	if (!found)
		rc = err_set(err, ERR_NOTFOUND, "docker: no network named '%s'", name);
	else if (found > 1)
		rc = err_set(err, ERR_DOCKER,
		             "docker: %zu networks are named '%s'; remove the extra ones", found,
		             name);
	if (rc < 0)
		goto out;
	*id_out = id;
	id = NULL;
out:
	free(id);
	docker_network_list_free(v, n);
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

/* ---- volumes --------------------------------------------------------- */

static void volume_release(void *elem)
{
	struct docker_volume *vol = elem;

	free(vol->name);
	free(vol->key);
}

static int decode_volume(void *elem, json_t *o, struct err *err)
{
	struct docker_volume *vol = elem;

	if (!json_string_value(json_object_get(o, "Name")))
		return err_set(err, ERR_UNREACHABLE,
		               "bad JSON from '/volumes': entry without Name");
	if (dup_str(&vol->name, o, "Name", err) < 0 ||
	    dup_label(&vol->key, json_object_get(o, "Labels"), LABEL_VOLUME, err) < 0)
		return ERR_NOMEM;
	return 0;
}

/* /volumes answers {"Volumes": [...] or null, "Warnings": ...}. */
static const struct list_decoder volume_list = {
	"/volumes",    "volumes",      "Volumes", sizeof(struct docker_volume),
	decode_volume, volume_release,
};

void docker_volume_list_free(struct docker_volume *v, size_t n)
{
	list_free(v, n, &volume_list);
}

int docker_decode_volumes(struct docker_volume **out, size_t *n, const char *json, struct err *err)
{
	return list_decode((void **)out, n, json, &volume_list, err);
}

int docker_volume_list(struct docker_volume **out, size_t *n, struct docker *d, const char *project,
                       struct err *err)
{
	return list_fetch((void **)out, n, d, &volume_list, "", project, err);
}

int docker_volume_create(struct docker *d, const struct project *p,
                         const struct project_volume *vol, const char *docker_name, struct err *err)
{
	json_t *body = json_object(), *labels = NULL;
	struct buf resp;
	char *text = NULL;
	char what[300];
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	labels = owner_labels(&vol->labels, p->name, LABEL_VOLUME, vol->name);
	if (!body || !labels || json_object_set_new(body, "Name", json_string(docker_name)) < 0 ||
	    json_object_set_new(body, "Driver", json_string(vol->driver ? vol->driver : "local")) <
	            0 ||
	    json_object_set(body, "Labels", labels) < 0 ||
	    !(text = json_dumps(body, JSON_COMPACT))) {
		rc = nomem(err);
		goto out;
	}
	snprintf(what, sizeof(what), "create volume '%s'", docker_name);
	rc = docker_call(&resp, d, "POST", "/volumes/create", text, 0, what, err);
out:
	free(text);
	json_decref(labels);
	json_decref(body);
	buf_release(&resp);
	return rc;
}

/* GET or DELETE /volumes/{name}. */
static int volume_op(struct docker *d, const char *method, const char *name, const char *verb,
                     struct err *err)
{
	struct buf resp, path;
	char what[300];
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	buf_init(&path, 0);
	if (buf_puts(&path, "/volumes/") < 0 || docker_urlencode(&path, name) < 0) {
		rc = nomem(err);
		goto out;
	}
	snprintf(what, sizeof(what), "%s volume '%s'", verb, name);
	rc = docker_call(&resp, d, method, path.ptr, NULL, 0, what, err);
out:
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

int docker_volume_remove(struct docker *d, const char *name, struct err *err)
{
	return volume_op(d, "DELETE", name, "remove", err);
}

int docker_volume_lookup(struct docker *d, const char *name, struct err *err)
{
	return volume_op(d, "GET", name, "inspect", err);
}
