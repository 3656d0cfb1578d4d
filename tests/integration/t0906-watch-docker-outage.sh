#!/usr/bin/env bash
# ctest: serial (timing-sensitive: runs alone under ctest -j)
# watch survives a Docker outage: the daemon "goes away" through a relay
# socket the test kills; the watcher logs it, backs off and keeps running;
# when the relay is back it finds the drift made meanwhile and repairs it.
. "$(dirname "$0")/lib.sh"

RELAY="$WORK/relay.sock"
relay=
WPID=
trap '[ -n "$WPID" ] && kill -TERM "$WPID" 2>/dev/null && wait "$WPID"; [ -n "$relay" ] && kill "$relay" 2>/dev/null; cleanup' EXIT
LOG="$WORK/watch.log"
running() { [ -n "$(docker ps -q --filter "label=io.deployctl.project=$PROJECT" --filter status=running)" ]; }

git -C "$REPO" checkout -qb main
write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:v1
    init: true
YAML
commit one
start_relay "$RELAY"
"$DEPLOYCTL" --state "$STATE" watch --repo "$REPO" --ref main --interval 500ms --self-heal \
	--docker-host "unix://$RELAY" >"$LOG" 2>&1 &
WPID=$!
wait_for 30 logged "up to date with main" || { cat "$LOG"; fail "watch did not converge"; }

# Docker goes away; meanwhile the container is removed (through the real socket).
kill "$relay"
wait "$relay" 2>/dev/null
relay=
rm -f "$RELAY"
docker rm -f "$(cid api)" >/dev/null
wait_for 15 logged "attempt 2, next in" || { cat "$LOG"; fail "the outage was not logged with its retries"; }
logged "docker events stream: " || { cat "$LOG"; fail "the events stream's outage was not said"; }
kill -0 "$WPID" || fail "watch died in the outage"
# Docker is back: the drift made meanwhile is repaired.
start_relay "$RELAY"
wait_for 60 running || { cat "$LOG"; fail "api not repaired after the outage"; }
wait_for 40 logged "docker events stream is back" || { cat "$LOG"; fail "events stream did not come back"; }
kill -TERM "$WPID"
wait "$WPID" || { cat "$LOG"; fail "watch exited $? after SIGTERM"; }
WPID=
echo "ok $TEST_NAME"
