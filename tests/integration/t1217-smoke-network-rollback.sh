#!/usr/bin/env bash
# A failing check from inside a project network fails the release after a
# rollout whose health gates passed, and triggers the automatic rollback:
# the previous container comes back, the release is rolled_back naming the
# check and what came back (a wrong body; then no answer at all, curl's own
# words), show N records it, and no check container is left behind.
. "$(dirname "$0")/lib.sh"

CURLIMG=$(bash "$SRCDIR/tests/images/build.sh" curl) || fail "cannot build the curl image"
manifest() { # MESSAGE PORT
	write_manifest app.yml <<YAML
name: $PROJECT
x-deployctl:
  smoke_image: $CURLIMG
  smoke:
    - name: inside
      service: api
      port: $2
      path: /env/MESSAGE
      body_contains: good
      retries: 2
      interval: 200ms
      timeout: 2s
services:
  api:
    image: deployctl-test/app:healthy
    init: true
    environment: {MESSAGE: "$1"}
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s, retries: 3}
YAML
	commit "$1 $2"
}
no_check_containers() {
	local left
	left=$(docker ps -a --filter "label=io.deployctl.project=$PROJECT" --filter "label=io.deployctl.job" --format '{{.Names}}')
	[ -z "$left" ] || fail "check containers left behind: $left"
}

manifest good 8080
expect_status 0 apply --repo "$REPO"
expect_out 'smoke inside: passed'
expect_out 'release 1 succeeded'
api1=$(cid api)

# Healthy, but the body seen from inside the network is wrong: rolled back.
manifest bad 8080
expect_status 1 apply --repo "$REPO"
expect_out 'smoke inside: FAILED \(200, 2 attempts'
expect_out 'release 2 rolled_back'
expect_err "smoke check 'inside' failed after 2 attempt\(s\): status 200, but the body \(3 bytes\) does not contain \"good\""
[ "$(cid api)" = "$api1" ] || fail "the previous api container is not back"
[ "$(docker inspect -f '{{.State.Running}}' "$api1")" = true ] || fail "previous api not running"
no_check_containers
expect_status 0 show 2
expect_out 'status rolled_back'
expect_out "failed +inside: GET http://api:8080/env/MESSAGE from network default \($CURLIMG\) expects 200; got 200 after 2 attempt\(s\).*does not contain \"good\""

# Nothing listens on the port: curl's own reason, and rolled back again.
manifest good2 9
expect_status 1 apply --repo "$REPO"
expect_out 'release 3 rolled_back'
expect_err "smoke check 'inside' failed after 2 attempt\(s\): curl: \(7\) Failed to connect to api port 9"
[ "$(cid api)" = "$api1" ] || fail "the previous api container is not back after release 3"
no_check_containers

# What is deployed (release 1) still passes.
expect_status 0 smoke --project "$PROJECT"
no_check_containers

# A rollback runs the in-network checks of the release it returns to, from the record.
manifest good4 8080
expect_status 0 apply --repo "$REPO"
expect_out 'release 4 succeeded'
expect_status 0 rollback --project "$PROJECT" --to 1
expect_out 'smoke inside: passed \(200'
docker inspect -f '{{json .Config.Env}}' "$(cid api)" | grep -q '"MESSAGE=good"' ||
	fail "release 1's api is not back"
no_check_containers
echo "a failing in-network check rolled releases 2 and 3 back; a rollback ran it; no check container left"
