#!/usr/bin/env bash
# SIGPIPE: `deployctl apply | head -n 1` closes the pipe after the first
# line. The rollout must go on to the end: every action done, the release
# recorded succeeded, every container running the new spec.
. "$(dirname "$0")/lib.sh"

manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  a:
    image: deployctl-test/app:$1
    init: true
  b:
    image: deployctl-test/app:$1
    init: true
    depends_on: [a]
  c:
    image: deployctl-test/app:$1
    init: true
    depends_on: [b]
  d:
    image: deployctl-test/app:$1
    init: true
    depends_on: [c]
YAML
}

check_all() {
	local s id
	for s in a b c d; do
		id=$(cid $s)
		[ -n "$id" ] || fail "service $s has no container after 'apply | head -n 1'"
		[ "$(docker inspect -f '{{.State.Running}}' "$id")" = true ] || fail "$s is not running"
		docker inspect -f '{{.Config.Env}}' "$id" | grep -q "VERSION=${1#v}" ||
			fail "$s does not run deployctl-test/app:$1"
	done
}

# Four services one after the other (a chain): the pipe is gone after the first.
for v in v1 v2; do
	manifest $v
	commit $v
	set -o pipefail
	"$DEPLOYCTL" --state "$STATE" apply --repo "$REPO" 2>"$ERR" | head -n 1 >"$OUT"
	st=$?
	set +o pipefail
	[ "$st" = 0 ] || { cat "$OUT" "$ERR"; fail "apply | head -n 1 exited $st (with $v)"; }
	check_all $v
	expect_status 0 history --project "$PROJECT" --json
	grep -q '"status":"succeeded"' "$OUT" || { cat "$OUT"; fail "release with $v not succeeded"; }
	grep -q '"status":"running"' "$OUT" && fail "a release is left running"
done
# The same with the JSON outcome (one line) and a closed pipe: nothing to do, no error.
"$DEPLOYCTL" --state "$STATE" plan --repo "$REPO" | head -n 0
expect_status 0 plan --repo "$REPO"
expect_out 'no changes'
echo "apply | head -n 1: every release succeeded, all 4 containers running"
