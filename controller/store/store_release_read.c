/*
 * store_release_read.c - reading releases back: the release rows (list, one,
 * the latest of a project), their actions, the per-service snapshot rows
 * (spec, env, labels, ports, digests), the networks and volumes a release
 * recorded, and whether a container's label matches a snapshot row. Writing
 * them is store_release.c; the row layout is in state/migrations/.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deployctl/hash.h"
#include "deployctl/model_secret.h"
#include "deployctl/store.h"
#include "store_internal.h"

void store_release_release(struct store_release *r)
{
	if (!r)
		return;
	free(r->project);
	free(r->kind);
	free(r->source_kind);
	free(r->source);
	free(r->ref);
	free(r->subject);
	free(r->who);
	free(r->host);
	free(r->started_at);
	free(r->finished_at);
	free(r->status);
	free(r->message);
	free(r->author);
	free(r->committed_at);
	memset(r, 0, sizeof(*r));
}

void store_release_list_free(struct store_release *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		store_release_release(&v[i]);
	free(v);
}

/* Columns of release_cols, in order. */
#define STORE_RELEASE_COLUMNS                                                                      \
	"id, project, kind, source_kind, source, ref, subject, who, host, pid, started_at,"        \
	" finished_at, status, message, COALESCE(rollback_of, 0),"                                 \
	" CASE WHEN finished_at IS NULL THEN -1.0 ELSE"                                            \
	" round((julianday(finished_at) - julianday(started_at)) * 86400.0, 3) END,"               \
	" author, committed_at"

static const struct store_col release_cols[] = {
	STORE_COL(INT64, struct store_release, id),
	STORE_COL(TEXT, struct store_release, project),
	STORE_COL(TEXT, struct store_release, kind),
	STORE_COL(TEXT, struct store_release, source_kind),
	STORE_COL(TEXT, struct store_release, source),
	STORE_COL(TEXT, struct store_release, ref),
	STORE_COL(TEXT, struct store_release, subject),
	STORE_COL(TEXT, struct store_release, who),
	STORE_COL(TEXT, struct store_release, host),
	STORE_COL(LONG, struct store_release, pid),
	STORE_COL(TEXT, struct store_release, started_at),
	STORE_COL(TEXT, struct store_release, finished_at),
	STORE_COL(TEXT, struct store_release, status),
	STORE_COL(TEXT, struct store_release, message),
	STORE_COL(INT64, struct store_release, rollback_of),
	STORE_COL(DOUBLE, struct store_release, duration_s),
	STORE_COL(TEXT, struct store_release, author),
	STORE_COL(TEXT, struct store_release, committed_at),
};
static const struct store_row_desc release_rows = {
	sizeof(struct store_release),     release_cols,
	STORE_NCOLS(release_cols),        "cannot list releases",
	"out of memory listing releases",
};

int store_release_list(struct store_release **out, size_t *n, struct store *s, const char *project,
                       unsigned limit, struct err *err)
{
	static const char sql[] = "SELECT " STORE_RELEASE_COLUMNS " FROM releases"
	                          " WHERE ?1 IS NULL OR project = ?1 ORDER BY id DESC LIMIT ?2";
	sqlite3_stmt *st = NULL;
	int rc;

	rc = store_prepare(&st, s, sql, err);
	if (!rc) {
		store_bind_text(st, 1, project);
		sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
		rc = store_rows_read((void **)out, n, s, st, &release_rows, err);
	}
	sqlite3_finalize(st);
	return rc;
}

int store_release_get(struct store_release *out, struct store *s, int64_t id, struct err *err)
{
	static const char sql[] = "SELECT " STORE_RELEASE_COLUMNS " FROM releases WHERE id = ?1";
	sqlite3_stmt *st = NULL;
	int rc, step;

	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		rc = err_set(err, ERR_NOTFOUND, "no release %lld", (long long)id);
	else if (step != SQLITE_ROW)
		rc = store_fail(s, err, "cannot read release");
	else if (store_row_fill(out, st, &release_rows))
		rc = err_set(err, ERR_NOMEM, "out of memory reading release %lld", (long long)id);
out:
	sqlite3_finalize(st);
	return rc;
}

