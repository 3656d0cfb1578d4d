/*
 * docker_internal.h - what docker_http.c, the files of Engine calls
 * (docker_api.c and below it docker_container.c, docker_image.c,
 * docker_resource.c, ...) and docker_create.c share: the raw request, URL
 * encoding, and the pure JSON <-> struct steps (decoders and the create
 * body), which unit tests call without a daemon. Not for use outside
 * docker_*.c and tests.
 */
#ifndef DEPLOYCTL_DOCKER_INTERNAL_H
#define DEPLOYCTL_DOCKER_INTERNAL_H

#include <signal.h>
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

/*
 * GET /images/{ref}/json into resp (docker_image.c). A 404 is ERR_NOTFOUND:
 * err set, or, when missing_ok, err left as it was.
 */
int docker_image_inspect_raw(struct buf *resp, struct docker *d, const char *ref, bool missing_ok,
                             struct err *err);

/*
 * POST /containers/{id}/exec of o->cmd: attach false for a detached probe
 * (no stream), true for an attached exec (o's stdin, TTY and TERM). The exec's
 * ID into *exec_id_out (new) (docker_exec.c).
 */
int docker_exec_create(char **exec_id_out, struct docker *d, const char *id,
                       const struct docker_exec_opts *o, bool attach, struct err *err);

/* Append s percent-encoded (RFC 3986 unreserved kept) to b. 0 or ERR_NOMEM. */
int docker_urlencode(struct buf *b, const char *s);

/*
 * Append "filters=" + the encoded JSON {"<key>":[values...]} to b.
 * 0 or ERR_NOMEM.
 */
int docker_filter_query(struct buf *b, const char *key, const char *const *values, size_t n);

/*
 * Logs without a TTY (a container's, a Swarm service's) come multiplexed:
 * 8-byte frame headers (stream, 0, 0, 0, big-endian length) before each
 * chunk. Appends the payload only to out. 0 or ERR_NOMEM.
 */
int docker_logs_demux(struct buf *out, const struct buf *in);

/* Decoders: JSON text as the daemon sends it -> structs (all new). ERR_DOCKER on bad JSON. */
int docker_decode_containers(struct docker_container **out, size_t *n, const char *json,
                             struct err *err);
/*
 * The two paths docker_decode_containers takes, for the differential tests:
 * the jansson tree (errors as above), and the fast reader of only the kept
 * fields (docker_container_scan.c): 0 with *out, *n as the jansson path
 * gives them; ERR_FAIL where the jansson path fails (no message); ERR_NOMEM.
 */
int docker_decode_containers_jansson(struct docker_container **out, size_t *n, const char *json,
                                     struct err *err);
int docker_scan_containers(struct docker_container **out, size_t *n, const char *json);
/* 1 when a[0..n) and b[0..n) hold the same values, field by field. */
int docker_container_list_equal(const struct docker_container *a, const struct docker_container *b,
                                size_t n);
/* A /networks or /volumes answer (kind k; volumes wrap theirs in {"Volumes": [...]}). */
int docker_decode_resources(struct docker_resource **out, size_t *n, enum res_kind k,
                            const char *json, struct err *err);
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

/* ---- requests with extra headers or a streamed body (docker_http.c) ---- */

struct docker_req {
	const char *method;
	const char *path; /* as for docker_request() */
	const char *body; /* JSON or NULL */
	size_t body_len;  /* 0: strlen(body); else a binary body (a tar) of this length */
	/* Extra "Name: value" lines, NULL-terminated, or NULL; wiped after use. */
	const char *const *headers;
	long timeout_s; /* 0: DOCKER_TIMEOUT_S */
	/*
	 * When set, a body with status < 400 is passed here chunk by chunk
	 * (not kept in resp; its total still capped at DOCKER_RESPONSE_CAP);
	 * a negative return, with err set by the sink, aborts the transfer.
	 * Error bodies (>= 400) still go to resp.
	 */
	int (*sink)(void *ctx, const char *data, size_t len);
	void *sink_ctx;
	/*
	 * A stream that may last (logs -f): timeout_s < 0 means none, and the
	 * transfer ends, with 0 returned, soon after *cancel becomes nonzero
	 * (libcurl's progress callback runs at least about once a second).
	 */
	const volatile sig_atomic_t *cancel;
	/*
	 * When set, polled about once a second while the transfer runs (a
	 * long-lived stream such as /events): true ends it, as ERR_FAIL
	 * "cancelled".
	 */
	bool (*cancelled)(void *ctx);
};

/* docker_request() with the options above; the same results. */
int docker_request_ex(long *status, struct buf *resp, struct docker *d,
                      const struct docker_req *req, struct err *err);

/*
 * A hijacked request (exec start, attach): a new connection to the daemon's
 * socket, the request sent with "Connection: Upgrade", "Upgrade: tcp", and
 * the answer's headers read. On 101 or 200, *fd_out is the connected
 * socket (close-on-exec) now carrying the raw stream, and pending (caller's,
 * initialised) holds what was read past the headers. >= 400: ERR_DOCKER or
 * ERR_NOTFOUND with the daemon's message, as docker_http_check().
 */
int docker_hijack(int *fd_out, struct buf *pending, struct docker *d, const char *path,
                  const char *body, const char *what, struct err *err);
/* ---- the events stream (docker_events.c) ---- */

/*
 * The parser of a GET /events answer: one JSON object per line, split
 * anywhere across chunks; each container event goes to sink.
 */
struct docker_event_stream {
	struct buf line;
	const struct docker_event_sink *sink;
};
void docker_event_stream_init(struct docker_event_stream *s, const struct docker_event_sink *sink);
int docker_event_stream_feed(struct docker_event_stream *s, const char *data, size_t len,
                             struct err *err);
