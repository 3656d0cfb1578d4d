#!/usr/bin/env bash
# deployctl diff: between two releases and between a release and a commit,
# value by value — non-secret env values old -> new, a secret only as
# changed (its value never printed), replicas, networks, services added
# and removed — and config files as unified diffs read from git at each
# release's commit; --json carries the same.
. "$(dirname "$0")/lib.sh"

manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:v1
    init: true
    environment: {MESSAGE: hi, LOG_LEVEL: $1, API_TOKEN: "\${API_TOKEN}"}
    configs: [{source: site, target: /etc/site.conf}]
    deploy: {replicas: $2}
$3
configs:
  site: {file: ../conf/site.conf}
YAML
}
mkdir -p "$REPO/conf"
printf 'listen 80\nroot /srv\nworkers 2\n' >"$REPO/conf/site.conf"
umask 077
echo "API_TOKEN=tok-$$-first" >"$WORK/one.env"
echo "API_TOKEN=tok-$$-second" >"$WORK/two.env"
manifest info 1 ""
commit one
expect_status 0 apply --repo "$REPO" --env-file "$WORK/one.env"
manifest debug 2 "  extra:
    image: deployctl-test/app:v2
    init: true"
sed -i 's/workers 2/workers 4/' "$REPO/conf/site.conf"
commit two
expect_status 0 plan --repo "$REPO" --env-file "$WORK/two.env"
expect_out 'env API_TOKEN changed'
expect_out 'env LOG_LEVEL: info -> debug'
expect_status 0 apply --repo "$REPO" --env-file "$WORK/two.env"

# Release to release (the defaults: the last two successful ones).
expect_status 0 diff --repo "$REPO" --env-file "$WORK/two.env"
expect_out "^diff $PROJECT: release 1 \(git [0-9a-f]{12}\) -> release 2 \(git [0-9a-f]{12}\)$"
expect_out '^service web:$'
expect_out '^  replicas: 1 -> 2$'
expect_out '^  env LOG_LEVEL: info -> debug$'
expect_out '^  env API_TOKEN: changed \(secret: value not shown\)$'
expect_out '^  configs: changed \(see below\)$'
expect_out '^service extra: added \(replicas 1\)$'
expect_out '^config site:$'
expect_out '^@@ -1,3 \+1,3 @@$'
expect_out '^-workers 2$'
expect_out '^\+workers 4$'
expect_out '^ root /srv$'
grep -q MESSAGE "$OUT" && fail "diff shows an unchanged value"
grep -q "tok-$$" "$OUT" && fail "diff printed a secret value"

expect_status 0 diff --repo "$REPO" --env-file "$WORK/two.env" --json
python3 - "$OUT" <<'PY' || fail "diff --json"
import json, sys
d = json.load(open(sys.argv[1]))
ch = {(c["service"], c["field"], c["key"]): c for c in d["changes"]}
assert ch[("web", "env", "LOG_LEVEL")]["old"] == "info" and ch[("web", "env", "LOG_LEVEL")]["new"] == "debug"
t = ch[("web", "env", "API_TOKEN")]
assert t["secret"] and t["old"] is None and t["new"] is None
assert ch[("web", "replicas", None)]["new"] == "2"
assert ch[("extra", "service", None)]["new"] == "added"
assert "+workers 4\n" in d["configs"][0]["diff"]
PY
grep -q "tok-$$" "$OUT" && fail "diff --json printed a secret value"

# A release against a commit not deployed: the service dropped again, the level changed.
manifest warn 2 ""
commit three
expect_status 0 diff --repo "$REPO" --env-file "$WORK/two.env" --to HEAD
expect_out "-> git [0-9a-f]{12} \(HEAD\)$"
expect_out '^  env LOG_LEVEL: debug -> warn$'
expect_out '^service extra: removed$'
grep -q 'API_TOKEN' "$OUT" && fail "diff --to HEAD shows the unchanged secret as changed"
grep -q 'image' "$OUT" && fail "diff --to HEAD shows an unresolved image ID as a change"
expect_status 0 diff --repo "$REPO" --env-file "$WORK/one.env" --from 1 --to 1
expect_out '^no differences$'
expect_status 2 diff --repo "$REPO" --from 9
expect_err "has no release 9"
echo "ok $TEST_NAME"
