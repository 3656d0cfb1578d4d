#!/usr/bin/env bash
# status, diff, logs, exec, restart and down on a Swarm project (private single-node Swarm,
# swarm-lib.sh; never the host's daemon): status per service (tasks, health, pinned image,
# spec-hash drift, node), diff of two Swarm releases and of a release and a commit, logs of
# the services' tasks (also followed), exec in a task's container with its exit status,
# restart as a forced rolling update, exec of a task on a worker (refused from the manager
# with the node named, run through the worker's daemon), and down removing only the project's
# own services, then its network and config objects, volumes kept unless --volumes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/swarm-lib.sh"

manifest() { # API_MESSAGE DB_REPLICAS
	write_manifest app.yml <<YAML
name: $PROJECT
x-deployctl: {target: swarm}
services:
  api:
    image: deployctl-test/app:healthy
    environment: {MESSAGE: $1}
    init: true
    depends_on: [db]
    networks: [back]
    configs:
      - source: cfg
        target: /etc/app.conf
    healthcheck:
      test: ["CMD", "/testsrv", "probe", "8080"]
      interval: 1s
  db:
    image: deployctl-test/app:v1
    init: true
    networks: [back]
    volumes: [data:/data]
    deploy: {replicas: $2}
networks:
  back: {}
volumes:
  data: {}
configs:
  cfg: {file: ./app.conf}
YAML
}
stack_services() {
	swarm_docker service ls -q --filter "label=com.docker.stack.namespace=$PROJECT" | sort
}
json_get() { # PYTHON-EXPRESSION over the JSON document j in $OUT
	python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($1)" "$OUT"
}

manifest hello-v1 2
echo one >"$REPO/manifests/app.conf"
commit first
swarm_start
t0=$(date +%s)
dctl_swarm apply --repo "$REPO" || { cat "$OUT" "$ERR"; fail "first apply failed"; }
node=$(swarm_docker info -f '{{.Swarm.NodeID}}')

# status: tasks against the desired count, health where there is a check, the release matched.
dctl_swarm status || { cat "$OUT" "$ERR"; fail "status failed"; }
grep -q 'on Swarm' "$OUT" || { cat "$OUT"; fail "status does not say Swarm"; }
grep -Eq '^api +1/1 +healthy +1 +yes +'"${node:0:12}" "$OUT" || { cat "$OUT"; fail "status: api line"; }
grep -Eq '^db +2/2 +no check +1 +yes +'"${node:0:12}"' x2 +sha256:' "$OUT" || { cat "$OUT"; fail "status: db line"; }
dctl_swarm status --json || fail "status --json failed"
[ "$(json_get '[(s["service"],s["desired"],s["running"],s["healthy"],s["matches_release"]) for s in j["services"]]')" = \
	"[('api', 1, 1, 1, True), ('db', 2, 2, None, True)]" ] || { cat "$OUT"; fail "status --json services"; }
[ "$(json_get 'sorted({t["node"] for s in j["services"] for t in s["tasks"]})')" = "['$node']" ] ||
	fail "status --json: task nodes"
[ "$(json_get '(j["target"], j["release"], j["missing"], j["pin"])')" = "('swarm', 1, [], None)" ] ||
	{ cat "$OUT"; fail "status --json header"; }

# logs: every task of the services, behind the service's name; a follow ends on SIGTERM.
dctl_swarm logs --tail 5 || { cat "$ERR"; fail "logs failed"; }
[ "$(grep -c '^db  | testsrv: listening' "$OUT")" = 2 ] || { cat "$OUT"; fail "logs: not both db tasks"; }
grep -q '^api | testsrv: listening' "$OUT" || { cat "$OUT"; fail "logs: no api line"; }
dctl_swarm logs --no-prefix api || fail "logs api failed"
[ "$(cat "$OUT")" = "testsrv: listening on 0.0.0.0:8080" ] || { cat "$OUT"; fail "logs api: $(cat "$OUT")"; }
DOCKER_HOST="$SWARM_HOST" expect_status 2 logs nope
expect_err "no Swarm service 'nope'"
DOCKER_HOST="$SWARM_HOST" timeout --preserve-status -s TERM 3 "$DEPLOYCTL" --state "$STATE" logs -f db >"$OUT" 2>"$ERR"
[ $? = 0 ] || { cat "$ERR"; fail "logs -f did not end cleanly on SIGTERM"; }
grep -q '^db | testsrv: listening' "$OUT" || { cat "$OUT"; fail "logs -f printed nothing"; }

