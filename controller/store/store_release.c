/*
 * store_release.c - writing releases: the release row, its actions, the
 * per-service snapshot (spec, env with secrets reduced to fingerprints,
 * ports, labels), its networks and volumes, the outcome that closes it, the
 * space reserved before it starts, digests and labels learnt later, and a
 * snapshot copied from an earlier release. Reading them back is
 * store_release_read.c; interrupted releases and events, store_interrupted.c.
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

static const char *const store_status_names[] = {
	[RELEASE_RUNNING] = "running",         [RELEASE_SUCCEEDED] = "succeeded",
	[RELEASE_FAILED] = "failed",           [RELEASE_INTERRUPTED] = "interrupted",
	[RELEASE_ROLLED_BACK] = "rolled_back",
};

const char *store_status_name(enum release_status st)
{
	if ((unsigned)st >= sizeof(store_status_names) / sizeof(store_status_names[0]))
		return "unknown";
	return store_status_names[st];
}

/* The commit's author and time (schema 11), written only when known. */
static int store_release_set_commit(struct store *s, int64_t id,
                                    const struct store_release_info *info, struct err *err)
{
	static const char sql[] =
	        "UPDATE releases SET author = ?2, committed_at = ?3 WHERE id = ?1";
	const char *texts[] = { info->author, info->committed_at };

	return store_write_texts(s, sql, id, texts, 2, "cannot record the release's commit", err);
}

int store_release_begin(int64_t *id_out, struct store *s, const struct store_release_info *info,
                        struct err *err)
{
	static const char sql[] =
	        "INSERT INTO releases (project, kind, source_kind, source, ref, subject, who, host,"
	        " pid, started_at, status, rollback_of)"
	        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'running', ?11)";
	sqlite3_stmt *st = NULL;
	char now[STORE_TIME_SIZE];
	int rc;

	if (!info->project || !info->kind || !info->source_kind || !info->source || !info->who ||
	    !info->host)
		return err_set(err, ERR_INVALID, "release is missing project, kind, source or who");
	store_now_ms(now);
	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	store_bind_text(st, 1, info->project);
	store_bind_text(st, 2, info->kind);
	store_bind_text(st, 3, info->source_kind);
	store_bind_text(st, 4, info->source);
	store_bind_text(st, 5, info->ref);
	store_bind_text(st, 6, info->subject);
	store_bind_text(st, 7, info->who);
	store_bind_text(st, 8, info->host);
	sqlite3_bind_int64(st, 9, info->pid);
	store_bind_text(st, 10, now);
	if (info->rollback_of > 0)
		sqlite3_bind_int64(st, 11, info->rollback_of);
	else
		sqlite3_bind_null(st, 11);
	rc = store_step_done(st, s, "cannot record release", err);
	if (rc)
		goto out;
	*id_out = sqlite3_last_insert_rowid(s->db);
	if (info->author || info->committed_at)
		rc = store_release_set_commit(s, *id_out, info, err);
out:
	sqlite3_finalize(st);
	return rc;
}

/* The parameters ?2... of store_release_action_add()'s INSERT, in order. */
static const struct store_col action_cols[] = {
	STORE_COL(UINT, struct store_action, seq),
	STORE_COL(TEXT, struct store_action, action),
	STORE_COL(TEXT, struct store_action, target_type),
	STORE_COL(TEXT, struct store_action, target),
	STORE_COL(TEXT, struct store_action, reason),
	STORE_COL(TEXT, struct store_action, outcome),
	STORE_COL(TEXT, struct store_action, error),
};
static const struct store_row_desc action_row = {
	.cols = action_cols,
	.ncols = STORE_NCOLS(action_cols),
	.fail = "cannot record action",
};

int store_release_action_add(struct store *s, int64_t release, const struct store_action *a,
                             struct err *err)
{
	/* seq 0 means "next": one past the highest recorded so far */
	static const char sql[] =
	        "INSERT INTO release_actions (release_id, seq, action, target_type, target, reason,"
	        " outcome, error) VALUES (?1, CASE WHEN ?2 > 0 THEN ?2 ELSE (SELECT"
	        " COALESCE(MAX(seq), 0) + 1 FROM release_actions WHERE release_id = ?1) END,"
	        " ?3, ?4, ?5, ?6, ?7, ?8)";

