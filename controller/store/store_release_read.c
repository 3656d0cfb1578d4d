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

/* Columns read by store_release_row(), in order. */
#define STORE_RELEASE_COLUMNS                                                                      \
	"id, project, kind, source_kind, source, ref, subject, who, host, pid, started_at,"        \
	" finished_at, status, message, COALESCE(rollback_of, 0),"                                 \
	" CASE WHEN finished_at IS NULL THEN -1.0 ELSE"                                            \
	" round((julianday(finished_at) - julianday(started_at)) * 86400.0, 3) END,"               \
	" author, committed_at"

static int store_release_row(struct store_release *r, sqlite3_stmt *st)
{
	char **text[] = { &r->project, &r->kind,    &r->source_kind, &r->source,
		          &r->ref,     &r->subject, &r->who,         &r->host };
	size_t i;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		if (store_column_dup(text[i], st, (int)i + 1))
			goto nomem;
	r->pid = (long)sqlite3_column_int64(st, 9);
	if (store_column_dup(&r->started_at, st, 10) || store_column_dup(&r->finished_at, st, 11) ||
	    store_column_dup(&r->status, st, 12) || store_column_dup(&r->message, st, 13))
		goto nomem;
	r->rollback_of = sqlite3_column_int64(st, 14);
	r->duration_s = sqlite3_column_double(st, 15);
	if (store_column_dup(&r->author, st, 16) || store_column_dup(&r->committed_at, st, 17))
		goto nomem;
	return 0;
nomem:
	store_release_release(r);
	return ERR_NOMEM;
}

int store_release_list(struct store_release **out, size_t *n, struct store *s, const char *project,
                       unsigned limit, struct err *err)
{
	static const char sql[] = "SELECT " STORE_RELEASE_COLUMNS " FROM releases"
	                          " WHERE ?1 IS NULL OR project = ?1 ORDER BY id DESC LIMIT ?2";
	sqlite3_stmt *st = NULL;
	struct store_release *v = NULL, *nv;
	size_t len = 0, alloc = 0;
	int rc, step;

	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	store_bind_text(st, 1, project);
	sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			nv = realloc(v, alloc * sizeof(*v));
			if (!nv) {
				rc = err_set(err, ERR_NOMEM, "out of memory listing releases");
				goto out;
			}
			v = nv;
		}
		if (store_release_row(&v[len], st)) {
			rc = err_set(err, ERR_NOMEM, "out of memory listing releases");
			goto out;
		}
		len++;
	}
	if (step != SQLITE_DONE) {
		rc = store_fail(s, err, "cannot list releases");
		goto out;
	}
	*out = v;
	*n = len;
	v = NULL;
	len = 0;
out:
	store_release_list_free(v, len);
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
	else if (store_release_row(out, st))
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

void store_action_rows_free(struct store_action_row *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].action);
		free(v[i].target_type);
		free(v[i].target);
		free(v[i].reason);
		free(v[i].outcome);
		free(v[i].error);
	}
	free(v);
}

int store_release_actions(struct store_action_row **out, size_t *n, struct store *s,
                          int64_t release, struct err *err)
{
	static const char sql[] = "SELECT seq, action, target_type, target, reason, outcome, error"
	                          " FROM release_actions WHERE release_id = ?1 ORDER BY seq";
	sqlite3_stmt *st = NULL;
	struct store_action_row *v = NULL, *r;
	size_t len = 0, alloc = 0;
	int rc, step;

	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, release);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (store_grow((void **)&v, &alloc, len, sizeof(*v)))
			goto nomem;
		r = &v[len++];
		r->seq = (unsigned)sqlite3_column_int64(st, 0);
		if (store_column_dup(&r->action, st, 1) ||
		    store_column_dup(&r->target_type, st, 2) ||
		    store_column_dup(&r->target, st, 3) || store_column_dup(&r->reason, st, 4) ||
		    store_column_dup(&r->outcome, st, 5) || store_column_dup(&r->error, st, 6))
			goto nomem;
	}
	if (step != SQLITE_DONE) {
		rc = store_fail(s, err, "cannot read actions");
		goto out;
	}
	*out = v;
	*n = len;
	v = NULL;
	len = 0;
	goto out;
