/*
 * reconcile_steps.c - the container steps of one action: rename, bring
 * up, take down, put back, drain, and a replace with its own undo. Every
 * container that exists because of a step, or changed name or state, is
 * reported at once (apply_note) so the release records it before the next
 * step. A reply that never came (timeout, dropped connection) leaves the
 * outcome unknown: the truth is re-read before deciding, and nothing is
 * removed that was not positively identified as the one to remove.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deployctl/fault.h"
#include "deployctl/files.h"
#include "deployctl/sig.h"
#include "reconcile_internal.h"

/* start-first: how long the old container is off its networks before it is stopped. */
#define DRAIN_DEFAULT_NS (3LL * 1000000000LL)

void apply_note(struct apply_run *run, const struct action *a, const char *event, const char *id,
                const char *name, const char *detail)
{
	const struct reconcile_progress *p = run->o->progress;

	if (!p || !p->container || !id)
		return;
	pthread_mutex_lock(&run->lock);
	p->container(p->ctx, a, event, id, name ? name : "", detail);
	pthread_mutex_unlock(&run->lock);
}

/* May holder h, found under name, be removed to free it for container id? */
static bool stale_holder(const struct apply_run *run, const struct docker_container *h,
                         const char *name, const char *id)
{
	return h->project && !strcmp(h->project, run->p->name) && !strcmp(h->name, name) &&
	       reconcile_is_kept(h->name) && strcmp(h->id, id) && strcmp(h->state, "running") &&
	       strcmp(h->state, "restarting") && strcmp(h->state, "paused");
}

/* After a lost reply to a rename: 1 it happened, 0 it did not, < 0 unknown (err set). */
static int rename_happened(struct docker *d, struct apply_run *run, const struct action *a,
                           const char *id, const char *name, struct err *err)
{
	struct docker_container c = { 0 };
	struct err e = ERR_INIT;
	int rc = docker_container_inspect(&c, d, id, &e);

	if (rc < 0)
		return err_set(err, rc, "cannot re-read container %.12s: %s", id, e.msg);
	rc = !strcmp(c.name, name);
	apply_note(run, a, "checked", id, c.name,
	           rc ? "reply to rename lost; re-read: renamed"
	              : "reply to rename lost; re-read: not renamed");
	docker_container_release(&c);
	return rc;
}

int apply_rename(struct docker *d, struct apply_run *run, const struct action *a, const char *id,
                 const char *name, struct err *err)
{
	struct err first = ERR_INIT;
	int tries, rc;

	for (tries = 0; tries < 2; tries++) {
		struct docker_container h = { 0 };
		struct err e = ERR_INIT;

		err_clear(&first);
		if (docker_container_rename(d, id, name, &first) == 0)
			goto done;
		if (docker_last_uncertain(d)) {
			rc = rename_happened(d, run, a, id, name, &e);
			if (rc > 0)
				goto done;
			if (rc < 0)
				return err_set(err, ERR_DOCKER, "%s; outcome unknown: %s",
				               first.msg, e.msg);
			continue; /* it did not happen: once more */
		}
		/* A refusal: who holds the name? */
		rc = docker_container_inspect(&h, d, name, &e);
		if (rc < 0)
			return err_set(err, first.code, "%s", first.msg);
		if (!strcmp(h.id, id)) {
			/* Already so: an earlier try (curl retries a dropped request) did it. */
			apply_note(run, a, "checked", id, name, "rename refused; re-read: done");
			docker_container_release(&h);
			goto done;
		}
		if (!stale_holder(run, &h, name, id)) {
			rc = err_set(
			        err, first.code,
			        "%s ('%s' is held by container %.12s, %s, which is not removed)",
			        first.msg, name, h.id, h.state);
			docker_container_release(&h);
			return rc;
		}
		/* An older kept container under the same name: stopped, ours. No volumes. */
		rc = docker_container_remove(d, h.id, 0, &e);
		if (rc == 0)
			apply_note(run, a, "removed", h.id, h.name,
			           "a stale kept container held the name");
		docker_container_release(&h);
		if (rc < 0)
			return err_set(err, first.code, "%s", first.msg);
	}
	return err_set(err, first.code ? first.code : ERR_DOCKER, "%s", first.msg);
done:
	apply_note(run, a, "renamed", id, name, NULL);
	return 0;
}

