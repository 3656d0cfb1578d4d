#!/usr/bin/env bash
# Changing one service's env replaces exactly that service, with the reason.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:healthy
    environment: {MESSAGE: "$1", API_TOKEN: "$2"}
    ports: ["127.0.0.1:$PORT:8080"]
    init: true
  worker:
    image: ${3:-deployctl-test/app:v1}
    init: true
YAML
}
manifest one tok-a-$$
commit one
expect_status 0 apply --repo "$REPO"
api1=$(cid api); worker1=$(cid worker)
[ -n "$api1" ] && [ -n "$worker1" ] || fail "containers missing after first apply"

manifest two tok-a-$$
commit two
expect_status 0 plan --repo "$REPO"
expect_out 'replace +api#1: env MESSAGE: one -> two \(stop-first: publishes host port [0-9]+\)$'
grep -q worker "$OUT" && fail "plan touches worker: $(cat "$OUT")"
expect_status 0 apply --repo "$REPO"
[ "$(cid worker)" = "$worker1" ] || fail "worker was replaced"
[ "$(cid api)" != "$api1" ] || fail "api was not replaced"
http_get "$PORT" / | grep -q two || fail "api does not serve the new env"

# A secret change is named by key, its value never printed.
manifest two tok-b-$$
commit three
expect_status 0 apply --repo "$REPO"
expect_out 'env API_TOKEN changed'
grep -q "tok-[ab]-$$" "$OUT" "$ERR" && fail "secret value printed"

# An image change names both image IDs.
manifest two tok-b-$$ deployctl-test/app:v2
commit four
expect_status 0 plan --repo "$REPO"
expect_out 'replace +worker#1: image changed \(deployctl-test/app:v1 sha256:[0-9a-f]{12} -> deployctl-test/app:v2 sha256:[0-9a-f]{12}\)'
expect_status 0 apply --repo "$REPO"
expect_status 0 history --project "$PROJECT"
[ "$(grep -c succeeded "$OUT")" = 4 ] || fail "expected 4 succeeded releases: $(cat "$OUT")"
echo "ok $TEST_NAME"
