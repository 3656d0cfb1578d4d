#!/usr/bin/env bash
# Notifications reach a real HTTP receiver on 127.0.0.1: Slack format
# ({"text": ...}) and generic JSON, with project, release, commit and
# subject, who, duration, status, reason and the failing check; on
# succeeded, on rolled_back (a failing smoke check) and from a rollback.
# The webhook URL comes from an env file (url_env), is recorded nowhere,
# and no secret value (an env secret, one interpolated into a check) shows
# in any payload, output or the state directory.
. "$(dirname "$0")/lib.sh"

RECV="$WORK/recv"
mkdir -p "$RECV"
start_receiver record "$WORK/rport" "$RECV" --lifetime 90
RPORT=$(cat "$WORK/rport")
HOOK_TOKEN=hook-tok-9f3b2c71d0e4
SECRET=s3cr3t-api-token-6a1e5f
cat >"$WORK/env" <<ENV
HOOK=http://127.0.0.1:$RPORT/services/T000/B000/$HOOK_TOKEN
API_TOKEN=$SECRET
ENV

PORT=$(free_port)
manifest() { # MESSAGE BODY
	write_manifest app.yml <<YAML
name: $PROJECT
x-deployctl:
  smoke:
    - name: message
      url: http://127.0.0.1:$PORT/env/MESSAGE
      body_contains: "$2"
      retries: 1
  notify:
    - url_env: HOOK
    - url_env: HOOK
      format: json
      on: [succeeded, rolled_back]
    - url_env: UNSET_HOOK_VARIABLE
services:
  api:
    image: deployctl-test/app:healthy
    init: true
    environment: {MESSAGE: "$1", API_TOKEN: "\${API_TOKEN}"}
    ports: ["127.0.0.1:$PORT:8080"]
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s, retries: 3}
YAML
	commit "deploy $1"
}
manifest good good
export DEPLOYCTL_USER=alice
expect_status 0 apply --repo "$REPO" --env-file "$WORK/env"
commit1=$(git -C "$REPO" rev-parse HEAD)
# The unset variable is a quiet skip, recorded.
grep -q 'UNSET_HOOK' "$ERR" && fail "an unset url_env was warned about: $(cat "$ERR")"
received() { ls "$RECV" | grep -c '\.json$' || true; }
[ "$(received)" = 2 ] || fail "two notifications expected: $(ls "$RECV")"
python3 - "$RECV" "$PROJECT" "$commit1" <<'PY' || fail "release 1 payloads"
import json, os, sys
d, project, commit = sys.argv[1:4]
bodies = [json.load(open(os.path.join(d, f))) for f in sorted(os.listdir(d)) if f.endswith(".json")]
slack = [b for b in bodies if "text" in b]
plain = [b for b in bodies if "text" not in b]
assert len(slack) == 1 and len(plain) == 1, bodies
t = slack[0]["text"]
for want in (project, "release 1", "succeeded", commit[:12], "deploy good", "alice"):
    assert want in t, (want, t)
j = plain[0]
assert j["project"] == project and j["release"] == 1 and j["status"] == "succeeded", j
assert j["commit"] == commit and j["subject"] == "deploy good" and j["who"] == "alice", j
assert j["kind"] == "apply" and j["duration_s"] > 0 and j["reason"] is None, j
assert slack[0]["deployctl"]["commit"] == commit, slack[0]
PY
grep -q "POST /services/T000/B000/$HOOK_TOKEN" "$RECV/1.head" || fail "not POSTed to the URL's path"
grep -qi 'content-type: application/json' "$RECV/1.head" || fail "no JSON content type"
expect_status 0 show 1
expect_out 'sent +slack url_env HOOK .*succeeded told, 1 attempt\(s\).*HTTP 200'
expect_out 'skipped +slack url_env UNSET_HOOK_VARIABLE.*UNSET_HOOK_VARIABLE is not set'
rm -f "$RECV"/*

# A failing smoke check whose reason holds a secret: rolled back, told, scrubbed.
manifest bad "$SECRET"
expect_status 1 apply --repo "$REPO" --env-file "$WORK/env"
expect_out 'release 2 rolled_back'
grep -l -- "$SECRET" "$OUT" "$ERR" && fail "the secret shows in apply's output"
expect_err "does not contain \"\*\*\*\""
[ "$(received)" = 2 ] || fail "two notifications expected for release 2: $(ls "$RECV")"
python3 - "$RECV" "$SECRET" <<'PY' || fail "release 2 payloads"
import json, os, sys
d, secret = sys.argv[1:3]
bodies = [json.load(open(os.path.join(d, f))) for f in sorted(os.listdir(d)) if f.endswith(".json")]
j = [b for b in bodies if "text" not in b][0]
assert j["status"] == "rolled_back" and j["release"] == 2, j
assert j["failed_check"] == "message", j
assert "smoke check 'message' failed" in j["reason"] and "***" in j["reason"], j
t = [b for b in bodies if "text" in b][0]["text"]
assert "rolled_back" in t and "failing check: message" in t, t
PY
cp "$RECV"/*.json "$WORK/" 2>/dev/null
rm -f "$RECV"/*

# The rollback tells too (the targets of the release it returns to).
manifest good3 good
expect_status 0 apply --repo "$REPO" --env-file "$WORK/env"
expect_out 'release 3 succeeded'
[ "$(received)" = 2 ] || fail "release 3 did not tell both: $(ls "$RECV")"
rm -f "$RECV"/*
expect_status 0 rollback --project "$PROJECT" --to 1 --env-file "$WORK/env"
[ "$(received)" = 2 ] || fail "the rollback did not tell both: $(ls "$RECV")"
grep -h '"kind":"rollback","status":"succeeded"' "$RECV"/*.json >/dev/null ||
	fail "rollback payload: $(cat "$RECV"/*.json)"
cp "$RECV"/*.json "$RECV"/*.head "$WORK/" 2>/dev/null

# No secret and no webhook token anywhere it could leak.
for v in "$SECRET" "$HOOK_TOKEN"; do
	# (the .head files hold the request line, which is the URL itself)
	grep -l -- "$v" "$WORK"/*.json "$RECV"/*.json "$OUT" "$ERR" 2>/dev/null && fail "'$v' leaked into a payload or output"
	grep -rla -- "$v" "$STATE" && fail "'$v' is in the state directory"
done
sqlite3 "$STATE/deployctl.db" "select count(*) from release_notify where url_env = 'HOOK'" | grep -qx 8 ||
	fail "notify targets not recorded with each release"
echo "succeeded, rolled_back and rollback told in Slack and JSON form; no secret in payloads or state"
