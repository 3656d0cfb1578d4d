#!/usr/bin/env bash
# Smoke checks, notifications and watch on the Swarm target (private single-node Swarm,
# swarm-lib.sh). deployctl runs inside the Swarm's namespace, where the port published in
# host mode answers on 127.0.0.1: passing checks are recorded and told (succeeded); a
# failing check rolls the release back to the previous spec (rolled_back, told with the
# failing check); serve (watch) keeps the converged project with one /services call a tick,
# its gauges counting Swarm tasks, repairs a service removed by hand (self-heal) and applies
# a new commit; deployctl smoke runs the recorded checks; --no-rollback keeps a failing spec.
. "$(dirname "$0")/lib.sh"
SWARM_IMAGES="deployctl-test/app:healthy"
. "$(dirname "$0")/swarm-lib.sh"

PORT=18086
RECV="$WORK/recv"
LOG="$WORK/watch.log"
WPID=
mkdir -p "$RECV"
stop_watch() {
	[ -n "$WPID" ] || return 0
	kill -TERM "$WPID" 2>/dev/null
	wait_for 30 exited "$WPID"
	kill -KILL "$WPID" 2>/dev/null
	wait "$WPID" 2>/dev/null
	WPID=
}
RECV_PID=
trap 'stop_watch; [ -n "$RECV_PID" ] && kill "$RECV_PID" 2>/dev/null; swarm_cleanup' EXIT

# deployctl in the namespace (the host-mode port and the receiver are on its 127.0.0.1)
dctl_ns() {
	swarm_exec env DOCKER_HOST="$SWARM_HOST" HOOK="http://127.0.0.1:$RPORT/hook" \
		"$DEPLOYCTL" --state "$STATE" "$@" >"$OUT" 2>"$ERR"
}
payload() { # N KEY: a field of the N-th notification received
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$RECV/$1.json" "$2"
}

git -C "$REPO" checkout -qb main
manifest() { # MESSAGE
	write_manifest app.yml <<YAML
name: $PROJECT
x-deployctl:
  target: swarm
  smoke:
    - name: home
      url: http://127.0.0.1:$PORT/
      body_contains: good
      retries: 3
      interval: 500ms
  notify:
    - url_env: HOOK
      format: json
services:
  api:
    image: deployctl-test/app:healthy
    init: true
    environment: {MESSAGE: $1}
    ports: ["127.0.0.1:$PORT:8080"]
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
YAML
}
manifest good
commit good
swarm_start
t0=$(date +%s)
# exec: $! is the process itself (nsenter and env exec it), so the trap can end it by PID
nsenter --net="/var/run/netns/$SWARM_NS" python3 "$SRCDIR/tests/integration/notify-receiver.py" \
	record "$WORK/rport" "$RECV" --lifetime 90 >/dev/null 2>&1 &
RECV_PID=$!
wait_for 10 test -s "$WORK/rport" || fail "the receiver did not start"
RPORT=$(cat "$WORK/rport")

# Release 1: the check passes over the host-mode port; recorded and told.
dctl_ns apply --repo "$REPO" || { cat "$OUT" "$ERR"; fail "first apply failed"; }
expect_out 'release 1 succeeded'
expect_out 'smoke home: passed'
[ -s "$RECV/1.json" ] || fail "no notification for release 1: $(ls "$RECV")"
[ "$(payload 1 status)" = succeeded ] && [ "$(payload 1 release)" = 1 ] || fail "release 1 payload: $(cat "$RECV/1.json")"
# deployctl smoke: the recorded checks against what runs now.
dctl_ns smoke --project "$PROJECT" || { cat "$OUT" "$ERR"; fail "deployctl smoke failed"; }
expect_out 'home.*passed'

