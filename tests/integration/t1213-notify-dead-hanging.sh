#!/usr/bin/env bash
# A notification that cannot be delivered never fails the release and
# never holds it up beyond its bound: a closed port (refused at once, 3
# tries with back-off) and a receiver that accepts and never answers
# (each try cut by its timeout, the target's budget 4.5 s). The release
# succeeds, each target is recorded failed with its attempts, and the
# extra time after the release's own recorded duration stays under 8 s.
. "$(dirname "$0")/lib.sh"

start_receiver hang "$WORK/hport" --lifetime 90
DEAD=$(free_port) # nothing listens there
cat >"$WORK/env" <<ENV
DEAD_HOOK=http://127.0.0.1:$DEAD/hook
HANG_HOOK=http://127.0.0.1:$(cat "$WORK/hport")/hook
ENV
echo "http://127.0.0.1:$DEAD/from-file" >"$WORK/hook-url"
chmod 600 "$WORK/hook-url"

manifest() { # STEP [notify]
	{
		echo "name: $PROJECT"
		[ -n "${2:-}" ] && cat <<YAML
x-deployctl:
  notify:
    - url_env: DEAD_HOOK
    - url_env: HANG_HOOK
      format: json
    - url_file: $WORK/hook-url
YAML
		cat <<YAML
services:
  web: {image: deployctl-test/app:v1, init: true, environment: {STEP: "$1"}}
YAML
	} | write_manifest app.yml
	commit "step $1"
}
# overhead N: seconds of a timed apply beyond the release's own recorded duration.
overhead() {
	local own
	own=$(sqlite3 "$STATE/deployctl.db" "select (julianday(finished_at) - julianday(started_at)) * 86400 from releases where id = $1")
	python3 -c "print(round($2 - $own, 2))"
}
manifest one
expect_status 0 apply --repo "$REPO" --env-file "$WORK/env"
manifest two notify
t0=$(now)
expect_status 0 apply --repo "$REPO" --env-file "$WORK/env"
t1=$(now)
expect_out 'release 2 succeeded'
expect_err 'notification 1 \(url_env DEAD_HOOK\) not sent after 3 attempt\(s\)'
expect_err 'notification 2 \(url_env HANG_HOOK\) not sent after [0-9] attempt\(s\): no answer within'
expect_err 'notification 3 \(url_file .*hook-url\) not sent'
grep -q "127.0.0.1:$DEAD/hook" "$ERR" && fail "the webhook URL is printed"
with=$(overhead 2 "$(python3 -c "print($t1 - $t0)")")
# The same release without notifications: what a loaded machine adds by itself.
manifest three
t0=$(now)
expect_status 0 apply --repo "$REPO" --env-file "$WORK/env"
t1=$(now)
without=$(overhead 3 "$(python3 -c "print($t1 - $t0)")")
extra=$(python3 -c "print(round($with - $without, 2))")
python3 -c "import sys; sys.exit(0 if $extra < 8 else 1)" || fail "notifications added ${extra}s"
expect_status 0 show 2
expect_out 'status succeeded'
expect_out 'failed +slack url_env DEAD_HOOK .*succeeded told, 3 attempt\(s\)'
expect_out 'failed +json url_env HANG_HOOK .*no answer within'
expect_status 0 show 2 --json
python3 - "$OUT" <<'PY' || fail "show --json notify: $(cat "$OUT")"
import json, sys
n = json.load(open(sys.argv[1]))["notify"]
assert [x["outcome"] for x in n] == ["failed", "failed", "failed"], n
assert n[0]["attempts"] == 3 and n[1]["duration_s"] <= 5.0, n
PY
grep -rla "127.0.0.1:$DEAD" "$STATE" && fail "a webhook URL is in the state directory"
echo "dead, hanging and file targets: release succeeded, notifications added ${extra}s (bound 8 s; ${with}s after the release, ${without}s without them)"
