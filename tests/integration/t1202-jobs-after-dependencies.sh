#!/usr/bin/env bash
# An after_dependencies job runs once the services it needs are up — between
# the rollout's stages, before the services that depend on them — and sees
# them answer on the project network; an after job runs after the rollout.
# A failing after_dependencies job fails the release and rolls it back.
. "$(dirname "$0")/lib.sh"
need_jobs_image

manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  db:
    image: deployctl-test/app:slow
    init: true
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
  api:
    image: deployctl-test/app:healthy
    init: true
    environment: {MESSAGE: "$1"}
    depends_on: {db: {condition: service_healthy}}
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
x-deployctl:
  jobs:
    migrate:
      phase: after_dependencies
      needs: [db]
      image: $JOBIMG
      command: ["get", "db:8080", "$2"]
      timeout: 20s
    announce:
      phase: after
      image: $JOBIMG
      command: ["get", "api:8080", "/"]
YAML
}
manifest one /health
commit one
expect_status 0 apply --repo "$REPO"
expect_out 'job migrate \(after_dependencies\): succeeded'
expect_out 'job announce \(after\): succeeded'
# Order: db up, then the migration, then api, then the after job.
l_db=$(grep -nE 'ok +create +db#1' "$OUT" | head -1 | cut -d: -f1)
l_job=$(grep -n 'job migrate (after_dependencies): running' "$OUT" | cut -d: -f1)
l_api=$(grep -nE 'create +api#1: creating' "$OUT" | head -1 | cut -d: -f1)
l_after=$(grep -n 'job announce (after): running' "$OUT" | cut -d: -f1)
[ -n "$l_db" ] && [ -n "$l_job" ] && [ -n "$l_api" ] && [ -n "$l_after" ] || { cat "$OUT"; fail "lines missing"; }
[ "$l_db" -lt "$l_job" ] && [ "$l_job" -lt "$l_api" ] && [ "$l_api" -lt "$l_after" ] ||
	{ cat "$OUT"; fail "jobs ran out of order (db $l_db, migrate $l_job, api $l_api, announce $l_after)"; }
expect_status 0 show 1
expect_out 'migrate +after_dependencies +succeeded +exit 0'
expect_out 'get db:8080/health: HTTP/1.0 200'
expect_out 'announce +after +succeeded'
# Exited 0 is never an unhealthy service: status has no job in it.
expect_status 0 status --project "$PROJECT"
grep -qE 'migrate|announce' "$OUT" && fail "status lists a job"

# A failing migration (404) fails the release; api is put back.
api1=$(cid api)
manifest two /nope
commit two
expect_status 1 apply --repo "$REPO"
expect_out 'job migrate \(after_dependencies\): failed'
grep -q 'job announce' "$OUT" && fail "the after job ran after a failed migration"
expect_out 'release 2 (rolled_back|failed)'
[ "$(cid api)" = "$api1" ] || fail "api was not put back"
echo "ok $TEST_NAME"
