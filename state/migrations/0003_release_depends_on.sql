-- 0003: the dependency order of a release's services, so a rollback (which
-- never reads git) starts them in the same order and with the same
-- conditions. depends_on is not part of the spec hash, so it is not in
-- release_services.spec_json.
CREATE TABLE release_depends_on (
	release_id INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
	service    TEXT NOT NULL,
	depends_on TEXT NOT NULL,
	condition  TEXT NOT NULL
		CHECK (condition IN ('service_started', 'service_healthy',
		                     'service_completed_successfully')),
	required   INTEGER NOT NULL DEFAULT 1 CHECK (required IN (0, 1)),
	PRIMARY KEY (release_id, service, depends_on)
);