/* Remove a container this run created (its anonymous volumes are new too). */
static int remove_new(struct docker *d, struct apply_run *run, const struct action *a,
                      const char *id, const char *name, struct err *err)
{
	int rc = docker_container_remove(d, id, DOCKER_REMOVE_FORCE | DOCKER_REMOVE_VOLUMES, err);

	if (rc == 0)
		apply_note(run, a, "removed", id, name, NULL);
	return rc;
}

/* After a create whose reply was lost: remove what it made, if it made anything. */
static void create_cleanup(struct docker *d, struct apply_run *run, const struct action *a,
                           const char *name)
{
	struct docker_container c = { 0 };
	struct err ignored = ERR_INIT;

	if (docker_container_inspect(&c, d, name, &ignored) < 0)
		return;
	/* Ours only if it carries this release and this service. */
	if (c.release && !strcmp(c.release, run->o->release) && c.service &&
	    !strcmp(c.service, a->target) && c.project && !strcmp(c.project, run->p->name)) {
		apply_note(run, a, "created", c.id, c.name,
		           "reply to create lost; re-read: created");
		remove_new(d, run, a, c.id, c.name, &ignored);
	}
	docker_container_release(&c);
}

int apply_bring_up(char **id_out, struct docker *d, struct apply_run *run, const struct action *a,
                   const char *name, struct err *err)
{
	struct docker_create c = {
		.project = run->p,
		.service = a->service,
		.name = name,
		.release = run->o->release,
		.spec_hash = a->spec_hash,
		.replica = a->replica,
		.network_ids = run->network_ids,
		.files_dir = run->o->files_dir,
		.owner = run->o->owner,
		.owner_host = run->o->owner_host,
		.owner_state = run->o->owner_state,
	};
	struct err ignored = ERR_INIT;
	char *id = NULL;
	int rc;

	if (a->reuse_id) {
		apply_step(run, a, "bringing back the retained container", 0);
		rc = apply_rename(d, run, a, a->reuse_id, name, err);
		if (rc == 0)
			rc = docker_container_start(d, a->reuse_id, err);
		if (rc == 0)
			apply_note(run, a, "started", a->reuse_id, name, NULL);
		if (rc == 0 && !(*id_out = strdup(a->reuse_id)))
			rc = err_set(err, ERR_NOMEM, "out of memory");
		return rc;
	}
	apply_step(run, a, "creating", 0);
	rc = files_bind_copies(run->o->files_dir, a->service, a->spec_hash, err);
	if (rc < 0)
		return rc;
	rc = docker_container_create(&id, d, &c, err);
	if (rc < 0) { /* A lost reply, or a retried request refused: it may exist all the same. */
		create_cleanup(d, run, a, name);
		return rc;
	}
	apply_note(run, a, "created", id, name, NULL);
	apply_step(run, a, "starting", 0);
	rc = docker_container_start(d, id, err);
	if (rc < 0) {
		/* Leave nothing half-made behind: the next run creates it afresh. */
		remove_new(d, run, a, id, name, &ignored);
		free(id);
		return rc;
	}
	apply_note(run, a, "started", id, name, NULL);
	*id_out = id;
	return 0;
}

/*
 * A daemon killed while it started a container (t1502) can come back
 * believing it only created it, while containerd still holds its task:
 * every start then fails with "task ... already exists" (or "failed to
 * start shim: mkdir ...: file exists"), and only a new container gets out
 * of it. Any other refusal (a port in use, ...) leaves
 * the container as it was.
 */
int apply_start(struct docker *d, struct apply_run *run, const struct action *a,
                struct reconcile_result *res)
{
	struct err *err = &res->err;
	char *id = NULL;
	int rc = docker_container_start(d, a->container_id, err);

	if (rc == ERR_DOCKER &&
	    ((strstr(err->msg, ": task ") && strstr(err->msg, "already exists")) ||
	     (strstr(err->msg, "failed to start shim") && strstr(err->msg, "file exists")))) {
		err_clear(err);
		apply_step(run, a, "making it anew: Docker holds a stale task of it", 0);
		rc = docker_container_remove(d, a->container_id, DOCKER_REMOVE_FORCE, err);
		if (rc == 0) {
			apply_note(run, a, "removed", a->container_id, a->container_name, NULL);
			rc = apply_bring_up(&id, d, run, a, a->container_name, err);
		}
		if (rc == 0)
			rc = apply_gate(d, run, a, id, res);
		if (rc < 0 && id)
			apply_take_down(d, run, a, id, a->container_name, true, res);
		free(id);
		return rc;
	}
	if (rc == 0)
		apply_note(run, a, "started", a->container_id, a->container_name, NULL);
	if (rc == 0)
		rc = apply_gate(d, run, a, a->container_id, res);
	return rc;
}

