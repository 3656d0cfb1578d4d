-- 0004: each service's rollout settings (x-deployctl.rollout) per release,
-- so a rollback is gated with the timeout, order, parallelism and settle
-- time the target release had. They shape no container, so they are not in
-- the spec hash nor in release_services.spec_json.
CREATE TABLE release_rollout (
	release_id  INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
	service     TEXT NOT NULL,
	timeout_ms  INTEGER NOT NULL DEFAULT 0 CHECK (timeout_ms >= 0),
	"order"     TEXT NOT NULL DEFAULT 'auto'
		CHECK ("order" IN ('auto', 'start-first', 'stop-first')),
	parallelism INTEGER NOT NULL DEFAULT 0 CHECK (parallelism >= 0),
	settle_ms   INTEGER NOT NULL DEFAULT -1,
	PRIMARY KEY (release_id, service)
);
