/*
 * swarm.h - the engine's Swarm backend: desired model + observed Swarm
 * services -> a plan (swarm_diff.c, pure), and running that plan in
 * depends_on waves, each gated on its tasks, with the automatic rollback of
 * every service the release changed (swarm_apply.c). Plans are the same
 * struct plan the container backend makes, so plan printing, release
 * records, history and show need nothing of their own: a service action has
 * replica 0 and targets the Swarm service "<project>_<service>".
 */
#ifndef DEPLOYCTL_SWARM_H
#define DEPLOYCTL_SWARM_H

#include <stdbool.h>
#include <stddef.h>

#include "deployctl/docker.h"
#include "deployctl/docker_swarm.h"
#include "deployctl/err.h"
#include "deployctl/hash.h"
#include "deployctl/model.h"
#include "deployctl/reconcile.h"

struct swarm_input {
	const struct project *desired;
	const struct hash_key *key;
	const char (*hashes)[HASH_HEX_LEN + 1]; /* per desired service */
	const char *const *images;              /* per desired service: the pinned reference */
	const struct docker_service *services;  /* one list call's worth */
	size_t nservices;
	/* Optional (have_networks): the project's networks as listed. */
	bool have_networks;
	const struct docker_resource *networks;
	size_t nnetworks;
	reconcile_old_spec_fn old_spec; /* the recorded spec of a release's service, for reasons */
	void *old_spec_ctx;
};

/*
 * The plan: create, replace (a Swarm service update) or remove per service,
 * network-create per missing overlay network, levels from depends_on (a
 * service's wave is one more than its deepest dependency's). Without
 * have_networks and with any service to change, out->need_resources asks
 * the caller to list networks and diff again (a no-op needs one list call).
 * Notes say what Swarm does differently: named volumes are node-local,
 * images without a registry digest are pinned by ID. Pure.
 */
int swarm_diff(struct plan *out, const struct swarm_input *in, struct err *err);

/* "<project>_<name>-<12 hex of sha256>": a config's or secret's Swarm object name. *out new. */
char *swarm_object_name(const char *project, const char *name, const char *content_hash);

struct swarm_apply_opts {
	const char *release;
	const char *files_dir; /* where apply wrote config contents by hash (a rollback reads) */
	const char (*hashes)[HASH_HEX_LEN + 1];      /* per project service */
	const char (*task_hashes)[HASH_HEX_LEN + 1]; /* per project service: its containers' */
	const char *const *images;                   /* per project service: pinned reference */
	const struct docker_service *observed;       /* the services as listed before the run */
	size_t nobserved;
	struct kvv *network_ids; /* network key -> ID; network-creates add to it */
	const struct reconcile_progress *progress;
	bool no_rollback;
	unsigned gate_timeout_s; /* 0: each service's rollout timeout, else 60 s */
	/*
	 * As reconcile_opts has them: stage_hook before each wave (next: the
	 * index of its first action) and once after the last (next == plan->n),
	 * the release's jobs; verify after the last wave, the smoke checks. A
	 * failure of either fails the run like a failed gate. Optional.
	 */
	int (*stage_hook)(void *ctx, size_t next, struct err *err);
	void *stage_ctx;
	int (*verify)(void *ctx, struct err *err);
	void *verify_ctx;
};

/*
 * Run plan on a Swarm manager: config and secret objects first (created by
 * content name when missing), then networks, then each level: its removes,
 * creates and updates, then the gate (every task of the new spec running,
 * healthy where a healthcheck exists, at the desired count, old tasks gone;
 * bounded). A failed gate rolls back every service the run changed to the
 * spec it had before (the complete spec as listed, not Swarm's single
 * PreviousSpec) and waits for it. After success, config and secret objects
 * no desired service uses are removed. results as for reconcile_apply().
 */
int swarm_apply(struct docker *d, const struct project *p, const struct plan *plan,
                const struct swarm_apply_opts *o, struct reconcile_result *res, struct err *err);

/*
 * The config and secret objects a release job mounts (job: a service-shaped
 * model), found by content name or created as a service's are; config_ids
 * and secret_ids (caller's, key -> "id\tname") filled for
 * docker_service_spec(). Objects no service uses are collected by the next
 * successful swarm_apply().
 */
int swarm_job_objects(struct kvv *config_ids, struct kvv *secret_ids, struct docker *d,
                      const struct project *p, const struct service *job, const char *files_dir,
                      struct err *err);

#endif
