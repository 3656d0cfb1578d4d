/*
 * docker.h - the Docker Engine API over its Unix socket (libcurl + jansson;
 * the only module that includes <curl/curl.h>; jansson is shared with spec_).
 *
 * One keep-alive connection per struct docker. The API version is
 * negotiated from GET /_ping (min of the daemon's and DOCKER_API_MAX).
 * Every call is counted, mutating ones separately, so a no-op can prove it
 * made no change. The daemon's own error message reaches err->msg.
 */
#ifndef DEPLOYCTL_DOCKER_H
#define DEPLOYCTL_DOCKER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deployctl/buf.h"
#include "deployctl/err.h"
#include "deployctl/model.h"

#define DOCKER_API_MAX        "1.41"
#define DOCKER_DEFAULT_SOCKET "/var/run/docker.sock"

/* Labels through which deployctl owns objects. */
#define LABEL_PROJECT   "io.deployctl.project"
#define LABEL_SERVICE   "io.deployctl.service"
#define LABEL_RELEASE   "io.deployctl.release"
#define LABEL_SPEC_HASH "io.deployctl.spec-hash"
#define LABEL_REPLICA   "io.deployctl.replica"
#define LABEL_NETWORK   "io.deployctl.network"
#define LABEL_VOLUME    "io.deployctl.volume"
/* A job's one-off container (x-deployctl.jobs): the job's name; it has no LABEL_SERVICE. */
#define LABEL_JOB "io.deployctl.job"
/* The state database that created a container: its random id, host and state path. */
#define LABEL_OWNER       "io.deployctl.owner"
#define LABEL_OWNER_HOST  "io.deployctl.owner-host"
#define LABEL_OWNER_STATE "io.deployctl.owner-state"

struct docker;

/*
 * Connect to host ("unix:///path", or NULL: $DOCKER_HOST, else
 * DOCKER_DEFAULT_SOCKET), ping and negotiate. *out is new (docker_free()).
 * ERR_UNREACHABLE when nothing answers; ERR_INVALID for a non-unix host.
 */
int docker_open(struct docker **out, const char *host, struct err *err);
void docker_free(struct docker *d);
/*
 * libcurl's process-wide set-up and tear-down: main() calls them once,
 * before any docker_open() and after the last docker_free().
 */
int docker_global_init(struct err *err);
void docker_global_cleanup(void);
/* Negotiated API version, e.g. "1.41"; borrowed. */
const char *docker_api_version(const struct docker *d);
/* The Unix socket path the client talks to; borrowed. */
const char *docker_socket(const struct docker *d);

struct docker_stats {
	unsigned calls;    /* every request, ping included */
	unsigned mutating; /* POST/PUT/DELETE */
};
void docker_get_stats(struct docker_stats *out, const struct docker *d);
/* Count from zero again (a long-lived process, before each reconcile). */
void docker_reset_stats(struct docker *d);
/*
 * Did the last request fail with its outcome unknown: a timeout or a
 * dropped connection after it may have reached the daemon (anything but a
 * refused connect)? Then the caller must re-read the truth before acting.
 */
bool docker_last_uncertain(const struct docker *d);

/* A container as one label-filtered list call reports it. All strings owned. */
struct docker_container {
	char *id;
	char *name;     /* without the leading '/' */
	char *image;    /* reference it was created from */
	char *image_id; /* "sha256:..." */
	char *state;    /* created, running, paused, restarting, removing, exited, dead */
	char *status;   /* Docker's human text, e.g. "Up 3 minutes (healthy)" */
	char *project, *service, *release, *spec_hash; /* labels; NULL if absent */
	char *owner, *owner_host, *owner_state;        /* LABEL_OWNER*; NULL if absent */
	char *job;                                     /* LABEL_JOB; NULL for a service's */
	unsigned replica;                              /* LABEL_REPLICA, 0 if absent or bad */
	struct strv networks; /* names of networks it is attached to, sorted */
	struct strv volumes;  /* names of named volumes mounted, sorted */
	struct strv ports;    /* published bindings "host_ip:host_port/proto", sorted */
	int64_t created;      /* unix seconds */
};

