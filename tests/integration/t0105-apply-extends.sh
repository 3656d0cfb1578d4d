#!/usr/bin/env bash
# extends: a service built on another, in the same file and in another file
# of the repository; the merged environment reaches the container.
. "$(dirname "$0")/lib.sh"

mkdir -p "$REPO/shared"
cat >"$REPO/shared/base.yml" <<YAML
services:
  runner:
    image: deployctl-test/app:v1
    init: true
    environment: {MODE: job, QUEUE: default}
YAML
write_manifest app.yml <<YAML
name: $PROJECT
services:
  base:
    image: deployctl-test/app:v1
    init: true
    environment: [LOG=info, REGION=eu]
  api:
    extends: base
    environment: {LOG: debug}
  worker:
    extends: {file: ../shared/base.yml, service: runner}
    environment: {QUEUE: high}
YAML
commit one
expect_status 0 apply --repo "$REPO"
env_of() { docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$(cid "$1")"; }
env_of api | grep -qx LOG=debug || fail "api: LOG not overridden"
env_of api | grep -qx REGION=eu || fail "api: REGION not inherited"
env_of worker | grep -qx QUEUE=high || fail "worker: QUEUE not overridden"
env_of worker | grep -qx MODE=job || fail "worker: MODE not inherited from shared/base.yml"
[ -z "$(cid runner)" ] || fail "a service of a non-manifest file was deployed"

write_manifest app.yml <<YAML
name: $PROJECT
services:
  a: {extends: b}
  b: {extends: a}
YAML
commit two
expect_status 2 apply --repo "$REPO"
expect_err "extends cycle"
echo "ok $TEST_NAME"
