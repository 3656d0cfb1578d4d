/*
 * reconcile.h - desired model + observed Docker state -> an ordered plan
 * (reconcile_diff.c, pure: no I/O besides the old-spec callback), and the
 * execution of a plan against Docker (reconcile_apply.c).
 */
#ifndef DEPLOYCTL_RECONCILE_H
#define DEPLOYCTL_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>

#include "deployctl/docker.h"
#include "deployctl/err.h"
#include "deployctl/hash.h"
#include "deployctl/model.h"

enum action_kind {
	ACTION_REMOVE = 0, /* a container: service dropped, scaled down, duplicate */
	ACTION_NETWORK_CREATE,
	ACTION_VOLUME_CREATE,
	ACTION_CREATE,         /* a missing container */
	ACTION_REPLACE,        /* a container whose spec differs */
	ACTION_START,          /* a container that matches but is not running */
	ACTION_NETWORK_REMOVE, /* a network dropped from the manifests */
	ACTION_VOLUME_REMOVE,  /* deployctl down --volumes: a volume the project owns */
};

struct action {
	enum action_kind kind;
	char *target;         /* service name, or network / volume key */
	unsigned replica;     /* containers: 1-based; 0 for networks and volumes */
	char *container_id;   /* existing container (replace, start, remove) or network
	                       * (network-remove); else NULL */
	char *container_name; /* the container's name once the action is done */
	char *docker_name;    /* networks and volumes: the Docker-side name */
	char *reason;         /* never NULL: no reason, no action */
	unsigned level;       /* execution stage; actions of one stage may run in parallel */
	const struct service *service;    /* borrowed from the desired project; NULL for drops */
	char spec_hash[HASH_HEX_LEN + 1]; /* desired hash (create, replace) */
	char *retain_name; /* the old container is kept, stopped, under this name; NULL: deleted */
	char *reuse_id;    /* a retained container with the desired spec to bring back, or NULL */
	char *reuse_name;  /* its retained name (to put it back if the rollout fails) */
	bool start_first;  /* replace: new container up before the old one stops */
	char *order_why;   /* replace: the order and why, "stop-first: mounts volume pgdata" */
};

/*
 * Retained containers (previous releases', kept stopped for a fast way
 * back) are named "<canonical>--r<release>". *out new.
 */
char *reconcile_retained_name(const char *canonical, const char *release);
/* Does a container's name mark it as retained? */
bool reconcile_is_retained(const char *name);
/*
 * A container that failed its gate is kept, stopped, for inspection as
 * "<canonical>--failed-r<release>" until a later successful release
 * prunes it. *out new.
 */
char *reconcile_failed_name(const char *canonical, const char *release);
bool reconcile_is_failed(const char *name);
/*
 * A start-first replace brings the new container up as
 * "<canonical>--next-r<release>" beside the old one, then swaps names.
 * *out new.
 */
char *reconcile_next_name(const char *canonical, const char *release);
/* Retained, failed or not yet swapped in: a container that is not a live replica. */
bool reconcile_is_kept(const char *name);

struct plan {
	struct action *v; /* sorted by (level, kind, target, replica) */
	size_t n;
	struct strv notes;    /* things worth saying that are not actions ("volume kept") */
	struct strv warnings; /* what the user should know first ("two containers on a volume") */
	bool need_resources;  /* diff could not prove networks/volumes: list them, diff again */
};

/*
 * Old spec lookup: the redacted canonical JSON a container was created
 * from, by its release and service. *out new; ERR_NOTFOUND when unknown.
 */
typedef int (*reconcile_old_spec_fn)(void *ctx, char **out, const char *release,
                                     const char *service);

struct reconcile_input {
	const struct project *desired;
	const struct hash_key *key;                /* the state directory's, for fingerprints */
	const char (*hashes)[HASH_HEX_LEN + 1];    /* desired spec hash per desired service */
	const struct docker_container *containers; /* one list call's worth */
	size_t ncontainers;
	/* Optional (have_resources): the project's networks and volumes as listed. */
	bool have_resources;
	const struct docker_resource *networks;
	size_t nnetworks;
	const struct docker_resource *volumes;
	size_t nvolumes;
	/* Networks and volumes of the latest release (type "network"/"volume" keys). */
	const struct strv *prev_networks;
	const struct strv *prev_volumes;
	const struct strv *prev_services; /* services of the latest release, sorted */
	reconcile_old_spec_fn old_spec;
	void *old_spec_ctx;
	/*
	 * Optional, one per container: true for a container another state
	 * database owns (or none does) that this run takes over (--adopt). It is
	 * replaced, whatever its spec, so that it carries this database's owner
	 * label (a label cannot change in place), and never brought back as a
	 * retained container.
	 */
	const bool *adopt;
};

/* Compute the plan; out is initialised by the call and released by reconcile_plan_release(). */
int reconcile_diff(struct plan *out, const struct reconcile_input *in, struct err *err);
void reconcile_plan_release(struct plan *p);

/*
 * "create", "replace", "start", "remove", "network-create", "volume-create", "network-remove",
 * "volume-remove".
 */
const char *reconcile_action_name(enum action_kind k);
/* "service", "network" or "volume". */
const char *reconcile_action_target_type(enum action_kind k);

/* What "deployctl down" takes away (reconcile_down.c). */
struct reconcile_down_opts {
	bool volumes;      /* remove the project's own volumes too (never external ones) */
	bool keep_history; /* stop and keep the containers as retained (and their networks) */
};

/*
 * The plan of "deployctl down": every container of the project (live,
 * retained and failed ones) removed, then its networks, then with
 * opts->volumes its volumes. in->containers, in->networks and in->volumes
 * must be the project's label-filtered listings; in->desired is unused.
 * Volumes kept are named in out->notes. Pure; out as for reconcile_diff().
 */
