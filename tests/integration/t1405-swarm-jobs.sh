#!/usr/bin/env bash
# Jobs on the Swarm target (private single-node Swarm, swarm-lib.sh): plan lists them; a
# before backup job, an after_dependencies migration and an after job run as replicated-job
# services — the migration once db's wave is up and before api's, reaching db over the
# overlay network, the after job once api's wave is up — with exit codes, output and the
# artifact recorded and no job service left behind; a failing before job fails the release
# with nothing changed, a failing migration puts db back; a leftover job service of this
# state database is removed by the next release, a foreign one left alone; rollback runs
# the release's rollback job.
. "$(dirname "$0")/lib.sh"
need_jobs_image
SWARM_IMAGES="deployctl-test/app:healthy $JOBIMG"
. "$(dirname "$0")/swarm-lib.sh"

job_services() {
	swarm_docker service ls -q --filter "label=io.deployctl.project=$PROJECT" \
		--filter label=io.deployctl.job | wc -l
}

manifest() { # API_MESSAGE BACKUP_EXIT [MIGRATE_PATH] [DB_MESSAGE]
	write_manifest app.yml <<YAML
name: $PROJECT
x-deployctl:
  target: swarm
  jobs:
    backup:
      phase: before
      image: $JOBIMG
      environment: {DB_PASSWORD: "pw-$$-secret"}
      command: ["write", "/backups/release-\$\${DEPLOYCTL_RELEASE}.txt", "dump of \$\${DEPLOYCTL_PROJECT}", ";",
                "env", "DB_PASSWORD", ";", "exit", "$2"]
      volumes: ["backups:/backups"]
      networks: [back]
      configs: [{source: jobcfg, target: /etc/backup.conf}]
      timeout: 30s
      artifact: /backups/release-\$\$DEPLOYCTL_RELEASE.txt
    maint:
      phase: rollback
      image: $JOBIMG
      command: ["write", "/backups/rollback-\$\${DEPLOYCTL_RELEASE}.txt", "down"]
      volumes: ["backups:/backups"]
      timeout: 30s
    announce:
      phase: after
      image: $JOBIMG
      command: ["get", "db:8080", "/"]
      networks: [back]
      timeout: 30s
    migrate:
      phase: after_dependencies
      needs: [db]
      image: $JOBIMG
      command: ["get", "db:8080", "${3:-/health}"]
      networks: [back]
      timeout: 30s
services:
  db:
    image: deployctl-test/app:healthy
    init: true
    networks: [back]
    deploy: {endpoint_mode: dnsrr}
    environment: {MESSAGE: ${4:-db}}
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
  api:
    image: deployctl-test/app:healthy
    init: true
    environment: {MESSAGE: $1}
    depends_on: [db]
    networks: [back]
networks:
  back: {}
volumes:
  backups: {}
configs:
  jobcfg: {file: ./job.conf}
YAML
}

manifest one 0
echo "level=full" >"$REPO/manifests/job.conf"
commit one
swarm_start
t0=$(date +%s)

# plan lists the jobs apply would run on Swarm and changes nothing.
dctl_swarm plan --repo "$REPO" || { cat "$OUT" "$ERR"; fail "plan failed"; }
expect_out 'job backup \(before\) would run'
expect_out 'job migrate \(after_dependencies\) would run .* once up: db'
[ -z "$(swarm_docker service ls -q)" ] || fail "plan created a service"

# Release 1: backup before anything, migrate between db's wave and api's.
e0=$(date +%s)
dctl_swarm apply --repo "$REPO" || { cat "$OUT" "$ERR"; fail "first apply failed"; }
e1=$(($(date +%s) + 1))
expect_out 'release 1 succeeded'
expect_out 'job backup \(before\): succeeded in [0-9.]+s, exit 0; artifact /backups/release-1.txt'
expect_out 'job migrate \(after_dependencies\): succeeded'
l_job=$(grep -n 'job backup (before): running' "$OUT" | cut -d: -f1)
l_db=$(grep -nE 'ok +create +db' "$OUT" | head -1 | cut -d: -f1)
l_mig=$(grep -n 'job migrate (after_dependencies): running' "$OUT" | cut -d: -f1)
l_api=$(grep -nE 'ok +create +api' "$OUT" | head -1 | cut -d: -f1)
l_after=$(grep -n 'job announce (after): succeeded' "$OUT" | cut -d: -f1)
[ -n "$l_job" ] && [ -n "$l_db" ] && [ -n "$l_mig" ] && [ -n "$l_api" ] && [ -n "$l_after" ] ||
	{ cat "$OUT"; fail "lines missing"; }
[ "$l_job" -lt "$l_db" ] && [ "$l_db" -lt "$l_mig" ] && [ "$l_mig" -lt "$l_api" ] && [ "$l_api" -lt "$l_after" ] ||
	{ cat "$OUT"; fail "out of order (backup $l_job, db $l_db, migrate $l_mig, api $l_api, announce $l_after)"; }
[ "$(job_services)" = 0 ] || fail "a job service was left behind"
# The job's config was a Swarm object of its own (the job mounted it), collected after the
# release as no service uses it.
cfg_events=$(swarm_docker events --since "$e0" --until "$e1" --filter type=config \
	--format '{{.Action}} {{.Actor.Attributes.name}}' | grep "${PROJECT}_jobcfg-" | cut -d' ' -f1 | tr '\n' ' ')
[ "$cfg_events" = "create remove " ] || fail "job config object events: '$cfg_events'"
swarm_docker config ls --format '{{.Name}}' | grep -q "^${PROJECT}_jobcfg-" &&
	fail "the job's config object was not collected"
