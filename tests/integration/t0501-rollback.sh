#!/usr/bin/env bash
# deployctl rollback: to the previous successful release, using the
# retained containers (no create); --to an older release; with the git
# repository moved away (the snapshot in SQLite is all it needs); secrets
# found by fingerprint; the stack is pinned until a newer commit or unpin.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  db:
    image: deployctl-test/app:v1
    init: true
    environment: {DB_PASSWORD: "\${DB_PASSWORD}"}
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
  api:
    image: $1
    environment: {MESSAGE: "$2", DB_PASSWORD: "\${DB_PASSWORD}"}
    ports: ["127.0.0.1:$PORT:8080"]
    init: true
    depends_on: {db: {condition: service_healthy}}
    x-deployctl: {rollout: {timeout: 30s}}
YAML
}
echo "DB_PASSWORD=pw-$$-one" >"$WORK/secrets.env"
manifest deployctl-test/app:healthy one
commit one
expect_status 0 apply --repo "$REPO" --env-file "$WORK/secrets.env"
api1=$(cid api)
manifest deployctl-test/app:v2 two
commit two
expect_status 0 apply --repo "$REPO" --env-file "$WORK/secrets.env"
manifest deployctl-test/app:healthy three
commit three
expect_status 0 apply --repo "$REPO" --env-file "$WORK/secrets.env"
http_get "$PORT" / | grep -q three || fail "release 3 not serving"
three=$(git -C "$REPO" rev-parse HEAD)

# Without git: move the repository away.
mv "$REPO" "$WORK/elsewhere"
t0=$(now)
expect_status 0 rollback --project "$PROJECT" --env-file "$WORK/secrets.env"
t1=$(now)
expect_out 'rolling .* back to release 2'
expect_out 'bringing back the retained container of release 2'
expect_out 'release 4 succeeded'
expect_out "pinned $PROJECT to release 4"
http_get "$PORT" / | grep -q two || fail "rollback did not restore release 2"
echo "rollback to all healthy: $(echo "$t1 - $t0" | bc) s"

# The commit rolled back from is quarantined: apply refuses it (no automatic redeploy).
mv "$WORK/elsewhere" "$REPO"
expect_status 2 apply --repo "$REPO" --env-file "$WORK/secrets.env"
expect_err "git ${three:0:12} was rolled back"
expect_status 0 status --project "$PROJECT" --json
grep -q "\"pin\":{\"release\":4,\"commit\":\"$three\"" "$OUT" || fail "status does not show the pin"
mv "$REPO" "$WORK/elsewhere"

# The rollback release carries the target's rollout settings and start order.
sqlite3 "$STATE/deployctl.db" "select timeout_ms from release_rollout where release_id=4 and service='api'" |
	grep -qx 30000 || fail "rollback release lacks the rollout settings"
sqlite3 "$STATE/deployctl.db" "select depends_on, condition from release_depends_on where release_id=4" |
	grep -qx 'db|service_healthy' || fail "rollback release lacks depends_on"

expect_status 0 history --project "$PROJECT" --json
grep -q '"release":4,"project":"[^"]*","kind":"rollback"' "$OUT" || fail "rollback release not recorded as kind rollback"
expect_status 0 show 4 --json
grep -q '"rollback_of":2' "$OUT" || fail "rollback release does not say which release it went to"
grep -q "pw-$$" "$OUT" && fail "secret value in show output"
if grep -rqa "pw-$$" "$STATE"; then fail "secret value in the state directory"; fi

# --to an older release, recreating or reusing as needed.
expect_status 0 rollback --project "$PROJECT" --to 1 --env-file "$WORK/secrets.env"
http_get "$PORT" / | grep -q one || fail "rollback --to 1 did not restore release 1"
[ "$(cid api)" = "$api1" ] || fail "rollback --to 1 did not reuse release 1's retained api container"
expect_status 0 status --project "$PROJECT" --json
grep -q '"matches_release":false' "$OUT" && { cat "$OUT"; fail "status after rollback does not match the release"; }

# A secret that changed since: the current value is used, and said so by fingerprint.
echo "DB_PASSWORD=pw-$$-rotated" >"$WORK/rotated.env"
mv "$WORK/elsewhere" "$REPO"
expect_status 0 rollback --project "$PROJECT" --to 3 --env-file "$WORK/rotated.env"
grep -q "pw-$$" "$OUT" "$ERR" && fail "secret value printed"

# The pin: the commit rolled back from is shown, and unpin clears it.
expect_status 0 status --project "$PROJECT"
expect_out 'pinned'
expect_status 0 unpin --project "$PROJECT"
expect_out "$PROJECT"
# Nothing to roll back to in a project with one release.
expect_status 2 rollback --project "no-such-project-$$"
# A release number as an operand is refused, changes nothing, and names the option.
before=$(live -q | sort)
expect_status 2 rollback 1 --project "$PROJECT" --env-file "$WORK/secrets.env"
expect_err "unexpected argument '1' \(a release is given as --to 1\)"
[ "$(live -q | sort)" = "$before" ] || fail "a refused rollback changed the containers"
echo "ok $TEST_NAME"
