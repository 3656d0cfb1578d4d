/*
 * docker_json.h - what docker_api.c gives the files of Engine calls
 * (docker_container.c, docker_image.c, docker_resource.c): the JSON helpers
 * and the decoder skeleton of the list endpoints. It includes <jansson.h>,
 * so only the docker module includes it.
 */
#ifndef DEPLOYCTL_DOCKER_JSON_H
#define DEPLOYCTL_DOCKER_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "deployctl/buf.h"
#include "deployctl/docker.h"
#include "deployctl/err.h"

/* Upper bound on objects decoded from one list answer. */
#define DOCKER_LIST_MAX 100000u

/* err_set(ERR_NOMEM, "out of memory"); returns ERR_NOMEM. */
int docker_nomem(struct err *err);
/* *out = copy of o[key] when it is a string, else NULL. 0 or ERR_NOMEM. */
int docker_dup_str(char **out, json_t *o, const char *key, struct err *err);
/* The same for a label of a Labels object. */
int docker_dup_label(char **out, json_t *labels, const char *key, struct err *err);
/*
 * Parse an answer of endpoint what that must be of type want (new
 * reference), or NULL with ERR_UNREACHABLE "bad JSON from '<what>': ...".
 */
json_t *docker_load_json(const char *json, const char *what, json_type want, struct err *err);
/* "<verb> \"<id>\"" for messages: 12 characters of a 64-hex ID, names whole. */
void docker_what(char *out, size_t size, const char *verb, const char *id);

/*
 * How one Engine list endpoint decodes: its answer is an array (or an object
 * holding the array under `member`), each entry decoded into an element of
 * `size` bytes by `decode`, released by `release` (also for a partly decoded
 * element).
 */
struct docker_list_decoder {
	const char *what;   /* the endpoint, for messages */
	const char *noun;   /* "containers", for the limit's message */
	const char *member; /* NULL: the root is the array */
	size_t size;
	int (*decode)(void *elem, json_t *o, struct err *err);
	void (*release)(void *elem);
};

/* Free n decoded elements of v and v. */
void docker_list_free(void *v, size_t n, const struct docker_list_decoder *ld);
/* Decode a list answer into *out (new array of *n elements, zeroed one past the end). */
int docker_list_decode(void **out, size_t *n, const char *json,
                       const struct docker_list_decoder *ld, struct err *err);
/*
 * GET <what>?<extra_query>filters={"label":["io.deployctl.project=<project>"]}
 * into resp; project NULL: every deployctl object (the label present, any value).
 */
int docker_list_by_project(struct buf *resp, struct docker *d, const char *what,
                           const char *extra_query, const char *project, struct err *err);
/* One list endpoint's objects of a project, decoded into *out (see docker_list_decode). */
int docker_list_fetch(void **out, size_t *n, struct docker *d, const struct docker_list_decoder *ld,
                      const char *extra_query, const char *project, struct err *err);
/* Read "Id" of a create answer into *id_out (new). */
int docker_decode_id(char **id_out, const char *json, const char *what, struct err *err);

/*
 * GET path and load its answer, which must be JSON of type want, into *out
 * (new reference): verb names the call in an HTTP error ("inspect service"),
 * what the endpoint in a bad-JSON one ("/services/{id}"). 0 or the error
 * (docker_get.c).
 */
int docker_get_json(json_t **out, struct docker *d, const char *path, const char *verb,
                    const char *what, json_type want, struct err *err);
/* The same for one object: GET <prefix><id percent-encoded><suffix>, a JSON object. */
int docker_get_object(json_t **out, struct docker *d, const char *prefix, const char *id,
                      const char *suffix, const char *verb, const char *what, struct err *err);
/*
 * "<endpoint>?filters={"label":["<k1>=<v1>","<k2>=<v2>"]}" appended to path
 * (k2 NULL: the one label). 0 or ERR_NOMEM.
 */
int docker_label_path(struct buf *path, const char *endpoint, const char *k1, const char *v1,
                      const char *k2, const char *v2);
/* What decode_container and the fast reader of a container list share (docker_container.c). */
/* The replica label's number: digits up to 1000000, else 0. */
unsigned docker_parse_replica(const char *s);
/*
 * An Engine timestamp, "2026-12-03T09:00:01.123456789Z", as unix seconds
 * (UTC); -1 when s is NULL or not such a time (docker_api.c).
 */
double docker_parse_time(const char *s);
/* v as a JSON array of strings, k as an object of strings: new, or NULL when out of memory. */
json_t *docker_strv_json(const struct strv *v);
json_t *docker_kvv_json(const struct kvv *k);
/* Drop adjacent duplicates from a sorted vector. */
void docker_strv_uniq(struct strv *s);
/* Push "IP:PublicPort/Type" of a published port (pub 1..65535; else nothing). 0 or ERR_NOMEM. */
int docker_port_push(struct strv *out, long long pub, const char *ip, const char *type);

#endif
