#!/usr/bin/env bash
# The default settle time (100 ms, docs/rollout.md "The settle time") still
# fails a container that exits at once, even when `restart: always` brings
# it back before anyone looks: the die is seen on the events stream or in
# the restart count. `settle: 0s` means no settle at all (it used to mean
# the default), so the same crash then passes: proof that the default is
# what catches it here, and that the test can fail.
. "$(dirname "$0")/lib.sh"

manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:v1
    init: true
    restart: always
$1
    environment: {MESSAGE: "$2"}
    x-deployctl: {rollout: {order: stop-first, timeout: 20s$3}}
YAML
}
manifest "" good ""
commit good
expect_status 0 apply --repo "$REPO"
api1=$(cid api)

# Exits 3 at once after each start (no settle set: the default applies).
manifest '    command: [job, --exit, "3"]' crash ""
commit crash
t0=$(date +%s%N)
expect_status 1 apply --repo "$REPO"
t1=$(date +%s%N)
echo "immediate exit failed its gate; apply took $(((t1 - t0) / 1000000)) ms"
expect_err 'api#1: (exited|restarting after a crash): (exit code 3|restarted [0-9]+ time)'
[ "$(cid api)" = "$api1" ] || fail "the previous api container is not back"
[ "$(docker inspect -f '{{.State.Running}}' "$api1")" = true ] || fail "previous api not running"

# A healthy change with the default settle is up well within the rollout timeout.
manifest "" good2 ""
commit good2
expect_status 0 apply --repo "$REPO"
api2=$(cid api)
[ "$api2" != "$api1" ] || fail "good2 did not replace api"

# settle: 0s is no settle: the immediate exit can now pass the gate (it is
# then running, between restarts, or already restarting: either outcome is
# allowed here, what matters is that 0s is accepted and recorded as 0).
manifest '    command: [job, --exit, "3"]' crash0 ", settle: 0s"
commit crash0
apply --repo "$REPO" >/dev/null 2>&1 || true
sqlite3 "$STATE/deployctl.db" "SELECT settle_ms FROM release_rollout ORDER BY release_id DESC LIMIT 1" |
	grep -qx 0 || fail "settle: 0s not recorded as 0 ms"
echo "ok $TEST_NAME"
