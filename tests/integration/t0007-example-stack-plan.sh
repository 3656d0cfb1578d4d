#!/usr/bin/env bash
# The example stack in manifests/ loads and validates as committed: every
# image stands in as a local test image, and plan lists all seven services.
. "$(dirname "$0")/lib.sh"

git -C "$SRCDIR" rev-parse --git-dir >/dev/null 2>&1 || skip "source tree is not a git clone"
cat >"$WORK/images.env" <<ENV
POSTGRES_IMAGE=deployctl-test/app:v1
REDIS_IMAGE=deployctl-test/app:v1
NGINX_IMAGE=deployctl-test/app:v1
PROMETHEUS_IMAGE=deployctl-test/app:v1
GRAFANA_IMAGE=deployctl-test/app:v1
API_IMAGE=deployctl-test/app:v1
WEB_IMAGE=deployctl-test/app:v1
ENV
grep -v '^#' "$SRCDIR/examples/secrets.env.example" >"$WORK/secrets.env"

# Without secrets the stack refuses to load, naming what is missing.
expect_status 2 plan --repo "$SRCDIR" --project "$PROJECT" --env-file "$WORK/images.env"
expect_err 'POSTGRES_PASSWORD'

expect_status 0 plan --repo "$SRCDIR" --project "$PROJECT" --env-file "$WORK/images.env" \
	--env-file "$WORK/secrets.env" --json
for s in nginx api web postgres redis prometheus grafana; do
	grep -q "\"target\":\"$s\"" "$OUT" || fail "plan lacks $s"
done
grep -q 'change-me' "$OUT" && fail "a secret value is in the plan"
echo "ok $TEST_NAME"
