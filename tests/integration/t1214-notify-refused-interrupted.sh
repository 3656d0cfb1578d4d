#!/usr/bin/env bash
# A webhook URL written in the manifest is refused before anything is
# touched (it would be in git), with the way to do it (url_env); so are a
# smoke check pointing elsewhere than a published port on this host and
# malformed entries, each at file:line:col with its key path. A release
# killed mid-way is told as interrupted by the next run that finds it.
. "$(dirname "$0")/lib.sh"
need_fault_point KILL_AFTER

PORT=$(free_port)
write_manifest app.yml <<YAML
name: $PROJECT
x-deployctl:
  notify:
    - url: https://hooks.slack.com/services/T000/B000/XXXX
  smoke:
    - name: elsewhere
      url: http://10.1.2.3:$PORT/
    - name: unpublished
      url: http://127.0.0.1:1/
      retries: 99
services:
  web: {image: deployctl-test/app:v1, init: true, ports: ["127.0.0.1:$PORT:8080"]}
YAML
commit "literal webhook"
expect_status 2 apply --repo "$REPO"
expect_err "manifests/app.yml:4:7: x-deployctl.notify\[0\].url: a webhook URL is a credential .*url_env: NAME"
expect_err "manifests/app.yml:7:12: x-deployctl.smoke\[0\].url: .*use 127.0.0.1, localhost or \[::1\], not '10.1.2.3'"
expect_err "manifests/app.yml:9:12: x-deployctl.smoke\[1\].url: port 1 is not published"
expect_err "manifests/app.yml:10:16: x-deployctl.smoke\[1\].retries: .*"
grep -q 'hooks.slack.com' "$OUT" && fail "the URL was printed"
[ "$(count_containers)" = 0 ] || fail "a container was made"
[ -f "$STATE/deployctl.db" ] && [ "$(sqlite3 "$STATE/deployctl.db" "select count(*) from releases")" != 0 ] &&
	fail "a release was recorded"

# Killed after its first action: told as interrupted by the next run.
RECV="$WORK/recv"
mkdir -p "$RECV"
start_receiver record "$WORK/rport" "$RECV" --lifetime 60
export HOOK="http://127.0.0.1:$(cat "$WORK/rport")/hook"
write_manifest app.yml <<YAML
name: $PROJECT
x-deployctl:
  notify:
    - {url_env: HOOK, format: json, on: [interrupted]}
services:
  web: {image: deployctl-test/app:v1, init: true, ports: ["127.0.0.1:$PORT:8080"]}
  worker: {image: deployctl-test/app:v1, init: true}
YAML
commit "two services"
DEPLOYCTL_TEST_KILL_AFTER=1 dctl apply --repo "$REPO"
[ $? = 137 ] || fail "apply was not killed after its first action"
ls "$RECV" | grep -q json && fail "told before the release was known interrupted"
expect_status 0 apply --repo "$REPO"
expect_err 'interrupted and are marked so'
told() { ls "$RECV" | grep -q json; }
wait_for 2 told
python3 - "$RECV" "$PROJECT" <<'PY' || fail "interrupted payload: $(cat "$RECV"/*.json)"
import json, os, sys
d, project = sys.argv[1:3]
b = [json.load(open(os.path.join(d, f))) for f in os.listdir(d) if f.endswith(".json")]
assert len(b) == 1, b
assert b[0]["status"] == "interrupted" and b[0]["release"] == 1 and b[0]["project"] == project, b
assert "interrupted" in b[0]["reason"], b
PY
expect_status 0 show 1
expect_out 'sent +json url_env HOOK \(on interrupted\): interrupted told'
# Told once: the next run finds nothing to tell.
expect_status 0 apply --repo "$REPO"
[ "$(ls "$RECV" | grep -c json)" = 1 ] || fail "the interrupted release was told twice"
echo "literal webhook URL and off-host checks refused at their lines; a killed release told once as interrupted"
