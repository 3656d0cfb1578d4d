-- 0008: the identity of this state database. Every container deployctl
-- creates carries it (label io.deployctl.owner, with owner-host and
-- owner-state), so a second state database that plans the same project
-- (another user's --state, a fresh directory) sees those containers as
-- foreign and refuses to touch them instead of replacing them all.
-- One row, made once: id is 128 random bits in hex (SQLite's randomblob
-- reads the operating system's random source). host and path are filled
-- in by deployctl on its first open (the migration cannot know them); they
-- only name the owner in messages.
CREATE TABLE state_identity (
	one        INTEGER PRIMARY KEY CHECK (one = 1),
	id         TEXT    NOT NULL CHECK (length(id) = 32),
	host       TEXT    NOT NULL DEFAULT '',
	path       TEXT    NOT NULL DEFAULT '',
	created_at TEXT    NOT NULL
);
INSERT INTO state_identity (one, id, created_at)
VALUES (1, lower(hex(randomblob(16))), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