# Release 2: the body no longer holds 'good' -> rolled back to release 1's spec.
manifest bad
commit bad
dctl_ns apply --repo "$REPO"
[ $? = 1 ] || { cat "$OUT" "$ERR"; fail "a failing smoke check did not fail the release"; }
expect_out 'release 2 rolled_back'
expect_err "smoke check 'home' failed after 3 attempt\(s\)"
swarm_svc_env api | grep -q 'MESSAGE=good' || fail "api not back to release 1's spec: $(swarm_svc_env api)"
swarm_wait_running "${PROJECT}_api" 1 || fail "api not running after the rollback"
wait_for 20 sh -c "nsenter --net=/var/run/netns/$SWARM_NS curl -fsS http://127.0.0.1:$PORT/ | grep -q good" ||
	fail "api does not answer 'good' after the rollback"
[ -s "$RECV/2.json" ] || fail "no notification for release 2: $(ls "$RECV")"
[ "$(payload 2 status)" = rolled_back ] && [ "$(payload 2 failed_check)" = home ] ||
	fail "release 2 payload: $(cat "$RECV/2.json")"
dctl_ns show 2 || fail "show 2 failed"
expect_out 'failed +home: GET'

# watch: back at a good commit (no change from what runs), converged, one call a tick.
manifest good
commit good-again
MPORT=19486
nsenter --net="/var/run/netns/$SWARM_NS" env DOCKER_HOST="$SWARM_HOST" "$DEPLOYCTL" --state "$STATE" \
	serve --listen "127.0.0.1:$MPORT" --repo "$REPO" --ref main --interval 300ms --no-events \
	--self-heal >>"$LOG" 2>&1 &
WPID=$!
wait_for 20 logged "up to date with main" || { cat "$LOG"; fail "watch did not converge"; }
sleep 2
grep -q 'apply:' "$LOG" && { cat "$LOG"; fail "watch applied although nothing differs"; }
# The gauges count the Swarm tasks, not containers.
metric() { swarm_exec curl -fsS "http://127.0.0.1:$MPORT/metrics" | grep "^deployctl_services_$1{" | awk '{print $2}'; }
[ "$(metric desired)" = 1 ] && [ "$(metric running)" = 1 ] && [ "$(metric healthy)" = 1 ] ||
	fail "services gauges: desired $(metric desired), running $(metric running), healthy $(metric healthy)"
# A service removed by hand: the fast look sees it, the Swarm apply brings it back.
swarm_docker service rm "${PROJECT}_api" >/dev/null || fail "cannot remove api"
wait_for 30 logged 'apply: drift: .*create api' || { cat "$LOG"; fail "watch did not repair api"; }
wait_for 30 logged 'release [0-9]+ succeeded' || { cat "$LOG"; fail "the repair did not succeed"; }
swarm_wait_running "${PROJECT}_api" 1 || fail "api not running after the repair"
# A new commit: the Swarm apply (its smoke check passing) from the watcher.
manifest good-two
commit good-two
wait_for 40 logged 'apply: commit [0-9a-f]{12} -> [0-9a-f]{12} \(main\)' || { cat "$LOG"; fail "watch did not apply the commit"; }
wait_for 40 sh -c "docker -H '$SWARM_HOST' service inspect -f '{{json .Spec.TaskTemplate.ContainerSpec.Env}}' ${PROJECT}_api | grep -q MESSAGE=good-two" ||
	{ cat "$LOG"; fail "api not updated by the watcher"; }
wait_for 40 sh -c "grep -c 'smoke home: passed' '$LOG' | grep -qx 2" || { cat "$LOG"; fail "the watcher's release ran no smoke check"; }
stop_watch
grep -E 'no-op tick\(s\)' "$LOG" | grep -qE ' 1\.00 Docker calls each' ||
	{ cat "$LOG"; fail "a no-op tick is not one Docker call"; }
echo "# $(grep -E 'no-op tick\(s\)' "$LOG" | sed 's/.*deployctl: //')"

# --no-rollback: the failing check fails the release and the new spec stays.
manifest bad
commit bad-again
dctl_ns apply --repo "$REPO" --no-rollback
[ $? = 1 ] || { cat "$OUT" "$ERR"; fail "a failing smoke check did not fail the release"; }
expect_out 'release [0-9]+ failed'
swarm_svc_env api | grep -q 'MESSAGE=bad' || fail "--no-rollback put api back: $(swarm_svc_env api)"
echo "# scenarios took $(($(date +%s) - t0)) s"
echo "ok $TEST_NAME"
