/*
 * store.h - releases in SQLite (the only module that includes <sqlite3.h>).
 *
 * store.c: open (directory 0700, database 0600, WAL, busy timeout);
 * store_migrate.c: state/migrations/NNNN_*.sql embedded at build time,
 * applied in order, each in a transaction, PRAGMA user_version = last;
 * store_release.c, store_release_read.c: writing and reading releases;
 * store_interrupted.c, store_pins.c, store_deps.c, store_containers.c and
 * store_identity.c the rest; store_rows.c and store_util.c their helpers.
 *
 * Times are ISO-8601 UTC text ("2026-11-25T10:39:56Z"; a release's started_at and
 * finished_at to the millisecond, "2026-11-25T10:39:56.250Z") so plain sqlite3
 * reads them. Secret values are never written: only fingerprints.
 */
#ifndef DEPLOYCTL_STORE_H
#define DEPLOYCTL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deployctl/err.h"
#include "deployctl/hash.h"
#include "deployctl/model.h"

#define STORE_DB_NAME "deployctl.db"
/* The key fingerprints and spec hashes are made with (hash.h), beside the database. */
#define STORE_KEY_NAME "fingerprint.key"

struct store;

/*
 * Open (creating as needed) dir/deployctl.db: dir made 0700 if missing and
 * checked (statedir_resolve(): ours, writable by nobody else), the file
 * created 0600 and migrated under a temporary name then linked into place,
 * WAL mode, migrations applied. An existing database that is a symlink,
 * is not ours, or is empty (0 bytes) is refused, never replaced by a
 * fresh one. *out is new (store_free()). ERR_STORE / ERR_IO with the path
 * in the message.
 */
int store_open(struct store **out, const char *dir, struct err *err);
/*
 * Open dir/deployctl.db read-only, for commands that only read: nothing in
 * dir is created or written, so a read-only state directory works. No
 * database reads as an empty history (an in-memory one); an older schema
 * is migrated in a private in-memory copy. The same refusals as
 * store_open(): a symlink, a file owned by another user or writable by
 * others, an empty file (ERR_STORE). *out new (store_free()).
 */
int store_open_readonly(struct store **out, const char *dir, struct err *err);
/* Open a database file by path (":memory:" for tests), migrations applied. */
int store_open_file(struct store **out, const char *path, struct err *err);

/*
 * The state directory's key (borrowed, lives as long as s): read from
 * dir/fingerprint.key on first use, which creates it when missing
 * (hash_key_load()); a store opened by path has a random key of its own.
 * Read-only commands that never fingerprint never touch the file. In a
 * read-only state directory that has no key file yet, the key is one of
 * this process (nothing keyed was recorded there, so it compares as well)
 * and recording a snapshot with it fails. NULL with err set when the key
 * cannot be had.
 */
const struct hash_key *store_key(struct store *s, struct err *err);
void store_free(struct store *s);
/* Schema version after migrations (PRAGMA user_version). */
int store_schema_version(struct store *s);

enum release_status {
	RELEASE_RUNNING = 0,
	RELEASE_SUCCEEDED,
	RELEASE_FAILED,
	RELEASE_INTERRUPTED,
	RELEASE_ROLLED_BACK,
};
/* "running", "succeeded", "failed", "interrupted", "rolled_back". */
const char *store_status_name(enum release_status st);

/* What a release is, written when it begins. Borrowed strings. */
struct store_release_info {
	const char *project;
	const char *kind;        /* "apply" or "rollback" */
	const char *source_kind; /* "git" or "dir" */
	const char *source;      /* commit SHA, or "dir:<sha256>" */
	const char *ref;         /* what the user asked for (HEAD, a branch, a path); may be NULL */
	const char *subject;     /* commit subject; may be NULL */
	const char *who;
	const char *host;
	long pid;
	int64_t rollback_of;      /* release rolled back to, 0 if none */
	const char *author;       /* commit author "Name <email>"; may be NULL */
	const char *committed_at; /* commit time, ISO-8601 UTC; may be NULL */
};

/* Insert a release with status running and started_at now; *id_out its number. */
int store_release_begin(int64_t *id_out, struct store *s, const struct store_release_info *info,
                        struct err *err);

/* One action of a release, in execution order (seq from 1). */
struct store_action {
	unsigned seq;
	const char *action;      /* "create", "replace", "start", "remove", "network-create", ... */
	const char *target_type; /* "service", "network", "volume" */
	const char *target;      /* service (with "#N" replica suffix where it applies) or key */
	const char *reason;
	const char *outcome; /* "planned" (written before the first change), "done", "failed",
	                        "skipped" */
	const char *error;   /* NULL unless failed */
};
int store_release_action_add(struct store *s, int64_t release, const struct store_action *a,
                             struct err *err);

