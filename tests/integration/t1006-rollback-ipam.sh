#!/usr/bin/env bash
# A rollback that has to create a network again (here after down) gives it
# the ipam the release had: its subnet and gateway, its labels and the
# internal flag, so a service with a fixed ipv4_address starts with it.
# Before the snapshot kept networks' settings, the network came back with
# Docker's own numbering and web could not get its address.
. "$(dirname "$0")/lib.sh"

NET="10.$((200 + $$ % 50)).$((($$ / 7) % 250)).0"
write_manifest compose.yaml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:v1
    init: true
    networks:
      back:
        ipv4_address: ${NET%.0}.10
networks:
  back:
    labels: {tier: back}
    ipam:
      config:
        - subnet: $NET/24
          gateway: ${NET%.0}.1
          ip_range: $NET/25
YAML
commit one
ipam_of() {
	docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}}{{end}} {{index .Labels "tier"}}' \
		"$(docker network ls -q --filter "label=io.deployctl.project=$PROJECT")"
}
addr_of_web() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$(cid web)"; }
want="$NET/24 ${NET%.0}.1 $NET/25 back"

expect_status 0 apply --repo "$REPO"
[ "$(ipam_of)" = "$want" ] || fail "apply: the network is '$(ipam_of)', not '$want'"
sqlite3 "$STATE/deployctl.db" "select spec from release_resources where release_id=1 and type='network'" |
	grep -q "\"subnet\":\"$NET/24\"" || fail "the snapshot does not hold the network's subnet"

expect_status 0 down --project "$PROJECT"
[ -z "$(docker network ls -q --filter "label=io.deployctl.project=$PROJECT")" ] || fail "down left the network"

expect_status 0 rollback --project "$PROJECT"
expect_out 'network-create back: new network'
[ "$(ipam_of)" = "$want" ] || fail "rollback: the network is '$(ipam_of)', not '$want'"
[ "$(addr_of_web)" = "${NET%.0}.10" ] || fail "rollback: web has '$(addr_of_web)', not its fixed address"
expect_status 0 plan --repo "$REPO"
expect_out '^no changes'
echo "ok $TEST_NAME"
