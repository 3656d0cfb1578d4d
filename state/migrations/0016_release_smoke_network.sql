-- 0016: smoke checks run from inside a project network (issue 12): the
-- network key the check's one-off container joins, the image of its HTTP
-- client and the service checked, so `deployctl smoke` and `rollback` run
-- such a check as the release defined it. NULL network: a check on this
-- host, as every check before 0016.
ALTER TABLE release_smoke ADD COLUMN network TEXT;
ALTER TABLE release_smoke ADD COLUMN image TEXT;
ALTER TABLE release_smoke ADD COLUMN service TEXT;
