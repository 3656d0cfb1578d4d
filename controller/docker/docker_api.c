/*
 * docker_api.c - what every Engine API call of deployctl shares: the JSON
 * helpers, the short form of an ID for messages, path encoding, and the
 * one decoder skeleton of the list endpoints (an array, or an object
 * holding it, each entry decoded by a per-type function), with the list of
 * a project's objects by label. The calls and their decoders are
 * docker_container.c, docker_image.c and docker_resource.c (docker_json.h).
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

/* ---- JSON helpers ---------------------------------------------------- */

int docker_nomem(struct err *err)
{
	return err_set(err, ERR_NOMEM, "out of memory");
}

/* *out = copy of o[key] when it is a string, else NULL. 0 or ERR_NOMEM. */
int docker_dup_str(char **out, json_t *o, const char *key, struct err *err)
{
	const char *s = json_string_value(json_object_get(o, key));

	*out = NULL;
	if (!s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : docker_nomem(err);
}

int docker_dup_label(char **out, json_t *labels, const char *key, struct err *err)
{
	return docker_dup_str(out, labels, key, err);
}

json_t *docker_load_json(const char *json, const char *what, json_type want, struct err *err)
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
void docker_what(char *out, size_t size, const char *verb, const char *id)
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

void docker_list_free(void *v, size_t n, const struct docker_list_decoder *ld)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		ld->release((char *)v + i * ld->size);
	free(v);
}

/* Decode a list answer into *out (new array of *n elements, zeroed one past the end). */
int docker_list_decode(void **out, size_t *n, const char *json,
                       const struct docker_list_decoder *ld, struct err *err)
{
	json_t *root = docker_load_json(json, ld->what, ld->member ? JSON_OBJECT : JSON_ARRAY, err);
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
		rc = docker_nomem(err);
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
	docker_list_free(v, count, ld);
	json_decref(root);
	return rc;
}

/*
 * GET <what>?filters={"label":["io.deployctl.project=<project>"]} into resp;
 * project NULL: every deployctl object (the label present, any value).
 */
int docker_list_by_project(struct buf *resp, struct docker *d, const char *what,
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
		rc = docker_nomem(err);
		goto out;
	}
	values[0] = label.ptr;
	if (buf_printf(&path, "%s?%s", what, extra_query) < 0 ||
	    docker_filter_query(&path, "label", values, 1) < 0) {
		rc = docker_nomem(err);
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
int docker_list_fetch(void **out, size_t *n, struct docker *d, const struct docker_list_decoder *ld,
                      const char *extra_query, const char *project, struct err *err)
{
	struct buf resp;
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	rc = docker_list_by_project(&resp, d, ld->what, extra_query, project, err);
	if (rc == 0)
		rc = docker_list_decode(out, n, resp.ptr, ld, err);
	buf_release(&resp);
	return rc;
}

/* Read "Id" of a create answer into *id_out (new). */
int docker_decode_id(char **id_out, const char *json, const char *what, struct err *err)
{
	json_t *root = docker_load_json(json, what, JSON_OBJECT, err);
	int rc;

	if (!root)
		return err->code;
	rc = docker_dup_str(id_out, root, "Id", err);
	if (rc == 0 && !*id_out)
		rc = err_set(err, ERR_UNREACHABLE, "bad JSON from '%s': no Id", what);
	json_decref(root);
	return rc;
}

double docker_parse_time(const char *s)
{
	int y, mo, da, h, mi;
	double sec;

	if (!s || sscanf(s, "%d-%d-%dT%d:%d:%lf", &y, &mo, &da, &h, &mi, &sec) != 6 || mo < 1 ||
	    mo > 12 || da < 1 || da > 31)
		return -1;
	return (double)clock_days_from_civil(y, (unsigned)mo, (unsigned)da) * 86400.0 + h * 3600.0 +
	       mi * 60.0 + sec;
}

json_t *docker_strv_json(const struct strv *v)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < v->n; i++)
		if (json_array_append_new(a, json_string(v->v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *docker_kvv_json(const struct kvv *k)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o && i < k->n; i++)
		if (json_object_set_new(o, k->v[i].key, json_string(k->v[i].value)) < 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}