int reconcile_down(struct plan *out, const struct reconcile_input *in,
                   const struct reconcile_down_opts *opts, struct err *err);

/* Progress of an apply, for the CLI to display. */
struct reconcile_progress {
	void (*action_started)(void *ctx, const struct action *a);
	void (*action_done)(void *ctx, const struct action *a, const struct err *failed);
	/*
	 * A container of action a was created, renamed, started, stopped,
	 * disconnected, reconnected, removed, kept (failed, for inspection) or
	 * checked (re-read after a lost reply): called the moment it happened
	 * (under the run's lock, one call at a time), so it can be recorded
	 * before anything else is done. name: its name after the event.
	 */
	void (*container)(void *ctx, const struct action *a, const char *event, const char *id,
	                  const char *name, const char *detail);
	/*
	 * Optional: a step within a running action ("creating", "starting",
	 * "waiting for health", "stopping old", ...), and while waiting, the
	 * gate's attempt number (0 otherwise). Called from worker threads,
	 * without the run's lock: the receiver serialises.
	 */
	void (*action_state)(void *ctx, const struct action *a, const char *state,
	                     unsigned attempt);
	void *ctx;
};

/* The outcome of one action, as recorded. */
struct reconcile_result {
	int rc;             /* 0 or the action's error code; 1 when skipped */
	struct err err;     /* why it failed (for a gate: which check, output, exit code) */
	char *container_id; /* new container (create, replace), also when it is still there after
	                     * a failure; new string */
	char *kept_name;    /* a container that failed its gate, kept stopped under this name */
	bool undone;        /* what it changed was put back (by itself or the automatic rollback) */
	bool undo_failed;   /* it changed Docker and could not put it back: see err */
	double up_s;        /* seconds from start to up (gated actions) */
};

struct docker_connect {
	const char *host; /* as given to docker_open(); workers open their own connections */
};

/*
 * Execute plan stage by stage: up to `parallel` actions of one stage at once
 * (each worker has its own Docker connection); a stage with a failure ends
 * the run after the stage's other actions finish. results[i] (caller array
 * of plan->n, zeroed) receives each action's outcome; untried actions get
 * rc 1 (skipped). network_ids: Docker network IDs by key, updated as
 * networks are created. worker_stats adds up the calls made by the extra
 * worker connections (d's own are in docker_get_stats(d)). Returns 0 when every action succeeded,
 * else the first failure's code with err set to it. After SIGINT/SIGTERM (sig_pending()) no
 * action is started; a gate that was waiting fails with ERR_STOPPED (undone, and the
 * release with it, as for any failed gate); when the stop came between actions, the result is
 * ERR_STOPPED with nothing undone and the untried actions skipped.
 */
struct reconcile_opts {
	const char *release;   /* LABEL_RELEASE for new containers */
	const char *files_dir; /* where configs and env secrets are materialised */
	/* The state database's identity, put on every new container (LABEL_OWNER*); may be NULL. */
	const char *owner, *owner_host, *owner_state;
	unsigned parallel; /* actions of one stage at once */
	bool no_rollback;  /* on a failed gate, leave things as they are */
	const struct reconcile_progress *progress;
	/*
	 * Optional: called before each stage (next: the index of its first
	 * action) and once after the last one (next == plan->n), with no
	 * action in flight: the release's jobs run there. A negative return
	 * (err set) fails the run at that point, as a failed stage does.
	 */
	int (*stage_hook)(void *ctx, size_t next, struct err *err);
	void *stage_ctx;
	/*
	 * Optional: called once every action succeeded (the smoke checks of
	 * a release). A failure fails the run as a failed gate does: every
	 * change undone unless no_rollback, err its reason.
	 */
	int (*verify)(void *ctx, struct err *err);
	void *verify_ctx;
};

int reconcile_apply(struct docker *d, const struct docker_connect *conn, const struct project *p,
                    const struct plan *plan, const struct reconcile_opts *o,
                    struct kvv *network_ids, struct reconcile_result *results,
                    struct docker_stats *worker_stats, struct err *err);

/*
 * Wait until container id of service s is up (see reconcile_gate.c); job:
 * up means exited 0. On failure err says which check failed, with the last
 * health output or exit code and the log tail. *up_s: seconds waited.
 */
int reconcile_wait_up(double *up_s, struct docker *d, const struct service *s, const char *id,
                      bool job, struct err *err);
/* The same, calling attempt(ctx, n) before each look at the container (n from 1). */
struct reconcile_gate_watch {
	void (*attempt)(void *ctx, unsigned n);
	void *ctx;
	/*
	 * If set: idle(ctx, true) before waiting out the settle time on the
	 * events stream (no Docker work meanwhile), idle(ctx, false) after.
	 */
	void (*idle)(void *ctx, bool idle);
};
int reconcile_wait_up_watched(double *up_s, struct docker *d, const struct service *s,
                              const char *id, bool job, const struct reconcile_gate_watch *watch,
                              struct err *err);

/*
 * After a successful release: delete retained containers except those of
 * the newest `keep` releases that have any, and those whose spec hash is in
 * protect (what the rollback target and tagged releases run: a container
 * keeps the label of the release that created it, so hashes, not release
 * numbers, say what a release needs), and every stopped container kept
 * after a failed gate. Volumes stay (a previous release ran them).
 * *removed counts them.
 */
int reconcile_prune(unsigned *removed, struct docker *d, const char *project, unsigned keep,
                    const struct strv *protect, struct err *err);
void reconcile_results_release(struct reconcile_result *results, size_t n);

#endif
