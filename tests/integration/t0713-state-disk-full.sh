#!/usr/bin/env bash
# A full disk never leaves a release unrecorded: with the state directory
# on a small tmpfs, a disk that fills during the rollout still gets the
# outcome recorded (room was reserved before the first change); a disk
# already too full to reserve that room refuses the release before
# anything is changed; and a record that still fails after Docker was
# changed says what was changed.
. "$(dirname "$0")/lib.sh"

mkdir -p "$STATE"
mount -t tmpfs -o size=16m,mode=0700 tmpfs "$STATE" || skip "cannot mount a tmpfs"
trap 'umount "$STATE" 2>/dev/null; cleanup' EXIT

# fill_disk: take every free byte of the tmpfs but SLACK_KB (bounded by its size).
fill_disk() {
	dd if=/dev/zero of="$STATE/slack" bs=1k count="${1:-0}" 2>/dev/null
	dd if=/dev/zero of="$STATE/fill" bs=64k 2>/dev/null
	rm -f "$STATE/slack"
}
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:slow
    init: true
    environment: {STEP: "$1"}
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
YAML
	commit "step $1"
}
manifest one
expect_status 0 apply --repo "$REPO"
web=$(cid web)

# Too full to reserve the room: refused before any change, and said so.
manifest two
fill_disk 192
expect_status 4 apply --repo "$REPO"
expect_err 'cannot reserve [0-9]+ KB in database .* to record the release: database or disk is full; nothing was changed'
[ "$(cid web)" = "$web" ] || fail "web was changed although the release was refused"
rm -f "$STATE/fill"
expect_status 0 history --project "$PROJECT" --json
grep -q '"status":"running"' "$OUT" && fail "the refused release was left running"

# The disk fills during the rollout (while web#1's replacement starts):
# the outcome is recorded all the same.
dctl apply --repo "$REPO" &
pid=$!
for i in $(seq 1 100); do
	[ -n "$(docker ps -aq --filter "label=io.deployctl.project=$PROJECT" --filter label=io.deployctl.release=3)" ] && break
	sleep 0.1
done
[ "$i" -lt 100 ] || fail "release 3 created no container"
fill_disk 0
df -k "$STATE" | tail -n 1 | awk '{ exit !($4 < 64) }' || fail "the disk did not fill: $(df -k "$STATE" | tail -n 1)"
wait "$pid"
st=$?
[ "$st" = 0 ] || { cat "$OUT" "$ERR"; fail "apply on a disk that filled exited $st"; }
expect_out 'release 3 succeeded'
rm -f "$STATE/fill"
[ "$(sqlite3 "$STATE/deployctl.db" "select status from releases where id = 3")" = succeeded ] ||
	fail "release 3 not recorded succeeded"
[ "$(sqlite3 "$STATE/deployctl.db" "select group_concat(outcome) from release_actions where release_id = 3")" = done ] ||
	fail "release 3's action not recorded done"

# A record that fails anyway (test fault point) says what was changed.
need_fault_point FAIL_RECORD
manifest three
DEPLOYCTL_TEST_FAIL_RECORD=1 dctl apply --repo "$REPO"
[ $? = 4 ] || { cat "$OUT" "$ERR"; fail "a failed record did not exit 4"; }
expect_err 'release 4: cannot record the outcome \(succeeded\) of its apply: database or disk is full \(test fault point\)'
expect_err 'release 4 changed Docker: replace web#1 done'
expect_status 0 apply --repo "$REPO"
expect_out 'no changes'
expect_err '1 earlier release\(s\) were interrupted'
echo "ok $TEST_NAME"
