#!/usr/bin/env bash
# ctest: serial (timing-sensitive: runs alone under ctest -j)
# SIGTERM while an action that has no gate runs (the stop of a removed
# service, which takes its whole stop grace period): the action finishes,
# no further action starts, nothing is undone, the release is recorded
# interrupted with the count of actions not started, exit 143; the next
# apply converges.
. "$(dirname "$0")/lib.sh"

manifest() {
	{
		printf 'name: %s\nservices:\n' "$PROJECT"
		if [ "${2:-}" = with-old ]; then
			# No init and a stop signal it has no handler for: docker stop waits the grace period.
			printf '  old:\n    image: deployctl-test/app:v1\n'
			printf '    stop_signal: SIGUSR2\n    stop_grace_period: 4s\n'
		fi
		printf '  web:\n    image: deployctl-test/app:v1\n    init: true\n'
		printf '    environment: {MESSAGE: "%s"}\n' "$1"
	} | write_manifest app.yml
}
manifest one with-old
commit one
expect_status 0 apply --repo "$REPO"
web1=$(cid web)
old1=$(cid old)
[ -n "$web1" ] && [ -n "$old1" ] || fail "first apply did not create both services"

manifest two
commit two
t0=$(now)
"$DEPLOYCTL" --state "$STATE" apply --repo "$REPO" >"$OUT" 2>"$ERR" &
pid=$!
# The removal of old runs first and takes ~4 s: signal once its stop began.
for i in $(seq 1 50); do
	[ -n "$(docker events --since "$t0" --until "$(now)" --filter "container=$old1" \
		--filter event=kill --format x)" ] && break
	sleep 0.1
done
sleep 0.5
kill -TERM "$pid"
wait_for 30 exited "$pid" || { kill -9 "$pid"; fail "apply did not exit within 30 s"; }
wait "$pid"
status=$?
[ "$status" = 143 ] || { cat "$OUT" "$ERR"; fail "apply exited $status, expected 143"; }
expect_out 'release [0-9]+ interrupted'
[ "$(cid web)" = "$web1" ] || fail "web was replaced after the signal"
[ "$(docker inspect -f '{{.State.Running}}' "$old1")" = false ] || fail "the removal of old was not finished"
expect_status 0 history --project "$PROJECT" --json
grep -q '"status":"interrupted".*interrupted by SIGTERM: 1 of 2 action(s) not started' "$OUT" ||
	{ cat "$OUT"; fail "release not recorded interrupted with what was not started"; }
expect_status 0 apply --repo "$REPO"
expect_out 'replace +web#1: env MESSAGE: one -> two'
expect_out 'release [0-9]+ succeeded'
grep -qE '(remove|stop)[a-z ]* +old#1' "$OUT" && fail "the next apply redid the removal of old: $(cat "$OUT")"
echo "SIGTERM between actions: removal finished, release interrupted, next apply converged"