int store_release_latest(int64_t *id_out, struct store *s, const char *project, const char *status,
                         struct err *err)
{
	static const char sql[] = "SELECT id FROM releases WHERE project = ?1"
	                          " AND (?2 IS NULL OR status = ?2) ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *st = NULL;
	int rc, step;

	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	store_bind_text(st, 1, project);
	store_bind_text(st, 2, status);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		*id_out = sqlite3_column_int64(st, 0);
	else if (step == SQLITE_DONE)
		*id_out = 0;
	else
		rc = store_fail(s, err, "cannot find latest release");
out:
	sqlite3_finalize(st);
	return rc;
}

static const struct store_col action_cols[] = {
	STORE_COL(UINT, struct store_action_row, seq),
	STORE_COL(TEXT, struct store_action_row, action),
	STORE_COL(TEXT, struct store_action_row, target_type),
	STORE_COL(TEXT, struct store_action_row, target),
	STORE_COL(TEXT, struct store_action_row, reason),
	STORE_COL(TEXT, struct store_action_row, outcome),
	STORE_COL(TEXT, struct store_action_row, error),
};
static const struct store_row_desc action_rows = {
	sizeof(struct store_action_row), action_cols,
	STORE_NCOLS(action_cols),        "cannot read actions",
	"out of memory reading actions",
};

void store_action_rows_free(struct store_action_row *v, size_t n)
{
	store_rows_free(v, n, &action_rows);
}

int store_release_actions(struct store_action_row **out, size_t *n, struct store *s,
                          int64_t release, struct err *err)
{
	static const char sql[] = "SELECT seq, action, target_type, target, reason, outcome, error"
	                          " FROM release_actions WHERE release_id = ?1 ORDER BY seq";

	return store_rows_by_release((void **)out, n, s, sql, release, &action_rows, err);
}

static const struct store_col service_cols[] = {
	STORE_COL(TEXT, struct store_service_row, service),
	STORE_COL(TEXT, struct store_service_row, image),
	STORE_COL(TEXT, struct store_service_row, image_id),
	STORE_COL(TEXT, struct store_service_row, spec_hash),
	STORE_COL(UINT, struct store_service_row, replicas),
	STORE_COL(TEXT, struct store_service_row, spec_json),
	STORE_COL(TEXT, struct store_service_row, legacy_label_hmac),
};
static const struct store_row_desc service_rows = {
	sizeof(struct store_service_row), service_cols,
	STORE_NCOLS(service_cols),        "cannot read services",
	"out of memory reading services",
};

const struct store_service_row *store_service_row_find(const struct store_service_row *rows,
                                                       size_t n, const char *service)
{
	size_t i;

	for (i = 0; service && i < n; i++)
		if (!strcmp(rows[i].service, service))
			return &rows[i];
	return NULL;
}

void store_service_rows_free(struct store_service_row *v, size_t n)
{
	store_rows_free(v, n, &service_rows);
}

int store_release_services(struct store_service_row **out, size_t *n, struct store *s,
                           int64_t release, struct err *err)
{
	static const char sql[] = "SELECT service, image, image_id, spec_hash, replicas, spec_json,"
	                          " legacy_label_hmac FROM release_services WHERE release_id = ?1"
	                          " ORDER BY service";

	return store_rows_by_release((void **)out, n, s, sql, release, &service_rows, err);
}

int store_service_spec(char **out, struct store *s, int64_t release, const char *service,
                       struct err *err)
{
	static const char sql[] = "SELECT spec_json FROM release_services"
	                          " WHERE release_id = ?1 AND service = ?2";
	sqlite3_stmt *st = NULL;
	int rc, step;

	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, release);
	store_bind_text(st, 2, service);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		rc = err_set(err, ERR_NOTFOUND, "release %lld has no service '%s'",
		             (long long)release, service);
	else if (step != SQLITE_ROW)
		rc = store_fail(s, err, "cannot read service spec");
	else if (store_column_dup(out, st, 0) || !*out)
		rc = err_set(err, ERR_NOMEM, "out of memory reading service spec");
out:
	sqlite3_finalize(st);
	return rc;
}

int store_release_resources(struct kvv *out, struct store *s, int64_t release, const char *type,
                            struct err *err)
{
	static const char sql[] = "SELECT key, docker_name FROM release_resources"
	                          " WHERE release_id = ?1 AND type = ?2 ORDER BY key";
	sqlite3_stmt *st = NULL;
	int rc;

