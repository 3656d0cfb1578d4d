#!/usr/bin/env bash
# A "Docker" that answers /_ping properly and then garbage (not HTTP, or
# HTTP with malformed JSON): plan, apply, status and rollback exit 3, as
# the README says for Docker errors (not 1, and not 2 for rollback), and
# nothing is recorded.
. "$(dirname "$0")/lib.sh"

FAKE="$WORK/fake.sock"
# fake_docker MODE: serve $FAKE until killed (bounded: at most 120 s).
fake_docker() {
	python3 - "$FAKE" "$1" <<'PY' &
import os, socket, sys, threading, time
path, mode = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(16)
def serve(c):
    try:
        req = b""
        while b"\r\n\r\n" not in req:
            data = c.recv(65536)
            if not data:
                return
            req += data
        line = req.split(b"\r\n", 1)[0].decode()
        if " /_ping" in line:
            c.sendall(b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: text/plain\r\n"
                      b"Content-Length: 2\r\nConnection: close\r\n\r\nOK")
        elif mode == "garbage":
            c.sendall(b"\x00\x01 this is not HTTP at all\r\n\r\n")
        else:
            body = b'[{"Id": "abc", "Names": ['
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                      b"Connection: close\r\n\r\n%s" % (len(body), body))
    finally:
        c.close()
def loop():
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
threading.Thread(target=loop, daemon=True).start()
time.sleep(120)
PY
	fake=$!
	wait_for 5 test -S "$FAKE" || fail "the fake Docker did not start"
}
stop_fake() {
	kill "$fake" 2>/dev/null
	wait "$fake" 2>/dev/null
	rm -f "$FAKE"
}
trap 'stop_fake; cleanup' EXIT

write_manifest app.yml <<YAML
name: $PROJECT
services:
  web: {image: deployctl-test/app:v1, init: true, environment: {STEP: one}}
YAML
commit one
expect_status 0 apply --repo "$REPO"
sed -i 's/STEP: one/STEP: two/' "$REPO/manifests/app.yml"
commit two
expect_status 0 apply --repo "$REPO"

for mode in garbage badjson; do
	fake_docker "$mode"
	for cmd in "plan --repo $REPO" "apply --repo $REPO" "status --project $PROJECT" "rollback --project $PROJECT"; do
		dctl --docker-host "unix://$FAKE" $cmd
		st=$?
		[ "$st" = 3 ] || { cat "$OUT" "$ERR"; fail "$mode: '$cmd' exited $st, expected 3"; }
	done
	case $mode in
	garbage) expect_err "docker at '$FAKE' answered GET /.* with something that is not HTTP" ;;
	badjson) expect_err "bad JSON from '/containers/json'" ;;
	esac
	stop_fake
done
[ "$(sqlite3 "$STATE/deployctl.db" "select count(*) from releases")" = 2 ] ||
	fail "a release was recorded against the fake Docker"
echo "ok $TEST_NAME"
