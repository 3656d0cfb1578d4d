#!/usr/bin/env bash
# A failing action gives Docker's own message, exit 1 and an honest 'failed'
# release; the next run converges once the cause is gone. Also: DOCKER_HOST
# is honoured and a tcp:// host is refused.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
# Hold the port with a plain process outside Docker, for at most 60 s.
python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $PORT)); s.listen(1); time.sleep(60)" &
holder=$!
for _ in $(seq 1 50); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null && break
	sleep 0.1
done

write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:healthy
    ports: ["127.0.0.1:$PORT:8080"]
    init: true
  worker:
    image: deployctl-test/app:v1
    init: true
YAML
commit one
expect_status 1 apply --repo "$REPO"
expect_out 'FAILED create +api#1'
expect_err 'address already in use'
expect_status 0 history --project "$PROJECT" --json
grep -q '"status":"failed"' "$OUT" || fail "release not recorded as failed"
grep -q 'address already in use' "$OUT" || fail "failed release lacks the daemon's message"
sqlite3 "$STATE/deployctl.db" "select outcome from release_actions where target='api#1'" |
	grep -qx failed || fail "failed action not recorded"
[ "$(count_containers api)" = 0 ] || fail "a half-made api container was left behind"

kill "$holder"
wait "$holder" 2>/dev/null
expect_status 0 apply --repo "$REPO"
expect_out 'create +api#1: missing'
http_get "$PORT" / >/dev/null || fail "api not serving after the converging apply"
expect_status 0 history --project "$PROJECT" --json
grep -q '"status":"succeeded"' "$OUT" || fail "converging release not succeeded"

DOCKER_HOST="unix://$WORK/nosock" expect_status 3 apply --repo "$REPO"
expect_err "$WORK/nosock"
expect_status 2 apply --repo "$REPO" --docker-host tcp://127.0.0.1:2375
expect_err 'unix'
echo "ok $TEST_NAME"
