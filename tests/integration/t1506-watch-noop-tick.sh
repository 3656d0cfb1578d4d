#!/usr/bin/env bash
# watch: a no-op tick of a converged stack makes exactly one Docker call (the
# label-filtered container list) and says so in its summary line, which
# bench/watch-noop.sh reads ("N tick(s); M no-op tick(s), X ms and C Docker
# calls each on average"). A tick that re-read anything per container, or a
# summary line that changed its words, fails here before the bench breaks.
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
echo "ok $TEST_NAME"
