#!/usr/bin/env bash
# Smoke checks after the rollout: passing checks (status, body, header) are
# recorded with the release and shown by show N (text and --json);
# `deployctl smoke` runs them again against what is deployed, and fails
# (exit 1, naming the check) once the service stops answering.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
write_manifest app.yml <<YAML
name: $PROJECT
x-deployctl:
  smoke:
    - name: api-health
      url: http://127.0.0.1:$PORT/health
      expect_status: 200
      body_contains: ok
      header: "Content-Type: text/plain"
      retries: 5
      interval: 500ms
      timeout: 2s
    - name: root
      url: http://localhost:$PORT/
      body_contains: from
services:
  api:
    image: deployctl-test/app:healthy
    init: true
    ports: ["127.0.0.1:$PORT:8080"]
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s, retries: 3}
YAML
commit "api with smoke checks"
expect_status 0 apply --repo "$REPO"
expect_out '^smoke api-health: passed \(200, 1 attempt'
expect_out '^smoke root: passed'
expect_out 'release 1 succeeded'

expect_status 0 show 1
expect_out 'smoke checks:'
expect_out "passed +api-health: GET http://127.0.0.1:$PORT/health expects 200; got 200 after 1 attempt"
expect_status 0 show 1 --json
python3 - "$OUT" <<'PY' || fail "show --json lacks the smoke results: $(cat "$OUT")"
import json, sys
d = json.load(open(sys.argv[1]))
s = {c["name"]: c for c in d["smoke"]}
assert s["api-health"]["outcome"] == "passed" and s["api-health"]["status"] == 200, s
assert s["api-health"]["attempts"] == 1 and s["root"]["outcome"] == "passed", s
assert d["notify"] == [], d["notify"]
PY

# On demand, against what is deployed.
expect_status 0 smoke --project "$PROJECT"
expect_out "$PROJECT: 2 smoke check\(s\) of release 1 passed"
expect_status 0 smoke --json
grep -q '"passed":true,"checks":\[{"name":"api-health"' "$OUT" || fail "smoke --json: $(cat "$OUT")"

# The service goes away: the on-demand run fails, each check retried within its bounds.
docker stop -t 1 "$(cid api)" >/dev/null || fail "cannot stop api"
t0=$(now)
expect_status 1 smoke --project "$PROJECT"
t1=$(now)
expect_out '^smoke api-health: FAILED \(5 attempts'
expect_out '^smoke root: FAILED'
expect_out 'did not all pass'
took=$(python3 -c "print(round($t1 - $t0, 1))")
# api-health: 5 attempts 0.5 s apart (refused at once); root: 3 attempts 1 s apart.
python3 -c "import sys; sys.exit(0 if $took < 10 else 1)" || fail "failing checks took ${took}s"
echo "passing checks recorded; a stopped service fails 'deployctl smoke' in ${took}s"
