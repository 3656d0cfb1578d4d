#!/usr/bin/env bash
# ctest: serial (timing-sensitive: runs alone under ctest -j)
# A lost reply must not delete the live container. A socket proxy in front
# of dockerd forwards the rename of the old container to its retained name
# (Docker does it) and withholds the 204, closing the connection. deployctl
# must re-read the truth: the rename happened, so the rollout goes on; the
# old container survives (retained, stopped, its anonymous volume too), and
# the release records what it found.
. "$(dirname "$0")/lib.sh"

sock=${DOCKER_HOST:-unix:///var/run/docker.sock}
sock=${sock#unix://}
[ -S "$sock" ] || skip "no Docker socket at $sock"
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:healthy
    init: true
    environment: {MESSAGE: "$1"}
    volumes: ["/scratch"]
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
    x-deployctl: {rollout: {drain: 0s}}
YAML
}
manifest v1
commit v1
expect_status 0 apply --repo "$REPO"
api1=$(cid api)
vol1=$(docker inspect -f '{{range .Mounts}}{{.Name}}{{end}}' "$api1")
[ -n "$vol1" ] || fail "api has no anonymous volume"

python3 "$SRCDIR/tests/integration/lost-reply-proxy.py" "$WORK/proxy.sock" "$sock" \
	"/rename?name=$PROJECT-api-1--r1 " "$WORK/withheld" &
proxy=$!
trap 'kill $proxy 2>/dev/null; cleanup' EXIT
wait_for 5 test -S "$WORK/proxy.sock" || fail "the proxy did not start"

manifest v2
commit v2
DOCKER_HOST="unix://$WORK/proxy.sock" "$DEPLOYCTL" --state "$STATE" apply --repo "$REPO" >"$OUT" 2>"$ERR"
rc=$?
[ -f "$WORK/withheld" ] || { cat "$OUT" "$ERR"; fail "the proxy never withheld the rename's reply"; }
echo "withheld: $(cat "$WORK/withheld")"
docker inspect "$api1" >/dev/null 2>&1 || { cat "$OUT" "$ERR"; fail "the live container was deleted after a lost reply"; }
docker volume inspect "$vol1" >/dev/null 2>&1 || fail "the old container's anonymous volume was deleted"
[ "$rc" = 0 ] || { cat "$OUT" "$ERR"; fail "apply exited $rc after a lost reply that had done its work"; }
[ "$(docker inspect -f '{{.Name}} {{.State.Running}}' "$api1")" = "/$PROJECT-api-1--r1 false" ] ||
	fail "the old container is not retained and stopped"
api2=$(cid api)
[ -n "$api2" ] && [ "$api2" != "$api1" ] || fail "api was not replaced"
[ "$(docker inspect -f '{{.State.Running}}' "$api2")" = true ] || fail "the new api does not run"
expect_status 0 show 2
grep -qE "checked +[0-9a-f]{12} $PROJECT-api-1--r1 \((reply to rename lost; re-read: renamed|rename refused; re-read: done)\)" "$OUT" ||
	{ cat "$OUT"; fail "the release does not record what it found after the lost reply"; }
echo "ok $TEST_NAME"
