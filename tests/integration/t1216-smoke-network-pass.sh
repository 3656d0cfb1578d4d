#!/usr/bin/env bash
# Smoke checks from inside a project network, for a service that publishes
# no port: each attempt is a one-off container of the check's image
# (x-deployctl.smoke_image; here the test image's curl-compatible client)
# on the network, its `curl -i` output parsed for status, header and body.
# The checks pass, are recorded with their network and image (show N, text
# and --json), run again by `deployctl smoke`, printed by `config`, and no
# check container is left behind, labelled or not. A check on an external
# network runs on demand too (found by the name the release recorded).
. "$(dirname "$0")/lib.sh"

EXTNET="dctltest-${PROJECT}-edge"
docker network create "$EXTNET" >/dev/null || fail "cannot create the external network"
trap 'docker rm -f $(docker ps -aq --filter "network=$EXTNET") >/dev/null 2>&1; docker network rm "$EXTNET" >/dev/null 2>&1; cleanup' EXIT

CURLIMG=$(bash "$SRCDIR/tests/images/build.sh" curl) || fail "cannot build the curl image"
write_manifest app.yml <<YAML
name: $PROJECT
x-deployctl:
  smoke_image: $CURLIMG
  smoke:
    - name: api-internal
      service: api
      port: 8080
      path: /health
      expect_status: 200
      body_contains: ok
      header: "Content-Type: text/plain"
      retries: 5
      interval: 500ms
    - name: via-network
      network: back
      url: http://api:8080/env/MESSAGE
      body_contains: hello-inside
    - name: via-external
      network: edge
      url: http://api:8080/env/MESSAGE
      body_contains: hello-inside
    - name: absent
      service: api
      port: 8080
      path: /env/NOPE
      expect_status: 404
      retries: 1
services:
  api:
    image: deployctl-test/app:healthy
    init: true
    environment: {MESSAGE: hello-inside}
    networks: [back, edge]
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s, retries: 3}
networks:
  back: {}
  edge: {external: true, name: $EXTNET}
YAML
commit "api on a private network with in-network checks"
expect_status 0 apply --repo "$REPO"
expect_out '^smoke api-internal: passed \(200, 1 attempt'
expect_out '^smoke via-network: passed \(200, 1 attempt'
expect_out '^smoke via-external: passed \(200, 1 attempt'
expect_out '^smoke absent: passed \(404, 1 attempt'
expect_out 'release 1 succeeded'

expect_status 0 show 1
expect_out "passed +api-internal: GET http://api:8080/health from network back \($CURLIMG\) expects 200; got 200 after 1 attempt"
expect_out "passed +via-network: GET http://api:8080/env/MESSAGE from network back"
expect_status 0 show 1 --json
python3 - "$OUT" "$CURLIMG" <<'PY' || fail "show --json lacks the in-network checks: $(cat "$OUT")"
import json, sys
d = json.load(open(sys.argv[1]))
s = {c["name"]: c for c in d["smoke"]}
a = s["api-internal"]
assert a["outcome"] == "passed" and a["network"] == "back" and a["image"] == sys.argv[2], a
assert a["service"] == "api" and a["url"] == "http://api:8080/health", a
assert s["via-network"]["service"] is None and s["via-network"]["network"] == "back", s
PY

# config prints what the checks resolved to.
expect_status 0 config --repo "$REPO"
expect_out '^    - name: api-internal'
expect_out '^      url: http://api:8080/health'
expect_out '^      network: back'
expect_out "^      image: $CURLIMG"

# On demand, against what is deployed: the same containers, from the record.
expect_status 0 smoke --project "$PROJECT"
expect_out "$PROJECT: 4 smoke check\(s\) of release 1 passed"
expect_out "^smoke via-external: passed"
expect_status 0 smoke --json
grep -q '"network":"back"' "$OUT" || fail "smoke --json lacks the network: $(cat "$OUT")"

# Checks that run containers take the state lock, as an apply does: while
# another process holds it, smoke exits 5 at once, or waits with --lock-wait.
python3 - "$STATE/deployctl.lock" <<'PY' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
open(sys.argv[1] + ".held", "w").close()
time.sleep(3)
PY
holder=$!
wait_for 10 test -e "$STATE/deployctl.lock.held" || fail "the test's lock holder did not start"
expect_status 5 smoke --project "$PROJECT"
expect_err 'locked'
expect_status 0 smoke --project "$PROJECT" --lock-wait 30s
expect_out "$PROJECT: 4 smoke check\(s\) of release 1 passed"
wait "$holder"
rm -f "$STATE/deployctl.lock.held"

# Nothing is left: no check container (they carry LABEL_JOB), and the only
# container of the project is the service's.
left=$(docker ps -aq --filter "label=io.deployctl.project=$PROJECT" --filter "label=io.deployctl.job")
[ -z "$left" ] || fail "check containers left behind: $(docker ps -a --filter "label=io.deployctl.job" --filter "label=io.deployctl.project=$PROJECT")"
[ "$(docker ps -aq --filter "label=io.deployctl.project=$PROJECT" | grep -c .)" = 1 ] ||
	fail "unexpected containers: $(docker ps -a --filter "label=io.deployctl.project=$PROJECT" --format '{{.Names}}')"
docker ps -a --format '{{.Names}}' | grep -q -- "^$PROJECT-smoke-" && fail "a check container is left (unlabelled?)"

# The service publishes nothing: the checks could only have run inside.
[ -z "$(docker port "$(cid api)")" ] || fail "api publishes a port"
echo "in-network checks passed from one-off containers on network back, none left"
