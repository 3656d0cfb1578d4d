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

# db gets a new container: side, which lives in db's network namespace, follows.
python3 - "$REPO/manifests/app.yml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read().replace("  db:\n    image: deployctl-test/app:v1\n", "  db:\n    image: deployctl-test/app:v2\n", 1)
open(p, "w").write(s)
PY
commit two
expect_status 0 apply --repo "$REPO"
expect_out 'replace +db#1: image changed'
expect_out 'replace +side#1: follows db, which gets a new container \(network_mode: service:db\)'
grep -q 'iso' "$OUT" && fail "iso was touched"
db2=$(cid db)
mode=$(docker inspect -f '{{.HostConfig.NetworkMode}}' "$(cid side)")
[ "$mode" = "container:$db2" ] || fail "side: NetworkMode is '$mode', want container:$db2"
[ "$(docker inspect -f '{{.State.Running}}' "$(cid side)")" = true ] || fail "side is not running"
expect_status 0 apply --repo "$REPO"
expect_out 'no changes'
echo "ok $TEST_NAME"
