#!/usr/bin/env bash
# A service (and a network) dropped from the manifests is removed; volumes are kept.
. "$(dirname "$0")/lib.sh"

write_manifest a.yml <<YAML
name: $PROJECT
services:
  keep:
    image: deployctl-test/app:v1
    init: true
YAML
write_manifest b.yml <<YAML
services:
  gone:
    image: deployctl-test/app:v1
    init: true
    deploy: {replicas: 2}
    networks: [side]
    volumes: ["cache:/cache"]
networks:
  side: {}
volumes:
  cache: {}
YAML
commit both
expect_status 0 apply --repo "$REPO"
[ "$(count_containers gone)" = 2 ] || fail "expected 2 replicas of gone"
keep1=$(cid keep)

git -C "$REPO" rm -q manifests/b.yml
commit drop
expect_status 0 plan --repo "$REPO"
expect_out 'remove +gone#1: service removed from manifests'
expect_out 'remove +gone#2: service removed from manifests'
expect_out 'network-remove +side: network removed from manifests'
expect_out 'volume .*_cache is no longer in the manifests; kept'
expect_status 0 apply --repo "$REPO"
[ "$(count_containers gone)" = 0 ] || fail "gone still has containers"
[ "$(cid keep)" = "$keep1" ] || fail "keep was touched"
docker network ls --format '{{.Name}}' | grep -qx "${PROJECT}_side" && fail "network not removed"
docker volume ls -q | grep -qx "${PROJECT}_cache" || fail "volume was removed"
docker volume rm "${PROJECT}_cache" >/dev/null
expect_status 0 apply --repo "$REPO"
expect_out 'no changes'
echo "ok $TEST_NAME"
