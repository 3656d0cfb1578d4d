/*
 * store_smoke.c - a release's smoke checks and notifications (schema
 * 0013): the definitions, recorded with the snapshot so `deployctl smoke`
 * and a rollback have them without git, and each one's outcome. A webhook
 * URL is never written, only the variable or the file it is read from.
 */
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "deployctl/model_secret.h"
#include "deployctl/smoke.h"
#include "store_internal.h"

#define ARG_SEP '\x1f' /* between the arguments of a notify command */

/* A copy of v with every secret hidden (a check may use one: the record never holds it). */
static char *scrubbed(const char *v, const struct strv *secrets)
{
	char *c = v ? strdup(v) : NULL;

	if (c)
		model_scrub(c, secrets);
	return c;
}

static int smoke_defs_add(struct store *s, int64_t release, const struct project *p,
                          const struct strv *secrets, struct err *err)
{
	sqlite3_stmt *st = NULL;
	char *url = NULL, *body = NULL, *header = NULL;
	size_t i;
	int rc;

	rc = store_prepare(&st, s,
	                   "INSERT INTO release_smoke (release_id, seq, name, url, method, "
	                   "expect_status, body_contains, header, timeout_ms, retries, "
	                   "interval_ms, network, image, service) VALUES (?, ?, ?, ?, ?, ?, ?, "
	                   "?, ?, ?, ?, ?, ?, ?)",
	                   err);
	for (i = 0; rc == 0 && i < p->nsmoke; i++) {
		const struct smoke_check *k = &p->smoke[i];

		free(url);
		free(body);
		free(header);
		url = scrubbed(k->url, secrets);
		body = scrubbed(k->body_contains, secrets);
		header = scrubbed(k->header, secrets);
		if (!url || (k->body_contains && !body) || (k->header && !header)) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			break;
		}
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, release);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i + 1);
		if (store_bind_text(st, 3, k->name) != SQLITE_OK ||
		    store_bind_text(st, 4, url) != SQLITE_OK ||
		    store_bind_text(st, 5, k->method) != SQLITE_OK ||
		    store_bind_text(st, 7, body) != SQLITE_OK ||
		    store_bind_text(st, 8, header) != SQLITE_OK ||
		    store_bind_text(st, 12, k->network) != SQLITE_OK ||
		    store_bind_text(st, 13, k->image) != SQLITE_OK ||
		    store_bind_text(st, 14, k->service) != SQLITE_OK) {
			rc = store_fail(s, err, "record smoke checks");
			break;
		}
		sqlite3_bind_int64(st, 6, k->expect_status);
		sqlite3_bind_int64(st, 9, k->timeout_ns / 1000000);
		sqlite3_bind_int64(st, 10, k->retries);
		sqlite3_bind_int64(st, 11, k->interval_ns / 1000000);
		rc = store_step_done(st, s, "record smoke checks", err);
	}
	sqlite3_finalize(st);
	free(url);
	free(body);
	free(header);
	return rc;
}

/* argv joined by ARG_SEP into b. */
static int join_argv(struct buf *b, const struct strv *argv)
{
	size_t i;

	for (i = 0; i < argv->n; i++)
		if ((i && buf_putc(b, ARG_SEP) < 0) || buf_puts(b, argv->v[i]) < 0)
			return ERR_NOMEM;
	return 0;
}

static int notify_defs_add(struct store *s, int64_t release, const struct project *p,
                           struct err *err)
{
	sqlite3_stmt *st = NULL;
	char on[64];
	struct buf cmd;
	size_t i;
	int rc;

	buf_init(&cmd, 1 << 20);
	rc = store_prepare(&st, s,
	                   "INSERT INTO release_notify (release_id, seq, url_env, url_file, "
	                   "command, format, on_events) VALUES (?, ?, ?, ?, ?, ?, ?)",
	                   err);
	for (i = 0; rc == 0 && i < p->nnotify; i++) {
		const struct notify_target *t = &p->notify[i];

		buf_reset(&cmd);
		if (join_argv(&cmd, &t->command) < 0) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			break;
		}
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, release);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i + 1);
		if (store_bind_text(st, 3, t->url_env) != SQLITE_OK ||
		    store_bind_text(st, 4, t->url_file) != SQLITE_OK ||
		    store_bind_text(st, 5, t->command.n ? cmd.ptr : NULL) != SQLITE_OK ||
		    store_bind_text(st, 6, notify_format_name(t->format)) != SQLITE_OK ||
		    store_bind_text(st, 7, notify_on_format(on, sizeof(on), t->on)) != SQLITE_OK) {
			rc = store_fail(s, err, "record notifications");
			break;
		}
		rc = store_step_done(st, s, "record notifications", err);
	}
	sqlite3_finalize(st);
	buf_release(&cmd);
	return rc;
}