int apply_take_down(struct docker *d, struct apply_run *run, const struct action *a, const char *id,
                    const char *name, bool failed, struct reconcile_result *res)
{
	struct err ignored = ERR_INIT;
	char *kept = NULL;
	int rc;

	if (a->reuse_id) {
		if (docker_container_stop(d, id, 0, &ignored) == 0)
			apply_note(run, a, "stopped", id, name, NULL);
		return apply_rename(d, run, a, id, a->reuse_name, &ignored);
	}
	if (!failed)
		return remove_new(d, run, a, id, name, &ignored);
	/* Kept, stopped, for inspection; deleted only if it cannot be moved off the name. */
	kept = reconcile_failed_name(a->container_name, run->o->release);
	rc = kept ? docker_container_stop(d, id, 0, &ignored) : ERR_NOMEM;
	if (rc == 0)
		apply_note(run, a, "stopped", id, name, NULL);
	if (rc == 0)
		rc = apply_rename(d, run, a, id, kept, &ignored);
	if (rc == 0) {
		apply_note(run, a, "kept", id, kept, "failed its gate; kept for inspection");
		free(res->kept_name);
		res->kept_name = kept;
		return 0;
	}
	free(kept);
	return remove_new(d, run, a, id, name, &ignored);
}

int apply_put_back(struct docker *d, struct apply_run *run, const struct action *a, struct err *err)
{
	int rc = apply_rename(d, run, a, a->container_id, a->container_name, err);

	if (rc == 0)
		rc = docker_container_start(d, a->container_id, err);
	if (rc == 0)
		apply_note(run, a, "started", a->container_id, a->container_name, NULL);
	return rc;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000LL),
		               .tv_nsec = (long)(ns % 1000000000LL) };

	while (nanosleep(&ts, &ts) < 0)
		;
}

/*
 * start-first, the new container up: take the old one off its networks
 * (its DNS names go, so clients that resolve the service again find only
 * the new one), wait the drain period, stop it, then attach it again while
 * stopped so it comes back whole if it is ever started again.
 */
static int drain_and_stop(struct docker *d, struct apply_run *run, const struct action *a,
                          struct docker_netsave *saved, struct err *err)
{
	const struct service *s = a->service;
	int64_t drain = s->rollout.drain_ns >= 0 ? s->rollout.drain_ns : DRAIN_DEFAULT_NS;
	struct err e = ERR_INIT;
	char detail[300];
	int rc;

	if (drain > 0 && !s->network_mode) {
		if (docker_container_disconnect_all(saved, d, a->container_id, &e) == 0) {
			snprintf(detail, sizeof(detail), "off %zu network(s) for a %.1fs drain",
			         saved->networks.n, (double)drain / 1e9);
			apply_note(run, a, "disconnected", a->container_id, a->retain_name, detail);
			/* Nothing to do meanwhile: the drains of a stage overlap its other actions.
			 */
			apply_step(run, a, "draining old", 0);
			apply_idle(run, true);
			sleep_ns(drain);
			apply_idle(run, false);
		} else {
			/* Not fatal: the stop below ends it as it would without a drain. */
			snprintf(detail, sizeof(detail), "drain skipped: %.250s", e.msg);
			apply_note(run, a, "checked", a->container_id, a->retain_name, detail);
		}
	}
	apply_step(run, a, "stopping old", 0);
	rc = docker_container_stop(d, a->container_id, -1, err);
	if (rc < 0)
		return rc;
	apply_note(run, a, "stopped", a->container_id, a->retain_name, NULL);
	if (saved->networks.n) {
		err_clear(&e);
		if (docker_container_reconnect(d, a->container_id, saved, &e) == 0)
			apply_note(run, a, "reconnected", a->container_id, a->retain_name, NULL);
		else
			apply_note(run, a, "checked", a->container_id, a->retain_name, e.msg);
		docker_netsave_release(saved);
	}
	return 0;
}

/* The old container did not stop (stop-first): make sure it runs, under its name. */
static void restart_old(struct docker *d, struct apply_run *run, const struct action *a,
                        struct reconcile_result *res)
{
	struct err ignored = ERR_INIT;

	if (apply_put_back(d, run, a, &ignored) < 0)
		res->undo_failed = true;
	else
		res->undone = true;
}

