#!/usr/bin/env bash
# ctest: serial (timing-sensitive: runs alone under ctest -j)
# A Docker daemon that stops answering mid-apply: a clear error, exit 1, a
# release recorded failed (never rolled_back or succeeded when the rollback
# itself could not run), and the next run converges once Docker answers.
# The daemon "goes away" through a relay socket the test kills.
. "$(dirname "$0")/lib.sh"

RELAY="$WORK/relay.sock"
start_relay "$RELAY"

write_manifest app.yml <<YAML
name: $PROJECT
services:
  first:
    image: deployctl-test/app:v1
    init: true
  slow:
    image: deployctl-test/app:slow
    init: true
    depends_on: [first]
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
YAML
commit one
"$DEPLOYCTL" --state "$STATE" apply --repo "$REPO" --docker-host "unix://$RELAY" \
	>"$OUT" 2>"$ERR" &
apply=$!
# Wait until slow's container exists (the apply is in its health gate), then cut Docker off.
slow_created() { [ -n "$(cid slow)" ]; }
wait_for 10 slow_created || fail "apply never reached slow"
kill -9 "$relay"
wait "$relay" 2>/dev/null
wait "$apply"
st=$?
[ "$st" = 1 ] || { cat "$OUT" "$ERR"; fail "apply exited $st, expected 1"; }
grep -q "relay.sock" "$ERR" || { cat "$ERR"; fail "the error does not name the socket"; }
expect_status 0 history --project "$PROJECT" --json
grep -q '"status":"failed".*automatic rollback incomplete' "$OUT" ||
	fail "release not recorded as failed with an incomplete rollback: $(cat "$OUT")"

# Docker answers again (the real socket): the next apply converges.
expect_status 0 apply --repo "$REPO"
[ "$(count_containers)" = 2 ] || fail "not converged: $(count_containers) containers"
[ "$(docker inspect -f '{{.State.Health.Status}}' "$(cid slow)")" != unhealthy ] || fail "slow unhealthy"
expect_status 0 apply --repo "$REPO"
expect_out 'no changes'
echo "ok $TEST_NAME"
