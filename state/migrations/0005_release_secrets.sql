-- 0005: which values of a snapshot were secret, and why, so a rollback
-- resolves every one of them (a key listed in x-deployctl.secrets is not
-- secret by its name) and the rollback release keeps them secret.
-- secret_by: 'name' (PASSWORD, TOKEN, ... in the key), 'listed'
-- (x-deployctl.secrets), 'interpolated' (from a secret variable), 'url'
-- (a URL with a userinfo password). NULL in rows written before 0005.
-- shown: the value with its secret parts as *** and its fingerprint,
-- "postgresql://user:***@db:5432/app (hmac:0123456789ab)"; NULL when the
-- value is hidden whole (value NULL, fingerprint only).
ALTER TABLE release_env ADD COLUMN secret_by TEXT
	CHECK (secret_by IN ('name', 'listed', 'interpolated', 'url'));
ALTER TABLE release_env ADD COLUMN shown TEXT;
-- Containers made before spec hashes were keyed carry an unkeyed sha256
-- label; while they still match, a release records the HMAC of that label
-- (under fingerprint.key, never the label itself), so status can tell they
-- run the release's spec. NULL otherwise.
ALTER TABLE release_services ADD COLUMN legacy_label_hmac TEXT;
-- A secret label keeps its shown form in value (never the value itself)
-- and its fingerprint here.
ALTER TABLE release_labels ADD COLUMN fingerprint TEXT;
ALTER TABLE release_labels ADD COLUMN secret_by TEXT
	CHECK (secret_by IN ('interpolated', 'url'));
