#!/usr/bin/env bash
# A crash-looping container is not up, however its restart policy hides
# it: the settle time is watched on the Engine's events stream, so a die
# that `restart: always` turns into "running" again 100 ms later still
# fails the gate (polling the state could look between two restarts and
# miss it), with the exit code of the die as the reason.
. "$(dirname "$0")/lib.sh"

manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: $1
    init: true
    restart: always
    environment: {MESSAGE: "$2"}
    x-deployctl: {rollout: {order: stop-first, settle: 3s, timeout: 20s}}
YAML
}
manifest deployctl-test/app:v1 good
commit good
t0=$(date +%s%N)
expect_status 0 apply --repo "$REPO"
t1=$(date +%s%N)
api1=$(cid api)
# Printed, not asserted: on a loaded machine a start alone can take seconds.
echo "first apply (create, start, 3 s settle): $(((t1 - t0) / 1000000)) ms"

# Exits 3 one second after each start; restarted by Docker each time.
manifest deployctl-test/app:crashing crash
commit crashing
expect_status 1 apply --repo "$REPO"
expect_err 'api#1: (exited|restarting after a crash): exit code 3'
[ "$(cid api)" = "$api1" ] || fail "the previous api container is not back after the crash loop"
[ "$(docker inspect -f '{{.State.Running}}' "$api1")" = true ] || fail "previous api not running"
expect_status 0 history --project "$PROJECT" --json
grep -q '"status":"rolled_back"' "$OUT" || fail "crash-looping release not recorded as rolled_back"
echo "ok $TEST_NAME"
