/*
 * store_deps.c - what a rollback needs of a release besides the spec: the
 * depends_on edges (to start a snapshot in dependency order without git)
 * and the rollout settings (to gate it as the release was gated).
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

static const char *const condition_names[] = {
	[DEP_STARTED] = "service_started",
	[DEP_HEALTHY] = "service_healthy",
	[DEP_COMPLETED] = "service_completed_successfully",
};

int store_release_deps_add(struct store *s, int64_t release, const struct service *svc,
                           struct err *err)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = 0;

	if (!svc->ndeps)
		return 0;
	rc = store_prepare(&st, s,
	                   "INSERT INTO release_depends_on (release_id, service, depends_on, "
	                   "condition, required) VALUES (?, ?, ?, ?, ?)",
	                   err);
	for (i = 0; rc == 0 && i < svc->ndeps; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, release);
		if (store_bind_text(st, 2, svc->name) != SQLITE_OK ||
		    store_bind_text(st, 3, svc->deps[i].service) != SQLITE_OK ||
		    store_bind_text(st, 4, condition_names[svc->deps[i].condition]) != SQLITE_OK) {
			rc = store_fail(s, err, "record depends_on");
			break;
		}
		sqlite3_bind_int(st, 5, svc->deps[i].required);
		rc = store_step_done(st, s, "record depends_on", err);
	}
	sqlite3_finalize(st);
	return rc;
}

int store_release_deps_load(struct service *svc, struct store *s, int64_t release, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	rc = store_prepare(&st, s,
	                   "SELECT depends_on, condition, required FROM release_depends_on "
	                   "WHERE release_id = ? AND service = ? ORDER BY depends_on",
	                   err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, release);
	if (store_bind_text(st, 2, svc->name) != SQLITE_OK) {
		rc = store_fail(s, err, "read depends_on");
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *cond = (const char *)sqlite3_column_text(st, 1);
		struct svc_dep *v = realloc(svc->deps, (svc->ndeps + 1) * sizeof(*v));
		struct svc_dep *d;

		if (!v) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
		svc->deps = v;
		d = &v[svc->ndeps];
		memset(d, 0, sizeof(*d));
		if (store_column_dup(&d->service, st, 0) < 0 || !d->service) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
		svc->ndeps++;
		d->condition = !strcmp(cond, "service_healthy")                  ? DEP_HEALTHY
		               : !strcmp(cond, "service_completed_successfully") ? DEP_COMPLETED
		                                                                 : DEP_STARTED;
		d->required = sqlite3_column_int(st, 2) != 0;
	}
	if (step != SQLITE_DONE)
		rc = store_fail(s, err, "read depends_on");
out:
	sqlite3_finalize(st);
	return rc;
}

static const char *const order_names[] = {
	[ROLLOUT_AUTO] = "auto",
	[ROLLOUT_START_FIRST] = "start-first",
	[ROLLOUT_STOP_FIRST] = "stop-first",
};

int store_release_rollout_add(struct store *s, int64_t release, const struct service *svc,
                              struct err *err)
{
	const struct svc_rollout *r = &svc->rollout;
	sqlite3_stmt *st = NULL;
	int rc;

	rc = store_prepare(
	        &st, s,
	        "INSERT INTO release_rollout (release_id, service, timeout_ms, \"order\", "
	        "parallelism, settle_ms, drain_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
	        err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, release);
	sqlite3_bind_int64(st, 3, r->timeout_ns / 1000000);
	sqlite3_bind_int(st, 5, (int)r->parallelism);
	sqlite3_bind_int64(st, 6, r->settle_ns < 0 ? -1 : r->settle_ns / 1000000);
	sqlite3_bind_int64(st, 7, r->drain_ns < 0 ? -1 : r->drain_ns / 1000000);
	if (store_bind_text(st, 2, svc->name) != SQLITE_OK ||
	    store_bind_text(st, 4, order_names[r->order]) != SQLITE_OK)
		rc = store_fail(s, err, "record rollout settings");
	else
		rc = store_step_done(st, s, "record rollout settings", err);
	sqlite3_finalize(st);
	return rc;
}

int store_release_rollout_load(struct service *svc, struct store *s, int64_t release,
                               struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	rc = store_prepare(
	        &st, s,
	        "SELECT timeout_ms, \"order\", parallelism, settle_ms, drain_ms FROM release_rollout "
	        "WHERE release_id = ? AND service = ?",
	        err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, release);
	if (store_bind_text(st, 2, svc->name) != SQLITE_OK) {
		rc = store_fail(s, err, "read rollout settings");
		goto out;
	}
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		const char *order = (const char *)sqlite3_column_text(st, 1);
		int64_t settle = sqlite3_column_int64(st, 3), drain = sqlite3_column_int64(st, 4);

		svc->rollout.timeout_ns = sqlite3_column_int64(st, 0) * 1000000;
		svc->rollout.order = !strcmp(order, "start-first")  ? ROLLOUT_START_FIRST
		                     : !strcmp(order, "stop-first") ? ROLLOUT_STOP_FIRST
		                                                    : ROLLOUT_AUTO;
		svc->rollout.parallelism = (unsigned)sqlite3_column_int(st, 2);
		svc->rollout.settle_ns = settle < 0 ? -1 : settle * 1000000;
		svc->rollout.drain_ns = drain < 0 ? -1 : drain * 1000000;
	} else if (step == SQLITE_DONE) {
		svc->rollout.settle_ns = -1; /* none recorded: the default, not "0s" */
	} else {
		rc = store_fail(s, err, "read rollout settings");
	}
out:
	sqlite3_finalize(st);
	return rc;
}
