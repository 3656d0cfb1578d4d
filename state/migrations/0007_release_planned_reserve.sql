-- 0007: honest records.
-- A release's actions are written, as 'planned', with the release row and
-- its snapshot before the first change to Docker; each gets its outcome
-- (done, failed, skipped) when the release is recorded. A release that a
-- kill or a full disk stopped keeps its plan, with outcomes unknown.
--
-- Only a CHECK constraint changes, which touches no stored row, so the
-- table is not rebuilt (a rebuild would need foreign_keys off, which cannot
-- change inside the migration's transaction); SQLite documents editing the
-- stored schema text for this case (ALTER TABLE, "Making Other Kinds Of
-- Table Schema Changes").
PRAGMA writable_schema = ON;
UPDATE sqlite_master
	SET sql = replace(sql, 'CHECK (outcome IN (''done'', ''failed'', ''skipped''))',
	                  'CHECK (outcome IN (''planned'', ''done'', ''failed'', ''skipped''))')
	WHERE type = 'table' AND name = 'release_actions';
PRAGMA writable_schema = RESET;

-- Room to record a release's outcome even when the disk fills during its
-- rollout: before the first change, one row of this size is written and
-- deleted again, which leaves its pages free inside the database file (and
-- the write-ahead log that long) for the writes that follow. Never holds
-- data between releases.
CREATE TABLE store_reserve (
	id     INTEGER PRIMARY KEY CHECK (id = 1),
	filler BLOB NOT NULL
);