int store_release_smoke_add(struct store *s, int64_t release, const struct project *p,
                            const struct strv *secrets, struct err *err)
{
	int rc = smoke_defs_add(s, release, p, secrets, err);

	return rc ? rc : notify_defs_add(s, release, p, err);
}

int store_release_smoke_result(struct store *s, int64_t release, unsigned seq,
                               const struct smoke_result *r, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = store_prepare(&st, s,
	                   "UPDATE release_smoke SET outcome = ?3, status = ?4, attempts = ?5, "
	                   "duration_ms = ?6, reason = ?7 WHERE release_id = ?1 AND seq = ?2",
	                   err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, release);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_int64(st, 4, r->status);
	sqlite3_bind_int64(st, 5, r->attempts);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)(r->duration_s * 1000.0));
	if (store_bind_text(st, 3, r->passed ? "passed" : "failed") != SQLITE_OK ||
	    store_bind_text(st, 7, r->reason[0] ? r->reason : NULL) != SQLITE_OK)
		rc = store_fail(s, err, "record a smoke check");
	else
		rc = store_step_done(st, s, "record a smoke check", err);
	sqlite3_finalize(st);
	return rc;
}

int store_release_notify_result(struct store *s, int64_t release, unsigned seq,
                                const struct notify_result *r, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = store_prepare(&st, s,
	                   "UPDATE release_notify SET event = ?3, outcome = ?4, attempts = ?5, "
	                   "duration_ms = ?6, detail = ?7 WHERE release_id = ?1 AND seq = ?2",
	                   err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, release);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_int64(st, 5, r->attempts);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)(r->duration_s * 1000.0));
	if (store_bind_text(st, 3, r->event) != SQLITE_OK ||
	    store_bind_text(st, 4, r->outcome) != SQLITE_OK ||
	    store_bind_text(st, 7, r->detail[0] ? r->detail : NULL) != SQLITE_OK)
		rc = store_fail(s, err, "record a notification");
	else
		rc = store_step_done(st, s, "record a notification", err);
	sqlite3_finalize(st);
	return rc;
}

/* Split a joined command back into argv. */
static int split_argv(struct strv *out, const char *s)
{
	char *copy = strdup(s), *p, *q;
	int rc = 0;

	if (!copy)
		return ERR_NOMEM;
	for (p = copy; rc == 0; p = q + 1) {
		q = strchr(p, ARG_SEP);
		if (q)
			*q = '\0';
		rc = strv_push(out, p);
		if (!q)
			break;
	}
	free(copy);
	return rc;
}

int store_release_smoke_load(struct project *p, struct store *s, int64_t release, struct err *err)
{
	struct store_smoke_row *sr = NULL;
	struct store_notify_row *nr = NULL;
	size_t i, ns = 0, nn = 0;
	int rc;

	rc = store_release_smoke_rows(&sr, &ns, s, release, err);
	if (rc == 0)
		rc = store_release_notify_rows(&nr, &nn, s, release, err);
	if (rc)
		goto out;
	model_smoke_release(p);
	p->smoke = calloc(ns + 1, sizeof(*p->smoke));
	p->notify = calloc(nn + 1, sizeof(*p->notify));
	if (!p->smoke || !p->notify) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < ns; i++) {
		struct smoke_check *k = &p->smoke[p->nsmoke++];

		/* The row's strings move into the check. */
		k->name = sr[i].name;
		k->url = sr[i].url;
		k->method = sr[i].method;
		k->body_contains = sr[i].body_contains;
		k->header = sr[i].header;
		k->network = sr[i].network;
		k->image = sr[i].image;
		k->service = sr[i].service;
		sr[i].name = sr[i].url = sr[i].method = sr[i].body_contains = sr[i].header = NULL;
		sr[i].network = sr[i].image = sr[i].service = NULL;
		k->expect_status = sr[i].expect_status;
		k->timeout_ns = sr[i].timeout_ms * 1000000;
		k->retries = sr[i].retries;
		k->interval_ns = sr[i].interval_ms * 1000000;
	}
	for (i = 0; rc == 0 && i < nn; i++) {
		struct notify_target *t = &p->notify[p->nnotify++];
		int f = notify_format_parse(nr[i].format);

		t->url_env = nr[i].url_env;
		t->url_file = nr[i].url_file;
		nr[i].url_env = nr[i].url_file = NULL;
		t->format = f < 0 ? NOTIFY_SLACK : (enum notify_format)f;
		t->on = notify_on_parse(nr[i].on);
		if (nr[i].command && split_argv(&t->command, nr[i].command) < 0)
			rc = err_set(err, ERR_NOMEM, "out of memory");
	}