/*
 * Record the snapshot of one service in a release: a release_services row
 * (image, image ID, spec hash, replicas, redacted canonical spec JSON), one
 * release_env row per env key (a secret, per model_env_secret(), with value
 * NULL, its fingerprint under store_key(), why it is secret and its shown
 * form) and one release_labels row per label (a secret one as its shown
 * form). spec_json must be redacted.
 */
int store_release_service_add(struct store *s, int64_t release, const struct project *p,
                              const struct service *svc, const char *spec_hash,
                              const char *spec_json, struct err *err);

/* Record the networks and volumes (keys and Docker names) of a release. */
int store_release_resource_add(struct store *s, int64_t release, const char *type, const char *key,
                               const char *docker_name, struct err *err);

/*
 * The settings of p's networks and volumes (driver, ipam, flags, labels)
 * onto the rows store_release_resource_add() recorded for release
 * (store_resources.c).
 */
int store_release_resource_specs_add(struct store *s, int64_t release, const struct project *p,
                                     struct err *err);

/*
 * The recorded settings of release's networks and volumes into p's
 * networks and volumes of the same keys (rows from before 0015 have none:
 * left as they are).
 */
int store_release_resource_specs_load(struct project *p, struct store *s, int64_t release,
                                      struct err *err);

/* Set status, finished_at now, and a one-line message (may be NULL). */
int store_release_finish(struct store *s, int64_t release, enum release_status st,
                         const char *message, struct err *err);

/* A release row; strings owned (store_release_release()). */
struct store_release {
	int64_t id;
	char *project, *kind, *source_kind, *source, *ref, *subject, *who, *host;
	long pid;
	char *started_at, *finished_at; /* finished_at NULL while running */
	char *status;
	char *message;
	int64_t rollback_of;
	double duration_s;           /* -1 while running */
	char *author, *committed_at; /* the commit's; NULL for a directory or before 0011 */
};
void store_release_release(struct store_release *r);
void store_release_list_free(struct store_release *v, size_t n);

/* Newest first; project NULL for all; limit 0 for no limit. *out new. */
int store_release_list(struct store_release **out, size_t *n, struct store *s, const char *project,
                       unsigned limit, struct err *err);
/* ERR_NOTFOUND if no such release. */
int store_release_get(struct store_release *out, struct store *s, int64_t id, struct err *err);
/*
 * Latest release of project with the given status (NULL: any status);
 * *id_out 0 if none.
 */
int store_release_latest(int64_t *id_out, struct store *s, const char *project, const char *status,
                         struct err *err);

/* Actions of a release, by seq. Strings owned. */
struct store_action_row {
	unsigned seq;
	char *action, *target_type, *target, *reason, *outcome, *error;
};
int store_release_actions(struct store_action_row **out, size_t *n, struct store *s,
                          int64_t release, struct err *err);
void store_action_rows_free(struct store_action_row *v, size_t n);

/* Snapshot rows of a release. Strings owned. */
struct store_service_row {
	char *service, *image, *image_id, *spec_hash, *spec_json;
	char *legacy_label_hmac; /* schema 5: see store_release_service_set_legacy_label() */
	unsigned replicas;
};
int store_release_services(struct store_service_row **out, size_t *n, struct store *s,
                           int64_t release, struct err *err);
void store_service_rows_free(struct store_service_row *v, size_t n);
/* The row of service among rows[0..n) (borrowed), or NULL (also for service NULL). */
const struct store_service_row *store_service_row_find(const struct store_service_row *rows,
                                                       size_t n, const char *service);
/* Redacted spec JSON of one service in a release; ERR_NOTFOUND if absent. *out new. */
int store_service_spec(char **out, struct store *s, int64_t release, const char *service,
                       struct err *err);

/* Networks or volumes (type "network"/"volume") of a release: keys and Docker names. */
int store_release_resources(struct kvv *out, struct store *s, int64_t release, const char *type,
                            struct err *err);

/*
 * Mark as interrupted every release still marked running: called by the
 * holder of the state lock (whoever holds it knows that every other
 * running release is dead, whatever host or pid namespace it ran in).
 * The message says what is known: the process, when it started, how many
 * actions it had planned or recorded, and known (may be NULL: e.g. the
 * holder record the dead process left in the lock file). One event each.
 * *n_out counts them.
 */
int store_mark_interrupted(unsigned *n_out, struct store *s, const char *known, struct err *err);