/*
 * GET /containers/json?all=1 filtered on LABEL_PROJECT=project: one call;
 * project NULL lists the containers of every project (the label present).
 * Job containers (LABEL_JOB) are left out: they are no service's.
 * *out is a new array (docker_container_list_free()).
 */
int docker_container_list(struct docker_container **out, size_t *n, struct docker *d,
                          const char *project, struct err *err);
/*
 * The same call for a caller that keeps Docker's previous answer in *last
 * (the watcher's ticks): when the answer is byte for byte *last, *unchanged
 * is set and nothing is decoded (*out NULL, *n 0); else *last becomes the
 * new answer and it is decoded as docker_container_list() does. An empty
 * *last (buf_init) matches nothing. On failure *last is emptied.
 */
int docker_container_list_since(struct docker_container **out, size_t *n, bool *unchanged,
                                struct buf *last, struct docker *d, const char *project,
                                struct err *err);
/* The same call keeping only the job containers (for down, and leftovers of a killed run). */
int docker_job_list(struct docker_container **out, size_t *n, struct docker *d, const char *project,
                    struct err *err);
void docker_container_list_free(struct docker_container *v, size_t n);

/*
 * Resolve image references to local image IDs with one filtered
 * GET /images/json call (references with a digest fall back to one
 * inspect each). ids[i] (caller's array of n pointers) gets a new string
 * or NULL when refs[i] is not present locally.
 */
int docker_image_resolve(char **ids, struct docker *d, const char *const *refs, size_t n,
                         struct err *err);
/* Free ids[0..n) as docker_image_resolve() filled them, then the array ids itself (NULL is fine).
 */
void docker_image_ids_free(char **ids, size_t n);

/* How to build an image (POST /build); strings borrowed. */
struct docker_build {
	const char *const *tags; /* NULL-terminated: every tag the image gets */
	const char *dockerfile;  /* in the context; NULL: Dockerfile */
	const char *target;      /* NULL: the last stage */
	const struct kvv *args;
	const struct kvv *labels;
	/* each line of build output (escaped by the caller before printing); may be NULL */
	void (*line)(void *ctx, const char *text);
	void *ctx;
};

/*
 * Build an image from tar (a context archive of len bytes): POST /build with
 * the tags, dockerfile, target, buildargs and labels, output streamed to
 * b->line. *id new ("sha256:..."). A failed step is ERR_DOCKER with the
 * Engine's message ("... returned a non-zero code: 1").
 */
int docker_image_build(char **id, struct docker *d, const char *tar, size_t len,
                       const struct docker_build *b, struct err *err);

/* GET /info and the ping: what check reports about the daemon. Strings owned. */
struct docker_info {
	char *server_version; /* e.g. "20.10.24+dfsg1" */
	char *root_dir;       /* DockerRootDir, for the free-space check */
	char *os;             /* OperatingSystem */
	bool swarm_active;
};
int docker_info(struct docker_info *out, struct docker *d, struct err *err);
void docker_info_release(struct docker_info *i);

/*
 * Pull progress, one call per status line the daemon streams; percent (may
 * be NULL) each time the share of the layers' bytes downloaded so far, in
 * whole percent, changes.
 */
struct docker_pull_progress {
	void (*line)(void *ctx, const char *ref, const char *status, const char *detail);
	void *ctx;
	void (*percent)(void *ctx, const char *ref, unsigned percent);
};

/*
 * POST /images/create?fromImage=&tag= with X-Registry-Auth from the Docker
 * client config ($DOCKER_CONFIG/config.json or ~/.docker/config.json
 * "auths", base64 "auth" user:password; credential helpers are not run),
 * streaming progress. On success *id_out is the local image ID and
 * *digest_out the repo digest ("name@sha256:..."), both new. ERR_DOCKER
 * with the registry's message on failure (auth, not found, unreachable).
 */
int docker_image_pull(char **id_out, char **digest_out, struct docker *d, const char *ref,
                      const struct docker_pull_progress *progress, struct err *err);

