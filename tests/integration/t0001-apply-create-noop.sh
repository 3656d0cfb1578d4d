#!/usr/bin/env bash
# apply creates the stack from a commit; a second apply makes no mutating call.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
write_manifest app.yml <<YAML
name: $PROJECT
version: "3.9"
services:
  api:
    image: deployctl-test/app:healthy
    environment:
      MESSAGE: hello-v1
      DB_PASSWORD: s3cr3t-value-$$
    ports: ["127.0.0.1:$PORT:8080"]
    networks:
      back:
        aliases: [backend]
    depends_on:
      db: {condition: service_started}
    healthcheck:
      test: ["CMD", "/testsrv", "probe", "8080"]
      interval: 1s
    volumes: ["data:/data"]
    init: true
  db:
    image: deployctl-test/app:v1
    networks: [back]
    stop_grace_period: 2s
networks:
  back: {}
volumes:
  data: {}
YAML
commit "first"

expect_status 0 plan --repo "$REPO"
expect_out 'create +api#1: new service'
expect_out 'network-create +back: new network'
[ "$(count_containers)" = 0 ] || fail "plan created containers"

expect_status 0 apply --repo "$REPO"
expect_out 'release [0-9]+ succeeded'
[ "$(count_containers)" = 2 ] || fail "expected 2 containers, got $(count_containers)"
body=$(http_get "$PORT" /) || fail "api does not answer on 127.0.0.1:$PORT"
echo "$body" | grep -q hello-v1 || fail "api answered '$body'"
[ "$(docker inspect -f '{{.State.Running}}' "$(cid db)")" = true ] || fail "db not running"
docker volume ls -q --filter "label=io.deployctl.project=$PROJECT" | grep -q "${PROJECT}_data" ||
	fail "volume not created"

# The release is recorded with its commit, and no secret value in the database.
expect_status 0 history --json
grep -q "\"source\":\"$(git -C "$REPO" rev-parse HEAD)\"" "$OUT" || fail "history lacks the commit"
grep -q '"status":"succeeded"' "$OUT" || fail "history lacks succeeded"
if grep -rqa "s3cr3t-value-$$" "$STATE"; then fail "secret value stored in the state directory"; fi
sqlite3 "$STATE/deployctl.db" "select fingerprint from release_env where key='DB_PASSWORD'" |
	grep -q '^hmac:[0-9a-f]\{12\}$' || fail "secret fingerprint not recorded"

# Second apply: nothing to do, no mutating Docker call, no Docker event.
t0=$(now)
expect_status 0 apply --repo "$REPO"
t1=$(now)
expect_out 'no changes'
expect_out ', 0 mutating\)'
ev=$(events_between "$t0" "$t1")
[ -z "$ev" ] || fail "second apply caused Docker events: $ev"
expect_status 0 apply --repo "$REPO" --json
grep -q '"docker_mutating_calls":0' "$OUT" || fail "json lacks 0 mutating calls"
grep -q '"status":"unchanged"' "$OUT" || fail "json lacks unchanged"
expect_status 0 plan --repo "$REPO"
expect_out '^no changes'

expect_status 0 status --project "$PROJECT" --json
grep -q '"matches_release":true' "$OUT" || fail "status does not match the release"
grep -q '"matches_release":false' "$OUT" && fail "a container does not match the release"
echo "ok $TEST_NAME"