nomem:
	rc = err_set(err, ERR_NOMEM, "out of memory reading actions");
out:
	store_action_rows_free(v, len);
	sqlite3_finalize(st);
	return rc;
}

void store_service_rows_free(struct store_service_row *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].service);
		free(v[i].image);
		free(v[i].image_id);
		free(v[i].spec_hash);
		free(v[i].spec_json);
		free(v[i].legacy_label_hmac);
	}
	free(v);
}

int store_release_services(struct store_service_row **out, size_t *n, struct store *s,
                           int64_t release, struct err *err)
{
	static const char sql[] = "SELECT service, image, image_id, spec_hash, replicas, spec_json,"
	                          " legacy_label_hmac FROM release_services WHERE release_id = ?1"
	                          " ORDER BY service";
	sqlite3_stmt *st = NULL;
	struct store_service_row *v = NULL, *r;
	size_t len = 0, alloc = 0;
	int rc, step;

	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, release);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (store_grow((void **)&v, &alloc, len, sizeof(*v)))
			goto nomem;
		r = &v[len++];
		r->replicas = (unsigned)sqlite3_column_int64(st, 4);
		if (store_column_dup(&r->service, st, 0) || store_column_dup(&r->image, st, 1) ||
		    store_column_dup(&r->image_id, st, 2) ||
		    store_column_dup(&r->spec_hash, st, 3) ||
		    store_column_dup(&r->spec_json, st, 5) ||
		    store_column_dup(&r->legacy_label_hmac, st, 6))
			goto nomem;
	}
	if (step != SQLITE_DONE) {
		rc = store_fail(s, err, "cannot read services");
		goto out;
	}
	*out = v;
	*n = len;
	v = NULL;
	len = 0;
	goto out;
nomem:
	rc = err_set(err, ERR_NOMEM, "out of memory reading services");
out:
	store_service_rows_free(v, len);
	sqlite3_finalize(st);
	return rc;
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
	struct kvv v = { 0 };
	int rc, step;

	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, release);
	store_bind_text(st, 2, type);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *key = sqlite3_column_text(st, 0);
		const unsigned char *name = sqlite3_column_text(st, 1);

		if (!key || !name || kvv_set(&v, (const char *)key, (const char *)name)) {
			rc = err_set(err, ERR_NOMEM, "out of memory reading resources");
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		rc = store_fail(s, err, "cannot read resources");
		goto out;
	}
	*out = v;
	v.v = NULL;
	v.n = 0;
out:
	kvv_free(&v);
	sqlite3_finalize(st);
	return rc;
}

void store_kv_rows_free(struct store_kv_row *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].service);
		free(v[i].key);
		free(v[i].value);
		free(v[i].fingerprint);
		free(v[i].shown);
		free(v[i].secret_by);
	}
	free(v);
}

/* Rows of (service, key, value, fingerprint, is_secret, shown, secret_by) from sql. */
static int store_kv_rows(struct store_kv_row **out, size_t *n, struct store *s, int64_t release,
                         const char *sql, struct err *err)
{
	sqlite3_stmt *st = NULL;
	struct store_kv_row *v = NULL, *r;
	size_t len = 0, alloc = 0;
	int rc, step;

	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, release);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (store_grow((void **)&v, &alloc, len, sizeof(*v)))
			goto nomem;
		r = &v[len++];
		r->secret = sqlite3_column_int(st, 4) != 0;
		if (store_column_dup(&r->service, st, 0) || store_column_dup(&r->key, st, 1) ||
		    store_column_dup(&r->value, st, 2) ||
		    store_column_dup(&r->fingerprint, st, 3) ||
		    store_column_dup(&r->shown, st, 5) || store_column_dup(&r->secret_by, st, 6))
			goto nomem;
	}
	if (step != SQLITE_DONE) {
		rc = store_fail(s, err, "cannot read snapshot");
		goto out;
	}
	*out = v;
	*n = len;
	v = NULL;
	len = 0;
	goto out;
