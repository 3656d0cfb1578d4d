-- 0010: a release may be of kind 'down' ("deployctl down": the project's
-- containers, networks and, with --volumes, volumes removed; its snapshot is
-- empty, so "deployctl rollback" returns to the release before it).
--
-- Only a CHECK constraint changes, which touches no stored row, so the
-- table is not rebuilt (a rebuild would need foreign_keys off, which cannot
-- change inside the migration's transaction, and DROP TABLE would cascade
-- into every release_* table). SQLite documents editing the stored schema
-- text for exactly this case (ALTER TABLE, "Making Other Kinds Of Table
-- Schema Changes"); writable_schema = RESET makes this connection re-read it.
PRAGMA writable_schema = ON;
UPDATE sqlite_master
	SET sql = replace(sql, 'CHECK (kind IN (''apply'', ''rollback''))',
	                  'CHECK (kind IN (''apply'', ''rollback'', ''down''))')
	WHERE type = 'table' AND name = 'releases';
PRAGMA writable_schema = RESET;
