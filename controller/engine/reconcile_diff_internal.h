/*
 * reconcile_diff_internal.h - what the files of the diff share:
 * reconcile_plan.c (actions as data) below reconcile_diff_service.c (one
 * service) and reconcile_diff_resource.c (networks and volumes), all below
 * reconcile_diff.c (the whole plan, its order and followers). The other
 * planners, reconcile_down.c and swarm_diff.c, add and order their actions
 * through reconcile_plan.c too. Not for use outside engine/.
 */
#ifndef DEPLOYCTL_RECONCILE_DIFF_INTERNAL_H
#define DEPLOYCTL_RECONCILE_DIFF_INTERNAL_H

#include <stdbool.h>

#include "deployctl/reconcile.h"

/* Stages: removals free names and ports first, resources before containers. */
#define LEVEL_REMOVE    0
#define LEVEL_RESOURCES 1
#define LEVEL_SERVICES  2
/* Stages per dependency level: the replicas of a replace roll in groups. */
#define LEVELS_PER_DEP 64

struct action_args {
	enum action_kind kind;
	const char *target;
	unsigned replica;
	const char *container_id;
	const char *container_name;
	const char *docker_name;
	unsigned level;
	const struct service *service;
	const char *hash;
	char *retain_name; /* taken */
	const char *reuse_id;
	const char *reuse_name;
	bool start_first;
	char *order_why; /* taken */
};

/*
 * Add an action. Ownership is stated here once: reconcile_plan_add takes
 * reason, a->retain_name and a->order_why (new strings or NULL), even when
 * it fails; its callers never free them after the call. 0 or ERR_NOMEM.
 */
int reconcile_plan_add(struct plan *p, const struct action_args *a, char *reason);
/*
 * qsort() order of a plan's actions: stage, kind, target, replica, then
 * container name (down's stages hold one kind each, so kind never reorders it).
 */
int reconcile_action_cmp(const void *a, const void *b);
/* A new string printed from f, or NULL (no memory). */
char *reconcile_fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
/* Is name a start-first's temporary name (<canonical>--next-r<N>)? */
bool reconcile_is_next(const char *name);
/* Does v (may be NULL) hold s? */
bool reconcile_strv_has(const struct strv *v, const char *s);

/* Set a's order for a replace of s; a warning goes to the plan once per service. */
int reconcile_plan_replace_order(struct plan *plan, struct action_args *a, const struct service *s);
/*
 * The observed containers of each desired service, found once per diff
 * instead of by a scan of every container per service: the indexes into
 * in->containers of service si's containers are idx[first[si]] ..
 * idx[first[si] + count[si] - 1], in observed order.
 */
struct reconcile_groups {
	size_t *idx;
	size_t *first;
	size_t *count;
};
/* Fill g for in (release with reconcile_groups_release()). 0 or ERR_NOMEM. */
int reconcile_groups_build(struct reconcile_groups *g, const struct reconcile_input *in);
void reconcile_groups_release(struct reconcile_groups *g);
/*
 * The actions of service si at dependency level dep_level; g groups the
 * observed containers by service, claimed marks those already taken,
 * kept_nets and kept_vols collect what kept containers still use
 * (reconcile_diff_service.c). 0 or ERR_NOMEM.
 */
int reconcile_diff_service(struct plan *plan, const struct reconcile_input *in, size_t si,
                           const struct reconcile_groups *g, unsigned dep_level, bool *claimed,
                           struct strv *kept_nets, struct strv *kept_vols);
/* Network and volume creates and removals (reconcile_diff_resource.c). 0 or ERR_NOMEM. */
int reconcile_diff_resources(struct plan *plan, const struct reconcile_input *in);
/* Without a network/volume listing: can the kept containers vouch for every resource? */
bool reconcile_resources_proven(const struct reconcile_input *in, const struct strv *kept_nets,
                                const struct strv *kept_vols);

/*
 * reason with "; bind ./data (writable: per-release copy)" for each bind
 * from git of s asked to be writable (reconcile_notes.c). Takes reason;
 * NULL when out of memory (or reason was NULL).
 */
char *reconcile_note_copies(char *reason, const struct service *s);

#endif
