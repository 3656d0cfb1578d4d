#!/usr/bin/env bash
# ctest: serial (timing-sensitive: runs alone under ctest -j)
# watch: a new commit is applied within the interval; a container removed by
# hand comes back at once with --self-heal (the events stream says so) and is
# only reported without it; a rolled-back (pinned) commit is not redeployed;
# SIGTERM during an apply lets the release finish and be recorded, exit 0;
# an unreachable remote is logged and retried, the stack untouched.
. "$(dirname "$0")/lib.sh"

WPID=
stop_watch() {
	[ -n "$WPID" ] || return 0
	kill -TERM "$WPID" 2>/dev/null
	wait_for 60 exited "$WPID"
	wait "$WPID"
	local st=$?
	WPID=
	return $st
}
trap 'stop_watch; cleanup' EXIT

LOG="$WORK/watch.log"
start_watch() {
	"$DEPLOYCTL" --state "$STATE" watch --repo "$REPO" --ref main --interval 1s "$@" >>"$LOG" 2>&1 &
	WPID=$!
}
env_of() {
	local id
	id=$(cid api) && [ -n "$id" ] &&
		docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$id" | grep '^MESSAGE=' | cut -d= -f2
}
has_env() { [ "$(env_of 2>/dev/null)" = "$1" ]; }

git -C "$REPO" checkout -qb main
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: ${2:-deployctl-test/app:v1}
    init: true
    environment: {MESSAGE: $1}
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
YAML
}
manifest one && commit "one"
sha1=$(git -C "$REPO" rev-parse HEAD)

start_watch --self-heal
wait_for 30 has_env one || { cat "$LOG"; fail "watch did not deploy the first commit"; }
wait_for 10 logged "up to date with main at commit ${sha1:0:12}" || { cat "$LOG"; fail "no up-to-date line"; }

# A new commit: applied within the interval (plus the apply itself).
manifest two && commit "two"
sha2=$(git -C "$REPO" rev-parse HEAD)
wait_for 20 has_env two || { cat "$LOG"; fail "watch did not pick up the new commit"; }
logged "apply: commit ${sha1:0:12} -> ${sha2:0:12} \(main\)" || { cat "$LOG"; fail "the apply did not say why"; }

# Drift with self-heal: a container removed by hand is back within seconds.
wait_for 10 logged "up to date with main at commit ${sha2:0:12}" || fail "not converged on two"
docker rm -f "$(cid api)" >/dev/null
t0=$(date +%s)
wait_for 15 has_env two || { cat "$LOG"; fail "self-heal did not bring api back"; }
echo "self-heal: back after $(($(date +%s) - t0)) s"
logged "apply: drift: api#1 destroy \(docker event\): create api#1" || { cat "$LOG"; fail "the repair did not say why"; }

# A rollback pins the project: watch does not redeploy the rolled-back commit.
wait_for 10 logged "up to date with main at commit ${sha2:0:12}" || fail "not converged after the repair"
# (--to 1: the repair was release 3, at the same commit as release 2)
expect_status 0 rollback --project "$PROJECT" --to 1 --lock-wait 30s
has_env one || { cat "$OUT" "$ERR" "$LOG"; fail "rollback did not go back to one"; }
wait_for 10 logged "commit ${sha2:0:12} was rolled back" || { cat "$LOG"; fail "watch did not report the pin"; }
sleep 3
has_env one || { cat "$LOG"; fail "watch redeployed the rolled-back commit"; }
# A newer commit clears the pin and is deployed.
manifest three && commit "three"
wait_for 20 has_env three || { cat "$LOG"; fail "the commit after the pin was not deployed"; }
logged "pin on release [0-9]+ cleared" || { cat "$LOG"; fail "pin not cleared"; }

# SIGTERM during an apply: the release finishes and is recorded; exit 0.
wait_for 10 logged "up to date with main at commit $(git -C "$REPO" rev-parse --short=12 HEAD)" || fail "not converged on three"
manifest four deployctl-test/app:slow && commit "four, slow to start"
sha4=$(git -C "$REPO" rev-parse HEAD)
wait_for 15 logged "apply: commit [0-9a-f]{12} -> ${sha4:0:12}" || { cat "$LOG"; fail "apply of four did not start"; }
kill -TERM "$WPID"
stop_watch || { cat "$LOG"; fail "watch exited $? after SIGTERM"; }
logged "SIGTERM: stopped between actions" || { cat "$LOG"; fail "no clean-stop line"; }
st=$(sqlite3 "$STATE/deployctl.db" "select status from releases where source='$sha4' order by id desc limit 1")
[ "$st" = succeeded ] || { cat "$LOG"; fail "release of four is '$st', not succeeded"; }
has_env four || fail "four is not running after the stop"

# Self-heal off: drift is reported, not repaired.
start_watch
wait_for 15 logged "up to date with main at commit ${sha4:0:12}" || { cat "$LOG"; fail "second watch not converged"; }
docker rm -f "$(cid api)" >/dev/null
wait_for 10 logged "drift \(self-heal off, not repaired\): api#1 destroy \(docker event\)" || { cat "$LOG"; fail "drift not reported"; }
sleep 2
[ -z "$(cid api)" ] || fail "self-heal off repaired the drift"
stop_watch || fail "second watch did not stop cleanly"

# An unreachable remote: logged, retried, the process keeps running; nothing changes.
expect_status 0 apply --repo "$REPO" --ref main
before=$(cid api)
"$DEPLOYCTL" --state "$STATE" watch --repo "git://127.0.0.1:$(free_port)/nothing.git" --interval 500ms >>"$LOG" 2>&1 &
WPID=$!
wait_for 10 logged "cannot read HEAD: cannot reach 'git://127.0.0.1:[0-9]+/nothing.git'.*attempt 2" || { cat "$LOG"; fail "outage not logged with its retries"; }
kill -0 "$WPID" 2>/dev/null || fail "watch died on an unreachable remote"
stop_watch || fail "watch did not stop cleanly after the outage"
[ "$(cid api)" = "$before" ] || fail "the outage touched the stack"
echo "ok $TEST_NAME"