out:
	store_smoke_rows_free(sr, ns);
	store_notify_rows_free(nr, nn);
	return rc;
}

#define SR(kind, field) STORE_COL(kind, struct store_smoke_row, field)
static const struct store_col smoke_cols[] = {
	SR(UINT, seq),           SR(TEXT, name),     SR(TEXT, url),           SR(TEXT, method),
	SR(LONG, expect_status), SR(TEXT, outcome),  SR(LONG, status),        SR(UINT, attempts),
	SR(DOUBLE, duration_s),  SR(TEXT, reason),   SR(TEXT, body_contains), SR(TEXT, header),
	SR(INT64, timeout_ms),   SR(INT64, retries), SR(INT64, interval_ms),  SR(TEXT, network),
	SR(TEXT, image),         SR(TEXT, service),
};
static const struct store_row_desc smoke_desc = {
	sizeof(struct store_smoke_row),
	smoke_cols,
	STORE_NCOLS(smoke_cols),
	"cannot read smoke checks",
	"out of memory reading smoke checks",
};

#define NR(kind, field) STORE_COL(kind, struct store_notify_row, field)
static const struct store_col notify_cols[] = {
	NR(UINT, seq),      NR(TEXT, url_env),      NR(TEXT, url_file), NR(TEXT, command),
	NR(TEXT, format),   NR(TEXT, on),           NR(TEXT, event),    NR(TEXT, outcome),
	NR(UINT, attempts), NR(DOUBLE, duration_s), NR(TEXT, detail),
};
static const struct store_row_desc notify_desc = {
	sizeof(struct store_notify_row),
	notify_cols,
	STORE_NCOLS(notify_cols),
	"cannot read notifications",
	"out of memory reading notifications",
};

int store_release_smoke_rows(struct store_smoke_row **out, size_t *n, struct store *s,
                             int64_t release, struct err *err)
{
	return store_rows_by_release(
	        (void **)out, n, s,
	        "SELECT seq, name, url, method, expect_status, outcome, status, attempts, "
	        "duration_ms / 1000.0, reason, body_contains, header, timeout_ms, retries, "
	        "interval_ms, network, image, service FROM release_smoke WHERE release_id = ?1 "
	        "ORDER BY seq",
	        release, &smoke_desc, err);
}

int store_release_notify_rows(struct store_notify_row **out, size_t *n, struct store *s,
                              int64_t release, struct err *err)
{
	return store_rows_by_release((void **)out, n, s,
	                             "SELECT seq, url_env, url_file, command, format, on_events, "
	                             "event, outcome, attempts, duration_ms / 1000.0, detail FROM "
	                             "release_notify WHERE release_id = ?1 ORDER BY seq",
	                             release, &notify_desc, err);
}

void store_smoke_rows_free(struct store_smoke_row *v, size_t n)
{
	store_rows_free(v, n, &smoke_desc);
}

void store_notify_rows_free(struct store_notify_row *v, size_t n)
{
	store_rows_free(v, n, &notify_desc);
}

struct untold_row {
	int64_t id;
};
static const struct store_col untold_cols[] = { STORE_COL(INT64, struct untold_row, id) };
static const struct store_row_desc untold_desc = {
	sizeof(struct untold_row),        untold_cols,
	STORE_NCOLS(untold_cols),         "cannot read untold releases",
	"out of memory reading releases",
};

int store_notify_untold(int64_t **out, size_t *n, struct store *s, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_prepare(&st, s,
	                   "SELECT DISTINCT r.id FROM releases r JOIN release_notify n ON "
	                   "n.release_id = r.id WHERE r.status = 'interrupted' AND n.event IS "
	                   "NULL ORDER BY r.id LIMIT 100",
	                   err);
	if (rc == 0) /* a row of one int64 is an int64 */
		rc = store_rows_read((void **)out, n, s, st, &untold_desc, err);
	sqlite3_finalize(st);
	return rc;
}
