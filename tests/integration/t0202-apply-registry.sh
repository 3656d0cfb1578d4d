#!/usr/bin/env bash
# Pulls in apply, from a real local registry: push v1, apply (pulled, digest
# recorded); push another image under the same tag, apply with
# pull_policy: always (the new digest is deployed and named in the reason);
# stop the registry, roll back: the first image, by ID, without the registry.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry.sh"

V1=$(docker image inspect -f '{{.Id}}' deployctl-test/app:v1) || fail "no deployctl-test/app:v1"
V2=$(docker image inspect -f '{{.Id}}' deployctl-test/app:v2) || fail "no deployctl-test/app:v2"
export DOCKER_CONFIG="$WORK/nocreds"
mkdir -p "$DOCKER_CONFIG"
registry_start plain || fail "cannot start the registry"
IMG="$REGISTRY/deployctl-$PROJECT/app:stable"
registry_push deployctl-test/app:v1 "$IMG" || fail "push of v1 failed"
D1=$REGISTRY_DIGEST
registry_untag "$IMG" || fail "cannot untag"

manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  app:
    image: $IMG
    pull_policy: $1
    init: true
YAML
}
manifest missing
commit one
expect_status 0 apply --repo "$REPO"
expect_err "pull $IMG: Status: Downloaded newer image"
[ "$(docker inspect -f '{{.Image}}' "$(cid app)")" = "$V1" ] || fail "v1 not deployed"
sqlite3 "$STATE/deployctl.db" "select repo_digest from release_services where release_id=1" |
	grep -q "@$D1\$" || fail "release 1 lacks the repo digest"

# The tag moves in the registry; pull_policy missing keeps the local image...
registry_push deployctl-test/app:v2 "$IMG" || fail "push of v2 failed"
D2=$REGISTRY_DIGEST
docker tag deployctl-test/app:v1 "$IMG"
expect_status 0 apply --repo "$REPO"
expect_out 'no changes'
# ...pull_policy always follows it.
manifest always
commit two
expect_status 0 apply --repo "$REPO"
expect_out 'replace +app#1: image changed'
[ "$(docker inspect -f '{{.Image}}' "$(cid app)")" = "$V2" ] || fail "v2 not deployed"
sqlite3 "$STATE/deployctl.db" "select repo_digest from release_services where release_id=2" |
	grep -q "@$D2\$" || fail "release 2 lacks the new digest"

# Registry down: rollback still returns to the first image, by ID.
registry_stop_all
expect_status 0 rollback --project "$PROJECT"
[ "$(docker inspect -f '{{.Image}}' "$(cid app)")" = "$V1" ] || fail "rollback did not restore v1"
sqlite3 "$STATE/deployctl.db" "select repo_digest from release_services where release_id=3" |
	grep -q "@$D1\$" || fail "rollback release lacks the first digest"
# A pull that cannot reach the registry is an error with its location; nothing changes.
before=$(cid app)
manifest always
echo "# touch" >>"$REPO/manifests/app.yml"
commit three
expect_status 2 apply --repo "$REPO"
expect_err "manifests/app.yml:3:3: services.app.image: cannot pull"
[ "$(cid app)" = "$before" ] || fail "a failed pull changed the stack"
ids=$(docker ps -aq --filter "label=io.deployctl.project=$PROJECT")
[ -n "$ids" ] && docker rm -f $ids >/dev/null
echo "ok $TEST_NAME"