/*
 * The repo digest of a local image for ref's repository (from RepoDigests),
 * or NULL when it has none (an image never pulled). *out new or NULL.
 */
int docker_image_digest(char **out, struct docker *d, const char *ref, struct err *err);

/*
 * Is ref resolvable in its registry (GET /distribution/{ref}/json, with the
 * same credentials)? 0 with *digest_out new, ERR_NOTFOUND, or ERR_DOCKER.
 */
int docker_image_remote(char **digest_out, struct docker *d, const char *ref, struct err *err);

/* What a container is created from. */
struct docker_create {
	const struct project *project;
	const struct service *service;
	const char *name;      /* container name */
	const char *release;   /* LABEL_RELEASE value */
	const char *spec_hash; /* LABEL_SPEC_HASH value */
	/* LABEL_OWNER, LABEL_OWNER_HOST, LABEL_OWNER_STATE values; each left out when NULL. */
	const char *owner, *owner_host, *owner_state;
	unsigned replica;
	/* A job's container: LABEL_JOB = job, and no service, spec-hash or replica labels. */
	const char *job;
	/* Docker network IDs by network key (svc_network.name); borrowed. */
	const struct kvv *network_ids;
	/* Directory where config and environment-secret contents are materialised
	 * as <files_dir>/<content_hash> (see files.h); bind-mounted read-only. */
	const char *files_dir;
};

/*
 * POST /containers/create with the service's Config, HostConfig and
 * NetworkingConfig (first network at create; further networks are
 * connected before start by this call too, with their aliases).
 * Owner labels are always set. *id_out is new.
 */
int docker_container_create(char **id_out, struct docker *d, const struct docker_create *c,
                            struct err *err);
int docker_container_start(struct docker *d, const char *id, struct err *err);
/* timeout_s < 0: the container's own stop timeout. Already stopped is not an error. */
int docker_container_stop(struct docker *d, const char *id, int timeout_s, struct err *err);
/*
 * DELETE /containers/{id}; flags: DOCKER_REMOVE_FORCE (a running one too),
 * DOCKER_REMOVE_VOLUMES (its anonymous volumes too: only for a container
 * this run created, never one a previous release ran). Already gone is
 * not an error.
 */
enum docker_remove_flags { DOCKER_REMOVE_FORCE = 1 << 0, DOCKER_REMOVE_VOLUMES = 1 << 1 };
int docker_container_remove(struct docker *d, const char *id, unsigned flags, struct err *err);
int docker_container_rename(struct docker *d, const char *id, const char *name, struct err *err);

/*
 * GET /containers/{id or name}/json: who a container is now. Fills id,
 * name, state, the owner labels and networks of *out (the rest stays
 * empty); release it with docker_container_list_free(out, 1)'s per-entry
 * counterpart docker_container_release(). ERR_NOTFOUND when none matches
 * ref exactly (by full ID or by name: Docker's ID-prefix matches are
 * refused).
 */
int docker_container_inspect(struct docker_container *out, struct docker *d, const char *ref,
                             struct err *err);
void docker_container_release(struct docker_container *c);

/*
 * Take a running container off every network it is on (its DNS names and
 * aliases go with it), keeping what each endpoint had in *saved, so that
 * docker_container_reconnect() can attach it again once it is stopped.
 */
struct docker_netsave {
	struct strv networks; /* network IDs */
	struct strv bodies;   /* the connect body for each, JSON text (docker/ only) */
};
int docker_container_disconnect_all(struct docker_netsave *saved, struct docker *d, const char *id,
                                    struct err *err);
int docker_container_reconnect(struct docker *d, const char *id, const struct docker_netsave *saved,
                               struct err *err);
void docker_netsave_release(struct docker_netsave *s);

/* State from GET /containers/{id}/json, for health gating. */
struct docker_container_state {
	char *status;         /* running, exited, ... */
	char *health;         /* "starting", "healthy", "unhealthy", or NULL: no healthcheck */
	char *health_output;  /* last probe's output, or NULL */
	int health_exit_code; /* last probe's exit code, or -1 */
	int exit_code;
	bool restarting;
	bool oom_killed;
	int restart_count; /* RestartCount: restarts by its policy since its last start by a client
	                    */
};
int docker_container_inspect_state(struct docker_container_state *out, struct docker *d,
                                   const char *id, struct err *err);
