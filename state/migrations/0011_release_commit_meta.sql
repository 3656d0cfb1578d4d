-- 0011: who wrote the commit a release deployed and when, next to its SHA
-- (releases.source) and subject, so history answers "what is running and
-- whose change is it" without the repository (a remote's cache may be gone).
-- NULL for releases of a directory and for releases recorded before 0011.
ALTER TABLE releases ADD COLUMN author TEXT;
ALTER TABLE releases ADD COLUMN committed_at TEXT;
