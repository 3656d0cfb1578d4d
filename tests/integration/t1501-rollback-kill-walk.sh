#!/usr/bin/env bash
# The SIGKILL walk over a rollback (walk.sh): from release two back to
# release one (retained containers brought back, start-first and
# stop-first, a service removed and one brought back, release two's
# rollback job run first), killed right after each of its mutating Docker
# calls in turn (k = 1..M, M measured by the call counter of an unkilled
# rollback). After each kill, `rollback` run
# again converges to release one (the killed rollback is neither what it
# rolls back from nor where it goes; its pin quarantines release two's
# commit, not one's), the history has no gap and marks the killed
# rollback interrupted, every container carries the project's labels, no
# service has two containers, no container of release one or two
# (running or retained) is lost, no job container is left and the
# converging rollback ran the rollback job (succeeded).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/walk.sh"
WALK_JOB=revert

ONE="db cache api web worker"
walk_setup 0
expect_status 0 apply --repo "$REPO" --ref one
expect_status 0 apply --repo "$REPO" --ref two
expect_status 0 rollback --project "$PROJECT" -j 1 --json
walk_measure one "$ONE"

step() {
	local k=$1 keep
	walk_setup "$k"
	expect_status 0 apply --repo "$REPO" --ref one
	keep=$(walk_ids | cut -d' ' -f2)
	expect_status 0 apply --repo "$REPO" --ref two
	keep="$keep $(walk_ids | cut -d' ' -f2)"
	walk_killed "$k" rollback --project "$PROJECT" -j 1
	walk_was_killed "$k" rollback
	walk_converge rollback --project "$PROJECT"
	grep -q 'back to release 1 ' "$OUT" || fail "k=$k: rollback run again did not go to release 1: $(head -n 1 "$OUT")"
	walk_check "k=$k" one "$ONE" $keep
	[ "$(sqlite3 "$STATE/deployctl.db" "select commit_sha from pins where project = '$PROJECT'")" = \
		"$(git -C "$REPO" rev-parse two)" ] || fail "k=$k: the pin does not quarantine release two's commit"
	walk_drop
	echo "ok k=$k"
}
walk_run "$M" step
echo "ok $TEST_NAME ($M kills, $WALK_SECONDS s)"
