#!/usr/bin/env bash
# Secrets stay secret in everything deployctl prints or records: a URL's
# userinfo password is shown as ***; values interpolated from a secret
# variable (an env value, a label) are secret themselves; and a container
# that prints its password and exits fails its gate with the log tail
# scrubbed, in apply's output (plain and --json), history, show, and the
# state directory (database included).
. "$(dirname "$0")/lib.sh"

PW="pw-$$-Zq8s3cr3t"
SEEDPW="seed-$$-Xk4"
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:healthy
    environment:
      DB_PASSWORD: \${DB_PASSWORD}
      DATABASE_URL: "postgres://app:\${DB_PASSWORD}@db/app"
      SEED_URL: \${SEED_URL}
      $1
    labels:
      - pw=\${DB_PASSWORD}
      - tier=web
    init: true
YAML
}
cat >"$WORK/secrets.env" <<ENV
DB_PASSWORD=$PW
SEED_URL=postgresql://user:$SEEDPW@postgres:5432/db
ENV
outs="$WORK/outs"
: >"$outs"
keep() { cat "$OUT" "$ERR" >>"$outs"; }

manifest "MESSAGE: one"
commit one
expect_status 0 apply --repo "$REPO" --env-file "$WORK/secrets.env"
keep

# Stored and shown with the secret parts hidden, plus a fingerprint.
expect_status 0 show 1
keep
expect_out 'SEED_URL=postgresql://user:\*\*\*@postgres:5432/db \(hmac:[0-9a-f]{12}\)'
expect_out 'DATABASE_URL=postgres://app:\*\*\*@db/app \(hmac:[0-9a-f]{12}\)'
expect_out 'pw=\*\*\* \(hmac:[0-9a-f]{12}\)'
expect_out 'tier=web'
expect_status 0 show 1 --json
keep
python3 - "$OUT" <<'PY' || fail "show --json does not hide the secrets"
import json, re, sys
d = json.load(open(sys.argv[1]))
api = [s for s in d["services"] if s["service"] == "api"][0]
assert re.fullmatch(r"postgresql://user:\*\*\*@postgres:5432/db \(hmac:[0-9a-f]{12}\)", api["env"]["SEED_URL"]), api["env"]
assert re.fullmatch(r"postgres://app:\*\*\*@db/app \(hmac:[0-9a-f]{12}\)", api["env"]["DATABASE_URL"]), api["env"]
assert re.fullmatch(r"<redacted:hmac:[0-9a-f]{12}>", api["env"]["DB_PASSWORD"]), api["env"]
assert re.fullmatch(r"\*\*\* \(hmac:[0-9a-f]{12}\)", api["labels"]["pw"]), api["labels"]
PY
sqlite3 "$STATE/deployctl.db" "select key, secret_by from release_env where release_id=1 and is_secret=1 order by key" |
	tr '\n' ' ' | grep -qx 'DATABASE_URL|interpolated DB_PASSWORD|name SEED_URL|url ' ||
	fail "release 1 does not record why each key is secret"
sqlite3 "$STATE/deployctl.db" "select secret_by from release_labels where release_id=1 and key='pw'" |
	grep -qx interpolated || fail "the label is not recorded as secret"

# A container that prints its password ("bad PORT <password>") and exits.
manifest 'PORT: ${DB_PASSWORD}'
commit crash
expect_status 1 apply --repo "$REPO" --env-file "$WORK/secrets.env"
keep
grep -q 'bad PORT \*\*\*' "$OUT" "$ERR" || { cat "$OUT" "$ERR"; fail "the gate failure does not show the scrubbed log tail"; }
expect_status 1 apply --repo "$REPO" --env-file "$WORK/secrets.env" --json
keep
grep -q 'bad PORT \*\*\*' "$OUT" || { cat "$OUT" "$ERR"; fail "--json does not show the scrubbed log tail"; }
expect_status 0 plan --repo "$REPO" --env-file "$WORK/secrets.env"
keep
expect_status 0 plan --repo "$REPO" --env-file "$WORK/secrets.env" --json
keep
# A secret variable in another key (here hostname:) is scrubbed from the
# stored spec, and a rollback to that release says it cannot rebuild it.
hosted() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:healthy
    hostname: "h-\${DB_PASSWORD}"
    environment: {MESSAGE: "$1"}
    init: true
YAML
}
hosted four
commit four
expect_status 0 apply --repo "$REPO" --env-file "$WORK/secrets.env"
keep
[ "$(docker inspect --format '{{.Config.Hostname}}' "$(cid api)")" = "h-$PW" ] ||
	fail "the container does not get its real hostname"
sqlite3 "$STATE/deployctl.db" "select spec_json from release_services where release_id=4" |
	grep -q '"hostname":"h-\*\*\*".*"redacted":\["hostname"\]' || fail "release 4's spec is not scrubbed"
hosted five
commit five
expect_status 0 apply --repo "$REPO" --env-file "$WORK/secrets.env"
keep
expect_status 2 rollback --project "$PROJECT" --env-file "$WORK/secrets.env"
keep
expect_err "services.api: release 4 holds its hostname with a secret variable's value scrubbed out"
for args in "history" "history --json" "show 2" "show 2 --json" "show 3 --json" "show 4 --json"; do
	# shellcheck disable=SC2086
	expect_status 0 $args
	keep
done
grep -q 'bad PORT \*\*\*' "$outs" || fail "history/show lack the scrubbed message"
for v in "$PW" "$SEEDPW"; do
	if grep -qF -- "$v" "$outs"; then
		grep -F -- "$v" "$outs" | head -3
		fail "a secret value was printed"
	fi
	if grep -rqaF -- "$v" "$STATE"; then fail "a secret value is in the state directory"; fi
done
echo "ok"