/*
 * start-first: the new container comes up under a temporary name beside
 * the old one and is gated; then the names are swapped, each rename done
 * while the other container still answers to the service's aliases (a
 * rename makes Docker re-register a container's DNS records: done alone,
 * the service name would not resolve for a moment); then the old one is
 * drained and stopped. Until the swap, a failure leaves the old container
 * exactly as it was.
 */
static int replace_start_first(struct docker *d, struct apply_run *run, const struct action *a,
                               struct reconcile_result *res)
{
	struct docker_netsave saved = { 0 };
	struct err *err = &res->err, ignored = ERR_INIT;
	char *id = NULL, *next = reconcile_next_name(a->container_name, run->o->release);
	int rc;

	if (!next)
		return err_set(err, ERR_NOMEM, "out of memory");
	rc = apply_bring_up(&id, d, run, a, next, err);
	if (rc == 0)
		rc = apply_gate(d, run, a, id, res);
	if (rc < 0) {
		if (id && apply_take_down(d, run, a, id, next, true, res) < 0)
			goto out_left;
		res->undone = true; /* the old container never stopped nor moved */
		goto out;
	}
	rc = apply_rename(d, run, a, a->container_id, a->retain_name, err);
	/* Crash-safety tests die here: the old container renamed, still running. */
	if (rc == 0 && FAULT_POINT("KILL_IN_REPLACE"))
		raise(SIGKILL);
	if (rc < 0) {
		if (apply_take_down(d, run, a, id, next, false, res) < 0)
			goto out_left;
		res->undone = true;
		goto out;
	}
	rc = apply_rename(d, run, a, id, a->container_name, err);
	if (rc == 0)
		rc = drain_and_stop(d, run, a, &saved, err);
	if (rc < 0) {
		/*
		 * Put the old one back as a failed gate would (on its networks again
		 * if the drain took it off), so that the record is the truth.
		 */
		if (saved.networks.n &&
		    docker_container_reconnect(d, a->container_id, &saved, &ignored) == 0)
			apply_note(run, a, "reconnected", a->container_id, a->retain_name, NULL);
		if (apply_take_down(d, run, a, id, a->container_name, false, res) < 0)
			goto out_left;
		if (apply_put_back(d, run, a, &ignored) < 0)
			res->undo_failed = true;
		else
			res->undone = true;
		goto out;
	}
	res->container_id = id;
	id = NULL;
	goto out;
out_left:
	/* The new container could not be taken away: it stays in the record. */
	res->undo_failed = true;
	res->container_id = id;
	id = NULL;
out:
	docker_netsave_release(&saved);
	free(next);
	free(id);
	return rc;
}

int apply_replace(struct docker *d, struct apply_run *run, const struct action *a,
                  struct reconcile_result *res)
{
	struct err *err = &res->err, ignored = ERR_INIT;
	char *id = NULL;
	int rc;

	if (a->start_first)
		return replace_start_first(d, run, a, res);
	apply_step(run, a, "stopping old", 0);
	rc = docker_container_stop(d, a->container_id, -1, err);
	if (rc == 0)
		apply_note(run, a, "stopped", a->container_id, a->container_name, NULL);
	if (rc == 0)
		rc = apply_rename(d, run, a, a->container_id, a->retain_name, err);
	if (rc < 0) {
		/* It may be stopped, or half: it runs again under its own name. */
		restart_old(d, run, a, res);
		return rc;
	}
	/* Stopping the old one can take its whole stop timeout: a stop asked meanwhile wins. */
	if (sig_pending())
		rc = err_set(err, ERR_STOPPED,
		             "%s#%u: interrupted by %s before its new container was made",
		             a->target, a->replica, sig_name(sig_pending()));
	if (rc == 0)
		rc = apply_bring_up(&id, d, run, a, a->container_name, err);
	if (rc == 0)
		rc = apply_gate(d, run, a, id, res);
	if (rc < 0) {
		/* The old container comes back at once. */
		if (id && apply_take_down(d, run, a, id, a->container_name, true, res) < 0) {
			res->undo_failed = true;
			res->container_id = id; /* still there: the record says so */
			id = NULL;
		}
		free(id);
		if (apply_put_back(d, run, a, &ignored) < 0)
			res->undo_failed = true;
		else if (!res->undo_failed)
			res->undone = true;
		return rc;
	}
	res->container_id = id;
	return 0;
}
