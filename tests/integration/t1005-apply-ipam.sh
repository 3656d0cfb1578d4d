#!/usr/bin/env bash
# A network with a fixed subnet (ipam) and a service with a fixed address on
# it, and a host port range for one container port, as Compose files write them.
. "$(dirname "$0")/lib.sh"

NET="10.$((200 + $$ % 50)).$(($$ % 250)).0"
PORT=$(free_port)
write_manifest compose.yaml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:v1
    init: true
    ports: ["127.0.0.1:$PORT-$((PORT + 1)):8080"]
    networks:
      back:
        ipv4_address: ${NET%.0}.10
networks:
  back:
    ipam:
      config:
        - subnet: $NET/24
          gateway: ${NET%.0}.1
YAML
commit one
expect_status 0 apply --repo "$REPO"
net=$(docker network ls -q --filter "label=io.deployctl.project=$PROJECT")
[ "$(docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' "$net")" = "$NET/24 ${NET%.0}.1" ] ||
	fail "the network's ipam is not the manifest's"
[ "$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$(cid web)")" = "${NET%.0}.10" ] ||
	fail "web does not have its fixed address"
got=$(docker port "$(cid web)" 8080/tcp | head -1)
case "$got" in 127.0.0.1:$PORT | 127.0.0.1:$((PORT + 1))) ;; *) fail "8080 is published on '$got', not in $PORT-$((PORT + 1))" ;; esac
http_get "${got#127.0.0.1:}" / >/dev/null || fail "web does not answer on $got"
expect_status 0 apply --repo "$REPO"
expect_out '^no changes'
echo "ok $TEST_NAME"
