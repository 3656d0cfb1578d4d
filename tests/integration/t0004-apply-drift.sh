#!/usr/bin/env bash
# Drift is repaired: a removed container is recreated, a stopped one started,
# a network disconnected by hand is put back; scaling up and down works.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:healthy
    ports: ["127.0.0.1:$PORT:8080"]
    init: true
  worker:
    image: deployctl-test/app:v1
    init: true
    deploy: {replicas: $1}
YAML
}
manifest 2
commit one
expect_status 0 apply --repo "$REPO"
[ "$(count_containers worker)" = 2 ] || fail "expected 2 workers"

docker rm -f "$(cid web)" >/dev/null
docker stop -t 0 "$(cid worker 2)" >/dev/null
expect_status 0 plan --repo "$REPO"
expect_out 'create +web#1: missing'
expect_out 'start +worker#2: stopped \(Exited'
expect_status 0 apply --repo "$REPO"
http_get "$PORT" / >/dev/null || fail "web not back"
[ "$(docker inspect -f '{{.State.Running}}' "$(cid worker 2)")" = true ] || fail "worker#2 not started"

docker network disconnect "${PROJECT}_default" "$(cid worker 1)"
expect_status 0 apply --repo "$REPO"
expect_out 'replace +worker#1: networks changed by hand'
expect_status 0 apply --repo "$REPO"
expect_out 'no changes'

manifest 1
commit down
expect_status 0 apply --repo "$REPO"
expect_out 'remove +worker#2: scaled down'
[ "$(count_containers worker)" = 1 ] || fail "expected 1 worker"
echo "ok $TEST_NAME"
