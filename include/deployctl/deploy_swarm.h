/*
 * deploy_swarm.h - the glue that lets apply, plan, rollback, history and
 * show drive Swarm through the same commands and release records
 * (deploy/swarm.c): observe the stack's services, diff, run, record the
 * release's target.
 */
#ifndef DEPLOYCTL_DEPLOY_SWARM_H
#define DEPLOYCTL_DEPLOY_SWARM_H

#include <stdbool.h>
#include <stdint.h>

#include "deployctl/cmd_deploy.h"
#include "deployctl/docker_swarm.h"

struct deploy_swarm;

/* Does the project target Swarm (x-deployctl.target, --target, or its release's record)? */
bool deploy_swarm_wanted(const struct deploy *dp);
/* Set the project's target ("swarm" or "docker"); ERR_NOMEM. */
int deploy_swarm_set_target(struct deploy *dp, const char *target);
/* Rollback: the target release `release` recorded; 0, or an error already reported. */
int deploy_swarm_target_from_release(struct deploy *dp, struct ctx *ctx, int64_t release);

/*
 * The Swarm half of deploy_observe(): one filtered /services list call
 * (which proves the daemon a manager, or says clearly that it is not), the
 * diff, and only when something changes, the image digests and the
 * networks. Returns an exit code, errors reported.
 */
int deploy_swarm_observe(struct deploy *dp, struct ctx *ctx, const struct hash_key *key,
                         reconcile_old_spec_fn old_spec);

/* Run dp->plan (swarm_apply()); 0 or the first failure's code with err set. */
int deploy_swarm_apply(struct deploy *dp, struct ctx *ctx, const char *release,
                       const char *files_dir, const struct reconcile_progress *pg, bool no_rollback,
                       struct reconcile_result *res, struct err *err);
/*
 * The same, from the options a release gives reconcile_apply(): release,
 * files_dir, progress, no_rollback, and its stage hook (the jobs) and
 * verify hook (the smoke checks), which run between and after the waves.
 */
int deploy_swarm_run(struct deploy *dp, struct ctx *ctx, const struct reconcile_opts *ro,
                     struct reconcile_result *res, struct err *err);
/*
 * The watcher's cheap look at a converged Swarm project (dp observed
 * before, plan empty): one filtered GET /services, diffed against dp's
 * hashes. *out (caller's, zeroed) is the plan; empty, with
 * need_resources false, when nothing drifted. 0 or an error.
 */
int deploy_swarm_look(struct plan *out, struct deploy *dp, struct ctx *ctx,
                      reconcile_old_spec_fn old_spec, struct err *err);
/*
 * The watcher's gauges for a Swarm project as observed: desired tasks (the
 * model's replicas; a global service's running ones), tasks of the current
 * spec running, and healthy (Swarm holds a checked task in starting until
 * it is healthy, so running ones are). One task list call per service.
 */
int deploy_swarm_counts(unsigned *desired, unsigned *running, unsigned *healthy,
                        const struct deploy *dp, struct ctx *ctx, struct err *err);
/*
 * Does a Swarm service of the project, as observed, publish port/proto?
 * (The pre-deployment port check: such a port is the project's own.)
 */
bool deploy_swarm_publishes(const struct deploy *dp, unsigned port, const char *proto);
/* Record that release deployed to Swarm (a no-op for containers). */
int deploy_swarm_record(struct ctx *ctx, const struct deploy *dp, int64_t release, struct err *err);

/*
 * Down: dp (its project empty) runs on Swarm against services as listed,
 * which it takes, also on failure (ERR_NOMEM).
 */
int deploy_swarm_take(struct deploy *dp, struct docker_service *services, size_t n);

void deploy_swarm_free(struct deploy_swarm *sw);

#endif