/*
 * Record a release's outcome in one transaction: each action's outcome
 * and error (rows planned earlier with outcome "planned" are updated by
 * seq, others added) and the release's final status and message.
 */
int store_release_close(struct store *s, int64_t release, const struct store_action *actions,
                        size_t n, enum release_status st, const char *message, struct err *err);

/*
 * Before a release's first change to Docker: make room for recording its
 * outcome even if the disk fills during the rollout. A row of bytes is
 * written and deleted again, leaving that many free pages in the database
 * file and the write-ahead log that long (checkpointed and restarted), so
 * the writes that follow need no new disk space. ERR_STORE, saying so,
 * when there is not room for it.
 */
int store_reserve(struct store *s, size_t bytes, struct err *err);

/* An event (lock takeover, interrupted release found, ...). */
int store_event_add(struct store *s, const char *project, const char *kind, const char *message,
                    struct err *err);

/*
 * Snapshot details of a release, for "deployctl show". Env and labels share
 * one row type: a secret has value NULL (env; a label: its shown form), its
 * fingerprint ("hmac:<12 hex>", or "sha256:<12 hex>" in releases made
 * before fingerprints were keyed), secret_by ("name", "listed",
 * "interpolated", "url"; NULL before schema 5) and, when only parts of it
 * are secret, shown ("postgresql://user:***@db/app (hmac:...)"), else NULL.
 * Rows are ordered by service, then key (ports: by service, then seq).
 * *out new, strings owned (store_kv_rows_free(), store_port_rows_free()).
 */
struct store_kv_row {
	char *service, *key, *value, *fingerprint, *shown, *secret_by;
	bool secret;
};
int store_release_env(struct store_kv_row **out, size_t *n, struct store *s, int64_t release,
                      struct err *err);
int store_release_labels(struct store_kv_row **out, size_t *n, struct store *s, int64_t release,
                         struct err *err);
void store_kv_rows_free(struct store_kv_row *v, size_t n);

struct store_port_row {
	char *service, *host_ip, *protocol; /* host_ip "" for all interfaces */
	unsigned seq, host_port, container_port;
};
int store_release_ports(struct store_port_row **out, size_t *n, struct store *s, int64_t release,
                        struct err *err);
void store_port_rows_free(struct store_port_row *v, size_t n);

/*
 * Repo digests of a release's services: service -> "name@sha256:...";
 * services without a known digest are left out. *out new (kvv_free()).
 */
int store_release_digests(struct kvv *out, struct store *s, int64_t release, struct err *err);
/*
 * Record the repo digest of one service of a release (digest NULL: unknown).
 * ERR_NOTFOUND if the release has no such service.
 */
int store_release_service_set_digest(struct store *s, int64_t release, const char *service,
                                     const char *digest, struct err *err);

/*
 * The service's containers still run its spec but were made before spec
 * hashes were keyed: their label is the unkeyed hash. Record the HMAC of
 * label under store_key() (never the label itself), so status can tell.
 * ERR_NOTFOUND if the release has no such service.
 */
int store_release_service_set_legacy_label(struct store *s, int64_t release, const char *service,
                                           const char *label, struct err *err);
/*
 * Does a container's spec-hash label say it runs r's spec: the keyed hash,
 * or the older label recorded for it (its HMAC compared)?
 */
bool store_service_row_label_matches(struct store *s, const struct store_service_row *r,
                                     const char *label);

/*
 * Copy the snapshot of from_release (services with their env, ports,
 * labels, repo digests and depends_on; networks and volumes) to to_release, which must
 * have none yet: a rollback release's snapshot is its target's. One
 * transaction (nested in the caller's if one is open). ERR_NOTFOUND if
 * either release does not exist, ERR_STORE if to_release already has rows.
 */
int store_release_copy_snapshot(struct store *s, int64_t to_release, int64_t from_release,
                                struct err *err);

/*
 * Pins: after a rollback the project stays on release_id, and commit (the
 * source of the release rolled back from) is quarantined until unpinned.
 * One pin per project; strings owned (store_pin_release()).
 */
struct store_pin {
	char *project;
	int64_t release_id;
	char *commit; /* may be NULL */
	char *who;
	char *reason; /* may be NULL */
	char *pinned_at;
};
void store_pin_release(struct store_pin *p);
void store_pin_list_free(struct store_pin *v, size_t n);

/*
 * Pin project to release (replacing any pin it had) and write a "pinned"
 * event. Borrowed strings; commit and reason may be NULL, who NULL or ""
 * is recorded as "unknown". ERR_NOTFOUND if
 * the release does not exist, ERR_INVALID if it belongs to another project.
 */
