-- 0013: the smoke checks a release ran after its rollout and the
-- notifications it sent (issue 12), each with its outcome, so `show N`
-- says which check failed a release and whether anyone was told; the
-- definitions are kept too, so `deployctl smoke` and `rollback` run the
-- checks of the release that is deployed, without git. A webhook URL is a
-- credential and is never stored: only the variable (url_env) or the file
-- (url_file) it is read from.
CREATE TABLE release_smoke (
	release_id    INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
	seq           INTEGER NOT NULL,
	name          TEXT NOT NULL,
	url           TEXT NOT NULL,
	method        TEXT NOT NULL,
	expect_status INTEGER NOT NULL,
	body_contains TEXT,
	header        TEXT,
	timeout_ms    INTEGER NOT NULL,
	retries       INTEGER NOT NULL,
	interval_ms   INTEGER NOT NULL,
	-- NULL until the check ran (a release that failed before it never runs it)
	outcome       TEXT CHECK (outcome IN ('passed', 'failed')),
	status        INTEGER,
	attempts      INTEGER,
	duration_ms   INTEGER,
	reason        TEXT,
	PRIMARY KEY (release_id, seq)
);

CREATE TABLE release_notify (
	release_id  INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
	seq         INTEGER NOT NULL,
	url_env     TEXT,
	url_file    TEXT,
	command     TEXT, -- argv joined by U+001F
	format      TEXT NOT NULL CHECK (format IN ('slack', 'json', 'command')),
	on_events   TEXT NOT NULL,
	-- NULL until the release's outcome was told (or not)
	event       TEXT,
	outcome     TEXT CHECK (outcome IN ('sent', 'failed', 'skipped')),
	attempts    INTEGER,
	duration_ms INTEGER,
	detail      TEXT,
	PRIMARY KEY (release_id, seq)
);
