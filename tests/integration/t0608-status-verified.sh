#!/usr/bin/env bash
# Right after a health-gated release, status and ps say healthy for what
# deployctl checked itself, not Docker's "health: starting" (Docker's first
# probe comes one interval after the start: 60 s here).
. "$(dirname "$0")/lib.sh"

write_manifest app.yml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:healthy
    init: true
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 60s}
YAML
commit one
expect_status 0 apply --repo "$REPO"
docker ps --filter "label=io.deployctl.project=$PROJECT" --format '{{.Status}}' | grep -q 'health: starting' ||
	skip "Docker already probed the container (a slow machine)"
expect_status 0 status --project "$PROJECT"
expect_out "web +$PROJECT-web-1 +running +1 +yes +Up .*\(healthy: checked by deployctl; Docker's first probe is due\)$"
grep -q 'health: starting' "$OUT" && fail "status repeats Docker's health: starting"
expect_status 0 ps --project "$PROJECT"
expect_out "\(healthy: checked by deployctl"
expect_status 0 status --project "$PROJECT" --json
grep -q '"verified_up":true' "$OUT" || fail "status --json lacks verified_up"
echo "ok $TEST_NAME"
