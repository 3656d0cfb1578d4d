#!/usr/bin/env bash
# The SIGKILL walk over an apply (walk.sh): release two of a 5-service
# stack with dependencies, a start-first and a stop-first replace, a
# removal, a creation and an after_dependencies job (between api and web),
# killed right after each of its mutating Docker calls in turn (k = 1..M, M measured by the call counter of an unkilled
# run). After each kill the next apply converges, the history has no gap
# and marks the killed release interrupted, every container carries the
# project's labels, no service has two containers, no container of
# release one (running or retained) is lost, no job container is left and
# the converging release ran the job (succeeded).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/walk.sh"
WALK_JOB=migrate

# M: the mutating calls of the unkilled apply of release two, serially.
walk_setup 0
expect_status 0 apply --repo "$REPO" --ref one
expect_status 0 apply --repo "$REPO" --ref two -j 1 --json
walk_measure two "$WALK_SERVICES"

step() {
	local k=$1 keep
	walk_setup "$k"
	expect_status 0 apply --repo "$REPO" --ref one
	keep=$(walk_ids | cut -d' ' -f2)
	walk_killed "$k" apply --repo "$REPO" --ref two -j 1
	walk_was_killed "$k" apply
	walk_converge apply --repo "$REPO" --ref two
	walk_check "k=$k" two "$WALK_SERVICES" $keep
	walk_drop
	echo "ok k=$k"
}
walk_run "$M" step
echo "ok $TEST_NAME ($M kills, $WALK_SECONDS s)"