# exec: in the task's container on this node, with the command's exit status.
DOCKER_HOST="$SWARM_HOST" "$DEPLOYCTL" --state "$STATE" exec -T api -- /testsrv job --exit 7 >"$OUT" 2>"$ERR"
[ $? = 7 ] || { cat "$OUT" "$ERR"; fail "exec did not exit with the command's status"; }
grep -q 'job exiting with 7' "$OUT" || fail "exec output missing"
dctl_swarm exec -T --replica 2 db -- /testsrv job --exit 0 || { cat "$ERR"; fail "exec in db.2 failed"; }
DOCKER_HOST="$SWARM_HOST" "$DEPLOYCTL" --state "$STATE" exec -T --replica 3 db -- /testsrv job --exit 0 >"$OUT" 2>"$ERR"
[ $? = 1 ] && grep -q "no running task of service 'db' in slot 3" "$ERR" || { cat "$ERR"; fail "exec in a missing slot"; }

# restart: a forced rolling update, gated; the spec (and its hash) stays, the task is new.
task=$(swarm_docker service ps -q --filter desired-state=running "${PROJECT}_api")
hash=$(swarm_docker service inspect -f '{{index .Spec.Labels "io.deployctl.spec-hash"}}' "${PROJECT}_api")
dctl_swarm restart api || { cat "$OUT" "$ERR"; fail "restart failed"; }
expect_out 'ok +restart +api \(forced update'
[ "$(swarm_docker service inspect -f '{{.Spec.TaskTemplate.ForceUpdate}}' "${PROJECT}_api")" = 1 ] ||
	fail "ForceUpdate not incremented"
new_task=$(swarm_docker service ps -q --filter desired-state=running "${PROJECT}_api")
[ -n "$new_task" ] && [ "$new_task" != "$task" ] || fail "restart kept the old task ($task)"
[ "$(swarm_docker inspect -f '{{.Status.State}}' "$new_task")" = running ] || fail "the new task is not running"
[ "$(swarm_docker service inspect -f '{{index .Spec.Labels "io.deployctl.spec-hash"}}' "${PROJECT}_api")" = "$hash" ] ||
	fail "restart changed the spec hash"
sqlite3 "$STATE/deployctl.db" "select message from events where kind = 'restart'" | grep -q 'api (Swarm) restarted by .*up in' ||
	fail "restart not recorded as an event"
DOCKER_HOST="$SWARM_HOST" expect_status 2 restart nope

# diff: a release against a commit, then two Swarm releases, value by value.
manifest hello-v2 1
echo two >"$REPO/manifests/app.conf"
commit second
dctl_swarm diff --repo "$REPO" --to HEAD || { cat "$OUT" "$ERR"; fail "diff --to HEAD failed"; }
expect_out 'env MESSAGE: hello-v1 -> hello-v2'
expect_out 'replicas: 2 -> 1'
expect_out '^\+two'
dctl_swarm apply --repo "$REPO" || { cat "$OUT" "$ERR"; fail "second apply failed"; }
dctl_swarm diff --repo "$REPO" --json || { cat "$OUT" "$ERR"; fail "diff failed"; }
[ "$(json_get 'sorted((c["service"],c["field"],c["old"],c["new"]) for c in j["changes"] if c["field"] != "configs")')" = \
	"[('api', 'env', 'hello-v1', 'hello-v2'), ('db', 'replicas', '2', '1')]" ] || { cat "$OUT"; fail "diff --json"; }

