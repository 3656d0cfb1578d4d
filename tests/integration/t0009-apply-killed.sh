#!/usr/bin/env bash
# kill -9 at several points of an apply (test-only fault points: after the
# Nth action, and inside a start-first replace with the old container
# renamed but still running) leaves nothing unrecoverable: the release is
# marked interrupted by the next run, which converges; every container
# still carries deployctl's labels.
. "$(dirname "$0")/lib.sh"
need_fault_point KILL_AFTER
need_fault_point KILL_IN_REPLACE

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

# Killed after the first action of a release that changes everything.
sed -i 's/app:v1/app:v2/' "$REPO/manifests/app.yml"
commit two
DEPLOYCTL_TEST_KILL_AFTER=1 dctl apply --repo "$REPO" -j 1
[ $? = 137 ] || fail "apply was not killed after 1 action"
expect_status 0 apply --repo "$REPO"
expect_status 0 apply --repo "$REPO"
expect_out 'no changes'
[ "$(count_containers)" = 4 ] || fail "not converged after a kill after 1 action"

# Killed inside a start-first replace: the old container is renamed and still running.
sed -i 's/app:v2/app:v1/' "$REPO/manifests/app.yml"
commit three
DEPLOYCTL_TEST_KILL_IN_REPLACE=1 dctl apply --repo "$REPO" -j 1
[ $? = 137 ] || fail "apply was not killed inside a replace"
running_retained=$(docker ps --filter "label=io.deployctl.project=$PROJECT" --format '{{.Names}}' | grep -c -- '--r[0-9]*$' || true)
[ "$running_retained" -ge 1 ] || fail "the fault point did not leave a renamed, running container"
expect_status 0 apply --repo "$REPO"
expect_out 'retained but still running \(an interrupted rollout\)'
expect_status 0 apply --repo "$REPO"
expect_out 'no changes'
[ "$(count_containers)" = 4 ] || fail "not converged after a kill inside a replace"
running_retained=$(docker ps --filter "label=io.deployctl.project=$PROJECT" --format '{{.Names}}' | grep -c -- '--r[0-9]*$' || true)
[ "$running_retained" = 0 ] || fail "a retained container is still running"
expect_status 0 history --project "$PROJECT" --json
[ "$(grep -o '"status":"interrupted"' "$OUT" | wc -l)" = 3 ] || fail "expected 3 interrupted releases"
echo "ok $TEST_NAME"
