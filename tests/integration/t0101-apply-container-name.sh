#!/usr/bin/env bash
# container_name names the container exactly; changing the service replaces it
# (stop-first: two containers cannot share the name).
. "$(dirname "$0")/lib.sh"

NAME="fixed-$PROJECT"
# The running container of a service (a replaced one may be kept, stopped, for rollback).
running() {
	docker ps -q --no-trunc --filter "label=io.deployctl.project=$PROJECT" \
		--filter "label=io.deployctl.service=$1"
}
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:v1
    init: true
    container_name: $NAME
    environment: {MESSAGE: "$1"}
YAML
}
manifest one
commit one
expect_status 0 apply --repo "$REPO"
id1=$(running api)
[ -n "$id1" ] || fail "no container"
[ "$(docker inspect -f '{{.Name}}' "$id1")" = "/$NAME" ] || fail "container not named $NAME"

manifest two
commit two
expect_status 0 apply --repo "$REPO"
id2=$(running api)
[ -n "$id2" ] && [ "$id2" != "$id1" ] || fail "api was not replaced"
[ "$(docker inspect -f '{{.Name}}' "$id2")" = "/$NAME" ] || fail "new container not named $NAME"
[ "$(running api | wc -l)" = 1 ] || fail "more than one api container runs"

# replicas > 1 with a fixed name is refused before Docker is touched.
write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:v1
    container_name: $NAME
    deploy: {replicas: 2}
YAML
commit three
expect_status 2 apply --repo "$REPO"
expect_err "services.api.container_name: a fixed container name allows one container"
[ "$(running api)" = "$id2" ] || fail "refused apply touched the container"
echo "ok $TEST_NAME"