void docker_container_state_release(struct docker_container_state *s);

/*
 * Run cmd (argv form) in a running container through the exec API and wait
 * for it, polling, at most timeout_ms: the healthcheck probe deployctl runs
 * itself so it learns health as soon as it is true. *exit_code is the
 * command's status; ERR_FAIL on timeout (docker_exec.c).
 */
int docker_exec_run(int *exit_code, struct docker *d, const char *id, const struct strv *cmd,
                    long timeout_ms, struct err *err);
/* The last `lines` lines of a container's stdout and stderr; *out new. */
int docker_container_logs_tail(char **out, struct docker *d, const char *id, unsigned lines,
                               struct err *err);
/* A container's environment (Config.Env as KEY=VALUE) into *out (kvv_set). */
int docker_container_env(struct kvv *out, struct docker *d, const char *id, struct err *err);
/* A container's labels (Config.Labels) into *out (kvv_set). */
int docker_container_labels(struct kvv *out, struct docker *d, const char *id, struct err *err);

/* ---- streams: logs and attached execs (docker_stream.c) ---- */

enum docker_stream_id { DOCKER_STDOUT = 1, DOCKER_STDERR = 2 };

/* Where a stream's bytes go: stream is DOCKER_STDOUT or DOCKER_STDERR; < 0 stops it. */
typedef int (*docker_output_fn)(void *ctx, int stream, const char *data, size_t len);

/*
 * Undoing the multiplexing of a stream without a TTY: 8-byte headers
 * (stream, 0, 0, 0, big-endian payload length) before each chunk, split
 * anywhere across reads. The caller's struct; no allocation.
 */
struct docker_demux {
	unsigned char hdr[8];
	size_t hlen; /* header bytes held */
	size_t left; /* payload bytes of the current frame still to come */
	int stream;
	int raw; /* 1: raw (TTY), 0: framed, -1: decide from the first 8 bytes */
};
void docker_demux_init(struct docker_demux *m, int raw);
/* Feed bytes; payloads go to out. ERR_DOCKER for a bad header in a framed stream. */
int docker_demux_feed(struct docker_demux *m, const char *data, size_t len, docker_output_fn out,
                      void *ctx);
/* End of stream: a raw stream's held-back bytes (under 8) go out. */
int docker_demux_finish(struct docker_demux *m, docker_output_fn out, void *ctx);

struct docker_logs_opts {
	bool follow;       /* keep streaming until the container stops or *cancel is set */
	bool timestamps;   /* Docker's RFC 3339 time before each line */
	const char *tail;  /* "all" or a count; NULL: all */
	const char *since; /* unix seconds, may be fractional; NULL: from the start */
	const volatile sig_atomic_t *cancel; /* follow: ends soon after it becomes nonzero */
};

/*
 * GET /containers/{id}/logs, demultiplexed, to out as it arrives (no
 * line buffering here). A cancelled follow returns 0.
 */
int docker_container_logs(struct docker *d, const char *id, const struct docker_logs_opts *o,
                          docker_output_fn out, void *ctx, struct err *err);

struct docker_exec_opts {
	const struct strv *cmd;
	bool tty;         /* allocate a pseudo-terminal: the stream is raw, not framed */
	bool stdin_open;  /* attach stdin */
	const char *term; /* $TERM for a TTY, or NULL */
};

/*
 * Create an exec running o->cmd in container id and start it attached
 * (hijacked connection). *fd_out: the socket carrying its stdio (write
 * stdin to it, shutdown(SHUT_WR) at EOF; read output, framed without a
 * TTY), pending (caller's, initialised) holds output already read;
 * *exec_id_out new. Close *fd_out when done.
 */
int docker_exec_attach(int *fd_out, struct buf *pending, char **exec_id_out, struct docker *d,
                       const char *id, const struct docker_exec_opts *o, struct err *err);