	return store_row_write(s, sql, release, a, &action_row, err);
}

/*
 * The state directory's key, when it is kept on disk: a fingerprint made
 * with a key that is not kept could never be matched again. Borrowed; NULL
 * with err set otherwise.
 */
static const struct hash_key *store_key_kept(struct store *s, struct err *err)
{
	const struct hash_key *k = store_key(s, err);

	if (k && s->key_ephemeral) {
		err_set(err, ERR_STORE,
		        "cannot create key file '%s': state directory is not writable",
		        s->key_path);
		return NULL;
	}
	return k;
}

/*
 * The snapshot tables of one service (release_env, release_ports,
 * release_labels) are written by one loop: each table's INSERT takes the
 * release as ?1 and the service as ?2, and its bind hook binds the rest of
 * item i's row. What differs per table, such as how a secret is reduced,
 * stays in its hook; *shown is the hook's scratch, freed after each row.
 */
struct svc_rows {
	const struct project *p;
	const struct service *svc;
	const struct hash_key *k;
};

struct svc_table {
	const char *sql;
	const char *fail; /* store_step_done()'s message */
	size_t (*count)(const struct service *svc);
	int (*bind)(sqlite3_stmt *st, const struct svc_rows *r, size_t i, char **shown,
	            struct err *err);
};

static size_t env_count(const struct service *svc)
{
	return svc->env.n;
}

static size_t port_count(const struct service *svc)
{
	return svc->nports;
}

static size_t label_count(const struct service *svc)
{
	return svc->labels.n;
}

/*
 * Bind kv's key as ?3 and the rest of its row of release_env (env) or
 * release_labels; when it is secret, its shown form goes to *shown (new,
 * freed by the caller).
 *
 * A secret key (model_env_secret()) has value NULL, its fingerprint under
 * the state directory's key, why it is secret and, when only parts of it
 * are secret, its shown form. A secret label holds its shown form and
 * fingerprint, never its value.
 */
static int kv_bind(sqlite3_stmt *st, const struct svc_rows *r, const struct kv *kv, bool env,
                   char **shown, struct err *err)
{
	const char *v = kv->value ? kv->value : "";
	enum model_secret why = env ? model_env_secret(r->p, r->svc, kv->key, v)
	                            : model_label_secret(r->svc, kv->key, v);
	char fp[HASH_FINGERPRINT_SIZE];

	store_bind_text(st, 3, kv->key);
	if (why != MODEL_SECRET_NONE) {
		if (model_secret_shown(shown, r->k, r->svc, why, v) < 0)
			return err_set(err, ERR_NOMEM, "out of memory");
		model_secret_shown_fingerprint(fp, *shown);
	}
	if (!env) {
		store_bind_text(st, 4, *shown ? *shown : v);
		store_bind_text(st, 5, *shown ? fp : NULL);
		store_bind_text(st, 6, model_secret_why(why));
	} else if (why != MODEL_SECRET_NONE) {
		sqlite3_bind_null(st, 4);
		store_bind_text(st, 5, fp);
		sqlite3_bind_int(st, 6, 1);
		store_bind_text(st, 7, model_secret_why(why));
		store_bind_text(st, 8, hash_is_fingerprint(*shown) ? NULL : *shown);
	} else {
		store_bind_text(st, 4, v);
		sqlite3_bind_null(st, 5);
		sqlite3_bind_int(st, 6, 0);
		sqlite3_bind_null(st, 7);
		sqlite3_bind_null(st, 8);
	}
	return 0;
}

static int env_bind(sqlite3_stmt *st, const struct svc_rows *r, size_t i, char **shown,
                    struct err *err)
{
	return kv_bind(st, r, &r->svc->env.v[i], true, shown, err);
}

static int port_bind(sqlite3_stmt *st, const struct svc_rows *r, size_t i, char **shown,
                     struct err *err)
{
	const struct svc_port *pt = &r->svc->ports[i];

