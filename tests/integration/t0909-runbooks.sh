#!/usr/bin/env bash
# docs/runbooks: the commands of the manual-rollback and interrupted-release
# runbooks, run as written against a real daemon, give the output the
# runbooks say they give; each command checked here must still appear in its
# runbook, so the two cannot drift apart silently.
. "$(dirname "$0")/lib.sh"
need_fault_point KILL_AFTER

RB="$SRCDIR/docs/runbooks"
# doc_has FILE TEXT: the runbook still shows TEXT.
doc_has() {
	grep -qF -- "$2" "$RB/$1" || fail "docs/runbooks/$1 no longer shows: $2"
}

ENVF="$WORK/shop.env"
printf 'JWT_SECRET=rb-%s-0123456789abcdef0123456789abcdef\n' "$$" >"$ENVF"
chmod 600 "$ENVF"
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
x-deployctl:
  env:
    JWT_SECRET: {required: true, min_length: 32}
services:
  api:
    image: deployctl-test/app:healthy
    init: true
    environment: {MESSAGE: "$1", JWT_SECRET: "\${JWT_SECRET}"}
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s, retries: 2}
YAML
	commit "api: $1"
}
manifest one
expect_status 0 apply --repo "$REPO" --env-file "$ENVF"
manifest two
expect_status 0 apply --repo "$REPO" --env-file "$ENVF"
two=$(git -C "$REPO" rev-parse HEAD)

# ---- manual-rollback.md ----
doc_has manual-rollback.md "deployctl history --project shop --limit 5"
expect_status 0 history --project "$PROJECT" --limit 5
expect_out "^2 +$PROJECT +apply +succeeded"
doc_has manual-rollback.md 'deployctl rollback --project shop --env-file /etc/deployctl/shop.env --reason "checkout broken"'
expect_status 0 rollback --project "$PROJECT" --env-file "$ENVF" --reason "checkout broken"
expect_out "^rolling $PROJECT back to release 1 \(git [0-9a-f]{12}\)$"
doc_has manual-rollback.md "(bringing back the retained container of release 1)"
expect_out "env MESSAGE: two -> one \(bringing back the retained container of release 1\)"
doc_has manual-rollback.md "release 4 succeeded in"
expect_out "^release 3 succeeded in "
doc_has manual-rollback.md "will not be redeployed automatically (deployctl unpin clears it)"
expect_out "^pinned $PROJECT to release 3: git ${two:0:12} will not be redeployed automatically \(deployctl unpin clears it\)$"
# The quarantined commit is refused (exit 2) until unpinned.
doc_has manual-rollback.md 'was rolled back'
expect_status 2 apply --repo "$REPO" --env-file "$ENVF"
expect_err "git ${two:0:12} was rolled back"
doc_has manual-rollback.md "deployctl status --project shop"
expect_status 0 status --project "$PROJECT"
expect_out "^pinned to release 3 by .*: checkout broken"
doc_has manual-rollback.md "deployctl unpin --project shop"
expect_status 0 unpin --project "$PROJECT"
expect_status 0 apply --repo "$REPO" --env-file "$ENVF"
expect_out "^release 4 succeeded"

# ---- interrupted-release.md ----
manifest three
DEPLOYCTL_TEST_KILL_AFTER=1 dctl apply --repo "$REPO" --env-file "$ENVF"
[ $? = 137 ] || fail "apply was not killed"
doc_has interrupted-release.md "deployctl history --project shop --limit 2"
expect_status 0 history --project "$PROJECT" --limit 2
expect_out "^5 +$PROJECT +apply +running "
doc_has interrupted-release.md "project shop, release 6 (running), latest successful release 4"
expect_status 0 status --project "$PROJECT"
expect_out "^project $PROJECT, release 5 \(running\), latest successful release 4$"
doc_has interrupted-release.md "deployctl plan --env-file /etc/deployctl/shop.env"
expect_status 0 plan --repo "$REPO" --env-file "$ENVF"
expect_out "^no changes: $PROJECT is up to date with git [0-9a-f]{12}$"
doc_has interrupted-release.md "deployctl apply --env-file /etc/deployctl/shop.env"
expect_status 0 apply --repo "$REPO" --env-file "$ENVF"
expect_out "^no changes: $PROJECT is up to date with git [0-9a-f]{12} \("
doc_has interrupted-release.md "deployctl: lock taken over from a dead process: pid"
expect_err "^deployctl: lock taken over from a dead process: pid [0-9]+ on host .* \(apply\)$"
doc_has interrupted-release.md "deployctl: 1 earlier release(s) were interrupted and are marked so"
expect_err "^deployctl: 1 earlier release\(s\) were interrupted and are marked so$"
expect_status 0 history --project "$PROJECT" --limit 1
expect_out "^5 +$PROJECT +apply +interrupted "
doc_has interrupted-release.md "1 planned action(s), outcomes unknown"
expect_out "stopped before recording an outcome; 1 planned action\(s\), outcomes unknown"
doc_has interrupted-release.md "release 6 (interrupted), latest successful release 4"
expect_status 0 status --project "$PROJECT"
expect_out "^project $PROJECT, release 5 \(interrupted\), latest successful release 4$"
# "Or go back instead": to the last success, not the interrupted release.
doc_has interrupted-release.md "deployctl rollback --project shop --env-file /etc/deployctl/shop.env"
expect_status 0 rollback --project "$PROJECT" --env-file "$ENVF"
expect_out "^rolling $PROJECT back to release 4 "

# Runbooks never show a secret value, and neither did any output here.
grep -rq "rb-$$-" "$STATE" && fail "the secret is in the state directory"
echo "ok $TEST_NAME"
