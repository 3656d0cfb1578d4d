#!/usr/bin/env bash
# Swarm target on a private single-node Swarm (swarm-lib.sh; never the host's daemon):
# refusal of a non-manager, create in depends_on waves, no-op with zero mutating calls,
# one service changed, a config file changed (new object, old one collected), scale
# (and a scale by hand, repaired),
# a failing update rolled back automatically, and a rollback from SQLite with git gone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/swarm-lib.sh"

manifest() { # API_MESSAGE DB_IMAGE DB_REPLICAS
	write_manifest app.yml <<YAML
name: $PROJECT
x-deployctl: {target: swarm}
services:
  api:
    image: deployctl-test/app:healthy
    environment: {MESSAGE: $1}
    init: true
    depends_on: [db]
    ports: ["18080:8080"]
    configs:
      - source: cfg
        target: /etc/app.conf
    healthcheck:
      test: ["CMD", "/testsrv", "probe", "8080"]
      interval: 1s
  db:
    image: $2
    init: true
    deploy: {replicas: $3}
    x-deployctl: {rollout: {timeout: 20s}}
configs:
  cfg: {file: ./app.conf}
YAML
}

# The host's daemon is no Swarm manager: refused clearly, nothing changed.
manifest hello-v1 deployctl-test/app:v1 1
echo one >"$REPO/manifests/app.conf"
commit first
expect_status 2 plan --repo "$REPO"
expect_err 'not a Swarm manager'
dctl check --repo "$REPO"
grep -q 'swarm.*not a Swarm manager' "$OUT" || { cat "$OUT" "$ERR"; fail "check has no failing swarm item"; }
t0=$(date +%s)
swarm_start

# Create: db's wave before api's.
dctl_swarm apply --repo "$REPO" || { cat "$OUT" "$ERR"; fail "first apply failed"; }
expect_out 'release 1 succeeded'
grep -n 'ok .*create' "$OUT" | grep -q 'db' || fail "no create of db"
[ "$(grep -n 'ok .*create *db' "$OUT" | cut -d: -f1)" -lt "$(grep -n 'ok .*create *api' "$OUT" | cut -d: -f1)" ] ||
	fail "api created before its dependency db was up"
swarm_docker stack services "$PROJECT" --format '{{.Name}} {{.Replicas}}' | grep -q "${PROJECT}_api 1/1" ||
	fail "docker stack services does not show api 1/1"
# Running tasks of a service with a healthcheck are healthy ones (Swarm holds them in starting).
[ "$(swarm_docker ps --filter "label=com.docker.swarm.service.name=${PROJECT}_api" --format '{{.Status}}' | grep -c healthy)" = 1 ] ||
	fail "api's task is not healthy"
cfg1=$(swarm_docker config ls --format '{{.Name}}' | grep "^${PROJECT}_cfg-")
[ -n "$cfg1" ] || fail "config object missing"

# No-op: the filtered services list, zero mutating calls.
dctl_swarm apply --repo "$REPO" || fail "no-op apply failed"
expect_out 'no changes'
expect_out ', 0 mutating\)'
echo "# no-op: $(grep -o '([0-9]* Docker calls[^)]*)' "$OUT")"

# One service changed: only api updated, with the reason.
manifest hello-v2 deployctl-test/app:v1 1
commit second
db_hash=$(swarm_svc_label db io.deployctl.spec-hash)
dctl_swarm apply --repo "$REPO" || { cat "$OUT" "$ERR"; fail "apply of one change failed"; }
expect_out '~ replace +api: .*MESSAGE'
grep -q 'replace *db' "$OUT" && fail "db was updated too"
[ "$(swarm_svc_label db io.deployctl.spec-hash)" = "$db_hash" ] || fail "db changed"
swarm_svc_env api | grep -q hello-v2 || fail "api env not updated"