int store_pin_set(struct store *s, const char *project, int64_t release, const char *commit,
                  const char *who, const char *reason, struct err *err);
/* The pin of project into *out (new); ERR_NOTFOUND if none. */
int store_pin_get(struct store_pin *out, struct store *s, const char *project, struct err *err);
/* Every pin, by project. *out new (store_pin_list_free()). */
int store_pin_list(struct store_pin **out, size_t *n, struct store *s, struct err *err);
/*
 * Remove the pin of project and write an "unpinned" event naming what was
 * pinned, in one transaction. ERR_NOTFOUND (nothing written) if none.
 */
int store_pin_clear(struct store *s, const char *project, struct err *err);

/*
 * Tags: names for releases whose containers pruning never removes. A name
 * is 1..64 of [A-Za-z0-9._-] and unique within the release's project.
 */
#define STORE_TAG_MAX 64
/* true if name is a valid tag name. */
bool store_tag_name_valid(const char *name);
/*
 * Tag release with name. ERR_INVALID for a bad name or one already used
 * in the project (the message names the release holding it), ERR_NOTFOUND
 * if the release does not exist.
 */
int store_tag_add(struct store *s, int64_t release, const char *name, struct err *err);

struct store_tag_row {
	int64_t release_id;
	char *project, *name, *created_at;
};
/* Tags of project (NULL: all), by project, release, name. *out new. */
int store_tag_list(struct store_tag_row **out, size_t *n, struct store *s, const char *project,
                   struct err *err);
/* Tags of one release, by name. *out new. */
int store_release_tags(struct store_tag_row **out, size_t *n, struct store *s, int64_t release,
                       struct err *err);
void store_tag_rows_free(struct store_tag_row *v, size_t n);
/* *out true if release has at least one tag. */
int store_release_tagged(bool *out, struct store *s, int64_t release, struct err *err);

/*
 * The identity of the state database (store_identity.c, schema 8): a
 * random id made when the database was created, and the host and state
 * path it was first opened at (for messages). Strings owned.
 */
struct store_identity {
	char *id;   /* 32 hex digits */
	char *host; /* "" until store_identity_place() */
	char *path; /* absolute state directory; "" until store_identity_place() */
	char *created_at;
};
int store_identity_get(struct store_identity *out, struct store *s, struct err *err);
void store_identity_release(struct store_identity *id);
/* Record host and path where the identity has none yet (store_open() does). */
int store_identity_place(struct store *s, const char *host, const char *path, struct err *err);
/*
 * Was a container made by one of this database's releases? For containers
 * from before owner labels: release N (its io.deployctl.release label) is a
 * release of project, has service in its snapshot, and ran when the
 * container was created (created: unix seconds). *out false when not.
 */
int store_release_made(bool *out, struct store *s, const char *project, int64_t release,
                       const char *service, int64_t created, struct err *err);

/*
 * depends_on of a release's services (store_deps.c): recorded with the
 * snapshot so a rollback starts services in the same order, without git.
 */
int store_release_deps_add(struct store *s, int64_t release, const struct service *svc,
                           struct err *err);
/* Append the recorded deps of svc->name in release to svc->deps. */
int store_release_deps_load(struct service *svc, struct store *s, int64_t release, struct err *err);

/* Rollout settings of a release's services (store_deps.c), for rollback's gates. */
int store_release_rollout_add(struct store *s, int64_t release, const struct service *svc,
                              struct err *err);
/* Set svc->rollout from release's record of svc->name; left as is when none. */
int store_release_rollout_load(struct service *svc, struct store *s, int64_t release,
                               struct err *err);

/*
 * Containers a rollout touched, recorded the moment it happened
 * (store_containers.c, table release_containers): event is "created",
 * "renamed", "started", "stopped", "disconnected", "reconnected",
 * "removed", "kept" (a failed container kept for inspection) or "checked"
 * (the truth re-read after a reply that never came); detail may be NULL.
 */
struct store_container_event {
	unsigned action_seq; /* the release_actions.seq it belongs to (plan order, from 1) */
	const char *container_id;
	const char *name;
	const char *event;
	const char *detail;
};
int store_release_container_add(struct store *s, int64_t release,
                                const struct store_container_event *e, struct err *err);

/* One recorded event; strings owned (store_container_rows_free()). */
struct store_container_row {
	unsigned seq, action_seq;
	char *container_id, *name, *event, *detail, *at;
};
/* The events of a release in the order they happened. *out new. */
int store_release_containers(struct store_container_row **out, size_t *n, struct store *s,
                             int64_t release, struct err *err);
void store_container_rows_free(struct store_container_row *v, size_t n);