swarm_docker stack services "$PROJECT" --format '{{.Name}}' | sort | tr '\n' ' ' |
	grep -qx "${PROJECT}_api ${PROJECT}_db " || fail "stack services: $(swarm_docker stack services "$PROJECT")"
# The artifact is in the project's volume on the node.
mp=$(swarm_docker volume inspect -f '{{.Mountpoint}}' "${PROJECT}_backups") || fail "no backups volume"
grep -qx "dump of $PROJECT" "$mp/release-1.txt" || fail "artifact missing or wrong: $(cat "$mp/release-1.txt" 2>&1)"
dctl_swarm show 1 || fail "show 1 failed"
expect_out 'backup +before +succeeded +exit 0'
expect_out 'release-1.txt'
expect_out 'migrate +after_dependencies +succeeded +exit 0'
expect_out 'HTTP/1.0 200'
grep -q "pw-$$-secret" "$OUT" && fail "a secret is in show"
grep -qa "pw-$$-secret" "$STATE"/deployctl.db* && fail "a secret is in the state database"

# A no-op runs no job.
dctl_swarm apply --repo "$REPO" || fail "no-op apply failed"
expect_out 'no changes'
grep -q '^job ' "$OUT" && fail "a job ran on a no-op"

# Release 2: the backup fails -> release failed, nothing changed.
api_hash=$(swarm_svc_label api io.deployctl.spec-hash)
api_ver=$(swarm_docker service inspect -f '{{.Version.Index}}' "${PROJECT}_api")
manifest two 3
commit two
dctl_swarm apply --repo "$REPO"
[ $? = 1 ] || { cat "$OUT" "$ERR"; fail "a failing before job did not fail the release"; }
expect_out 'job backup \(before\): failed in [0-9.]+s, exit 3'
expect_out 'release 2 failed'
expect_err "job 'backup' \(before\) exited with 3"
[ "$(swarm_svc_label api io.deployctl.spec-hash)" = "$api_hash" ] || fail "api was updated"
[ "$(swarm_docker service inspect -f '{{.Version.Index}}' "${PROJECT}_api")" = "$api_ver" ] ||
	fail "api's service was touched"
[ "$(job_services)" = 0 ] || fail "the failed job's service was left behind"
dctl_swarm show 2 || fail "show 2 failed"
expect_out 'backup +before +failed +exit 3'
expect_out 'nothing was changed'
expect_out 'DB_PASSWORD=\*\*\*'
grep -q "pw-$$-secret" "$OUT" && fail "a secret is in show 2"

# Release 3: db changes and the migration after it fails (404) -> db's spec put back.
db_hash=$(swarm_svc_label db io.deployctl.spec-hash)
manifest two 0 /nope db-two
commit migrate-fails
dctl_swarm apply --repo "$REPO"
[ $? = 1 ] || { cat "$OUT" "$ERR"; fail "a failing after_dependencies job did not fail the release"; }
expect_out 'job migrate \(after_dependencies\): failed'
expect_out 'release 3 rolled_back'
expect_err "job 'migrate' \(after_dependencies\)"
[ "$(swarm_svc_label db io.deployctl.spec-hash)" = "$db_hash" ] || fail "db not back to its previous spec"
[ "$(swarm_svc_label api io.deployctl.spec-hash)" = "$api_hash" ] || fail "api was updated after the failed migration"
grep -qE 'replace +api.*waiting' "$OUT" && fail "api's wave ran after the failed migration"

# Leftovers: one of this state database (a killed run) is removed, a foreign one kept.
me=$(sqlite3 "$STATE/deployctl.db" 'select id from state_identity')
for who in "$me" 0123456789abcdef0123456789abcdef; do
	swarm_docker service create -d -q --name "${PROJECT}_job-old-${who:0:4}" --mode replicated-job \
		--restart-condition none --label "io.deployctl.project=$PROJECT" \
		--label "com.docker.stack.namespace=$PROJECT" --label io.deployctl.job=old \
		--label "io.deployctl.owner=$who" "$JOBIMG" sleep 60 >/dev/null 2>&1 || fail "cannot make a leftover"
done
manifest two 0
commit fixed
dctl_swarm apply --repo "$REPO" || { cat "$OUT" "$ERR"; fail "fixed apply failed"; }
expect_out 'release 4 succeeded'
swarm_docker service inspect "${PROJECT}_job-old-${me:0:4}" >/dev/null 2>&1 &&
	fail "this state's leftover job service was not removed"
swarm_docker service inspect "${PROJECT}_job-old-0123" >/dev/null 2>&1 ||
	fail "a foreign job service was removed"
expect_err 'job service .*_job-old-0123 is not this state'"'"'s'
[ "$(swarm_svc_label api io.deployctl.spec-hash)" != "$api_hash" ] || fail "api not updated by release 4"
swarm_docker service rm "${PROJECT}_job-old-0123" >/dev/null

# rollback: release 4's rollback job runs (as a job service) before api goes back to one.
dctl_swarm rollback || { cat "$OUT" "$ERR"; fail "rollback failed"; }
expect_out 'job maint \(rollback\): succeeded'
expect_out 'release 5 succeeded'
grep -q '^job backup\|^job migrate' "$OUT" && fail "an apply job ran in the rollback"
[ "$(cat "$mp/rollback-5.txt" 2>/dev/null)" = down ] || fail "the rollback job's file is missing: $(ls "$mp")"
swarm_docker service inspect -f '{{json .Spec.TaskTemplate.ContainerSpec.Env}}' "${PROJECT}_api" |
	grep -q 'MESSAGE=one' || fail "api not back to release 1's spec"
[ "$(job_services)" = 0 ] || fail "the rollback job's service was left behind"
echo "# scenarios took $(($(date +%s) - t0)) s"
echo "ok $TEST_NAME"
