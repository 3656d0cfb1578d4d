#!/usr/bin/env bash
# network_mode: service:NAME shares the other service's container network
# (created after it), none has no network; neither joins a project network,
# and a second apply changes nothing.
. "$(dirname "$0")/lib.sh"

write_manifest app.yml <<YAML
name: $PROJECT
services:
  db:
    image: deployctl-test/app:v1
    init: true
  side:
    image: deployctl-test/app:v1
    init: true
    network_mode: service:db
    environment: {PORT: "8081"}
  iso:
    image: deployctl-test/app:v1
    init: true
    network_mode: none
YAML
commit one
expect_status 0 apply --repo "$REPO"
db=$(cid db); side=$(cid side); iso=$(cid iso)
[ -n "$db" ] && [ -n "$side" ] && [ -n "$iso" ] || fail "containers missing"
mode=$(docker inspect -f '{{.HostConfig.NetworkMode}}' "$side")
[ "$mode" = "container:$db" ] || fail "side: NetworkMode is '$mode', want container:$db"
mode=$(docker inspect -f '{{.HostConfig.NetworkMode}}' "$iso")
[ "$mode" = none ] || fail "iso: NetworkMode is '$mode', want none"
[ "$(docker inspect -f '{{len .NetworkSettings.Networks}}' "$side")" = 0 ] ||
	fail "side joined a network"
# db was started first: side depends on it.
[ "$(docker inspect -f '{{.State.Running}}' "$side")" = true ] || fail "side is not running"

expect_status 0 apply --repo "$REPO"
[ "$(cid side)" = "$side" ] && [ "$(cid iso)" = "$iso" ] && [ "$(cid db)" = "$db" ] ||
	fail "second apply replaced a container: $(cat "$OUT")"
echo "ok $TEST_NAME"