	(void)shown;
	(void)err;
	sqlite3_bind_int64(st, 3, (int64_t)i + 1);
	store_bind_text(st, 4, pt->host_ip ? pt->host_ip : "");
	sqlite3_bind_int64(st, 5, pt->host_port);
	sqlite3_bind_int64(st, 6, pt->container_port);
	store_bind_text(st, 7, pt->protocol ? pt->protocol : "tcp");
	return 0;
}

static int label_bind(sqlite3_stmt *st, const struct svc_rows *r, size_t i, char **shown,
                      struct err *err)
{
	return kv_bind(st, r, &r->svc->labels.v[i], false, shown, err);
}

static const struct svc_table svc_tables[] = {
	{ "INSERT INTO release_env (release_id, service, key, value, fingerprint, is_secret,"
	  " secret_by, shown) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	  "cannot record environment", env_count, env_bind },
	{ "INSERT INTO release_ports (release_id, service, seq, host_ip, host_port,"
	  " container_port, protocol) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	  "cannot record ports", port_count, port_bind },
	{ "INSERT INTO release_labels (release_id, service, key, value, fingerprint, secret_by)"
	  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	  "cannot record labels", label_count, label_bind },
};

static int store_service_rows(struct store *s, int64_t release, const struct svc_rows *r,
                              const struct svc_table *t, struct err *err)
{
	sqlite3_stmt *st = NULL;
	char *shown = NULL;
	size_t i, n = t->count(r->svc);
	int rc;

	rc = store_prepare(&st, s, t->sql, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, release);
	store_bind_text(st, 2, r->svc->name);
	for (i = 0; i < n && !rc; i++) {
		sqlite3_reset(st);
		rc = t->bind(st, r, i, &shown, err);
		if (!rc)
			rc = store_step_done(st, s, t->fail, err);
		free(shown);
		shown = NULL;
	}
out:
	sqlite3_finalize(st);
	return rc;
}

/*
 * Begin a write unit (tx) and prepare its first statement, sql, with
 * release bound to ?1. The caller's way out finalizes *st and rolls tx back,
 * which is harmless for what was not begun.
 */
static int store_tx_prepare(sqlite3_stmt **st, struct store_tx *tx, struct store *s,
                            const char *sql, int64_t release, struct err *err)
{
	int rc = store_tx_begin(tx, s, err);

	if (rc == 0)
		rc = store_prepare(st, s, sql, err);
	if (rc == 0)
		sqlite3_bind_int64(*st, 1, release);
	return rc;
}

/* The way out of such a unit: st finalized, then tx committed if rc is 0, else rolled back. */
static int store_tx_end(struct store_tx *tx, sqlite3_stmt *st, struct store *s, int rc,
                        struct err *err)
{
	sqlite3_finalize(st);
	if (!rc)
		rc = store_tx_commit(tx, s, err);
	store_tx_rollback(tx, s);
	return rc;
}

int store_release_service_add(struct store *s, int64_t release, const struct project *p,
                              const struct service *svc, const char *spec_hash,
                              const char *spec_json, struct err *err)
{
	static const char sql[] =
	        "INSERT INTO release_services (release_id, service, image, image_id, spec_hash,"
	        " replicas, spec_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	sqlite3_stmt *st = NULL;
	struct store_tx tx = { 0 };
	const struct hash_key *k;
	struct svc_rows rows;
	size_t i;
	int rc;

	if (!svc->name || !svc->image || !spec_hash || !spec_json)
		return err_set(err, ERR_INVALID, "service snapshot is missing name, image or spec");
	k = store_key_kept(s, err);
	if (!k)
		return err->code;
	rows = (struct svc_rows){ .p = p, .svc = svc, .k = k };
	rc = store_tx_prepare(&st, &tx, s, sql, release, err);
	if (rc)
		goto out;
	store_bind_text(st, 2, svc->name);
	store_bind_text(st, 3, svc->image);
	store_bind_text(st, 4, svc->image_id);
	store_bind_text(st, 5, spec_hash);
	sqlite3_bind_int64(st, 6, svc->replicas);
	store_bind_text(st, 7, spec_json);
	rc = store_step_done(st, s, "cannot record service snapshot", err);
	if (rc)
		goto out;
	for (i = 0; !rc && i < sizeof(svc_tables) / sizeof(svc_tables[0]); i++)
		rc = store_service_rows(s, release, &rows, &svc_tables[i], err);
out:
	return store_tx_end(&tx, st, s, rc, err);
}

int store_release_resource_add(struct store *s, int64_t release, const char *type, const char *key,
                               const char *docker_name, struct err *err)
{
	const char *const v[] = { type, key, docker_name };

	return store_write_texts(
	        s,
	        "INSERT INTO release_resources (release_id, type, key, docker_name)"
	        " VALUES (?1, ?2, ?3, ?4)",
	        release, v, 3, "cannot record resource", err);
}

int store_release_finish(struct store *s, int64_t release, enum release_status st_code,
                         const char *message, struct err *err)
{
	static const char sql[] =
	        "UPDATE releases SET status = ?2, finished_at = ?3, message = ?4 WHERE id = ?1";
	sqlite3_stmt *st = NULL;
	char now[STORE_TIME_SIZE];
	int rc;

	if (st_code == RELEASE_RUNNING || (unsigned)st_code > RELEASE_ROLLED_BACK)
		return err_set(err, ERR_INVALID, "cannot finish release %lld as '%s'",
		               (long long)release, store_status_name(st_code));
	store_now_ms(now);
	rc = store_prepare(&st, s, sql, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, release);
	store_bind_text(st, 2, store_status_name(st_code));
	store_bind_text(st, 3, now);
	store_bind_text(st, 4, message);
	rc = store_step_done(st, s, "cannot finish release", err);
	if (!rc && sqlite3_changes(s->db) == 0)
		rc = err_set(err, ERR_NOTFOUND, "no release %lld", (long long)release);
out:
	sqlite3_finalize(st);
	return rc;
}

int store_release_close(struct store *s, int64_t release, const struct store_action *actions,
                        size_t n, enum release_status st_code, const char *message, struct err *err)
{
	static const char sql[] = "UPDATE release_actions SET outcome = ?3, error = ?4"
	                          " WHERE release_id = ?1 AND seq = ?2";
	sqlite3_stmt *st = NULL;
	struct store_tx tx = { 0 };
	size_t i;
	int rc;

	rc = store_tx_prepare(&st, &tx, s, sql, release, err);
	if (rc)
		goto out;
	for (i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 2, actions[i].seq);
		store_bind_text(st, 3, actions[i].outcome);
		store_bind_text(st, 4, actions[i].error);
		rc = store_step_done(st, s, "cannot record action", err);
		if (rc)
			goto out;
		if (sqlite3_changes(s->db) == 0) { /* not planned first: add it */
			rc = store_release_action_add(s, release, &actions[i], err);
			if (rc)
				goto out;
		}
	}
	rc = store_release_finish(s, release, st_code, message, err);
out:
	return store_tx_end(&tx, st, s, rc, err);
}

int store_reserve(struct store *s, size_t bytes, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, log = 0, done = 0;

	/*
	 * Checkpoint often, so the log restarts from its start instead of
	 * growing: once the log is this long, later writes need no new space.
	 */
	rc = store_exec(s, "PRAGMA wal_autocheckpoint = 64", err);
	if (rc)
		return rc;
	rc = store_prepare(&st, s,
	                   "INSERT OR REPLACE INTO store_reserve (id, filler)"
	                   " VALUES (1, zeroblob(?1))",
	                   err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)bytes);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = err_set(err, ERR_STORE,
		             "cannot reserve %zu KB in database '%s' to record the release: %s",
		             bytes / 1024, s->path, sqlite3_errmsg(s->db));
		goto out;
	}
	/* Its pages stay in the file, free, for what the release writes next. */
	rc = store_exec(s, "DELETE FROM store_reserve", err);
	if (rc)
		goto out;
	/* Busy (a reader kept the log from restarting): it then grows, as before. */
	(void)sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_RESTART, &log, &done);
