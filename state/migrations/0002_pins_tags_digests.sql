-- 0002_pins_tags_digests: rollback pins, release tags, image repo digests.
-- Documented in docs/schema.md. Applied like 0001 (one transaction with
-- PRAGMA user_version = 2), so this file holds no transaction statements.

-- A project pinned after a rollback: release_id is the release it was
-- rolled back to, commit_sha the source of the release rolled back from
-- (quarantined: apply refuses it until "deployctl unpin"). One per project.
CREATE TABLE pins (
	project    TEXT    PRIMARY KEY,
	release_id INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
	commit_sha TEXT,
	who        TEXT    NOT NULL,
	reason     TEXT,
	pinned_at  TEXT    NOT NULL
);

-- Names for releases whose containers pruning must never remove.
-- project repeats releases.project so a name is unique per project.
CREATE TABLE release_tags (
	release_id INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
	project    TEXT    NOT NULL,
	name       TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 64
		AND name NOT GLOB '*[^A-Za-z0-9._-]*'),
	created_at TEXT    NOT NULL,
	UNIQUE (project, name)
);
CREATE INDEX release_tags_release ON release_tags (release_id);

-- The image's repo digest ("name@sha256:...") when Docker knows one.
ALTER TABLE release_services ADD COLUMN repo_digest TEXT;
