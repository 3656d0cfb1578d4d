#!/usr/bin/env bash
# watch --config: several stacks from one projects.yml, each on its own
# thread with its own lock: a slow apply of one and an unreachable remote of
# another never hold up a third; a bad file is a clear error naming
# file:line:col and the key; SIGHUP re-reads it.
. "$(dirname "$0")/lib.sh"

WPID=
trap '[ -n "$WPID" ] && kill -TERM "$WPID" 2>/dev/null && wait "$WPID"; for p in a b d; do PROJECT=$BASE$p cleanup_one; done; cleanup' EXIT
BASE=$PROJECT
cleanup_one() {
	local ids
	ids=$(docker ps -aq --filter "label=io.deployctl.project=$PROJECT")
	[ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
	ids=$(docker network ls -q --filter "label=io.deployctl.project=$PROJECT")
	[ -n "$ids" ] && docker network rm $ids >/dev/null 2>&1
	return 0
}
LOG="$WORK/watch.log"
env_of() { # PROJECT SERVICE
	local id
	id=$(docker ps -q --filter "label=io.deployctl.project=$1" --filter "label=io.deployctl.service=$2" | head -1)
	[ -n "$id" ] && docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$id" | sed -n 's/^MESSAGE=//p'
}
has_env() { [ "$(env_of "$1" "$2" 2>/dev/null)" = "$3" ]; }

# repo_for NAME IMAGE MESSAGE: a repository per project, with its commit.
repo_for() {
	local r="$WORK/repo-$1"
	[ -d "$r" ] || { git init -q -b main "$r" && mkdir -p "$r/deploy"; }
	cat >"$r/deploy/app.yml" <<YAML
name: ignored-the-config-names-it
services:
  api:
    image: $2
    init: true
    environment: {MESSAGE: $3}
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
    x-deployctl: {rollout: {timeout: 30s}}
YAML
	git -C "$r" add -A && git -C "$r" -c user.name=t -c user.email=t@t commit -qm "$3"
}
repo_for a deployctl-test/app:v1 a-one
repo_for b deployctl-test/app:slow b-one

# A bad file: the key and its position.
cat >"$WORK/bad.yml" <<YAML
projects:
  ${BASE}a:
    repo: $WORK/repo-a
    interval: soon
YAML
expect_status 2 watch --config "$WORK/bad.yml"
expect_err "bad.yml:4:15: projects.${BASE}a.interval: expected a duration"
printf 'projects:\n  %sa:\n    repos: x\n' "$BASE" >"$WORK/bad.yml"
expect_status 2 watch --config "$WORK/bad.yml"
expect_err "bad.yml:3:5: projects.${BASE}a.repos: unknown key"
expect_status 2 watch --config "$WORK/bad.yml" --repo "$WORK/repo-a"
expect_err '--config names the projects'

cat >"$WORK/projects.yml" <<YAML
defaults: {interval: 500ms, self_heal: true}
projects:
  ${BASE}a:
    repo: $WORK/repo-a
    branch: main
    manifests: deploy
  ${BASE}b:
    repo: $WORK/repo-b
    branch: main
    manifests: deploy
  ${BASE}c:
    repo: git://127.0.0.1:$(free_port)/unreachable.git
    interval: 1s
YAML
"$DEPLOYCTL" --state "$STATE" watch --config "$WORK/projects.yml" >"$LOG" 2>&1 &
WPID=$!
wait_for 60 has_env "${BASE}a" api a-one || { cat "$LOG"; fail "a not deployed"; }
wait_for 60 has_env "${BASE}b" api b-one || { cat "$LOG"; fail "b not deployed"; }
wait_for 10 logged "${BASE}c: cannot read HEAD: cannot reach" || { cat "$LOG"; fail "c's outage not logged"; }

# b's next apply is slow (its image takes seconds to become healthy); a's commit goes through meanwhile.
wait_for 60 logged "${BASE}b: up to date with main" || { cat "$LOG"; fail "b's first release did not finish"; }
repo_for b deployctl-test/app:slow b-two
b2=$(git -C "$WORK/repo-b" rev-parse --short=12 HEAD)
wait_for 10 logged "${BASE}b: apply: commit [0-9a-f]{12} -> $b2" || { cat "$LOG"; fail "b's apply did not start"; }
repo_for a deployctl-test/app:v1 a-two
wait_for 10 has_env "${BASE}a" api a-two || { cat "$LOG"; fail "a's commit waited for b"; }
b_done=$(sqlite3 "$STATE/deployctl.db" "select count(*) from releases where project='${BASE}b' and status!='running'")
[ "$b_done" = 1 ] || { cat "$LOG"; fail "b's slow release was not still running when a's finished ($b_done)"; }
wait_for 60 has_env "${BASE}b" api b-two || { cat "$LOG"; fail "b's slow release did not finish"; }

# SIGHUP: the file is read again; a new project is picked up, the others keep going.
repo_for d deployctl-test/app:v1 d-one
cat >>"$WORK/projects.yml" <<YAML
  ${BASE}d:
    repo: $WORK/repo-d
    branch: main
    manifests: deploy
YAML
kill -HUP "$WPID"
wait_for 10 logged "SIGHUP: configuration reloaded: 4 project\(s\)" || { cat "$LOG"; fail "reload not logged"; }
wait_for 30 has_env "${BASE}d" api d-one || { cat "$LOG"; fail "d not deployed after SIGHUP"; }
# A broken file on SIGHUP keeps the running configuration.
printf 'projects: [\n' >>"$WORK/projects.yml"
kill -HUP "$WPID"
wait_for 10 logged "the configuration did not load; keeping the running one" || { cat "$LOG"; fail "bad reload not refused"; }
repo_for a deployctl-test/app:v1 a-three
wait_for 20 has_env "${BASE}a" api a-three || { cat "$LOG"; fail "a stopped after a bad reload"; }

kill -TERM "$WPID"
wait "$WPID" || { cat "$LOG"; fail "watch exited $? after SIGTERM"; }
WPID=
echo "ok $TEST_NAME"
