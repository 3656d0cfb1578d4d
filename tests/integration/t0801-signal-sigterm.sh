#!/usr/bin/env bash
# ctest: serial (timing-sensitive: runs alone under ctest -j)
# SIGTERM during a rollout: apply stops waiting on the health gate at once,
# undoes the replace as a failed gate would (the previous api back, running,
# answering), starts no further action (worker untouched), records the
# release rolled_back, releases the lock and exits 143. A second SIGINT exits
# at once (130) and the next apply converges from what it left.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:$1
    command: ["serve", "--slow-start", "${3:-0}"]
    environment: {MESSAGE: "$2"}
    ports: ["127.0.0.1:$PORT:8080"]
    init: true
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s, retries: 30}
    x-deployctl: {rollout: {timeout: 40s}}
  worker:
    image: deployctl-test/app:v1
    environment: {MESSAGE: "$2"}
    init: true
    depends_on: {api: {condition: service_healthy}}
YAML
}

# start_apply: apply in the background; its pid in $pid.
start_apply() {
	"$DEPLOYCTL" --state "$STATE" apply --repo "$REPO" >"$OUT" 2>"$ERR" &
	pid=$!
}

# wait_gate OLD_ID: until api's live container is a new one, running (the gate is waiting).
wait_gate() {
	local i id
	for i in $(seq 1 150); do
		id=$(cid api)
		if [ -n "$id" ] && [ "$id" != "$1" ] &&
			[ "$(docker inspect -f '{{.State.Running}}' "$id" 2>/dev/null)" = true ]; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || { cat "$OUT" "$ERR"; fail "apply ended before its gate"; }
		sleep 0.1
	done
	fail "the new api container never started"
}

# wait_exit: status of $pid, failing after 30 s; seconds taken in $took.
wait_exit() {
	local t0=$(date +%s%N)
	wait_for 30 exited "$pid" || { kill -9 "$pid"; fail "apply did not exit within 30 s of the signal"; }
	wait "$pid"
	status=$?
	took=$((($(date +%s%N) - t0) / 1000000))
}

manifest healthy one
commit one
expect_status 0 apply --repo "$REPO"
api1=$(cid api)
worker1=$(cid worker)
http_get "$PORT" / | grep -q one || fail "api does not answer"

# 1. SIGTERM while the gate waits for a server that listens only after 20 s.
manifest slow two 20
commit two
start_apply
wait_gate "$api1"
kill -TERM "$pid"
wait_exit
[ "$status" = 143 ] || { cat "$OUT" "$ERR"; fail "SIGTERM: apply exited $status, expected 143"; }
[ "$took" -lt 5000 ] || fail "SIGTERM: apply took $took ms to stop"
expect_err 'SIGTERM'
expect_out 'release [0-9]+ rolled_back'
[ "$(cid api)" = "$api1" ] || fail "SIGTERM: the previous api container is not back"
[ "$(docker inspect -f '{{.State.Running}}' "$api1")" = true ] || fail "SIGTERM: previous api not running"
http_get "$PORT" / | grep -q one || fail "SIGTERM: previous api does not answer"
[ "$(cid worker)" = "$worker1" ] || fail "SIGTERM: worker was touched"
[ "$(count_containers api)" = 1 ] || fail "SIGTERM: the new api container was left behind"
expect_status 0 history --project "$PROJECT" --json
grep -q '"status":"rolled_back".*interrupted by SIGTERM' "$OUT" ||
	{ cat "$OUT"; fail "SIGTERM: release not recorded rolled_back, interrupted by SIGTERM"; }
grep -q '"status":"running"' "$OUT" && fail "SIGTERM: a release is left running"
echo "SIGTERM during the gate: exited 143 in $took ms, previous containers restored"

# The lock was released: the next apply (no --lock-wait) converges.
manifest slow two 2
commit two-faster
expect_status 0 apply --repo "$REPO"
expect_out 'release [0-9]+ succeeded'
http_get "$PORT" / | grep -q two || fail "api not serving 'two' after the following apply"
api2=$(cid api)

# 2. SIGINT twice: the second one exits at once.
manifest slow three 20
commit three
start_apply
wait_gate "$api2"
kill -INT "$pid"
sleep 0.3
kill -INT "$pid" 2>/dev/null
wait_exit
[ "$status" = 130 ] || { cat "$OUT" "$ERR"; fail "double SIGINT: apply exited $status, expected 130"; }
expect_err 'SIGINT again'
# A Docker call abandoned by the exit (a start, say) still completes in the
# daemon: give it a moment, as a person re-running apply would.
sleep 2
# What it left, the next apply converges from: the release it left running is closed.
manifest healthy four
commit four
expect_status 0 apply --repo "$REPO"
expect_out 'release [0-9]+ succeeded'
http_get "$PORT" / | grep -q four || fail "double SIGINT: api not serving 'four' after the next apply"
[ "$(count_containers api)" = 1 ] || fail "double SIGINT: more than one live api container"
[ -z "$(docker ps -q --filter "label=io.deployctl.project=$PROJECT" --filter name=-- )" ] ||
	fail "double SIGINT: a retained container is still running"
expect_status 0 history --project "$PROJECT" --json
grep -q '"status":"running"' "$OUT" && fail "double SIGINT: a release is left running"
expect_status 0 plan --repo "$REPO"
expect_out 'no changes'
echo "double SIGINT: exited 130 at once; the next apply converged"
