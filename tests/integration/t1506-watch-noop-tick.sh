#!/usr/bin/env bash
# watch: a no-op tick of a converged stack makes exactly one Docker call (the
# label-filtered container list) and says so in its summary line, which
# bench/watch-noop.sh reads ("N tick(s); M no-op tick(s), X ms and C Docker
# calls each on average"). A tick that re-read anything per container, or a
# summary line that changed its words, fails here before the bench breaks.
# A tick whose answer is the last converged one decodes and diffs nothing;
# one that differs (a container stopped by hand, with no events stream to
# tell) must still be seen and repaired by the next tick.
. "$(dirname "$0")/lib.sh"

write_manifest app.yml <<YAML
name: $PROJECT
services:
  a: {image: deployctl-test/app:v1, init: true}
  b: {image: deployctl-test/app:v1, init: true}
  c: {image: deployctl-test/app:v1, init: true, depends_on: [a]}
YAML
commit three
git -C "$REPO" branch -M main
expect_status 0 apply --repo "$REPO"
expect_status 0 watch --repo "$REPO" --ref main --interval 1ms --no-events --ticks 40
line=$(grep -E '^deployctl: [0-9]+ tick\(s\); [0-9]+ no-op tick\(s\), [0-9.]+ ms and [0-9.]+ Docker calls each on average$' "$ERR") ||
	{ cat "$ERR"; fail "no summary line of the no-op ticks"; }
echo "$line"
calls=$(echo "$line" | sed -n 's/.* ms and \([0-9.]*\) Docker calls each.*/\1/p')
ticks=$(echo "$line" | sed -n 's/^deployctl: \([0-9]*\) tick(s); \([0-9]*\) no-op.*/\2/p')
[ "$calls" = 1.00 ] || fail "a no-op tick made $calls Docker calls, not 1"
[ "$ticks" -ge 38 ] || fail "only $ticks of 40 ticks were no-ops on a converged stack"

LOG="$WORK/watch.log"
"$DEPLOYCTL" --state "$STATE" watch --repo "$REPO" --ref main --interval 100ms --no-events \
	--self-heal --ticks 150 >"$LOG" 2>&1 &
WPID=$!
trap 'kill $WPID 2>/dev/null; cleanup' EXIT
sleep 1.5 # a dozen no-op ticks: the converged answer is kept
grep -q 'apply' "$LOG" && { cat "$LOG"; fail "the watcher applied something on a converged stack"; }
old=$(cid b)
docker stop -t 1 "$old" >/dev/null
running_b() { [ "$(docker inspect -f '{{.State.Running}}' "$(cid b)" 2>/dev/null)" = true ]; }
wait_for 10 running_b || { cat "$LOG"; fail "a container stopped by hand was not seen by the next ticks"; }
wait_for 5 grep -qE 'apply: drift: start b#1: stopped' "$LOG" || { cat "$LOG"; fail "the repair did not say why"; }
kill $WPID 2>/dev/null
wait $WPID 2>/dev/null
echo "ok $TEST_NAME"
