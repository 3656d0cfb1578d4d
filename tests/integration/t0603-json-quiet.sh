#!/usr/bin/env bash
# Output a script can rely on: every command that prints data takes --json
# and prints one JSON document; release numbers are integers everywhere, no
# list holds null, durations and times keep sub-second precision; text
# output shows a commit with 12 characters everywhere; -q prints only the
# final line; plan shows non-secret env values and how many containers stop.
. "$(dirname "$0")/lib.sh"

manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:v1
    init: true
    environment: {LOG_LEVEL: $1, API_TOKEN: "\${API_TOKEN}"}
    deploy: {replicas: 2}
YAML
}
umask 077
echo "API_TOKEN=tok-$$" >"$WORK/app.env"
manifest info
commit one
expect_status 0 -q apply --repo "$REPO" --env-file "$WORK/app.env"
[ "$(grep -c . "$OUT")" = 1 ] || { cat "$OUT"; fail "-q apply printed more than one line"; }
expect_out '^release 1 succeeded in [0-9.]+s'
[ -s "$ERR" ] && { cat "$ERR"; fail "-q apply printed on stderr"; }

manifest debug
commit two
expect_status 0 plan --repo "$REPO" --env-file "$WORK/app.env"
expect_out "^plan for $PROJECT at git [0-9a-f]{12}: 2 change\(s\), 2 container\(s\) stopped$"
expect_out 'replace +web#1: env LOG_LEVEL: info -> debug \(start-first: default\)$'
expect_status 0 apply --repo "$REPO" --env-file "$WORK/app.env" -q
[ "$(grep -c . "$OUT")" = 1 ] || { cat "$OUT"; fail "apply -q printed more than one line"; }
commit=$(git -C "$REPO" rev-parse HEAD)

# Text output: the commit with 12 characters, everywhere.
expect_status 0 history --project "$PROJECT"
grep -qE "^2 .* ${commit:0:12} +[0-9]+\.[0-9]{2}s " "$OUT" || { cat "$OUT"; fail "history: commit or duration"; }
grep -q "${commit:0:13}" "$OUT" && fail "history shows more than 12 characters of the commit"
expect_status 0 show 2
expect_out "^source: +git ${commit:0:12}( |$)"
grep -q "${commit:0:13}" "$OUT" && fail "show shows more than 12 characters of the commit"

# --json everywhere data is printed: one document each, checked the same way.
check_json() {
	python3 - "$OUT" "$1" <<'PY' || { cat "$OUT"; fail "deployctl $1 --json: $(cat "$WORK/why" 2>/dev/null)"; }
import json, sys
doc = json.load(open(sys.argv[1]))
def walk(v, path):
    if isinstance(v, dict):
        for k, x in v.items():
            if k in ("release", "rollback_of", "release_id") and x is not None and not isinstance(x, int):
                raise SystemExit("%s.%s is %r, not an integer" % (path, k, x))
            walk(x, path + "." + k)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            if x is None:
                raise SystemExit("%s[%d] is null" % (path, i))
            walk(x, "%s[%d]" % (path, i))
walk(doc, sys.argv[2])
PY
}
for cmd in "status --project $PROJECT" "ps --project $PROJECT" "history --project $PROJECT" \
	"show 2" "tag --list" "version" "diff --repo $REPO --env-file $WORK/app.env" \
	"plan --repo $REPO --env-file $WORK/app.env" "check --repo $REPO --env-file $WORK/app.env" \
	"restart --project $PROJECT web"; do
	expect_status 0 $cmd --json
	check_json "$cmd"
done
expect_status 0 status --project "$PROJECT" --json
grep -q '"missing":\[\]' "$OUT" || fail "status --json: missing is not an empty list"
grep -qE '"release":2,' "$OUT" || fail "status --json: container release not an integer"
expect_status 0 history --project "$PROJECT" --json
python3 - "$OUT" <<'PY' || fail "history --json: sub-second precision lost"
import json, sys
rels = json.load(open(sys.argv[1]))
rels = rels["releases"] if isinstance(rels, dict) else rels
for r in rels:
    assert r["started_at"][19] == "." and r["finished_at"].endswith("Z"), r
    assert isinstance(r["release"], int)
    # a duration measured to the millisecond is not a whole number of seconds
    assert r["duration_s"] != round(r["duration_s"]) or r["duration_s"] == 0, r
PY
expect_status 0 down --project "$PROJECT" --json -q
check_json down
echo "ok $TEST_NAME"
