#!/usr/bin/env bash
# File and environment secrets are mounted read-only under /run/secrets; their
# values never appear in deployctl's output nor in its state (outside the
# materialised files themselves).
. "$(dirname "$0")/lib.sh"

FILE_SECRET="file-secret-$$-value"
ENV_SECRET="env-secret-$$-value"
printf '%s' "$FILE_SECRET" >"$WORK/tls.key"
write_manifest app.yml <<YAML
name: $PROJECT
secrets:
  tls:
    file: $WORK/tls.key
  token:
    environment: H7_TOKEN
services:
  api:
    image: deployctl-test/app:v1
    init: true
    secrets:
      - tls
      - {source: token, target: api_token}
YAML
commit one
H7_TOKEN="$ENV_SECRET" expect_status 0 apply --repo "$REPO"
api=$(cid api)
[ -n "$api" ] || fail "no container"
mounts=$(docker inspect -f '{{range .Mounts}}{{.Source}} {{.Destination}} {{.RW}}{{"\n"}}{{end}}' "$api")
echo "$mounts" | grep -qx "$WORK/tls.key /run/secrets/tls false" ||
	fail "file secret not mounted read-only: $mounts"
want=$(printf '%s' "$ENV_SECRET" | sha256sum | cut -d' ' -f1)
src=$(echo "$mounts" | awk '$2 == "/run/secrets/api_token" && $3 == "false" {print $1}')
[ "${src##*/}" = "$want" ] || fail "environment secret not mounted from <files>/<sha256>: $mounts"
[ "$(cat "$src")" = "$ENV_SECRET" ] || fail "materialised secret has the wrong content"
[ "$(stat -c %a "$src")" = 400 ] || fail "materialised secret is not 0400"
for f in "$OUT" "$ERR"; do
	grep -q -e "$FILE_SECRET" -e "$ENV_SECRET" "$f" && fail "secret printed in $f"
done
if grep -rqa --exclude-dir="$(basename "$(dirname "$src")")" -e "$FILE_SECRET" -e "$ENV_SECRET" "$STATE"; then
	fail "secret value stored in the state directory"
fi
# A changed secret replaces the service, named by key, value unprinted.
H7_TOKEN="$ENV_SECRET-2" expect_status 0 apply --repo "$REPO"
expect_out 'secrets changed'
[ "$(cid api)" != "$api" ] || fail "api not replaced after the secret changed"
grep -q -e "$ENV_SECRET" "$OUT" "$ERR" && fail "secret printed"
echo "ok $TEST_NAME"
