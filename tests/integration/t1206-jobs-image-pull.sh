#!/usr/bin/env bash
# A job whose image is not local is pulled like a service's, from a real
# local registry; plan only says that apply will pull it, and pulls nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry.sh"
need_jobs_image

export DOCKER_CONFIG="$WORK/nocreds"
mkdir -p "$DOCKER_CONFIG"
registry_start plain || fail "cannot start the registry"
IMG="$REGISTRY/deployctl-$PROJECT/jobtool:1"
registry_push "$JOBIMG" "$IMG" || fail "push failed"
registry_untag "$IMG" || fail "cannot untag"

write_manifest app.yml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:healthy
    init: true
x-deployctl:
  jobs:
    hello:
      phase: after
      image: $IMG
      command: ["env", "DEPLOYCTL_PROJECT"]
YAML
commit one
expect_status 0 plan --repo "$REPO"
expect_out "note: image $IMG: not present, apply will pull it"
docker image inspect "$IMG" >/dev/null 2>&1 && fail "plan pulled the job's image"
expect_status 0 apply --repo "$REPO"
expect_out "job hello: pulling $IMG"
expect_out 'job hello \(after\): succeeded'
docker image inspect "$IMG" >/dev/null 2>&1 || fail "the job's image was not pulled"
expect_status 0 show 1
expect_out "DEPLOYCTL_PROJECT=$PROJECT"
echo "ok $TEST_NAME"
