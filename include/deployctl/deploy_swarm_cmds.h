/*
 * deploy_swarm_cmds.h - status, logs, exec, restart and down on a project
 * whose releases went to Swarm (deploy/swarm_status.c, swarm_ops.c,
 * swarm_down.c): each command keeps its options and output and hands over
 * here when deploy_swarm_project() says the project is on Swarm.
 */
#ifndef DEPLOYCTL_DEPLOY_SWARM_CMDS_H
#define DEPLOYCTL_DEPLOY_SWARM_CMDS_H

#include <stdbool.h>
#include <stdint.h>

#include "deployctl/cmd_deploy.h"
#include "deployctl/docker.h"
#include "deployctl/store.h"

/*
 * Is the project on Swarm: did its latest release (any status) record the
 * target swarm (releases.target)? A project with no release is not.
 * Errors (the store) are reported; returns an exit code.
 */
int deploy_swarm_project(bool *out, struct ctx *ctx, const char *project);

/*
 * status on Swarm: per service desired vs running tasks (healthy where
 * there is a healthcheck), the pinned image, the spec hash against release
 * cur's record, the nodes its tasks run on. One filtered /services list
 * and one /tasks list. rows: cur's services. json: the same opening members
 * as the container status ({"project", "release", ...), "services" and
 * "missing", the object left open for the caller's "pin". Exit code.
 */
int deploy_swarm_status(struct ctx *ctx, const char *project, const struct store_release *cur,
                        int64_t ok, const struct store_service_row *rows, size_t nrows, bool json);

/*
 * logs: the project's Swarm services named (all when nservices is 0) as
 * entries logs can stream from with docker_service_logs(): id is the
 * service's ID, name its Swarm name, service the manifest's name, replica
 * 0. *out new (docker_container_list_free()). Unknown names are a usage
 * error (printed). Exit code.
 */
int deploy_swarm_log_targets(struct docker_container **out, size_t *n, struct ctx *ctx,
                             const char *project, char **services, int nservices);

/*
 * exec: the container of the running task of service (slot replica) when
 * it runs on the node this daemon is; otherwise a clear error naming the
 * node it runs on (Swarm cannot exec on another node). *out: one entry, id
 * the container's. Exit code, errors printed.
 */
int deploy_swarm_exec_target(struct docker_container **out, size_t *n, struct ctx *ctx,
                             const char *project, const char *service, unsigned replica);

struct deploy_swarm_restart_opts {
	bool json, quiet;
	const char *who;
};
/*
 * restart: each service named, one after the other, gets a forced rolling
 * update (TaskTemplate.ForceUpdate + 1) and is gated like a release wave:
 * every task of the new ForceUpdate running (healthy where there is a
 * healthcheck, else running for 2 s) at the desired count, old ones gone,
 * within the service's rollout timeout (default 60 s). An event per
 * service in the state database. Stops at the first that does not come up.
 */
int deploy_swarm_restart(struct ctx *ctx, const char *project, char **services, int nservices,
                         const struct deploy_swarm_restart_opts *o);
/*
 * How one restart ends, of a container (restart) and of a Swarm service
 * alike: with json, the rest of its item (",\"up\":...,\"error\":...}"; the
 * caller printed the start); then the error reported and its exit status,
 * or unless quiet or json "  ok     restart        <name><tail><seconds>s)".
 * t0: clock_mono() when it began.
 */
int deploy_restart_end(int rc, const struct err *err, double t0, bool json, bool quiet,
                       const char *name, const char *tail);

/*
 * down: dp made ready for release_run(): the project's Swarm services
 * (found by both the stack and the project label) removed, then its
 * overlay networks, with o->volumes its volumes on this node; the config
 * and secret objects go after success (no desired service uses them).
 * --keep-history has no Swarm form and is refused. Exit code.
 */
int deploy_swarm_down_prepare(struct deploy *dp, struct ctx *ctx, const char *project,
                              const struct reconcile_down_opts *o);

#endif
