-- 0001_init: the release history. Documented in docs/schema.md.
-- Applied by store_migrate.c inside BEGIN IMMEDIATE .. COMMIT together with
-- PRAGMA user_version = 1, so this file holds no transaction statements.
-- Times are UTC ISO-8601 text, "YYYY-MM-DDTHH:MM:SSZ".

-- One row per apply or rollback; id is the release number users see.
CREATE TABLE releases (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	project     TEXT    NOT NULL,
	kind        TEXT    NOT NULL CHECK (kind IN ('apply', 'rollback')),
	source_kind TEXT    NOT NULL CHECK (source_kind IN ('git', 'dir')),
	source      TEXT    NOT NULL,
	ref         TEXT,
	subject     TEXT,
	who         TEXT    NOT NULL,
	host        TEXT    NOT NULL,
	pid         INTEGER NOT NULL,
	started_at  TEXT    NOT NULL,
	finished_at TEXT,
	status      TEXT    NOT NULL DEFAULT 'running'
		CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted', 'rolled_back')),
	message     TEXT,
	rollback_of INTEGER REFERENCES releases (id),
	CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE INDEX releases_project_id ON releases (project, id);
CREATE INDEX releases_project_status_id ON releases (project, status, id);
CREATE INDEX releases_running ON releases (host) WHERE status = 'running';

-- What a release did, in execution order.
CREATE TABLE release_actions (
	release_id  INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
	seq         INTEGER NOT NULL CHECK (seq >= 1),
	action      TEXT    NOT NULL,
	target_type TEXT    NOT NULL,
	target      TEXT    NOT NULL,
	reason      TEXT,
	outcome     TEXT    NOT NULL CHECK (outcome IN ('done', 'failed', 'skipped')),
	error       TEXT,
	PRIMARY KEY (release_id, seq)
) WITHOUT ROWID;

-- The snapshot: one row per service deployed by a release.
CREATE TABLE release_services (
	release_id INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
	service    TEXT    NOT NULL,
	image      TEXT    NOT NULL,
	image_id   TEXT,
	spec_hash  TEXT    NOT NULL,
	replicas   INTEGER NOT NULL CHECK (replicas >= 0),
	spec_json  TEXT    NOT NULL, -- canonical spec, secrets redacted
	PRIMARY KEY (release_id, service)
) WITHOUT ROWID;

-- Environment of each service; a secret has its fingerprint, never its value.
CREATE TABLE release_env (
	release_id  INTEGER NOT NULL,
	service     TEXT    NOT NULL,
	key         TEXT    NOT NULL,
	value       TEXT,
	fingerprint TEXT,
	is_secret   INTEGER NOT NULL CHECK (is_secret IN (0, 1)),
	PRIMARY KEY (release_id, service, key),
	FOREIGN KEY (release_id, service) REFERENCES release_services (release_id, service)
		ON DELETE CASCADE,
	CHECK ((is_secret = 1 AND value IS NULL AND fingerprint IS NOT NULL)
		OR (is_secret = 0 AND value IS NOT NULL AND fingerprint IS NULL))
) WITHOUT ROWID;

-- Published ports of each service, in the order written (seq from 1).
CREATE TABLE release_ports (
	release_id     INTEGER NOT NULL,
	service        TEXT    NOT NULL,
	seq            INTEGER NOT NULL CHECK (seq >= 1),
	host_ip        TEXT    NOT NULL DEFAULT '',
	host_port      INTEGER NOT NULL CHECK (host_port BETWEEN 0 AND 65535),
	container_port INTEGER NOT NULL CHECK (container_port BETWEEN 1 AND 65535),
	protocol       TEXT    NOT NULL CHECK (protocol IN ('tcp', 'udp', 'sctp')),
	PRIMARY KEY (release_id, service, seq),
	FOREIGN KEY (release_id, service) REFERENCES release_services (release_id, service)
		ON DELETE CASCADE
) WITHOUT ROWID;

-- User labels of each service.
CREATE TABLE release_labels (
	release_id INTEGER NOT NULL,
	service    TEXT    NOT NULL,
	key        TEXT    NOT NULL,
	value      TEXT    NOT NULL,
	PRIMARY KEY (release_id, service, key),
	FOREIGN KEY (release_id, service) REFERENCES release_services (release_id, service)
		ON DELETE CASCADE
) WITHOUT ROWID;

-- Networks and volumes of a release: manifest key and Docker name.
CREATE TABLE release_resources (
	release_id  INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
	type        TEXT    NOT NULL CHECK (type IN ('network', 'volume')),
	key         TEXT    NOT NULL,
	docker_name TEXT    NOT NULL,
	PRIMARY KEY (release_id, type, key)
) WITHOUT ROWID;

-- Things worth knowing that are not a release: lock takeovers,
-- interrupted releases found, ...
CREATE TABLE events (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	at      TEXT    NOT NULL,
	project TEXT,
	kind    TEXT    NOT NULL,
	message TEXT    NOT NULL
);
CREATE INDEX events_project_id ON events (project, id);
