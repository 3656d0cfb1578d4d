/*
 * reconcile_internal.h - what reconcile_apply.c (stages, workers, undo) and
 * reconcile_steps.c (the container steps of one action) share. Not for use
 * outside engine/.
 */
#ifndef DEPLOYCTL_RECONCILE_INTERNAL_H
#define DEPLOYCTL_RECONCILE_INTERNAL_H

#include <pthread.h>
#include <stddef.h>

#include "deployctl/reconcile.h"

struct apply_run {
	pthread_mutex_t lock;
	const struct docker_connect *conn;
	const struct project *p;
	const struct plan *plan;
	const struct reconcile_opts *o;
	struct kvv *network_ids;
	struct reconcile_result *results;
	size_t next, end; /* the stage's actions not yet taken: [next, end) */
	/*
	 * How many more actions may do Docker work now (of o->parallel): an
	 * action waiting out its settle time gives its slot back meanwhile.
	 */
	unsigned slots_free;
	pthread_cond_t slot_cond;
	struct strv secrets;  /* every secret value of p: scrubbed from every outcome */
	bool secrets_unknown; /* they could not be collected: outcomes are withheld */
};

/* Tell the progress view which step a is at ("creating", "stopping old", ...). */
void apply_step(const struct apply_run *run, const struct action *a, const char *state,
                unsigned attempt);

/* Tell progress->container about a container of a (under run->lock). */
void apply_note(struct apply_run *run, const struct action *a, const char *event, const char *id,
                const char *name, const char *detail);

/*
 * Rename container id to name. After a reply that never came, the truth is
 * re-read (inspect by id) before anything else; a name held by another
 * container is freed only when that one is positively a stale kept
 * container of this project under exactly that name, and stopped — and
 * then without its volumes. Anything else is an error naming the holder.
 */
int apply_rename(struct docker *d, struct apply_run *run, const struct action *a, const char *id,
                 const char *name, struct err *err);

/* Bring up the new container of a create/replace (a retained one back, or a new one). */
/* ... under name (a->container_name, or a temporary one for start-first). */
int apply_bring_up(char **id_out, struct docker *d, struct apply_run *run, const struct action *a,
                   const char *name, struct err *err);

/*
 * Take the new container id of a away again: a retained one back to its
 * retained name; one that failed its gate (failed) stopped and kept as
 * "<name>--failed-r<release>" (res->kept_name); else deleted.
 */
int apply_take_down(struct docker *d, struct apply_run *run, const struct action *a, const char *id,
                    const char *name, bool failed, struct reconcile_result *res);

/* Put the old container of a replace or remove back under its name, running. */
int apply_put_back(struct docker *d, struct apply_run *run, const struct action *a,
                   struct err *err);

/*
 * ACTION_START: start a stopped container of the wanted spec and gate it;
 * one Docker refuses to start because a task of it is left over from a
 * daemon that died while starting it is removed and made anew.
 */
int apply_start(struct docker *d, struct apply_run *run, const struct action *a,
                struct reconcile_result *res);
/* A replace, start-first or stop-first, with its own undo on failure. */
int apply_replace(struct docker *d, struct apply_run *run, const struct action *a,
                  struct reconcile_result *res);

/*
 * An action that only waits (a settle time, a drain) gives its slot to the
 * next action of the stage (idle true), and takes one again before it does
 * Docker work (idle false, which may wait for one).
 */
void apply_idle(struct apply_run *run, bool idle);

/* Is s a one-shot job: something depends on it completing successfully? */
bool apply_is_job(const struct project *p, const struct service *s);

/* Gate container id of action a; res->err names the service and replica on failure. */
int apply_gate(struct docker *d, struct apply_run *run, const struct action *a, const char *id,
               struct reconcile_result *res);

#endif
