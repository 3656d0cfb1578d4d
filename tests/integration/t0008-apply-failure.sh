#!/usr/bin/env bash
# A failing action gives Docker's own message and exit 1, the release is
# recorded honestly, and the next run converges once the cause is gone. A
# port held outside the project is caught before any change. DOCKER_HOST is
# honoured and a tcp:// host is refused.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:healthy
    ports: ["127.0.0.1:$PORT:8080"]
    init: true
    $1
  worker:
    image: deployctl-test/app:v1
    init: true
YAML
}
# A user the image does not have: only the daemon can tell, at start.
manifest "user: nosuchuser"
commit one
expect_status 1 apply --repo "$REPO"
expect_out 'FAILED create +api#1'
expect_err 'unable to find user nosuchuser'
expect_status 0 history --project "$PROJECT" --json
grep -q '"status":"rolled_back"' "$OUT" || fail "release not recorded as rolled back: $(cat "$OUT")"
grep -q 'unable to find user nosuchuser' "$OUT" || fail "release lacks the daemon's message"
sqlite3 "$STATE/deployctl.db" "select outcome from release_actions where target='api#1'" |
	grep -qx failed || fail "failed action not recorded"
[ "$(count_containers api)" = 0 ] || fail "a half-made api container was left behind"
[ "$(count_containers worker)" = 0 ] || fail "worker of the failed first release was left behind"

manifest ""
commit two
expect_status 0 apply --repo "$REPO"
http_get "$PORT" / >/dev/null || fail "api not serving after the converging apply"
expect_status 0 history --project "$PROJECT" --json
grep -q '"status":"succeeded"' "$OUT" || fail "converging release not succeeded"

# A port held by another process: refused before the first mutation.
PORT2=$(free_port)
python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $PORT2)); s.listen(1); time.sleep(30)" &
holder=$!
sleep 0.5
sed -i "s/127.0.0.1:$PORT:8080/127.0.0.1:$PORT2:8080/" "$REPO/manifests/app.yml"
commit three
api=$(cid api)
expect_status 2 apply --repo "$REPO"
expect_err "127.0.0.1:$PORT2/tcp is held by another process"
[ "$(cid api)" = "$api" ] || fail "api changed although the port check failed"
kill "$holder"
wait "$holder" 2>/dev/null

DOCKER_HOST="unix://$WORK/nosock" expect_status 3 apply --repo "$REPO"
expect_err "$WORK/nosock"
expect_status 2 apply --repo "$REPO" --docker-host tcp://127.0.0.1:2375
expect_err 'unix'
echo "ok $TEST_NAME"
