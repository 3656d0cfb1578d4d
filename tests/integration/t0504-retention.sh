#!/usr/bin/env bash
# Retained containers: the last 3 releases' are kept, plus what the rollback
# target and tagged releases run; older ones are pruned.
. "$(dirname "$0")/lib.sh"

release() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  app:
    image: deployctl-test/app:v1
    environment: {MESSAGE: "m$1"}
    init: true
YAML
	commit "r$1"
	expect_status 0 apply --repo "$REPO"
}
release 1
expect_status 0 tag 1 keep
for i in 2 3 4 5 6 7; do release $i; done
names=$(retained app | sort)
echo "$names" | grep -q -- '--r1$' || fail "tagged release 1's container was pruned: $names"
for r in 4 5 6; do
	echo "$names" | grep -q -- "--r$r\$" || fail "release $r's container was pruned: $names"
done
for r in 2 3; do
	echo "$names" | grep -q -- "--r$r\$" && fail "release $r's container was kept: $names"
done
[ "$(echo "$names" | grep -c .)" = 4 ] || fail "expected 4 retained containers: $names"
# The rollback target's container is what rollback brings back: no create.
expect_status 0 rollback --project "$PROJECT"
expect_out 'bringing back the retained container of release 6'
# --keep 1: only the newest release's retained containers, plus the protected ones.
write_manifest app.yml <<YAML
name: $PROJECT
services:
  app:
    image: deployctl-test/app:v1
    environment: {MESSAGE: "m8"}
    init: true
YAML
commit r8
expect_status 0 apply --repo "$REPO" --keep 1
names=$(retained app | sort)
echo "$names" | grep -q -- '--r1$' || fail "tagged release 1's container was pruned with --keep 1"
[ "$(echo "$names" | grep -c .)" -le 3 ] || fail "--keep 1 kept too many: $names"
echo "ok $TEST_NAME"
