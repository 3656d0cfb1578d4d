#!/usr/bin/env bash
# deployctl down: every container of the project goes (live, retained from
# earlier releases, failed), its networks too; its volumes only with
# --volumes, an external volume never. It is a release of kind down, so a
# rollback brings the stack back from the release before it. It refuses to
# run while an apply holds the lock.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
EXT="dctltest-${PROJECT}-ext"
docker volume create "$EXT" >/dev/null || fail "cannot create the external volume"
trap 'docker volume rm -f "$EXT" >/dev/null 2>&1; cleanup' EXIT
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:$1
    init: true
    environment: {MESSAGE: "$2"}
    ports: ["127.0.0.1:$PORT:8080"]
    volumes: ["data:/data", "ext:/ext"]
    networks: [back]
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
  worker:
    image: deployctl-test/app:v1
    init: true
    networks: [back]
volumes:
  data: {}
  ext: {external: true, name: $EXT}
networks:
  back: {}
YAML
}
objects() {
	docker ps -aq --filter "label=io.deployctl.project=$PROJECT" | grep -c . || true
}
manifest v1 one
commit one
expect_status 0 apply --repo "$REPO"
manifest v2 two
commit two
expect_status 0 apply --repo "$REPO"
http_get "$PORT" / | grep -q two || fail "release 2 not serving"
[ -n "$(retained web)" ] || fail "no retained container of release 1 to take down"
# A container that died: down takes it too.
docker kill "$(cid worker)" >/dev/null || fail "cannot kill the worker"

# Refused while an apply holds the lock.
manifest slow three
commit three
"$DEPLOYCTL" --state "$STATE" apply --repo "$REPO" >"$WORK/slow.out" 2>&1 &
slow=$!
wait_for 5 test -s "$STATE/deployctl.lock" || fail "the slow apply took no lock"
expect_status 5 down --project "$PROJECT"
expect_err "locked by pid $slow"
wait "$slow" || fail "apply of release 3 failed: $(cat "$WORK/slow.out")"
[ "$(objects)" -gt 0 ] || fail "down ran despite the lock"

# Down: no container left (retained and exited ones included), no network; volumes kept.
expect_status 0 down --project "$PROJECT"
expect_out 'release 4 succeeded'
expect_out 'remove +web#1: down$'
expect_out "remove +$PROJECT-web-1--r1: down: retained container of release 1$"
expect_out "volumes kept: ${PROJECT}_data"
expect_out "deployctl rollback --project $PROJECT"
[ "$(objects)" = 0 ] || { docker ps -a --filter "label=io.deployctl.project=$PROJECT"; fail "containers left after down"; }
[ -z "$(docker network ls -q --filter "label=io.deployctl.project=$PROJECT")" ] || fail "network left after down"
docker volume inspect "${PROJECT}_data" >/dev/null 2>&1 || fail "down without --volumes removed a volume"
sqlite3 "$STATE/deployctl.db" "select kind, status from releases where id=4" | grep -qx 'down|succeeded' ||
	fail "down not recorded as a release of kind down"
expect_status 0 history --project "$PROJECT" --json
grep -q '"release":4,"project":"[^"]*","kind":"down"' "$OUT" || fail "history does not show the down"

# Down again: nothing to do, nothing recorded.
expect_status 0 down --project "$PROJECT"
expect_out 'nothing to take down'
sqlite3 "$STATE/deployctl.db" "select count(*) from releases" | grep -qx 4 || fail "an empty down was recorded"

# Rollback after down: the release before it comes back (from the snapshot, no git), unpinned.
mv "$REPO" "$WORK/elsewhere"
expect_status 0 rollback --project "$PROJECT"
expect_out 'back to release 3'
expect_out 'release 5 succeeded'
grep -q pinned "$OUT" && fail "rollback after down pinned the commit it restored"
http_get "$PORT" / | grep -q three || fail "rollback after down did not bring release 3 back"
mv "$WORK/elsewhere" "$REPO"

# --keep-history: stopped and kept, so the next rollback brings the same containers back.
web=$(cid web)
expect_status 0 down --project "$PROJECT" --keep-history
expect_out 'down: stopped and kept for a rollback'
[ -z "$(live --filter status=running)" ] || fail "down --keep-history left containers running"
docker inspect "$web" >/dev/null 2>&1 || fail "down --keep-history deleted the web container"
expect_status 0 rollback --project "$PROJECT"
expect_out 'bringing back the retained container'
[ "$(cid web)" = "$web" ] || fail "rollback after down --keep-history did not reuse the container"

# --volumes: the project's own volume goes, the external one stays.
expect_status 0 down --project "$PROJECT" --volumes
expect_out 'volume-remove +data: down --volumes'
docker volume inspect "${PROJECT}_data" >/dev/null 2>&1 && fail "down --volumes kept the project's volume"
docker volume inspect "$EXT" >/dev/null 2>&1 || fail "down --volumes removed an external volume"
[ "$(objects)" = 0 ] || fail "containers left after down --volumes"
echo "ok $TEST_NAME"
