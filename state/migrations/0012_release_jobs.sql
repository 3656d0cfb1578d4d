-- 0012: jobs of a release (x-deployctl.jobs, issue 12). release_jobs holds
-- each job that ran (or was skipped) in a release: its phase, outcome, exit
-- code, duration, the last few KiB of its output with secrets scrubbed, and
-- the artifact path it was declared to leave (with $DEPLOYCTL_* expanded)
-- and the volume holding it. release_job_specs holds the definitions of a
-- release's jobs (the redacted canonical spec of the container, as for a
-- service) so that `deployctl rollback` can run a release's rollback jobs
-- and knows which releases were irreversible, without git.
CREATE TABLE release_jobs (
	release_id INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
	seq INTEGER NOT NULL,
	name TEXT NOT NULL,
	phase TEXT NOT NULL,
	status TEXT NOT NULL,
	exit_code INTEGER,
	duration_s REAL NOT NULL DEFAULT 0,
	log_tail TEXT,
	artifact TEXT,
	artifact_volume TEXT,
	irreversible INTEGER NOT NULL DEFAULT 0,
	image TEXT,
	error TEXT,
	PRIMARY KEY (release_id, seq)
);
CREATE TABLE release_job_specs (
	release_id INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	phase TEXT NOT NULL,
	spec_json TEXT NOT NULL,
	timeout_ns INTEGER NOT NULL,
	artifact TEXT,
	irreversible INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (release_id, name)
);
