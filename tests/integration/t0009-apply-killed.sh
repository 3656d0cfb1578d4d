#!/usr/bin/env bash
# kill -9 in the middle of an apply (a test-only fault point) leaves nothing
# unrecoverable: the release is marked interrupted by the next run, which
# converges; every container still carries deployctl's labels.
. "$(dirname "$0")/lib.sh"

write_manifest app.yml <<YAML
name: $PROJECT
services:
  a: {image: deployctl-test/app:v1, init: true}
  b: {image: deployctl-test/app:v1, init: true, depends_on: [a]}
  c: {image: deployctl-test/app:v1, init: true, depends_on: [b]}
  d: {image: deployctl-test/app:v1, init: true, depends_on: [c]}
YAML
commit one
DEPLOYCTL_TEST_KILL_AFTER=3 dctl apply --repo "$REPO" -j 1
st=$?
[ "$st" = 137 ] || fail "apply was not killed (status $st)"
n=$(count_containers)
[ "$n" -ge 1 ] && [ "$n" -lt 4 ] || fail "expected a partial stack, got $n containers"
expect_status 0 history --project "$PROJECT" --json
grep -q '"status":"running"' "$OUT" || fail "killed release not left running"

expect_status 0 apply --repo "$REPO"
expect_err '1 earlier release\(s\) were interrupted'
[ "$(count_containers)" = 4 ] || fail "next apply did not converge"
expect_status 0 history --project "$PROJECT" --json
grep -q '"status":"interrupted"' "$OUT" || fail "killed release not marked interrupted"
grep -q '"status":"succeeded"' "$OUT" || fail "converging release not succeeded"
unlabelled=$(docker ps -a --filter "name=^$PROJECT-" --format '{{.Label "io.deployctl.spec-hash"}}' | grep -c '^$' || true)
[ "$unlabelled" = 0 ] || fail "$unlabelled container(s) without deployctl labels"
expect_status 0 apply --repo "$REPO"
expect_out 'no changes'
echo "ok $TEST_NAME"
