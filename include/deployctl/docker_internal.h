/*
 * docker_internal.h - what docker_http.c, docker_api.c and docker_create.c
 * share: the raw request, URL encoding, and the pure JSON <-> struct steps
 * (decoders and the create body), which unit tests call without a daemon.
 * Not for use outside docker_*.c and tests.
 */
#ifndef DEPLOYCTL_DOCKER_INTERNAL_H
#define DEPLOYCTL_DOCKER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "deployctl/buf.h"
#include "deployctl/docker.h"
#include "deployctl/err.h"

/* Response bodies larger than this are an error. */
#define DOCKER_RESPONSE_CAP (64u << 20)
/* Per-request timeout for ordinary calls, seconds. */
#define DOCKER_TIMEOUT_S 60L

/*
 * One request. path starts with '/' and carries an already encoded query;
 * it is prefixed with "/v<api version>" unless it is "/_ping". body (JSON)
 * may be NULL. timeout_s 0: DOCKER_TIMEOUT_S. On any HTTP answer returns 0
 * with *status and resp (caller's, initialised) filled, whatever the status:
 * the caller decides which statuses are fine (docker_http_check()).
 * Transport failures: ERR_DOCKER (ERR_UNREACHABLE when nothing listens).
 */
int docker_request(long *status, struct buf *resp, struct docker *d, const char *method,
                   const char *path, const char *body, long timeout_s, struct err *err);

/*
 * Turn an HTTP status >= 400 into an error naming what was attempted, e.g.
 * what = "create \"web-1\"": "docker: create "web-1": <daemon message>".
 * 404 gives ERR_NOTFOUND, others ERR_DOCKER. Returns 0 for status < 400.
 */
int docker_http_check(long status, const struct buf *resp, const char *what, struct err *err);

/* docker_request() + docker_http_check(): the common case. */
int docker_call(struct buf *resp, struct docker *d, const char *method, const char *path,
                const char *body, long timeout_s, const char *what, struct err *err);

/* Append s percent-encoded (RFC 3986 unreserved kept) to b. 0 or ERR_NOMEM. */
int docker_urlencode(struct buf *b, const char *s);

/*
 * Append "filters=" + the encoded JSON {"<key>":[values...]} to b.
 * 0 or ERR_NOMEM.
 */
int docker_filter_query(struct buf *b, const char *key, const char *const *values, size_t n);

/* Decoders: JSON text as the daemon sends it -> structs (all new). ERR_DOCKER on bad JSON. */
int docker_decode_containers(struct docker_container **out, size_t *n, const char *json,
                             struct err *err);
int docker_decode_networks(struct docker_network **out, size_t *n, const char *json,
                           struct err *err);
/* GET /volumes answers {"Volumes": [...], "Warnings": ...}. */
int docker_decode_volumes(struct docker_volume **out, size_t *n, const char *json, struct err *err);
int docker_decode_state(struct docker_container_state *out, const char *json, struct err *err);
/*
 * GET /images/json answer: ids[i] gets a new copy of the ID of the image
 * whose RepoTags hold refs[i] (normalised), or stays NULL. ids[] must
 * start all NULL.
 */
int docker_decode_images(char **ids, const char *json, const char *const *refs, size_t n,
                         struct err *err);
/*
 * Normalise an image reference to the form RepoTags use: "docker.io/" and
 * "library/" dropped, ":latest" added when there is no tag. New string or
 * NULL (no memory).
 */
char *docker_ref_normalise(const char *ref);

/*
 * The POST /containers/create body for c (new JSON text, free()).
 * ERR_INVALID when the service has no image_id or a network has no ID in
 * c->network_ids.
 */
int docker_create_body(char **out, const struct docker_create *c, struct err *err);
/*
 * The POST /networks/{id}/connect body attaching container_id to the
 * service's i-th network (i >= 1: the first one is attached at create).
 * *net_id_out is borrowed from c->network_ids.
 */
int docker_connect_body(char **out, const char **net_id_out, const struct docker_create *c,
                        size_t i, const char *container_id, struct err *err);

#endif
