#!/usr/bin/env bash
# show N prints a release's actions and snapshot with secrets redacted (text
# and JSON); tag names a release, refuses a duplicate name, lists names;
# unpin with nothing pinned says so and succeeds.
. "$(dirname "$0")/lib.sh"

SECRET="s3cr3t-value-$$"
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:healthy
    environment: {MESSAGE: "$1", API_TOKEN: "$SECRET"}
    labels: {team: payments}
    init: true
YAML
}
manifest one
commit one
expect_status 0 apply --repo "$REPO"
manifest two
commit two
expect_status 0 apply --repo "$REPO"
expect_status 0 history --project "$PROJECT"
[ "$(grep -c succeeded "$OUT")" = 2 ] || fail "expected 2 releases: $(cat "$OUT")"
r1=$(awk -v p="$PROJECT" '$2 == p {print $1}' "$OUT" | sort -n | head -1)
r2=$(awk -v p="$PROJECT" '$2 == p {print $1}' "$OUT" | sort -n | tail -1)
[ -n "$r1" ] && [ "$r1" != "$r2" ] || fail "no release numbers in history: $(cat "$OUT")"

# text: the release, its actions, its snapshot, the secret as a fingerprint
expect_status 0 show "$r1"
expect_out "^release $r1 +project $PROJECT +kind apply +status succeeded"
expect_out '^actions:'
expect_out 'create .* api#1'
expect_out '^ +service api'
expect_out 'image: +deployctl-test/app:healthy'
expect_out 'image id: +sha256:[0-9a-f]{64}'
expect_out 'env: +MESSAGE=one'
expect_out 'env: +API_TOKEN=<redacted:hmac:[0-9a-f]{12}>'
expect_out 'label: +team=payments'
expect_out '^ +networks:'
grep -q "$SECRET" "$OUT" "$ERR" && fail "show printed the secret value"

# JSON: the same, parseable, secret redacted, second release replaced api
expect_status 0 show "$r2" --json
grep -q "$SECRET" "$OUT" "$ERR" && fail "show --json printed the secret value"
python3 - "$OUT" "$r2" <<'PY' || fail "show --json: $(cat "$OUT")"
import json, re, sys
d = json.load(open(sys.argv[1]))
assert d["release"] == int(sys.argv[2]), d["release"]
assert d["kind"] == "apply" and d["status"] == "succeeded"
assert d["rollback_of"] is None
acts = d["actions"]
assert any(a["action"] == "replace" and a["target"] == "api#1" for a in acts), acts
assert all(a["outcome"] == "done" for a in acts), acts
svc = {s["service"]: s for s in d["services"]}
api = svc["api"]
assert api["image"] == "deployctl-test/app:healthy"
assert api["image_id"].startswith("sha256:")
assert api["replicas"] == 1
assert api["env"]["MESSAGE"] == "two"
assert re.fullmatch(r"<redacted:hmac:[0-9a-f]{12}>", api["env"]["API_TOKEN"]), api["env"]
assert api["labels"] == {"team": "payments"}, api["labels"]
assert isinstance(d["networks"], dict) and isinstance(d["volumes"], dict)
PY

# an unknown release: exit 2 with a clear message
expect_status 2 show 999999
expect_err 'no release 999999'
expect_status 2 show nope

# tags
expect_status 0 tag "$r1" keep
expect_out "tagged release $r1 'keep'"
expect_status 0 tag --list --project "$PROJECT"
expect_out "^$PROJECT +$r1 +keep "
expect_status 2 tag "$r2" keep
expect_err "tag 'keep' already names release $r1"
expect_status 2 tag "$r2" 'bad name'
expect_err 'bad tag name'
expect_status 2 tag 999999 other
expect_status 0 tag --list --project "$PROJECT" --json
python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); assert [(x["release"], x["name"]) for x in t] == [(int(sys.argv[2]), "keep")], t' \
	"$OUT" "$r1" || fail "tag --list --json: $(cat "$OUT")"
expect_status 0 show "$r1"
expect_out '^tags: +keep'

# unpin with nothing pinned
expect_status 0 unpin --project "$PROJECT"
expect_out 'is not pinned: nothing to do'
expect_status 0 unpin
expect_out 'nothing is pinned'
echo "ok $TEST_NAME"
