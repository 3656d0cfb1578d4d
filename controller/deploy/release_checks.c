/*
 * release_checks.c - the smoke checks and notifications of one release
 * run, as release_run() uses them: the verify hook of the rollout, then
 * the record of what the checks found and whom the outcome was told.
 * Nothing here fails a release except a smoke check, through the hook.
 */
#include "deployctl/release_checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/cmd_deploy.h"
#include "deployctl/log.h"
#include "deployctl/model_secret.h"
#include "deployctl/out.h"
#include "deployctl/store.h"

int release_checks_init(struct release_checks *rc, const struct project *p)
{
	memset(rc, 0, sizeof(*rc));
	rc->p = p;
	rc->secrets_unknown = model_secrets_collect(&rc->secrets, p) < 0;
	rc->smoke = calloc(p->nsmoke + 1, sizeof(*rc->smoke));
	rc->notify = calloc(p->nnotify + 1, sizeof(*rc->notify));
	return rc->smoke && rc->notify && !rc->secrets_unknown ? 0 : ERR_NOMEM;
}

void release_checks_release(struct release_checks *rc)
{
	free(rc->smoke);
	free(rc->notify);
	strv_free(&rc->secrets);
	memset(rc, 0, sizeof(*rc));
}

void release_checks_net(struct release_checks *rc, struct ctx *ctx, struct deploy *dp,
                        const char *release_label, const char *files_dir, bool quiet)
{
	rc->net.oo = (struct oneoff){
		.docker = ctx->docker,
		.project = dp->project,
		.release = release_label,
		.owner = dp->owner.id,
		.owner_host = dp->owner.host,
		.owner_state = dp->owner.path,
		.network_ids = &dp->network_ids,
		.files_dir = files_dir,
	};
	rc->net.quiet = quiet;
}

/* Does p have a check from inside a project network? */
static bool any_in_network(const struct project *p)
{
	size_t i;

	for (i = 0; i < p->nsmoke; i++)
		if (p->smoke[i].network)
			return true;
	return false;
}

int release_checks_verify(void *arg, struct err *err)
{
	struct release_checks *rc = arg;
	size_t i;
	int r;

	if (!rc->p->nsmoke)
		return 0;
	rc->smoke_ran = true;
	if (rc->net.oo.docker && any_in_network(rc->p))
		oneoff_remove_leftovers(&rc->net.oo);
	r = smoke_run(rc->smoke, rc->p, &rc->secrets, &rc->net, false, err);
	for (i = 0; r < 0 && i < rc->p->nsmoke; i++)
		if (rc->smoke[i].ran && !rc->smoke[i].passed)
			rc->failed_check = rc->p->smoke[i].name;
	return r;
}

/* Record the smoke outcomes and tell the targets; both only said when they fail. */
void release_checks_finish(struct release_checks *rc, struct store *store,
                           const struct notify_event *ev, const struct kvv *vars)
{
	struct notify_event e = *ev;
	struct err err = ERR_INIT;
	size_t i;

	for (i = 0; store && rc->smoke_ran && i < rc->p->nsmoke && !err.code; i++)
		if (rc->smoke[i].ran)
			store_release_smoke_result(store, ev->release, (unsigned)i + 1,
			                           &rc->smoke[i], &err);
	if (err.code)
		log_warnx("cannot record the smoke checks of release %lld: %s",
		          (long long)ev->release, err.msg);
	if (!rc->p->nnotify)
		return;
	if (!e.failed_check)
		e.failed_check = rc->failed_check;
	if (notify_send(rc->notify, rc->p, &e, vars, &rc->secrets))
		notify_print_failures(stderr, rc->p, rc->notify);
	err_clear(&err);
	for (i = 0; store && i < rc->p->nnotify && !err.code; i++)
		store_release_notify_result(store, ev->release, (unsigned)i + 1, &rc->notify[i],
		                            &err);
	if (err.code)
		log_warnx("cannot record the notifications of release %lld: %s",
		          (long long)ev->release, err.msg);
}

/* One interrupted release, told from what the store kept of it. */
static void tell_one_interrupted(struct store *store, int64_t id)
{
	struct store_release rel = { 0 };
	struct project p = { 0 };
	struct release_checks rc;
	struct err err = ERR_INIT;
	struct notify_event ev = { 0 };

	if (store_release_get(&rel, store, id, &err) < 0 ||
	    store_release_smoke_load(&p, store, id, &err) < 0) {
		log_warnx("cannot tell of interrupted release %lld: %s", (long long)id, err.msg);
		goto out;
	}
	if (release_checks_init(&rc, &p) == 0) {
		ev.project = rel.project;
		ev.release = id;
		ev.kind = rel.kind;
		ev.status = "interrupted";
		ev.source_kind = rel.source_kind;
		ev.commit = rel.source;
		ev.subject = rel.subject;
		ev.ref = rel.ref;
		ev.who = rel.who;
		ev.host = rel.host;
		ev.duration_s = rel.duration_s;
		ev.reason = rel.message;
		release_checks_finish(&rc, store, &ev, NULL);
	}
	release_checks_release(&rc);
out:
	model_project_release(&p);
	store_release_release(&rel);
}

void release_checks_tell_interrupted(struct store *store)
{
	struct err err = ERR_INIT;
	int64_t *ids = NULL;
	size_t i, n = 0;

	if (store_notify_untold(&ids, &n, store, &err) < 0) {
		log_warnx("cannot find interrupted releases to tell of: %s", err.msg);
		return;
	}
	for (i = 0; i < n; i++)
		tell_one_interrupted(store, ids[i]);
	free(ids);
}
