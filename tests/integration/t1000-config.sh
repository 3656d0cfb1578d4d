#!/usr/bin/env bash
# `deployctl config`: --hash prints the spec hash apply puts on the
# containers (io.deployctl.spec-hash), --services and --images list what is
# enabled, and the printed project never holds a secret's value.
. "$(dirname "$0")/lib.sh"

write_manifest app.yml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:v1
    init: true
    environment: {API_TOKEN: "\${API_TOKEN}", MODE: demo}
  worker:
    image: deployctl-test/app:v2
    init: true
YAML
commit one
export API_TOKEN=tok-very-secret-1234
expect_status 0 apply --repo "$REPO"
expect_status 0 config --repo "$REPO" --hash
for svc in web worker; do
	label=$(docker inspect -f '{{index .Config.Labels "io.deployctl.spec-hash"}}' "$(cid $svc)")
	[ -n "$label" ] || fail "no spec-hash label on $svc"
	grep -qx "$svc $label" "$OUT" || fail "config --hash for $svc is not the label $label: $(cat "$OUT")"
done
expect_status 0 config --repo "$REPO" --services
[ "$(cat "$OUT")" = "$(printf 'web\nworker')" ] || fail "services: $(cat "$OUT")"
expect_status 0 config --repo "$REPO" --images
[ "$(cat "$OUT")" = "$(printf 'deployctl-test/app:v1\ndeployctl-test/app:v2')" ] ||
	fail "images: $(cat "$OUT")"
expect_status 0 config --repo "$REPO"
expect_out '^      MODE: demo$'
expect_out '^      API_TOKEN: hmac:[0-9a-f]{12}$'
grep -q tok-very-secret "$OUT" "$ERR" && fail "the secret value was printed"
expect_status 0 config --repo "$REPO" --json
grep -q tok-very-secret "$OUT" "$ERR" && fail "the secret value was printed as JSON"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$OUT" || fail "--json is not JSON"
echo "ok $TEST_NAME"