out:
	sqlite3_finalize(st);
	return rc;
}

/* UPDATE release_services SET <column> = ?3 of one service (sql); ERR_NOTFOUND if none. */
static int store_service_set(struct store *s, int64_t release, const char *service, const char *sql,
                             const char *value, const char *fail, struct err *err)
{
	const char *const v[] = { service, value };
	int rc = store_write_texts(s, sql, release, v, 2, fail, err);

	if (!rc && sqlite3_changes(s->db) == 0)
		rc = err_set(err, ERR_NOTFOUND, "release %lld has no service '%s'",
		             (long long)release, service);
	return rc;
}

int store_release_service_set_digest(struct store *s, int64_t release, const char *service,
                                     const char *digest, struct err *err)
{
	if (!service)
		return err_set(err, ERR_INVALID, "no service to record a digest for");
	return store_service_set(s, release, service,
	                         "UPDATE release_services SET repo_digest = ?3"
	                         " WHERE release_id = ?1 AND service = ?2",
	                         digest, "cannot record repo digest", err);
}

int store_release_service_set_legacy_label(struct store *s, int64_t release, const char *service,
                                           const char *label, struct err *err)
{
	char mac[HASH_HEX_LEN + 1];
	const struct hash_key *k;

	if (!service || !label)
		return err_set(err, ERR_INVALID, "no service or label to record");
	k = store_key_kept(s, err);
	if (!k)
		return err->code;
	hash_hmac_hex(mac, k, label, strlen(label));
	return store_service_set(s, release, service,
	                         "UPDATE release_services SET legacy_label_hmac = ?3"
	                         " WHERE release_id = ?1 AND service = ?2",
	                         mac, "cannot record the label of older containers", err);
}

