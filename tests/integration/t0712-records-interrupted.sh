#!/usr/bin/env bash
# Honest records after a kill: a release killed after its last action is
# closed ('interrupted', with what is known) by the next run that takes the
# lock even when that run has nothing to change; then status compares with
# it (everything matches) and rollback goes back to the last success, not
# the one before.
. "$(dirname "$0")/lib.sh"
need_fault_point KILL_AFTER

manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  web: {image: deployctl-test/app:v1, init: true, environment: {STEP: "$1"}}
YAML
	commit "step $1"
}
manifest one
expect_status 0 apply --repo "$REPO"
manifest two
expect_status 0 apply --repo "$REPO"
expect_out 'release 2 succeeded'
manifest three
DEPLOYCTL_TEST_KILL_AFTER=1 dctl apply --repo "$REPO"
[ $? = 137 ] || fail "apply was not killed after its last action"
expect_status 0 history --project "$PROJECT" --json
grep -q '"status":"running"' "$OUT" || fail "killed release not left running: $(cat "$OUT")"
# the plan was recorded before the first change
[ "$(sqlite3 "$STATE/deployctl.db" "select outcome from release_actions where release_id = 3")" = planned ] ||
	fail "release 3's planned action not recorded"

# Nothing left to change: the run still closes release 3.
expect_status 0 apply --repo "$REPO"
expect_out 'no changes'
expect_err '1 earlier release\(s\) were interrupted and are marked so'
msg=$(sqlite3 "$STATE/deployctl.db" "select status || ': ' || message from releases where id = 3")
case "$msg" in
"interrupted: interrupted: deployctl (pid "*" stopped before recording an outcome; 1 planned action(s), outcomes unknown; it left the state lock held by pid "*) ;;
*) fail "release 3 not closed with what is known: $msg" ;;
esac
[ "$(sqlite3 "$STATE/deployctl.db" "select count(*) from releases where status = 'running'")" = 0 ] ||
	fail "a release is still running"

# status compares with release 3, which is what runs.
expect_status 0 status --project "$PROJECT" --json
grep -q '"release":3,"release_status":"interrupted","latest_succeeded":2' "$OUT" ||
	fail "status does not compare with release 3: $(cat "$OUT")"
grep -q '"matches_release":false' "$OUT" && fail "status says MATCH no: $(cat "$OUT")"
grep -q '"matches_release":true' "$OUT" || fail "status lists no matching container: $(cat "$OUT")"
expect_status 0 status --project "$PROJECT"
expect_out "release 3 \(interrupted\), latest successful release 2"

# rollback goes back to the last success, release 2.
expect_status 0 rollback --project "$PROJECT"
expect_out 'back to release 2 '
[ "$(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$(cid web)" | grep '^STEP=')" = STEP=two ] ||
	fail "rollback did not restore release 2"
echo "ok $TEST_NAME"
