#!/usr/bin/env bash
# A container that fails its gate is kept, stopped, as <name>--failed-r<N>
# for inspection: the error names the probe's command, exit code and last
# output; `deployctl show N` names the kept container; the previous
# container is back; the next successful release prunes the kept one.
. "$(dirname "$0")/lib.sh"

manifest() { # IMAGE MESSAGE
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: $1
    init: true
    environment: {MESSAGE: "$2"}
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s, retries: 2}
    x-deployctl: {rollout: {timeout: 20s}}
YAML
}

manifest deployctl-test/app:healthy v1
commit v1
expect_status 0 apply --repo "$REPO"
api1=$(cid api)

manifest deployctl-test/app:unhealthy v2
commit v2
expect_status 1 apply --repo "$REPO"
grep -q "api#1: unhealthy: probe '/testsrv probe 8080' exited 1" "$OUT" ||
	{ cat "$OUT" "$ERR"; fail "the gate error does not give the probe, its exit code and output"; }
kept=$(failed api)
[ "$(echo "$kept" | grep -c .)" = 1 ] || fail "expected one kept failed container, got '$kept'"
case "$kept" in *--failed-r2) ;; *) fail "kept container '$kept' is not named for release 2" ;; esac
[ "$(docker inspect -f '{{.State.Running}}' "$kept")" = false ] || fail "the kept container runs"
[ "$(cid api)" = "$api1" ] || fail "the previous api container is not back"
[ "$(docker inspect -f '{{.State.Running}}' "$api1")" = true ] || fail "the previous api does not run"
grep -qx "failed container kept for inspection: $kept" "$OUT" ||
	{ cat "$OUT" "$ERR"; fail "apply does not name the kept container"; }

expect_status 0 show 2
grep -q "^kept: *$kept " "$OUT" || { cat "$OUT"; fail "show does not name the kept container"; }
grep -q "failed container kept as $kept" "$OUT" || { cat "$OUT"; fail "the release message does not name the kept container"; }
grep -qE "^ +1 kept +[0-9a-f]{12} $kept" "$OUT" || { cat "$OUT"; fail "show lacks the container events"; }
expect_status 0 show --json 2
jq -e --arg k "$kept" '.kept == [$k]' "$OUT" >/dev/null || { cat "$OUT"; fail "show --json lacks kept"; }

# The next successful release prunes it.
manifest deployctl-test/app:healthy v3
commit v3
expect_status 0 apply --repo "$REPO"
[ -z "$(failed api)" ] || fail "the kept failed container outlived a successful release"
echo "ok $TEST_NAME"