# exec across nodes: with a worker joined and db spread over both, a task on the worker is
# named with its node from the manager (no remote exec), and reached through the worker's daemon.
swarm_add_worker deployctl-test/app:v1
manifest hello-v2 3
commit spread
dctl_swarm apply --repo "$REPO" || { cat "$OUT" "$ERR"; fail "apply of 3 db replicas failed"; }
wnode=$(docker -H "$SWARM_WHOST" info -f '{{.Swarm.NodeID}}')
slot=$(swarm_docker service ps -q --filter desired-state=running "${PROJECT}_db" |
	xargs docker -H "$SWARM_HOST" inspect -f '{{.NodeID}} {{.Slot}} {{.Status.State}}' |
	awk -v n="$wnode" '$1 == n && $3 == "running" { print $2; exit }')
[ -n "$slot" ] || fail "no db task runs on the worker"
DOCKER_HOST="$SWARM_HOST" "$DEPLOYCTL" --state "$STATE" exec -T --replica "$slot" db -- /testsrv job --exit 0 >"$OUT" 2>"$ERR"
[ $? = 1 ] && grep -q "db.$slot runs on node '.*' (${wnode:0:12}), not on the node this daemon is" "$ERR" ||
	{ cat "$OUT" "$ERR"; fail "exec of a task on another node: no clear error naming the node"; }
DOCKER_HOST="$SWARM_WHOST" "$DEPLOYCTL" --state "$STATE" exec -T --replica "$slot" db -- /testsrv job --exit 5 >"$OUT" 2>"$ERR"
[ $? = 5 ] || { cat "$OUT" "$ERR"; fail "exec through the worker's own daemon"; }

# status: a service whose spec hash is not the release's is drift.
swarm_docker service update -d -q --label-add io.deployctl.spec-hash=0000 "${PROJECT}_db" >/dev/null ||
	fail "cannot relabel db"
dctl_swarm status --json || fail "status --json failed"
[ "$(json_get '[(s["service"],s["matches_release"]) for s in j["services"]]')" = "[('api', True), ('db', False)]" ] ||
	{ cat "$OUT"; fail "status does not see db's drift"; }

# down: only the project's own services (a service of the same stack name without the
# project label stays), then the network and config objects; the volume is kept.
swarm_docker service create -d -q --name "${PROJECT}_foreign" --label "com.docker.stack.namespace=$PROJECT" \
	deployctl-test/app:v1 >/dev/null || fail "cannot create the foreign service"
foreign=$(stack_services)
DOCKER_HOST="$SWARM_HOST" expect_status 2 down --keep-history
dctl_swarm down || { cat "$OUT" "$ERR"; fail "down failed"; }
expect_out 'remove +api: down'
expect_out 'network-remove back'
expect_out 'volumes kept: '"${PROJECT}_data"
[ "$(swarm_docker service ls --format '{{.Name}}' --filter "label=com.docker.stack.namespace=$PROJECT")" = "${PROJECT}_foreign" ] ||
	fail "down left: $(stack_services) (foreign: $foreign)"
[ -z "$(swarm_docker network ls -q --filter "label=io.deployctl.project=$PROJECT")" ] || fail "network left"
[ -z "$(swarm_docker config ls -q --filter "label=com.docker.stack.namespace=$PROJECT")" ] || fail "config objects left"
swarm_docker volume inspect "${PROJECT}_data" >/dev/null 2>&1 || fail "down removed the volume without --volumes"
dctl_swarm down --volumes || { cat "$OUT" "$ERR"; swarm_docker ps -a --no-trunc --format "{{.ID}} {{.Names}} {{.Status}} {{.Labels}}"; fail "down --volumes failed"; }
expect_out 'volume-remove +data'
swarm_docker volume inspect "${PROJECT}_data" >/dev/null 2>&1 && fail "down --volumes kept the volume"
dctl_swarm history --json
grep -q '"kind":"down"' "$OUT" || fail "history lacks the down"
dctl_swarm status || fail "status after down failed"
grep -Eq '^(api|db) ' "$OUT" && { cat "$OUT"; fail "status lists services after down"; }
echo "# commands took $(($(date +%s) - t0)) s"
echo "ok $TEST_NAME"