void docker_event_stream_release(struct docker_event_stream *s);

/*
 * The JSON lines POST /build streams (docker_build.c), split anywhere
 * across reads; *b and *err borrowed. feed is a docker_req sink (ctx: the
 * stream); ERR_DOCKER for a line over DOCKER_BUILD_LINE_MAX. id and error
 * are new, freed by release.
 */
#define DOCKER_BUILD_LINE_MAX (1u << 20)
struct docker_build_stream {
	const struct docker_build *b;
	struct buf line;
	char *id;    /* {"aux": {"ID": ...}}: the image built */
	char *error; /* the first {"error": ...} */
	struct err *err;
};
void docker_build_stream_init(struct docker_build_stream *s, const struct docker_build *b,
                              struct err *err);
int docker_build_stream_feed(void *ctx, const char *data, size_t len);
int docker_build_stream_finish(struct docker_build_stream *s);
void docker_build_stream_release(struct docker_build_stream *s);

/* Append s to b percent-encoded, except the characters in keep. 0 or ERR_NOMEM. */
int docker_path_encode(struct buf *b, const char *s, const char *keep);

/* ---- image references and registry credentials (docker_auth.c) ---- */

/* The config key Docker uses for Docker Hub credentials. */
#define DOCKER_HUB_AUTH_KEY "https://index.docker.io/v1/"
/* Largest Docker client config.json read. */
#define DOCKER_CONFIG_MAX (1u << 20)

/*
 * Split ref into its registry host ("docker.io" when it names none), the
 * repository as the daemon's RepoDigests spell it (familiar form: no
 * "docker.io/", no "library/") and the tag or digest ("latest" when it has
 * neither). Each output may be NULL; those given are new. ERR_INVALID on an
 * empty or malformed ref, ERR_NOMEM.
 */
int docker_ref_parse(char **registry_out, char **repo_out, char **tag_out, const char *ref,
                     struct err *err);

/*
 * Append the base64url form of data to b, padded with '=' as Go's
 * base64.URLEncoding (which the daemon decodes X-Registry-Auth with).
 * 0 or ERR_NOMEM.
 */
int docker_base64url(struct buf *b, const void *data, size_t len);

/*
 * The X-Registry-Auth value for registry from the text of a Docker client
 * config (config_path only names it in messages): base64url of
 * {"username","password","serveraddress"} from the matching "auths" entry.
 * *out is new, or NULL when there is no entry (anonymous). ERR_INVALID for
 * bad JSON or an entry without credentials (naming credsStore/credHelpers
 * when they are set: helpers are not run). Messages never hold secrets.
 */
int docker_auth_from_config(char **out, const char *config_json, const char *config_path,
                            const char *registry, struct err *err);

/*
 * The same from $DOCKER_CONFIG/config.json (else ~/.docker/config.json)
 * for ref's registry; a missing file means anonymous (*out NULL). When
 * where (caller's, may be NULL) is given it gets the path consulted, for
 * messages.
 */
int docker_auth_for_ref(char **out, struct buf *where, const char *ref, struct err *err);

/* Free an auth value after overwriting it; NULL is fine. */
void docker_auth_free(char *auth);

/* ---- pulls, digests, info (docker_pull.c) ---- */

/* Longest single line of a pull stream kept in memory. */
#define DOCKER_PULL_LINE_MAX (1u << 20)

/*
 * The parser of a POST /images/create answer: JSON objects, one per line,
 * split anywhere across chunks. Progress lines go to progress (may be
 * NULL); the first "error" is kept as the failure; a "Digest: ..." status
 * line gives the pulled manifest digest.
 */
/* Layers of one pull whose bytes count towards its percent. */
#define DOCKER_PULL_LAYERS_MAX 128

struct docker_pull_stream {
	struct buf line; /* the unfinished line */
	const struct docker_pull_progress *progress;
	const char *ref;
	char *error;  /* first error message (one line), new, or NULL */
	char *digest; /* "sha256:..." from the status line, new, or NULL */
	size_t lines; /* complete lines seen */
	/* the layers' download progress, for docker_pull_progress.percent */
	struct docker_pull_layer {
		char id[72];
		long long current, total;
	} layers[DOCKER_PULL_LAYERS_MAX];
	size_t nlayers;
	int percent; /* last reported; -1: none yet */
};

void docker_pull_stream_init(struct docker_pull_stream *s, const char *ref,
                             const struct docker_pull_progress *progress);
/* Feed one chunk. ERR_DOCKER for a line over DOCKER_PULL_LINE_MAX or bad JSON. */
int docker_pull_stream_feed(struct docker_pull_stream *s, const char *data, size_t len,
                            struct err *err);
/* End of the stream: parse a last line without its newline. */
int docker_pull_stream_finish(struct docker_pull_stream *s, struct err *err);
void docker_pull_stream_release(struct docker_pull_stream *s);

/*
 * What a failed pull's message (the daemon's words) says about reaching
 * the registry: "does not resolve (no such host)", "refuses connections",
 * ...; NULL when it says nothing of the kind (auth, not found). Static.
 */
const char *docker_pull_cause(const char *msg);

/* GET /info answer -> struct (strings new). ERR_DOCKER on bad JSON. */
int docker_decode_info(struct docker_info *out, const char *json, struct err *err);

/*
 * GET /images/{name}/json answer: the image ID and the RepoDigests entry
 * whose repository is repo (docker_ref_parse() form); either out may be
 * NULL, *digest_out NULL when none matches. New strings.
 */
int docker_decode_image_digest(char **id_out, char **digest_out, const char *json, const char *repo,
                               struct err *err);

/* GET /distribution/{name}/json answer: Descriptor.digest (new). */
int docker_decode_distribution(char **digest_out, const char *json, struct err *err);

#endif
