#!/usr/bin/env bash
# x-deployctl.jobs: a before job (a backup) runs before any service changes
# and leaves its artifact in a volume; the expanded artifact path, exit code
# and output are recorded with the release and shown by show (text and
# JSON); the job sees DEPLOYCTL_RELEASE, DEPLOYCTL_COMMIT, DEPLOYCTL_PROJECT;
# plan lists the jobs; the job's container is gone afterwards and is never
# taken for a service; a no-op apply runs no job.
. "$(dirname "$0")/lib.sh"
need_jobs_image

manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  db:
    image: deployctl-test/app:healthy
    init: true
    environment: {MESSAGE: "$1"}
    networks: [back]
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
networks:
  back: {}
volumes:
  backups: {}
x-deployctl:
  jobs:
    backup:
      phase: before
      image: $JOBIMG
      command: ["env", "DEPLOYCTL_RELEASE", "DEPLOYCTL_COMMIT", "DEPLOYCTL_PROJECT", ";",
                "write", "/backups/release-\$\${DEPLOYCTL_RELEASE}.sql", "dump of \$\${DEPLOYCTL_PROJECT} at \$\${DEPLOYCTL_COMMIT}"]
      volumes: ["backups:/backups"]
      networks: [back]
      timeout: 20s
      artifact: /backups/release-\$\$DEPLOYCTL_RELEASE.sql
YAML
}
manifest one
commit one
sha1=$(git -C "$REPO" rev-parse HEAD)

# plan lists the job and runs nothing.
expect_status 0 plan --repo "$REPO"
expect_out "job backup \(before\) would run $JOBIMG"
[ -z "$(docker ps -aq --filter "label=io.deployctl.project=$PROJECT")" ] || fail "plan made a container"
expect_status 0 plan --repo "$REPO" --json
python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))["jobs"]; assert [x["name"] for x in j]==["backup"] and j[0]["phase"]=="before", j' "$OUT" ||
	fail "plan --json lacks the job: $(cat "$OUT")"

expect_status 0 apply --repo "$REPO"
expect_out 'job backup \(before\): succeeded in [0-9.]+s, exit 0; artifact /backups/release-1.sql'
expect_out 'release 1 succeeded'
vol=$(docker volume ls -q --filter "label=io.deployctl.project=$PROJECT" --filter "label=io.deployctl.volume=backups")
[ -n "$vol" ] || fail "no backups volume"
mp=$(docker volume inspect -f '{{.Mountpoint}}' "$vol")
grep -qx "dump of $PROJECT at $sha1" "$mp/release-1.sql" || fail "artifact missing or wrong: $(ls -l "$mp")"
# No job container is left, and none carries a service label.
[ -z "$(docker ps -aq --filter "label=io.deployctl.project=$PROJECT" --filter "label=io.deployctl.job")" ] ||
	fail "the job's container was left behind"

expect_status 0 show 1
expect_out '^jobs:'
expect_out 'backup +before +succeeded +exit 0'
expect_out 'artifact: +/backups/release-1.sql \(volume backups\)'
expect_out "DEPLOYCTL_RELEASE=1"
expect_out "DEPLOYCTL_COMMIT=$sha1"
expect_out "DEPLOYCTL_PROJECT=$PROJECT"
expect_status 0 show 1 --json
python3 - "$OUT" "$PROJECT" <<'PY' || fail "show --json jobs wrong: $(cat "$OUT")"
import json, sys
d = json.load(open(sys.argv[1]))
j = d["jobs"]
assert len(j) == 1 and j[0]["name"] == "backup" and j[0]["phase"] == "before", j
assert j[0]["status"] == "succeeded" and j[0]["exit_code"] == 0, j
assert j[0]["artifact"] == "/backups/release-1.sql" and j[0]["artifact_volume"] == "backups", j
assert "DEPLOYCTL_PROJECT=" + sys.argv[2] in j[0]["log_tail"], j
PY

# A no-op apply runs no job: nothing recorded, no container made.
t0=$(now)
expect_status 0 apply --repo "$REPO"
t1=$(now)
expect_out 'no changes'
grep -q 'job ' "$OUT" && fail "a no-op apply ran a job"
events_between "$t0" "$t1" | grep -q 'container create' && fail "a no-op apply created a container"

# The next release runs it once more, with its own number.
manifest two
commit two
expect_status 0 apply --repo "$REPO"
expect_out 'artifact /backups/release-2.sql'
[ -f "$mp/release-2.sql" ] && [ -f "$mp/release-1.sql" ] || fail "release 2's backup missing"
expect_status 0 show 2 --json
python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))["jobs"]; assert len(j)==1, j' "$OUT" ||
	fail "release 2 ran its job more than once"
echo "ok $TEST_NAME"
