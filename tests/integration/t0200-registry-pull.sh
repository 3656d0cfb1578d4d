#!/usr/bin/env bash
# Pulls from a real local registry: a pushed tag pulls to its image ID and repo
# digest; the same tag pushed again with another image pulls the new digest,
# which docker_image_remote() sees first; a layer that fails verification is
# an error even though the daemon answers HTTP 200.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry.sh"

V1=$(docker image inspect -f '{{.Id}}' deployctl-test/app:v1) || fail "no deployctl-test/app:v1"
V2=$(docker image inspect -f '{{.Id}}' deployctl-test/app:v2) || fail "no deployctl-test/app:v2"
NOCREDS="$WORK/nocreds"
mkdir -p "$NOCREDS"

registry_start plain || fail "cannot start the registry"
REPO="$REGISTRY/deployctl-$PROJECT/app"
REF="$REPO:stable"

# v1 pushed, the local tag dropped: the pull brings the tag back with its digest.
registry_push deployctl-test/app:v1 "$REF" || fail "push of v1 failed"
D1=$REGISTRY_DIGEST
registry_untag "$REF" || fail "cannot untag $REF"
registry_driver "$WORK/d1" DOCKER_CONFIG="$NOCREDS" DEPLOYCTL_TEST_REF="$REF" \
	DEPLOYCTL_TEST_WANT_LOCAL=absent DEPLOYCTL_TEST_WANT_ID="$V1" \
	DEPLOYCTL_TEST_WANT_DIGEST="$REPO@$D1" || { cat "$WORK/d1"; fail "pull of v1"; }
grep -qF "pulled id=$V1 digest=$REPO@$D1" "$WORK/d1" || { cat "$WORK/d1"; fail "v1 pull result"; }
grep -qF "remote digest: $D1" "$WORK/d1" || { cat "$WORK/d1"; fail "v1 remote digest"; }
grep -q "Digest: $D1" "$WORK/d1" || { cat "$WORK/d1"; fail "no progress lines"; }
[ "$(docker image inspect -f '{{.Id}}' "$REF")" = "$V1" ] || fail "$REF is not v1 after the pull"

# v2 pushed under the same tag, the local tag pointed back at v1: the registry
# and the local digest differ until the pull, which brings v2.
registry_push deployctl-test/app:v2 "$REF" || fail "push of v2 failed"
D2=$REGISTRY_DIGEST
[ "$D2" != "$D1" ] || fail "v2 has v1's digest"
docker tag deployctl-test/app:v1 "$REF" || fail "cannot retag $REF"
registry_driver "$WORK/d2" DOCKER_CONFIG="$NOCREDS" DEPLOYCTL_TEST_REF="$REF" \
	DEPLOYCTL_TEST_WANT_LOCAL="$REPO@$D1" DEPLOYCTL_TEST_WANT_ID="$V2" \
	DEPLOYCTL_TEST_WANT_DIGEST="$REPO@$D2" || { cat "$WORK/d2"; fail "pull of v2"; }
grep -qF "remote digest: $D2" "$WORK/d2" || { cat "$WORK/d2"; fail "v2 remote digest"; }
grep -qF "pulled id=$V2 digest=$REPO@$D2" "$WORK/d2" || { cat "$WORK/d2"; fail "v2 pull result"; }
[ "$(docker image inspect -f '{{.Id}}' "$REF")" = "$V2" ] || fail "$REF is not v2 after the pull"

# A tag the registry does not have.
registry_driver "$WORK/d3" DOCKER_CONFIG="$NOCREDS" DEPLOYCTL_TEST_REF="$REPO:nosuch" \
	DEPLOYCTL_TEST_WANT_ERROR="not found" || { cat "$WORK/d3"; fail "missing tag"; }
grep -q "pull error: docker: pull '$REPO:nosuch'.*manifest unknown" "$WORK/d3" ||
	{ cat "$WORK/d3"; fail "missing tag message"; }

# A layer corrupted in the registry's storage: HTTP 200, then an error object.
mkdir -p "$WORK/rootfs" && head -c 200000 /dev/urandom >"$WORK/rootfs/blob" &&
	tar -C "$WORK/rootfs" -cf "$WORK/rootfs.tar" . || fail "cannot make a rootfs"
BAD="$REGISTRY/deployctl-$PROJECT/corrupt:t"
docker import "$WORK/rootfs.tar" "$BAD" >/dev/null || fail "docker import"
registry_push "$BAD" "$BAD" || fail "push of $BAD"
docker rmi "$BAD" >/dev/null || fail "cannot remove $BAD"
layers="$WORK/registry-plain/data/docker/registry/v2/repositories/deployctl-$PROJECT/corrupt/_layers/sha256"
n=0
for l in $(ls "$layers"); do
	f=$(ls "$WORK"/registry-plain/data/docker/registry/v2/blobs/sha256/*/"$l"/data)
	if [ "$(stat -c %s "$f")" -gt 100000 ]; then
		head -c 1000 /dev/urandom >"$f" && n=$((n + 1))
	fi
done
[ "$n" = 1 ] || fail "found $n layers to corrupt"
registry_driver "$WORK/d4" DOCKER_CONFIG="$NOCREDS" DEPLOYCTL_TEST_REF="$BAD" \
	DEPLOYCTL_TEST_WANT_REMOTE="$REGISTRY_DIGEST" DEPLOYCTL_TEST_WANT_ERROR="verification failed" ||
	{ cat "$WORK/d4"; fail "corrupt layer"; }
grep -q "Verifying Checksum" "$WORK/d4" || { cat "$WORK/d4"; fail "no progress before the error"; }
echo "ok $TEST_NAME"
