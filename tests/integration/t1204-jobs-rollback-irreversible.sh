#!/usr/bin/env bash
# rollback jobs run when a release is rolled back (from the state database:
# no git); rolling back past a release that ran an irreversible job is
# refused (exit 2) naming the backup its before job left, and --force does it.
. "$(dirname "$0")/lib.sh"
need_jobs_image

manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  db:
    image: deployctl-test/app:healthy
    init: true
    environment: {MESSAGE: "$1"}
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
volumes:
  backups: {}
x-deployctl:
  jobs:
    backup:
      phase: before
      image: $JOBIMG
      command: ["write", "/backups/release-\$\${DEPLOYCTL_RELEASE}.sql", "dump"]
      volumes: ["backups:/backups"]
      artifact: /backups/release-\$\${DEPLOYCTL_RELEASE}.sql
    migrate:
      phase: after_dependencies
      needs: [db]
      image: $JOBIMG
      command: ["get", "db:8080", "/health"]
      irreversible: $2
    down:
      phase: rollback
      image: $JOBIMG
      command: ["env", "DEPLOYCTL_RELEASE", ";", "write", "/backups/rollback-\$\${DEPLOYCTL_RELEASE}.txt", "down from $1"]
      volumes: ["backups:/backups"]
YAML
}
manifest one false
commit one
expect_status 0 apply --repo "$REPO"
manifest two true
commit two
expect_status 0 apply --repo "$REPO"
expect_out 'artifact /backups/release-2.sql'
db2=$(cid db)
expect_status 0 plan --repo "$REPO" --ref HEAD~1
expect_out 'job migrate \(after_dependencies\) would run .* once up: db'

# Without git, and without --force: refused, nothing changed, the backup named.
mv "$REPO" "$WORK/elsewhere"
expect_status 2 rollback --project "$PROJECT"
expect_err "release 2 ran irreversible job 'migrate': restore /backups/release-2.sql from volume backups first, or --force"
[ "$(cid db)" = "$db2" ] || fail "a refused rollback changed db"
expect_status 0 history --project "$PROJECT"
grep -q '^ *3 ' "$OUT" && fail "a refused rollback recorded a release"

expect_status 0 rollback --project "$PROJECT" --force
expect_err "release 2 ran irreversible job 'migrate': rolling back past it \(--force\); its backup is /backups/release-2.sql in volume backups"
expect_out 'job down \(rollback\): succeeded'
expect_out 'release 3 succeeded'
vol=$(docker volume ls -q --filter "label=io.deployctl.project=$PROJECT" --filter "label=io.deployctl.volume=backups")
mp=$(docker volume inspect -f '{{.Mountpoint}}' "$vol")
grep -qx 'down from two' "$mp/rollback-3.txt" || fail "the rollback job of release 2 did not run: $(ls "$mp")"
expect_status 0 show 3
expect_out 'down +rollback +succeeded +exit 0'
expect_out 'DEPLOYCTL_RELEASE=3'
grep -qE '^  (backup|migrate) ' <(sed -n '/^jobs:/,$p' "$OUT") && fail "the rollback ran apply jobs"

# Back at release 1's state: a rollback from here is not past release 2 again.
expect_status 0 rollback --project "$PROJECT" --to 1
grep -q 'irreversible' "$OUT" "$ERR" && fail "release 2 counted again after it was rolled past"
echo "ok $TEST_NAME"
