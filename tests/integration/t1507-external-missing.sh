#!/usr/bin/env bash
# An external network or volume that does not exist is refused where it is
# written (file:line:col and key path), with exit 2, before anything is
# created: no container, network or volume of the project, no release.
. "$(dirname "$0")/lib.sh"

MISSING="deployctl-$PROJECT-nosuch"

# no_objects WHAT: nothing of the project exists in Docker, no release was recorded.
no_objects() {
	[ "$(count_containers)" = 0 ] || fail "$1: a container was created"
	[ -z "$(docker network ls -q --filter "label=io.deployctl.project=$PROJECT")" ] ||
		fail "$1: a network was created"
	[ -z "$(docker volume ls -q --filter "label=io.deployctl.project=$PROJECT")" ] ||
		fail "$1: a volume was created"
	[ ! -e "$STATE/state.db" ] || ! "$DEPLOYCTL" --state "$STATE" history --project "$PROJECT" --json |
		grep -q '"release":' || fail "$1: a release was recorded"
}

write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:v1
    init: true
    networks: [edge, own]
networks:
  own: {}
  edge:
    external: true
    name: $MISSING
YAML
commit network
expect_status 2 apply --repo "$REPO"
expect_err "^deployctl: manifests/app.yml:9:3: networks.edge: external network '$MISSING' does not exist$"
no_objects network

write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:v1
    init: true
    volumes: [data:/data, own:/own]
volumes:
  own: {}
  data: {external: true, name: $MISSING}
YAML
commit volume
expect_status 2 apply --repo "$REPO"
expect_err "^deployctl: manifests/app.yml:9:3: volumes.data: external volume '$MISSING' does not exist$"
no_objects volume
expect_status 2 plan --repo "$REPO"
expect_err "^deployctl: manifests/app.yml:9:3: volumes.data: external volume '$MISSING' does not exist$"
exit 0
