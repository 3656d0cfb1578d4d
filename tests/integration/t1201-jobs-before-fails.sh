#!/usr/bin/env bash
# A before job that fails fails the release before any service changes: the
# running container stays as it was, the release is recorded as failed with
# the job's exit code and output, and the next apply (job fixed) deploys.
. "$(dirname "$0")/lib.sh"
need_jobs_image

manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  db:
    image: deployctl-test/app:healthy
    init: true
    environment: {MESSAGE: "$1", DB_PASSWORD: "pw-$$-secret"}
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
x-deployctl:
  jobs:
    backup:
      phase: before
      image: $JOBIMG
      environment: {DB_PASSWORD: "pw-$$-secret", PLAIN: "x-\${API_SECRET}"}
      command: ["env", "DB_PASSWORD", "PLAIN", ";", "exit", "$2"]
YAML
}
echo "API_SECRET=tok-$$-interpolated" >"$WORK/secrets.env"
manifest one 0
commit one
expect_status 0 apply --repo "$REPO" --env-file "$WORK/secrets.env"
db1=$(cid db)
[ -n "$db1" ] || fail "db not running"

manifest two 3
commit two
t0=$(now)
expect_status 1 apply --repo "$REPO" --env-file "$WORK/secrets.env"
t1=$(now)
expect_out 'job backup \(before\): failed in [0-9.]+s, exit 3'
expect_out 'release 2 failed'
expect_err "job 'backup' \(before\) exited with 3"
[ "$(cid db)" = "$db1" ] || fail "db was replaced although the before job failed"
[ "$(docker inspect -f '{{.State.Running}}' "$db1")" = true ] || fail "db was stopped"
# Docker saw only the job's container come and go: nothing of db (health probes aside).
n=$(docker events --since "$t0" --until "$t1" --filter "label=io.deployctl.project=$PROJECT" \
	--filter "label=io.deployctl.service=db" --format '{{.Action}}' |
	grep -cE '^(create|start|stop|kill|die|destroy|rename|restart)' || true)
[ "$n" = 0 ] || fail "db saw $n events during the failed release"

expect_status 0 history --project "$PROJECT"
expect_out '^ *2 .*failed'
expect_status 0 show 2
expect_out 'backup +before +failed +exit 3'
expect_out 'exiting with 3'
expect_out 'nothing was changed'
# The job's secrets (by name, and interpolated from a secret variable) never reach the
# record or the output.
expect_out 'PLAIN=(x-)?\*\*\*'
grep -qE "pw-$$-secret|tok-$$-interpolated" "$OUT" "$ERR" && fail "a secret is in the output"
expect_status 0 show 2 --json
grep -qE "pw-$$-secret|tok-$$-interpolated" "$OUT" && fail "a secret is in show --json"
grep -qaE "pw-$$-secret|tok-$$-interpolated" "$STATE"/deployctl.db* &&
	fail "a secret is in the state database"

manifest two 0
commit fixed
expect_status 0 apply --repo "$REPO" --env-file "$WORK/secrets.env"
expect_out 'release 3 succeeded'
[ "$(cid db)" != "$db1" ] || fail "db was not replaced by release 3"
echo "ok $TEST_NAME"
