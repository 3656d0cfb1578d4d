#!/usr/bin/env bash
# No secret value reaches any output (check, plan, apply, status, history, show; human, --json
# and -v) nor the state directory; only the container's environment holds it.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
JWT1="jwt1-$$-0123456789abcdef0123456789abcdef"
JWT2="jwt2-$$-fedcba9876543210fedcba9876543210"
DBPW="dbpw-$$-Zq9"
FILESECRET="filesecret-$$-Kx7"
SECRETS=("$JWT1" "$JWT2" "$DBPW" "$FILESECRET")
ALL="$WORK/all-output"
: >"$ALL"

printf '%s\n' "$FILESECRET" >"$WORK/api-key.txt"
chmod 600 "$WORK/api-key.txt"
env_file() {
	printf 'JWT_SECRET=%s\nDATABASE_URL=postgresql://app:%s@db:5432/app\nGREETING=hello\n' \
		"$1" "$DBPW" >"$WORK/secrets.env"
	chmod 600 "$WORK/secrets.env"
}
env_file "$JWT1"

write_manifest app.yml <<YAML
name: $PROJECT
x-deployctl:
  secrets: [DATABASE_URL]
  env:
    JWT_SECRET: {required: true, min_length: 32}
    DATABASE_URL: {required: true, url: {schemes: [postgresql, postgres]}}
services:
  api:
    image: deployctl-test/app:v1
    init: true
    ports: ["127.0.0.1:$PORT:8080"]
    environment:
      JWT_SECRET: \${JWT_SECRET}
      DATABASE_URL: \${DATABASE_URL}
      GREETING: \${GREETING}
    secrets: [api_key]
secrets:
  api_key:
    file: $WORK/api-key.txt
YAML
commit first

# run EXPECTED ARGS...: deployctl with the test's state; output appended to $ALL.
run() {
	local want=$1 got
	shift
	"$DEPLOYCTL" --state "$STATE" "$@" >"$OUT" 2>"$ERR"
	got=$?
	cat "$OUT" "$ERR" >>"$ALL"
	if [ "$got" != "$want" ]; then
		echo "--- stdout"; cat "$OUT"; echo "--- stderr"; cat "$ERR"
		fail "deployctl $* exited $got, expected $want"
	fi
}

D=(--repo "$REPO" --env-file "$WORK/secrets.env")
has_cmd() {
	"$DEPLOYCTL" help "$1" >/dev/null 2>&1
}

run 0 check "${D[@]}"
run 0 check "${D[@]}" --json
run 0 plan "${D[@]}"
run 0 plan "${D[@]}" --json
run 0 -v apply "${D[@]}"
grep -q 'succeeded' "$OUT" || fail "first apply did not succeed"
run 0 apply "${D[@]}" --json

# A changed secret is a visible change, shown redacted.
env_file "$JWT2"
run 0 plan "${D[@]}"
grep -qE 'replace|JWT_SECRET' "$OUT" || fail "a changed secret is not a visible change"
run 0 plan "${D[@]}" --json
run 0 -v apply "${D[@]}"
run 0 check "${D[@]}" --json

# A failing rule on a secret: the message has no value.
printf 'JWT_SECRET=short-%s\nDATABASE_URL=mysql://x:%s@db/app\n' "$DBPW" "$DBPW" \
	>"$WORK/bad.env"
chmod 600 "$WORK/bad.env"
run 1 check --repo "$REPO" --env-file "$WORK/bad.env"
grep -q 'x-deployctl.env.JWT_SECRET: too short' "$OUT" || fail "the short secret was not reported"
run 1 check --repo "$REPO" --env-file "$WORK/bad.env" --json
run 2 apply --repo "$REPO" --env-file "$WORK/bad.env"
run 2 apply --repo "$REPO" --env-file "$WORK/bad.env" --json

run 0 status --project "$PROJECT"
run 0 status --project "$PROJECT" --json
run 0 history --project "$PROJECT"
run 0 history --project "$PROJECT" --json
if has_cmd show; then
	for r in 1 2; do
		run 0 show "$r"
		run 0 show "$r" --json
	done
	grep -q 'redacted' "$ALL" || fail "show does not mark secrets as redacted"
fi

for s in "${SECRETS[@]}"; do
	if grep -qF -- "$s" "$ALL"; then
		grep -nF -- "$s" "$ALL" | head -5
		fail "secret value printed"
	fi
	if grep -rqaF -- "$s" "$STATE"; then
		fail "secret value in the state directory"
	fi
done

# The container does have the current secret (that is expected).
api=$(docker ps -q --filter "label=io.deployctl.project=$PROJECT" \
	--filter "label=io.deployctl.service=api")
[ "$(echo "$api" | wc -w)" = 1 ] || fail "expected one running api container, got '$api'"
docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$api" |
	grep -qxF "JWT_SECRET=$JWT2" || fail "the container lacks the secret"
echo "ok $TEST_NAME"
