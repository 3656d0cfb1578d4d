-- 0006: the drain period of start-first replaces (x-deployctl.rollout.drain),
-- so a rollback drains as the target release did; and every container a
-- rollout created, renamed, stopped, kept or removed, recorded the moment it
-- happened (not at the end of the release), so the automatic rollback and
-- the release's final status describe what is really there, and a killed
-- apply leaves a trail. Documented in docs/schema.md.
ALTER TABLE release_rollout ADD COLUMN drain_ms INTEGER NOT NULL DEFAULT -1;

CREATE TABLE release_containers (
	release_id   INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
	seq          INTEGER NOT NULL CHECK (seq >= 1),
	action_seq   INTEGER NOT NULL CHECK (action_seq >= 1), -- release_actions.seq
	container_id TEXT    NOT NULL,
	name         TEXT    NOT NULL, -- the container's name after the event
	event        TEXT    NOT NULL CHECK (event IN ('created', 'renamed', 'started',
		'stopped', 'disconnected', 'reconnected', 'removed', 'kept', 'checked')),
	detail       TEXT,
	at           TEXT    NOT NULL,
	PRIMARY KEY (release_id, seq)
) WITHOUT ROWID;
