#!/usr/bin/env bash
# A smoke check answered with the wrong status rolls the release back like
# a wrong body (t1211) does, and is recorded with the status it got; with
# --no-rollback the failing release stays, recorded failed, and its new
# containers keep running.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
smoke_stack good /env/MESSAGE 200
expect_status 0 apply --repo "$REPO"
expect_out 'release 1 succeeded'
api1=$(cid api)

# Wrong status: rolled back too.
smoke_stack good2 /nowhere 200
expect_status 1 apply --repo "$REPO"
expect_out 'smoke message: FAILED \(404, 2 attempts'
expect_out 'release 2 rolled_back'
expect_err 'status 404, expected 200'
[ "$(cid api)" = "$api1" ] || fail "the previous api container is not back after release 2"
expect_status 0 show 2 --json
grep -q '"status":"rolled_back"' "$OUT" || fail "release 2 not rolled_back: $(cat "$OUT")"
grep -q '"name":"message","method":"GET".*"outcome":"failed","status":404' "$OUT" ||
	fail "release 2's failed check not recorded: $(cat "$OUT")"

# The checks of what is deployed (release 1) still pass.
expect_status 0 smoke --project "$PROJECT"

# --no-rollback: the failing release stays, recorded failed.
smoke_stack bad /env/MESSAGE 200
expect_status 1 apply --repo "$REPO" --no-rollback
expect_out 'release 3 failed'
[ "$(cid api)" != "$api1" ] || fail "--no-rollback put the previous container back"
http_get "$PORT" /env/MESSAGE | grep -qx bad || fail "the new api is not the one answering"
echo "a wrong status rolled back to release 1; --no-rollback kept release 3"
