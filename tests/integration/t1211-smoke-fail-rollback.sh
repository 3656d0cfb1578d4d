#!/usr/bin/env bash
# A failing smoke check (a wrong body) fails the release after a rollout
# whose health gates all passed, and triggers the automatic rollback a
# failed gate uses: the previous containers come back, the release is
# rolled_back with the failing check and its reason, and show N records
# each check. (t1215: a wrong status, and --no-rollback.)
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
smoke_stack good /env/MESSAGE 200
expect_status 0 apply --repo "$REPO"
expect_out 'release 1 succeeded'
api1=$(cid api)
worker1=$(cid worker)

# Healthy, but the body is wrong: rolled back.
smoke_stack bad /env/MESSAGE 200
expect_status 1 apply --repo "$REPO"
expect_out 'smoke health: passed'
expect_out 'smoke message: FAILED \(200, 2 attempts'
expect_out 'release 2 rolled_back'
expect_err "smoke check 'message' failed after 2 attempt\(s\): status 200, but the body \(3 bytes\) does not contain \"good\""
[ "$(cid api)" = "$api1" ] || fail "the previous api container is not back"
[ "$(cid worker)" = "$worker1" ] || fail "the previous worker container is not back"
[ "$(docker inspect -f '{{.State.Running}}' "$api1")" = true ] || fail "previous api not running"
http_get "$PORT" /env/MESSAGE | grep -qx good || fail "previous api does not answer 'good'"
expect_status 0 show 2
expect_out 'status rolled_back'
expect_out "message: +smoke check 'message' failed after 2 attempt\(s\).*previous containers restored"
expect_out 'passed +health: GET'
expect_out 'failed +message: GET .* expects 200; got 200 after 2 attempt\(s\).*does not contain "good"'

# The checks of what is deployed (release 1) still pass.
expect_status 0 smoke --project "$PROJECT"
echo "a wrong body rolled release 2 back to release 1's containers"