/*
 * The backend release deployed to (releases.target, store_target.c): "docker" or "swarm".
 * _target() gives *out new; ERR_NOTFOUND when there is no such release.
 */
int store_release_target_set(struct store *s, int64_t release, const char *target, struct err *err);
int store_release_target(char **out, struct store *s, int64_t release, struct err *err);

/*
 * Jobs of a release (store_jobs.c, schema 12). A run is what one job did
 * in a release: status "succeeded", "failed", "timed_out" or "skipped";
 * exit_code -1 when it never exited; log_tail already scrubbed of
 * secrets; artifact the expanded path, artifact_volume the key of the
 * volume holding it (NULL when none is known). Borrowed strings.
 */
struct store_job_run {
	const char *name, *phase, *status;
	int exit_code;
	double duration_s;
	const char *log_tail, *artifact, *artifact_volume, *image, *error;
	bool irreversible;
};
int store_release_job_add(struct store *s, int64_t release, const struct store_job_run *j,
                          struct err *err);

/* A recorded run; strings owned (store_job_rows_free()). */
struct store_job_row {
	unsigned seq;
	char *name, *phase, *status, *log_tail, *artifact, *artifact_volume, *image, *error;
	int exit_code; /* -1: none */
	double duration_s;
	bool irreversible;
};
/* The runs of a release, in the order they ran. *out new. */
int store_release_jobs(struct store_job_row **out, size_t *n, struct store *s, int64_t release,
                       struct err *err);
void store_job_rows_free(struct store_job_row *v, size_t n);

/*
 * The definition of a job of a release: its redacted canonical spec JSON
 * (spec_render() of the job's container), phase, timeout and artifact as
 * written. Borrowed strings; rows owned (store_job_spec_rows_free()).
 */
struct store_job_spec {
	const char *name, *phase, *spec_json, *artifact;
	int64_t timeout_ns;
	bool irreversible;
};
int store_release_job_spec_add(struct store *s, int64_t release, const struct store_job_spec *j,
                               struct err *err);
struct store_job_spec_row {
	char *name, *phase, *spec_json, *artifact;
	int64_t timeout_ns;
	bool irreversible;
};
/* The job definitions of a release, by name. *out new. */
int store_release_job_specs(struct store_job_spec_row **out, size_t *n, struct store *s,
                            int64_t release, struct err *err);
void store_job_spec_rows_free(struct store_job_spec_row *v, size_t n);

/*
 * A release's smoke checks and notifications (store_smoke.c, schema 0013).
 * store_release_smoke_add() records p's definitions (never a webhook URL:
 * only where it is read from; any of secrets in a check scrubbed) before
 * the rollout; the _result calls fill
 * in one entry's outcome (seq from 1, in manifest order).
 * store_release_smoke_load() puts a release's definitions back into p
 * (rollback, `deployctl smoke`). The _rows calls read them for show; *out
 * new (store_smoke_rows_free(), store_notify_rows_free()).
 * store_notify_untold() lists releases with status interrupted whose
 * targets were never told (*out new, free()).
 */
struct smoke_result;
struct notify_result;
int store_release_smoke_add(struct store *s, int64_t release, const struct project *p,
                            const struct strv *secrets, struct err *err);
int store_release_smoke_result(struct store *s, int64_t release, unsigned seq,
                               const struct smoke_result *r, struct err *err);
int store_release_notify_result(struct store *s, int64_t release, unsigned seq,
                                const struct notify_result *r, struct err *err);
int store_release_smoke_load(struct project *p, struct store *s, int64_t release, struct err *err);

struct store_smoke_row {
	unsigned seq;
	char *name, *url, *method, *outcome, *reason; /* outcome NULL: not run */
	long expect_status, status;
	unsigned attempts;
	double duration_s;
	char *body_contains, *header; /* or NULL */
	int64_t timeout_ms, retries, interval_ms;
	char *network, *image, *service; /* an in-network check's (0016); NULL on this host */
};
struct store_notify_row {
	unsigned seq;
	char *url_env, *url_file, *command, *format, *on;
	char *event, *outcome, *detail; /* NULL: not told yet */
	unsigned attempts;
	double duration_s;
};
int store_release_smoke_rows(struct store_smoke_row **out, size_t *n, struct store *s,
                             int64_t release, struct err *err);
int store_release_notify_rows(struct store_notify_row **out, size_t *n, struct store *s,
                              int64_t release, struct err *err);
void store_smoke_rows_free(struct store_smoke_row *v, size_t n);
void store_notify_rows_free(struct store_notify_row *v, size_t n);
int store_notify_untold(int64_t **out, size_t *n, struct store *s, struct err *err);

#endif
