/*
 * docker_swarm_ops.h - the Swarm calls that status, logs, exec, restart and
 * down need beyond a release's (docker_swarm_ops.c, and the service log
 * stream in docker_stream.c): the project's tasks in one list call, what a
 * listed service's spec says (image, healthcheck, ForceUpdate), a forced
 * rolling update, and which node this daemon is.
 */
#ifndef DEPLOYCTL_DOCKER_SWARM_OPS_H
#define DEPLOYCTL_DOCKER_SWARM_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deployctl/docker.h"
#include "deployctl/docker_swarm.h"
#include "deployctl/err.h"

/* One task as listed (strings new, NULL when the daemon sent none). */
struct docker_task {
	char *id;
	char *service_id;
	char *service;         /* LABEL_SERVICE of its containers */
	char *node_id;         /* NULL while not yet scheduled */
	char *state;           /* Status.State: new ... running, complete, failed, shutdown ... */
	char *desired;         /* DesiredState: running, shutdown, remove */
	char *error;           /* Status.Err, or NULL */
	char *image;           /* Spec.ContainerSpec.Image */
	char *spec_hash;       /* LABEL_SPEC_HASH of its containers */
	char *container_id;    /* Status.ContainerStatus.ContainerID, once there is one */
	unsigned slot;         /* replicated: 1-based; global: 0 */
	uint64_t force_update; /* Spec.ForceUpdate the task was made with */
	double since;          /* Status.Timestamp, unix seconds; -1 if unknown */
};

/*
 * GET /tasks filtered on the stack label (and LABEL_SERVICE=service when
 * service is not NULL): every task of the project's services, one call,
 * also those of services already removed. *out new (docker_tasks_free()).
 */
int docker_task_list(struct docker_task **out, size_t *n, struct docker *d, const char *project,
                     const char *service, struct err *err);
void docker_tasks_free(struct docker_task *v, size_t n);
/* Is the task still alive (new .. running), or on its way there (desired running)? */
bool docker_task_active(const struct docker_task *t);

/* What a listed service's spec says, for status and restart (strings new). */
struct docker_service_view {
	char *image;           /* TaskTemplate.ContainerSpec.Image: the pinned reference */
	bool healthcheck;      /* a healthcheck that is not NONE: running tasks are healthy */
	uint64_t force_update; /* TaskTemplate.ForceUpdate */
	char *ports;           /* "18080:8080/tcp,..." (host mode "h"), "" if none */
};
/* Parse s->spec_json; ERR_DOCKER when it is not a service spec. Pure. */
int docker_service_view(struct docker_service_view *out, const struct docker_service *s,
                        struct err *err);
void docker_service_view_release(struct docker_service_view *v);

/*
 * A forced rolling update: s's spec as listed with TaskTemplate.ForceUpdate
 * one higher, sent at s->version (a concurrent change fails, as it must).
 * *force_out: the new ForceUpdate, which the new tasks carry.
 */
int docker_service_force_update(uint64_t *force_out, struct docker *d,
                                const struct docker_service *s, struct err *err);

/* GET /info: this daemon's Swarm node ID (*out new); ERR_INVALID when not in a Swarm. */
int docker_swarm_node_self(char **out, struct docker *d, struct err *err);
/* GET /nodes/{id}: the node's hostname (*out new), else its ID. */
int docker_swarm_node_name(char **out, struct docker *d, const char *node_id, struct err *err);

/*
 * GET /services/{id}/logs (the tasks' output, multiplexed as a container's
 * is), with the options of docker_container_logs() (docker_stream.c).
 */
int docker_service_logs(struct docker *d, const char *id, const struct docker_logs_opts *o,
                        docker_output_fn out, void *ctx, struct err *err);

/* Pure decoders the unit tests feed with recorded answers. */
int docker_decode_tasks(struct docker_task **out, size_t *n, const char *json, struct err *err);

#endif
