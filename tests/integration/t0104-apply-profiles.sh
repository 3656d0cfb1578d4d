#!/usr/bin/env bash
# Services with profiles: run only when one of their profiles is active.
. "$(dirname "$0")/lib.sh"

write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:v1
    init: true
  debug:
    image: deployctl-test/app:v1
    init: true
    profiles: [debug]
YAML
commit one
expect_status 0 apply --repo "$REPO"
[ -n "$(cid api)" ] || fail "api missing"
[ -z "$(cid debug)" ] || fail "debug runs without its profile"
expect_status 0 apply --repo "$REPO" --profile debug
[ -n "$(cid debug)" ] || fail "debug missing with --profile debug"

# Depending on a disabled service names the profile to enable.
write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:v1
    depends_on: [debug]
  debug:
    image: deployctl-test/app:v1
    profiles: [debug]
YAML
commit two
expect_status 2 apply --repo "$REPO"
expect_err "service 'debug' is not enabled: it needs profile 'debug'"
echo "ok $TEST_NAME"
