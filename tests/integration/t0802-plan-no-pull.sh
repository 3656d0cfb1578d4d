#!/usr/bin/env bash
# plan never mutates, not even with a pull: an image absent locally (from a
# real local registry that would serve it) stays absent after plan, no pull
# event is seen, and plan says "apply will pull it", listing the change and
# exiting 0. apply then pulls it. A registry whose name does not resolve is
# named as such in apply's error, not blamed on missing credentials.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry.sh"

export DOCKER_CONFIG="$WORK/nocreds"
mkdir -p "$DOCKER_CONFIG"
registry_start plain || fail "cannot start the registry"
IMG="$REGISTRY/deployctl-$PROJECT/app:one"
registry_push deployctl-test/app:v1 "$IMG" || fail "push failed"
registry_untag "$IMG" || fail "cannot untag"
docker image inspect "$IMG" >/dev/null 2>&1 && fail "$IMG is still present locally"

manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  app:
    image: $1
    init: true
  other:
    image: deployctl-test/app:v1
    init: true
YAML
}
manifest "$IMG"
commit one
t0=$(now)
expect_status 0 plan --repo "$REPO"
t1=$(now)
expect_out "note: image $IMG: not present, apply will pull it"
expect_out 'create +app#1'
expect_out 'create +other#1'
expect_status 0 plan --repo "$REPO" --json
grep -qF "\"pulls\":[\"image $IMG: not present, apply will pull it\"]" "$OUT" ||
	fail "plan --json does not list the pull: $(cat "$OUT")"
t2=$(now)
sleep 0.5
docker image inspect "$IMG" >/dev/null 2>&1 && fail "plan pulled $IMG"
pulls=$(docker events --since "$t0" --until "$t2" --filter type=image \
	--filter "image=$IMG" --format '{{.Action}}' | grep -c pull || true)
[ "$pulls" = 0 ] || fail "plan made $pulls pull(s) of $IMG"
[ -z "$(live)" ] || fail "plan created containers"

# apply pulls it (the event shows the same filter sees pulls).
t3=$(now)
expect_status 0 apply --repo "$REPO"
t4=$(now)
sleep 0.5
pulls=$(docker events --since "$t3" --until "$t4" --filter type=image \
	--filter "image=$IMG" --format '{{.Action}}' | grep -c pull || true)
[ "$pulls" -ge 1 ] || fail "apply's pull is not seen as an image event (the check above proves nothing)"
[ -n "$(cid app)" ] || fail "apply did not create app"

# A registry whose name does not resolve: plan says apply will pull; apply says the name does not resolve.
BAD=deployctl-missing.invalid/x:1
manifest "$BAD"
commit bad
expect_status 0 plan --repo "$REPO"
expect_out "note: image $BAD: not present, apply will pull it"
expect_out 'replace +app#1: image changed'
expect_status 2 apply --repo "$REPO"
expect_err "cannot pull '$BAD': docker: pull '$BAD': registry 'deployctl-missing.invalid' does not resolve"
grep -q 'no credentials' "$ERR" && fail "a name that does not resolve is blamed on credentials: $(cat "$ERR")"
# check, where the registry is asked, says the same.
expect_status 1 check --repo "$REPO"
expect_out "registry 'deployctl-missing.invalid' does not resolve"
grep -q 'no credentials' "$OUT" && fail "check blames credentials: $(cat "$OUT")"
echo "plan: no pull (plan ${t0}..${t1}); apply pulled; unresolvable registry named"
