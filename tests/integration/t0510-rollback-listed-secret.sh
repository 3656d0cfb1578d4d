#!/usr/bin/env bash
# rollback of a key that is secret only because x-deployctl.secrets lists it
# (DATABASE_URL is not secret by its name): the snapshot records that it was
# secret, so rollback resolves its real value from the env file instead of
# putting the fingerprint in its place; so is a label interpolated from it.
# The value is nowhere in the outputs or the state directory.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
VALUE="postgres://db.internal:5432/app-$$-listed-only"
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
x-deployctl:
  secrets: [DATABASE_URL]
services:
  api:
    image: deployctl-test/app:healthy
    environment:
      MESSAGE: "$1"
      DATABASE_URL: \${DATABASE_URL}
    labels: {dsn: "\${DATABASE_URL}"}
    ports: ["127.0.0.1:$PORT:8080"]
    init: true
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
YAML
}
echo "DATABASE_URL=$VALUE" >"$WORK/secrets.env"
outs="$WORK/outs"
: >"$outs"
keep() { cat "$OUT" "$ERR" >>"$outs"; }

manifest one
commit one
expect_status 0 apply --repo "$REPO" --env-file "$WORK/secrets.env"
keep
manifest two
commit two
expect_status 0 apply --repo "$REPO" --env-file "$WORK/secrets.env"
keep
http_get "$PORT" / | grep -q two || fail "release 2 not serving"

# The snapshot says the key was secret, and why.
sqlite3 "$STATE/deployctl.db" \
	"select is_secret, secret_by, value is null from release_env where release_id=1 and key='DATABASE_URL'" |
	grep -qx '1|listed|1' || fail "release 1 does not record DATABASE_URL as a listed secret"

# No retained container to bring back: the rollback recreates api from the snapshot.
for name in $(retained); do docker rm -f "$name" >/dev/null; done
[ -z "$(retained)" ] || fail "retained containers left"
expect_status 0 rollback --project "$PROJECT" --env-file "$WORK/secrets.env"
keep
expect_out 'release 3 succeeded'
http_get "$PORT" / | grep -q one || fail "rollback did not restore release 1"
got=$(docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$(cid api)" |
	sed -n 's/^DATABASE_URL=//p')
[ "$got" = "$VALUE" ] || fail "rollback set DATABASE_URL to '$got', not the real value"
[ "$(http_get "$PORT" /env/DATABASE_URL)" = "$VALUE" ] || fail "the container does not see the real DATABASE_URL"
# A label interpolated from it comes back with its real value too (found by fingerprint).
[ "$(docker inspect --format '{{index .Config.Labels "dsn"}}' "$(cid api)")" = "$VALUE" ] ||
	fail "rollback did not restore the secret label"

# The rollback release keeps it secret too.
sqlite3 "$STATE/deployctl.db" \
	"select is_secret, secret_by from release_env where release_id=3 and key='DATABASE_URL'" |
	grep -qx '1|listed' || fail "the rollback release does not keep DATABASE_URL secret"

for args in "history" "history --json" "show 1" "show 3" "show 3 --json" "status --project $PROJECT"; do
	# shellcheck disable=SC2086
	expect_status 0 $args
	keep
done
grep -qF -- "$VALUE" "$outs" && fail "the secret value was printed"
grep -qF -- "app-$$-listed-only" "$outs" && fail "a part of the secret value was printed"
if grep -rqaF -- "app-$$-listed-only" "$STATE"; then fail "the secret value is in the state directory"; fi
echo "ok"
