#!/usr/bin/env bash
# ctest: serial (timing-sensitive: runs alone under ctest -j)
# Health-gated rollout: an image that never becomes healthy, or that
# crashes, fails its gate; the release stops, the previous containers are
# put back (no create, no pull), the release is recorded rolled_back with
# the reason, and the previous version keeps answering on its published
# port (the longest gap is printed).
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  db:
    image: deployctl-test/app:v1
    init: true
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s, retries: 2}
  api:
    image: $1
    environment: {MESSAGE: "$2"}
    ports: ["127.0.0.1:$PORT:8080"]
    init: true
    depends_on: {db: {condition: service_healthy}}
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s, retries: 2}
    x-deployctl: {rollout: {timeout: 20s, settle: ${3:-0s}}}
  worker:
    image: deployctl-test/app:v1
    environment: {MESSAGE: "$2"}
    init: true
YAML
}
manifest deployctl-test/app:healthy good
commit good
expect_status 0 apply --repo "$REPO"
api1=$(cid api)
worker1=$(cid worker)
http_get "$PORT" / | grep -q good || fail "api not serving"

# Poll the published port during the failing rollout: bounded to 60 s.
poll() {
	local end=$((SECONDS + 60)) last_ok last_fail gap=0 now
	last_ok=$(date +%s%N)
	while [ $SECONDS -lt $end ] && [ ! -f "$WORK/stop" ]; do
		now=$(date +%s%N)
		if curl -fsS --max-time 1 "http://127.0.0.1:$PORT/" >/dev/null 2>&1; then
			[ $(((now - last_ok) / 1000000)) -gt $gap ] && gap=$(((now - last_ok) / 1000000))
			last_ok=$now
		fi
		sleep 0.05
	done
	echo "$gap" >"$WORK/gap"
}

manifest deployctl-test/app:unhealthy bad
commit unhealthy
rm -f "$WORK/stop"
poll &
poller=$!
t0=$(date +%s)
expect_status 1 apply --repo "$REPO"
t1=$(date +%s)
touch "$WORK/stop"
wait "$poller"
expect_out 'FAILED replace +api#1'
expect_err 'api#1: unhealthy'
expect_out 'release [0-9]+ rolled_back'
[ "$(cid api)" = "$api1" ] || fail "the previous api container is not the one running"
[ "$(docker inspect -f '{{.State.Running}}' "$api1")" = true ] || fail "previous api not running"
http_get "$PORT" / | grep -q good || fail "previous api does not answer"
# worker came before or after api in the same release: either way it is back to its old container.
[ "$(cid worker)" = "$worker1" ] || fail "worker was not put back"
[ "$(docker inspect -f '{{.State.Running}}' "$worker1")" = true ] || fail "worker not running"
expect_status 0 history --project "$PROJECT" --json
grep -q '"status":"rolled_back".*unhealthy' "$OUT" || fail "release not recorded as rolled_back with the reason"
echo "unhealthy rollout: failed and rolled back in $((t1 - t0)) s; longest gap on :$PORT $(cat "$WORK/gap") ms (stop-first: the port is fixed)"

# A crashing container (it exits 1 s after start, though its probe passes
# at once): with a settle time it must stay up, and its exit code is the reason.
manifest deployctl-test/app:crashing crash 3s
commit crashing
expect_status 1 apply --repo "$REPO"
expect_err 'api#1: (exited|restarting after a crash|unhealthy)'
[ "$(cid api)" = "$api1" ] || fail "the previous api container is not back after the crash"
http_get "$PORT" / | grep -q good || fail "previous api does not answer after the crash"

# --no-rollback leaves the failure in place for debugging, recorded as failed.
manifest deployctl-test/app:unhealthy bad
commit again
expect_status 1 apply --repo "$REPO" --no-rollback
expect_status 0 history --project "$PROJECT" --json
grep -q '"status":"failed"' "$OUT" || fail "--no-rollback release not recorded as failed"
# And the next apply of a good commit converges.
manifest deployctl-test/app:healthy good
commit fixed
expect_status 0 apply --repo "$REPO"
http_get "$PORT" / | grep -q good || fail "did not converge after --no-rollback"
echo "ok $TEST_NAME"
