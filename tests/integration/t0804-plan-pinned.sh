#!/usr/bin/env bash
# plan of a pinned commit (a rollback quarantined it) says that apply will
# refuse it and exits as apply does (2), instead of listing changes and
# exiting 0; with --force it shows what apply --force would do; after unpin
# it plans as usual. plan never clears the pin.
. "$(dirname "$0")/lib.sh"

manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:$1
    init: true
YAML
}
manifest v1
commit one
expect_status 0 apply --repo "$REPO"
manifest v2
commit two
two=$(git -C "$REPO" rev-parse HEAD)
expect_status 0 apply --repo "$REPO"
expect_status 0 rollback --project "$PROJECT"
expect_out "pinned $PROJECT"

expect_status 2 apply --repo "$REPO"
apply_err=$(cat "$ERR")
expect_status 2 plan --repo "$REPO"
expect_err "apply would refuse it: git ${two:0:12} was rolled back \(pinned to release 3"
grep -q 'replace' "$OUT" && fail "plan of a pinned commit lists changes: $(cat "$OUT")"
expect_status 2 plan --repo "$REPO" --json
[ -s "$OUT" ] && fail "plan --json of a pinned commit prints a plan: $(cat "$OUT")"
# plan left the pin alone.
expect_status 0 status --project "$PROJECT" --json
grep -q "\"pin\":{\"release\":3,\"commit\":\"$two\"" "$OUT" || fail "plan cleared the pin: $(cat "$OUT")"
expect_status 0 plan --repo "$REPO" --force
expect_out 'replace +web#1'
expect_status 0 unpin --project "$PROJECT"
expect_status 0 plan --repo "$REPO"
expect_out 'replace +web#1'
echo "plan of a pinned commit: exit 2 as apply ($apply_err)"