# Config file changed: a new object by content, the old one collected.
echo two >"$REPO/manifests/app.conf"
commit third
dctl_swarm apply --repo "$REPO" || { cat "$OUT" "$ERR"; fail "config change failed"; }
cfgs=$(swarm_docker config ls --format '{{.Name}}' | grep "^${PROJECT}_cfg-")
[ "$(echo "$cfgs" | wc -l)" = 1 ] && [ "$cfgs" != "$cfg1" ] || fail "config objects: $cfgs (old $cfg1)"

# Scale db to 2: its running task is kept (the containers' spec hash has no replica count).
db_task=$(swarm_docker ps -q --filter "label=com.docker.swarm.service.name=${PROJECT}_db")
manifest hello-v2 deployctl-test/app:v1 2
commit scale
dctl_swarm apply --repo "$REPO" || { cat "$OUT" "$ERR"; fail "scale failed"; }
expect_out 'replace +db: replicas 1 -> 2'
swarm_docker service ls --format '{{.Name}} {{.Replicas}}' | grep -q "${PROJECT}_db 2/2" || fail "db not 2/2"
swarm_docker ps -q --filter "label=com.docker.swarm.service.name=${PROJECT}_db" | grep -qx "$db_task" ||
	fail "scaling restarted db's running task"

# Scaled by hand (`docker service scale` keeps the spec-hash label): the plan says so and
# apply puts the manifests' count back; then a no-op again.
swarm_docker service scale --detach "${PROJECT}_db=1" >/dev/null
dctl_swarm plan --repo "$REPO" || { cat "$OUT" "$ERR"; fail "plan after a hand scale failed"; }
expect_out 'replace +db: replicas 1 -> 2 \(changed outside deployctl\)'
dctl_swarm apply --repo "$REPO" || { cat "$OUT" "$ERR"; fail "repair of a hand scale failed"; }
db_2of2() { swarm_docker service ls --format '{{.Name}} {{.Replicas}}' | grep -q "${PROJECT}_db 2/2"; }
# (the task the hand scale was stopping may still be shutting down: 3/2 for a moment)
wait_for 20 db_2of2 || { cat "$OUT" "$ERR"; swarm_docker service ls; fail "db not back to 2/2 after a hand scale"; }
dctl_swarm apply --repo "$REPO" || fail "no-op after the repair failed"
expect_out 'no changes'

# Failing update (crashing image): rolled back to the complete previous spec.
good=$(swarm_svc_label db io.deployctl.spec-hash)
manifest hello-v2 deployctl-test/app:crashing 2
commit crash
dctl_swarm apply --repo "$REPO"
[ $? = 1 ] || { cat "$OUT" "$ERR"; fail "crashing update did not fail"; }
expect_out 'release [0-9]+ rolled_back'
[ "$(swarm_svc_label db io.deployctl.spec-hash)" = "$good" ] || fail "db not back to its previous spec"
swarm_wait_running "${PROJECT}_db" 2 || fail "db not running 2 tasks after the rollback"

# Rollback to release 1 from SQLite alone: the git repository is gone.
rm -rf "$REPO"
dctl_swarm rollback --to 1 || { cat "$OUT" "$ERR"; fail "rollback failed"; }
swarm_svc_env api | grep -q hello-v1 || fail "api not back to release 1"
swarm_docker service ls --format '{{.Name}} {{.Replicas}}' | grep -q "${PROJECT}_db 1/1" || fail "db not 1/1"
swarm_docker config ls --format '{{.Name}}' | grep -qx "$cfg1" || fail "release 1's config object not back"
dctl_swarm history --json
grep -q '"kind":"rollback"' "$OUT" || fail "history lacks the rollback"
dctl_swarm show 2 || fail "show failed"
grep -q 'MESSAGE' "$OUT" && grep -q 'replace' "$OUT" || { cat "$OUT"; fail "show 2 lacks the update of api"; }
sqlite3 "$STATE/deployctl.db" "select distinct target from releases" | grep -qx swarm ||
	fail "releases not recorded as target swarm"
echo "# scenarios took $(($(date +%s) - t0)) s"
echo "ok $TEST_NAME"