nomem:
	rc = err_set(err, ERR_NOMEM, "out of memory reading snapshot");
out:
	store_kv_rows_free(v, len);
	sqlite3_finalize(st);
	return rc;
}

int store_release_env(struct store_kv_row **out, size_t *n, struct store *s, int64_t release,
                      struct err *err)
{
	return store_kv_rows(out, n, s, release,
	                     "SELECT service, key, value, fingerprint, is_secret, shown, secret_by"
	                     " FROM release_env WHERE release_id = ?1 ORDER BY service, key",
	                     err);
}

int store_release_labels(struct store_kv_row **out, size_t *n, struct store *s, int64_t release,
                         struct err *err)
{
	return store_kv_rows(out, n, s, release,
	                     "SELECT service, key, value, fingerprint, fingerprint IS NOT NULL,"
	                     " CASE WHEN fingerprint IS NOT NULL THEN value END, secret_by"
	                     " FROM release_labels WHERE release_id = ?1 ORDER BY service, key",
	                     err);
}

void store_port_rows_free(struct store_port_row *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].service);
		free(v[i].host_ip);
		free(v[i].protocol);
	}
	free(v);
}

int store_release_ports(struct store_port_row **out, size_t *n, struct store *s, int64_t release,
                        struct err *err)
{
	static const char sql[] = "SELECT service, seq, host_ip, host_port, container_port,"
	                          " protocol FROM release_ports WHERE release_id = ?1"
	                          " ORDER BY service, seq";
	sqlite3_stmt *st = NULL;
	struct store_port_row *v = NULL, *r;
	size_t len = 0, alloc = 0;
	int rc, step;

	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, release);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (store_grow((void **)&v, &alloc, len, sizeof(*v)))
			goto nomem;
		r = &v[len++];
		r->seq = (unsigned)sqlite3_column_int64(st, 1);
		r->host_port = (unsigned)sqlite3_column_int64(st, 3);
		r->container_port = (unsigned)sqlite3_column_int64(st, 4);
		if (store_column_dup(&r->service, st, 0) || store_column_dup(&r->host_ip, st, 2) ||
		    store_column_dup(&r->protocol, st, 5))
			goto nomem;
	}
	if (step != SQLITE_DONE) {
		rc = store_fail(s, err, "cannot read ports");
		goto out;
	}
	*out = v;
	*n = len;
	v = NULL;
	len = 0;
	goto out;
nomem:
	rc = err_set(err, ERR_NOMEM, "out of memory reading ports");
out:
	store_port_rows_free(v, len);
	sqlite3_finalize(st);
	return rc;
}

int store_release_digests(struct kvv *out, struct store *s, int64_t release, struct err *err)
{
	static const char sql[] = "SELECT service, repo_digest FROM release_services"
	                          " WHERE release_id = ?1 AND repo_digest IS NOT NULL"
	                          " ORDER BY service";
	sqlite3_stmt *st = NULL;
	struct kvv v = { 0 };
	int rc, step;

	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, release);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *svc = sqlite3_column_text(st, 0);
		const unsigned char *digest = sqlite3_column_text(st, 1);

		if (!svc || !digest || kvv_set(&v, (const char *)svc, (const char *)digest)) {
			rc = err_set(err, ERR_NOMEM, "out of memory reading digests");
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		rc = store_fail(s, err, "cannot read digests");
		goto out;
	}
	*out = v;
	v.v = NULL;
	v.n = 0;
out:
	kvv_free(&v);
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
