#!/usr/bin/env bash
# ctest: serial (timing-sensitive: runs alone under ctest -j)
# What apply shows while it works. On a terminal (a pseudo-terminal made by
# script(1)): one line per action redrawn in place several times a second —
# the health wait's attempt count and elapsed time moving — and a summary
# line with the elapsed time; colors unless NO_COLOR. Without a terminal:
# timestamped lines, one per step. --json: one JSON object per line, the
# summary last. The slow image listens only after 3 s, so the wait is seen.
. "$(dirname "$0")/lib.sh"
command -v script >/dev/null || skip "script(1) (util-linux) is not installed"

manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:slow
    init: true
    environment: {MESSAGE: "$1"}
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
YAML
}
manifest one
commit one
script -qec "$DEPLOYCTL --state $STATE apply --repo $REPO" /dev/null </dev/null >"$WORK/tty" 2>&1 ||
	{ cat -v "$WORK/tty"; fail "apply under a pseudo-terminal failed"; }
esc=$(printf '\033')
# Redrawn in place: the cursor goes back up over the block.
grep -q "${esc}\[[0-9]*A" "$WORK/tty" || { cat -v "$WORK/tty"; fail "the live view is not redrawn in place"; }
# The health wait moves: several attempts and elapsed times shown for web#1.
attempts=$(grep -ao 'create         web#1: waiting for health (attempt [0-9]*), [0-9.]*s' "$WORK/tty" | sort -u | wc -l)
[ "$attempts" -ge 5 ] || { cat -v "$WORK/tty"; fail "the health wait was drawn only $attempts distinct time(s)"; }
grep -aqE "${esc}\[2m  \[[0-9]+/2\] 1 running, 0 failed, [0-9.]+s elapsed" "$WORK/tty" ||
	{ cat -v "$WORK/tty"; fail "no summary line with the elapsed time"; }
grep -aq "${esc}\[32mok    ${esc}\[0m create         web#1 (" "$WORK/tty" || fail "no final ok line"
grep -aq 'release 1 succeeded in' "$WORK/tty" || fail "no release line"
# Several redraws a second: at 8 Hz a 3 s wait gives well over 10 frames.
frames=$(grep -ac 'elapsed' "$WORK/tty")
[ "$frames" -ge 10 ] || fail "only $frames redraws during a 3 s wait"
echo "live view: $frames redraws, $attempts distinct health-wait states"

# NO_COLOR: the same view, no color.
manifest two
commit two
NO_COLOR=1 script -qec "$DEPLOYCTL --state $STATE apply --repo $REPO" /dev/null </dev/null >"$WORK/tty" 2>&1 ||
	fail "apply with NO_COLOR failed"
grep -q "${esc}\[[0-9]*A" "$WORK/tty" || fail "NO_COLOR: no live view"
grep -aq "${esc}\[3[0-9]m" "$WORK/tty" && { cat -v "$WORK/tty"; fail "NO_COLOR: colors used"; }

# Without a terminal: plain timestamped lines, one per step, no escapes.
manifest three
commit three
expect_status 0 apply --repo "$REPO"
ts='[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}'
expect_out "^$ts \.\.\.    replace        web#1: waiting for health$"
expect_out "^$ts ok     replace        web#1 \([0-9.]+s\)$"
[ "$(grep -c 'waiting for health' "$OUT")" = 1 ] || fail "lines: the wait was said more than once"
grep -q "$esc" "$OUT" && fail "escape sequences without a terminal"

# --json: a stream of events, one object per line, the summary last.
manifest four
commit four
expect_status 0 apply --repo "$REPO" --json
python3 - "$OUT" <<'PY' || { cat "$OUT"; fail "--json event stream"; }
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
events, summary = lines[:-1], lines[-1]
assert summary["status"] == "succeeded" and isinstance(summary["release"], int), summary
assert all(e["event"] in ("step", "done") for e in events), events
waits = [e for e in events if e["step"] == "waiting for health"]
assert len(waits) >= 2 and waits[-1]["attempt"] > waits[0]["attempt"], waits
assert any(e["event"] == "done" and e["target"] == "web" for e in events)
PY
echo "ok $TEST_NAME"
