#!/usr/bin/env bash
# One apply or rollback per state directory: a second one exits at once
# naming the holder (pid, host, since), or waits with --lock-wait; a lock
# left by a killed process is taken over, with an event recorded.
. "$(dirname "$0")/lib.sh"

write_manifest app.yml <<YAML
name: $PROJECT
services:
  slow:
    image: deployctl-test/app:slow
    init: true
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
  other:
    image: deployctl-test/app:v1
    init: true
YAML
commit one
# The first apply takes about 3 s: the slow image listens after 3 s.
"$DEPLOYCTL" --state "$STATE" apply --repo "$REPO" >"$WORK/first.out" 2>&1 &
first=$!
wait_for 5 test -s "$STATE/deployctl.lock" || fail "the first apply took no lock"
expect_status 5 apply --repo "$REPO"
expect_err "state is locked by pid $first on .* since"
expect_status 5 rollback --project "$PROJECT"
expect_err "locked by pid $first"
# Waiting works: the second apply runs once the first is done, and has nothing to do.
expect_status 0 apply --repo "$REPO" --lock-wait 60s
expect_out 'no changes'
wait "$first" || fail "first apply failed: $(cat "$WORK/first.out")"

# A holder killed with SIGKILL: its lock is taken over and the takeover recorded.
need_fault_point KILL_AFTER
sed -i 's/app:v1/app:v2/' "$REPO/manifests/app.yml"
commit two
DEPLOYCTL_TEST_KILL_AFTER=1 dctl apply --repo "$REPO"
[ $? = 137 ] || fail "apply was not killed"
expect_status 0 apply --repo "$REPO"
expect_err 'lock taken over from a dead process'
sqlite3 "$STATE/deployctl.db" "select count(*) from events where kind='lock-takeover'" | grep -qx 1 ||
	fail "lock takeover not recorded as an event"
echo "ok $TEST_NAME"
