#!/usr/bin/env bash
# ctest: serial (timing-sensitive: runs alone under ctest -j)
# watch backs off instead of fighting forever: a commit whose release fails
# is retried after growing waits, and a crash-looping service (self-heal
# repairs it, it dies again) is repaired a few times, then the watcher says
# it is backing off. SIGHUP is survived. Bounded in time throughout.
. "$(dirname "$0")/lib.sh"

WPID=
trap '[ -n "$WPID" ] && kill -TERM "$WPID" 2>/dev/null && wait "$WPID"; cleanup' EXIT
LOG="$WORK/watch.log"
releases() { sqlite3 "$STATE/deployctl.db" "select count(*) from releases where source='$1'"; }

git -C "$REPO" checkout -qb main
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: $1
    init: true
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s, retries: 2}
    x-deployctl: {rollout: {timeout: 3s}}
YAML
}
manifest deployctl-test/app:v1 && commit good
"$DEPLOYCTL" --state "$STATE" watch --repo "$REPO" --ref main --interval 300ms --self-heal >"$LOG" 2>&1 &
WPID=$!
wait_for 30 logged "up to date with main" || { cat "$LOG"; fail "watch did not converge"; }

# A failing commit: attempts 1, 2, 3 ... with growing waits, not one per 300 ms tick.
manifest deployctl-test/app:unhealthy && commit unhealthy
bad=$(git -C "$REPO" rev-parse HEAD)
sleep 20
n=$(releases "$bad")
echo "failing commit: $n release(s) in 20 s at a 300 ms interval"
[ "$n" -ge 2 ] || { cat "$LOG"; fail "the failing commit was not retried ($n)"; }
[ "$n" -le 4 ] || { cat "$LOG"; fail "no back-off: $n releases of the failing commit in 20 s"; }
logged "the release did not succeed; attempt 2, next in 2s" || { cat "$LOG"; fail "back-off not said"; }

# SIGHUP: the watcher keeps running and looks afresh.
kill -HUP "$WPID"
wait_for 5 logged "SIGHUP" || { cat "$LOG"; fail "SIGHUP not logged"; }
kill -0 "$WPID" || fail "SIGHUP killed the watcher"

# A crash loop: the container exits a second after each start; repaired a few times, then back-off.
manifest deployctl-test/app:crashing && commit crashing
crash=$(git -C "$REPO" rev-parse HEAD)
wait_for 60 logged "repaired 3 times in a row within 60s \(a crash loop\?\): backing off" ||
	{ cat "$LOG"; fail "no crash-loop back-off"; }
n1=$(releases "$crash")
sleep 8
n2=$(releases "$crash")
echo "crash loop: $n1 release(s) before backing off, $((n2 - n1)) in the next 8 s"
[ $((n2 - n1)) -le 2 ] || { cat "$LOG"; fail "kept fighting the crash loop: $((n2 - n1)) repairs in 8 s"; }

kill -TERM "$WPID"
wait "$WPID" || { cat "$LOG"; fail "watch exited $? after SIGTERM"; }
WPID=
echo "ok $TEST_NAME"