int store_release_copy_snapshot(struct store *s, int64_t to_release, int64_t from_release,
                                struct err *err)
{
	/* services first: env, ports and labels reference them */
	static const char *const sqls[] = {
		"INSERT INTO release_services (release_id, service, image, image_id, spec_hash,"
		" replicas, spec_json, repo_digest, legacy_label_hmac) SELECT ?1, service, image,"
		" image_id, spec_hash, replicas, spec_json, repo_digest, legacy_label_hmac"
		" FROM release_services WHERE release_id = ?2",
		"INSERT INTO release_env (release_id, service, key, value, fingerprint, is_secret,"
		" secret_by, shown) SELECT ?1, service, key, value, fingerprint, is_secret,"
		" secret_by, shown FROM release_env WHERE release_id = ?2",
		"INSERT INTO release_ports (release_id, service, seq, host_ip, host_port,"
		" container_port, protocol) SELECT ?1, service, seq, host_ip, host_port,"
		" container_port, protocol FROM release_ports WHERE release_id = ?2",
		"INSERT INTO release_labels (release_id, service, key, value, fingerprint,"
		" secret_by) SELECT ?1, service, key, value, fingerprint, secret_by"
		" FROM release_labels WHERE release_id = ?2",
		"INSERT INTO release_resources (release_id, type, key, docker_name, spec)"
		" SELECT ?1, type, key, docker_name, spec FROM release_resources"
		" WHERE release_id = ?2",
		"INSERT INTO release_depends_on (release_id, service, depends_on, condition,"
		" required) SELECT ?1, service, depends_on, condition, required"
		" FROM release_depends_on WHERE release_id = ?2",
	};
	sqlite3_stmt *st = NULL;
	struct store_tx tx = { 0 };
	char *project = NULL;
	size_t i;
	int rc;

	rc = store_release_project(&project, s, from_release, err);
	free(project);
	project = NULL;
	if (!rc)
		rc = store_release_project(&project, s, to_release, err);
	free(project);
	if (rc)
		return rc;
	rc = store_tx_begin(&tx, s, err);
	if (rc)
		return rc;
	for (i = 0; i < sizeof(sqls) / sizeof(sqls[0]); i++) {
		rc = store_prepare(&st, s, sqls[i], err);
		if (rc)
			goto out;
		sqlite3_bind_int64(st, 1, to_release);
		sqlite3_bind_int64(st, 2, from_release);
		rc = store_step_done(st, s, "cannot copy snapshot", err);
		if (rc)
			goto out;
		sqlite3_finalize(st);
		st = NULL;
	}
out:
	return store_tx_end(&tx, st, s, rc, err);
}
