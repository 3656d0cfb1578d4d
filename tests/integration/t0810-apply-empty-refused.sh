#!/usr/bin/env bash
# A manifest set with no services (an empty file, a file holding only
# "services:", a profile-less --dir copy) is refused with exit 2, and
# nothing running is touched; --allow-empty applies it on purpose.
. "$(dirname "$0")/lib.sh"

write_manifest app.yml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:v1
    init: true
YAML
commit first
expect_status 0 apply --repo "$REPO"
web1=$(cid web)
[ -n "$web1" ] || fail "web was not created"

still_running() {
	[ "$(cid web)" = "$web1" ] || fail "web was replaced or removed ($1)"
	[ "$(docker inspect -f '{{.State.Running}}' "$web1")" = true ] || fail "web stopped ($1)"
}

refused() {
	expect_err "no services in ([^ ]*/)?manifests/app.yml: removing every service of '$PROJECT' is \`deployctl down\`; use --allow-empty to apply an empty project"
	expect_err 'nothing was changed'
	grep -q remove "$OUT" && fail "a plan was printed: $(cat "$OUT")"
	still_running "$1"
}

# An empty file (the project name from --project).
: >"$REPO/manifests/app.yml"
commit empty
expect_status 2 plan --repo "$REPO" --project "$PROJECT"
refused "plan, empty file"
expect_status 2 apply --repo "$REPO" --project "$PROJECT"
refused "apply, empty file"

# A file holding only "services:".
printf 'name: %s\nservices:\n' "$PROJECT" >"$REPO/manifests/app.yml"
commit truncated
expect_status 2 plan --repo "$REPO"
refused "plan, services: only"
expect_status 2 apply --repo "$REPO"
refused "apply, services: only"
expect_status 1 check --repo "$REPO"
expect_out "FAIL +manifests: no services in manifests/app.yml: .*--allow-empty"
still_running "check, services: only"

# The same from a directory.
mkdir -p "$WORK/dir/manifests"
printf 'name: %s\nservices: {}\n' "$PROJECT" >"$WORK/dir/manifests/app.yml"
expect_status 2 apply --dir "$WORK/dir"
refused "apply --dir"

# On purpose: the plan says what goes, apply does it.
expect_status 0 plan --repo "$REPO" --allow-empty
expect_out 'remove +web#1: service removed from manifests'
still_running "plan --allow-empty"
expect_status 0 apply --repo "$REPO" --allow-empty
[ "$(count_containers web)" = 0 ] || fail "web still runs after apply --allow-empty"
echo "ok $TEST_NAME"