/* POST /exec/{id}/resize: the TTY's size. */
int docker_exec_resize(struct docker *d, const char *exec_id, unsigned rows, unsigned cols,
                       struct err *err);
/* GET /exec/{id}/json: whether it still runs and its exit code (-1 while unknown). */
int docker_exec_inspect(int *exit_code, bool *running, struct docker *d, const char *exec_id,
                        struct err *err);

/* A container event of a deployctl project, as GET /events streams it. Borrowed strings. */
struct docker_event {
	const char *action;  /* "die", "destroy", "stop", "kill", "rename", "update", ... */
	const char *id;      /* container ID */
	const char *name;    /* container name, or "" */
	const char *project; /* LABEL_PROJECT */
	const char *service; /* LABEL_SERVICE, or "" */
	unsigned replica;    /* LABEL_REPLICA, 0 if absent */
	int64_t time;        /* unix seconds */
	int exit_code;       /* a die's "exitCode"; -1 if none */
};
struct docker_event_sink {
	void (*event)(void *ctx, const struct docker_event *ev);
	/* polled about once a second; true ends the stream */
	bool (*cancelled)(void *ctx);
	void *ctx;
};
/*
 * Follow GET /events (containers labelled LABEL_PROJECT, from now on),
 * passing each to sink->event, until sink->cancelled() says so (returns 0)
 * or the daemon goes away (ERR_UNREACHABLE) or fails (ERR_DOCKER). Use a
 * struct docker of its own: the call holds the connection for its length.
 */
int docker_events_follow(struct docker *d, const struct docker_event_sink *sink, struct err *err);
/*
 * Wait until until_s (unix seconds, fractions allowed) for container id to
 * die: one GET /events, which the Engine holds open until `until` and on
 * which it sends the die the moment it happens (a die since since_s, even
 * one before the call, is replayed from the Engine's own buffer). *died
 * says whether one came, *exit_code its exit code (-1 if unknown); the call
 * returns at once when it does. An until_s already past returns at once too.
 */
int docker_container_wait_die(bool *died, int *exit_code, struct docker *d, const char *id,
                              double since_s, double until_s, struct err *err);

/*
 * A project's network or volume as Docker lists it (docker_resource.c):
 * one type for both kinds, as in the model.
 */
struct docker_resource {
	char *id;   /* networks: the ID; volumes: NULL (a volume's name is its ID) */
	char *name; /* the Docker-side name */
	char *key;  /* LABEL_NETWORK / LABEL_VOLUME: the manifest key; NULL if absent */
};

/* GET /networks or /volumes (kind k) filtered on LABEL_PROJECT=project; *out new. */
int docker_resource_list(struct docker_resource **out, size_t *n, struct docker *d, enum res_kind k,
                         const char *project, struct err *err);
void docker_resource_list_free(struct docker_resource *v, size_t n);
/* Borrowed: the one among v[0..n) labelled with manifest key and named name, or NULL. */
const struct docker_resource *docker_resource_find(const struct docker_resource *v, size_t n,
                                                   const char *key, const char *name);
/*
 * POST /networks/create (CheckDuplicate, driver, internal, IPv6, IPAM) or
 * /volumes/create (driver) for r under docker_name, with r's labels and the
 * owner labels (LABEL_PROJECT, LABEL_NETWORK or LABEL_VOLUME = r->name).
 * *id_out: a network's new ID (free()), NULL for a volume.
 */
int docker_resource_create(char **id_out, struct docker *d, enum res_kind k,
                           const struct project *p, const struct project_resource *r,
                           const char *docker_name, struct err *err);
/*
 * DELETE a network by ID (a bounded retry while Docker reports active
 * endpoints, moby#42119) or a volume by name.
 */
int docker_resource_remove(struct docker *d, enum res_kind k, const char *id, struct err *err);
/*
 * The resource of kind k named exactly name (external ones): *id_out its
 * ID, for a volume its name (new strings); ERR_NOTFOUND if none, and for
 * networks ERR_DOCKER when several share the name.
 */
int docker_resource_lookup(char **id_out, struct docker *d, enum res_kind k, const char *name,
                           struct err *err);

#endif
