/*
 * docker_swarm.h - the Swarm half of the Engine API (docker_swarm.c,
 * docker_swarm_spec.c): services, their tasks, configs, secrets and overlay
 * networks, on a daemon that is a Swarm manager. The engine's second backend
 * (engine/swarm_*.c) uses it; nothing else meets the Engine's service JSON.
 */
#ifndef DEPLOYCTL_DOCKER_SWARM_H
#define DEPLOYCTL_DOCKER_SWARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deployctl/docker.h"
#include "deployctl/err.h"
#include "deployctl/model.h"

/* The label `docker stack` groups services by: `docker stack services <project>` sees ours. */
#define LABEL_STACK "com.docker.stack.namespace"

/*
 * Is the daemon a Swarm manager? GET /info: 0 when Swarm.ControlAvailable,
 * else ERR_INVALID with a message saying what the daemon is (inactive,
 * a worker) and what to do.
 */
int docker_swarm_check(struct docker *d, struct err *err);

/* One service as listed (all strings new). */
struct docker_service {
	char *id;
	char *name;
	uint64_t version;  /* Version.Index, for updates */
	char *service;     /* LABEL_SERVICE */
	char *release;     /* LABEL_RELEASE */
	char *spec_hash;   /* LABEL_SPEC_HASH */
	char *task_hash;   /* LABEL_SPEC_HASH of its containers (no replica count) */
	char *spec_json;   /* the whole Spec as the daemon holds it: what a rollback restores */
	unsigned replicas; /* Mode.Replicated.Replicas; 0 for global */
	bool global;
	struct strv published; /* "PORT/PROTO" of each EndpointSpec port it publishes */
};

/*
 * GET /services filtered on LABEL_STACK=project and LABEL_PROJECT=project:
 * one call. Release jobs' services (LABEL_JOB) are left out: they are no
 * service's. A daemon that is not a manager answers 503: then ERR_INVALID with
 * docker_swarm_check()'s message (one more call, only on that path).
 */
int docker_service_list(struct docker_service **out, size_t *n, struct docker *d,
                        const char *project, struct err *err);
void docker_services_free(struct docker_service *v, size_t n);

/*
 * POST /services/create with spec (JSON text). auth_ref: the image whose
 * registry credentials (docker_auth.c) go in X-Registry-Auth so that every
 * node can pull, or NULL. *id_out new.
 */
int docker_service_create(char **id_out, struct docker *d, const char *spec, const char *auth_ref,
                          struct err *err);
/*
 * POST /services/{id}/update?version=N with spec. version is taken from a
 * fresh inspect when 0.
 */
int docker_service_update(struct docker *d, const char *id, uint64_t version, const char *spec,
                          const char *auth_ref, struct err *err);
/* GET /services/{id}: version and spec (fields of out new). ERR_NOTFOUND when gone. */
int docker_service_inspect(struct docker_service *out, struct docker *d, const char *id,
                           struct err *err);
int docker_service_remove(struct docker *d, const char *id, struct err *err);

/* Tasks of a service that carry spec hash `hash` (ContainerSpec label), summed up. */
struct docker_task_summary {
	unsigned running;      /* desired running and running (Swarm: healthy when checked) */
	unsigned running_long; /* of those, running at least settle_ms */
	unsigned failed;       /* failed, rejected, or shut down after an error */
	unsigned others;       /* tasks of other specs still running */
	char last_error[200];  /* the latest failed task's Status.Err, or "" */
};
int docker_service_tasks(struct docker_task_summary *out, struct docker *d, const char *id,
                         const char *hash, unsigned settle_ms, struct err *err);
/* Nodes that are ready and active: what a global service runs one task on each of. */
int docker_swarm_nodes_ready(unsigned *out, struct docker *d, struct err *err);

/* A config or secret object (strings new). */
struct docker_swarm_object {
	char *id;
	char *name;
};
/* kind: "configs" or "secrets"; listed by LABEL_STACK=project. */
int docker_swarm_object_list(struct docker_swarm_object **out, size_t *n, struct docker *d,
                             const char *kind, const char *project, struct err *err);
void docker_swarm_objects_free(struct docker_swarm_object *v, size_t n);
/* POST /{kind}/create with Data = base64(data); *id_out new. */
int docker_swarm_object_create(char **id_out, struct docker *d, const char *kind, const char *name,
                               const char *project, const void *data, size_t len, struct err *err);
int docker_swarm_object_remove(struct docker *d, const char *kind, const char *id, struct err *err);

/* An overlay network, attachable, labelled for the stack and the project; *id_out new. */
int docker_swarm_network_create(char **id_out, struct docker *d, const char *name,
                                const char *project, const char *key, bool internal,
                                struct err *err);

/* What a service spec is built from (docker_swarm_spec.c); strings borrowed. */
struct docker_service_want {
	const struct project *project;
	const struct service *service;
	const char *name;      /* <project>_<service> */
	const char *image;     /* pinned: name@sha256:... or sha256:<id> */
	const char *release;   /* LABEL_RELEASE */
	const char *spec_hash; /* LABEL_SPEC_HASH of the service (with replicas) */
	const char *task_hash; /* LABEL_SPEC_HASH of its containers: a scale restarts nothing */
	const struct kvv *network_ids; /* network key -> ID */
	const struct kvv *config_ids;  /* config key -> "id\tname" */
	const struct kvv *secret_ids;  /* secret key -> "id\tname" */
	/*
	 * A release job (docker_swarm_job.c): a replicated-job service run once
	 * (Mode.ReplicatedJob, restart none) labelled LABEL_JOB = job and the
	 * owner labels, never LABEL_SERVICE or a spec hash. NULL for a service.
	 */
	const char *job;
	const char *owner, *owner_host, *owner_state; /* LABEL_OWNER*; each left out when NULL */
};
/* The service spec JSON for w; *out new. ERR_INVALID for what Swarm cannot express. */
int docker_service_spec(char **out, const struct docker_service_want *w, struct err *err);

#endif