	rc = store_prepare(&st, s, sql, err);
	if (!rc) {
		sqlite3_bind_int64(st, 1, release);
		store_bind_text(st, 2, type);
		rc = store_rows_kvv(out, s, st, "cannot read resources",
		                    "out of memory reading resources", err);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Rows of (service, key, value, fingerprint, is_secret, shown, secret_by). */
static const struct store_col kv_cols[] = {
	STORE_COL(TEXT, struct store_kv_row, service),
	STORE_COL(TEXT, struct store_kv_row, key),
	STORE_COL(TEXT, struct store_kv_row, value),
	STORE_COL(TEXT, struct store_kv_row, fingerprint),
	STORE_COL(BOOL, struct store_kv_row, secret),
	STORE_COL(TEXT, struct store_kv_row, shown),
	STORE_COL(TEXT, struct store_kv_row, secret_by),
};
static const struct store_row_desc kv_rows = {
	sizeof(struct store_kv_row),      kv_cols, STORE_NCOLS(kv_cols), "cannot read snapshot",
	"out of memory reading snapshot",
};

void store_kv_rows_free(struct store_kv_row *v, size_t n)
{
	store_rows_free(v, n, &kv_rows);
}

int store_release_env(struct store_kv_row **out, size_t *n, struct store *s, int64_t release,
                      struct err *err)
{
	return store_rows_by_release(
	        (void **)out, n, s,
	        "SELECT service, key, value, fingerprint, is_secret, shown, secret_by"
	        " FROM release_env WHERE release_id = ?1 ORDER BY service, key",
	        release, &kv_rows, err);
}

int store_release_labels(struct store_kv_row **out, size_t *n, struct store *s, int64_t release,
                         struct err *err)
{
	return store_rows_by_release(
	        (void **)out, n, s,
	        "SELECT service, key, value, fingerprint, fingerprint IS NOT NULL,"
	        " CASE WHEN fingerprint IS NOT NULL THEN value END, secret_by"
	        " FROM release_labels WHERE release_id = ?1 ORDER BY service, key",
	        release, &kv_rows, err);
}

static const struct store_col port_cols[] = {
	STORE_COL(TEXT, struct store_port_row, service),
	STORE_COL(UINT, struct store_port_row, seq),
	STORE_COL(TEXT, struct store_port_row, host_ip),
	STORE_COL(UINT, struct store_port_row, host_port),
	STORE_COL(UINT, struct store_port_row, container_port),
	STORE_COL(TEXT, struct store_port_row, protocol),
};
static const struct store_row_desc port_rows = {
	sizeof(struct store_port_row), port_cols, STORE_NCOLS(port_cols), "cannot read ports",
	"out of memory reading ports",
};

void store_port_rows_free(struct store_port_row *v, size_t n)
{
	store_rows_free(v, n, &port_rows);
}

int store_release_ports(struct store_port_row **out, size_t *n, struct store *s, int64_t release,
                        struct err *err)
{
	static const char sql[] = "SELECT service, seq, host_ip, host_port, container_port,"
	                          " protocol FROM release_ports WHERE release_id = ?1"
	                          " ORDER BY service, seq";

	return store_rows_by_release((void **)out, n, s, sql, release, &port_rows, err);
}

int store_release_digests(struct kvv *out, struct store *s, int64_t release, struct err *err)
{
	static const char sql[] = "SELECT service, repo_digest FROM release_services"
	                          " WHERE release_id = ?1 AND repo_digest IS NOT NULL"
	                          " ORDER BY service";
	sqlite3_stmt *st = NULL;
	int rc;

	rc = store_prepare(&st, s, sql, err);
	if (!rc) {
		sqlite3_bind_int64(st, 1, release);
		rc = store_rows_kvv(out, s, st, "cannot read digests",
		                    "out of memory reading digests", err);
	}
	sqlite3_finalize(st);
	return rc;
}

bool store_service_row_label_matches(struct store *s, const struct store_service_row *r,
                                     const char *label)
{
	char mac[HASH_HEX_LEN + 1];
	struct err ignored = ERR_INIT;
	const struct hash_key *k;

	if (!r || !label)
		return false;
	if (!strcmp(r->spec_hash, label))
		return true;
	if (!r->legacy_label_hmac || !(k = store_key(s, &ignored)))
		return false;
	hash_hmac_hex(mac, k, label, strlen(label));
	return !strcmp(mac, r->legacy_label_hmac);
}
