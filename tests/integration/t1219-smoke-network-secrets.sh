#!/usr/bin/env bash
# Secrets in in-network smoke checks stay scrubbed as for checks on this
# host: a secret interpolated into a check's body_contains and URL is never
# in deployctl's output (apply, show, smoke, config), the record or the
# state directory, and the check container that carried the URL in its
# command is gone once the check ran, passed or failed.
. "$(dirname "$0")/lib.sh"

CURLIMG=$(bash "$SRCDIR/tests/images/build.sh" curl) || fail "cannot build the curl image"
SECRET="s3cr3t-t1219-$$-5e0c"
printf 'API_TOKEN=%s\n' "$SECRET" >"$WORK/env"
manifest() { # CHECK_PATH RELEASE
	write_manifest app.yml <<YAML
name: $PROJECT
x-deployctl:
  smoke_image: $CURLIMG
  smoke:
    - name: token
      service: api
      port: 8080
      path: /env/API_TOKEN
      body_contains: "\${API_TOKEN}"
      retries: 1
    - name: query
      network: default
      url: "http://api:8080$1"
      retries: 1
services:
  api:
    image: deployctl-test/app:healthy
    init: true
    environment: {API_TOKEN: "\${API_TOKEN}", CHECKED: "$2"}
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s, retries: 3}
YAML
	commit "check $1"
}
no_leak() { # WHAT
	grep -l -- "$SECRET" "$OUT" "$ERR" && fail "the secret shows in $1"
	return 0
}

manifest /health 1
expect_status 0 apply --repo "$REPO" --env-file "$WORK/env"
expect_out 'smoke token: passed \(200'
no_leak "apply's output"

# The secret in the URL: the check fails (testsrv has no such variable), rolled back.
manifest "/env/API_TOKEN?t=\${API_TOKEN}" 2
expect_status 1 apply --repo "$REPO" --env-file "$WORK/env"
expect_out 'release 2 rolled_back'
expect_err "smoke check 'query' failed after 1 attempt\(s\): status 404, expected 200"
no_leak "the failed apply's output"
for n in 1 2; do
	expect_status 0 show $n
	no_leak "show $n"
	expect_status 0 show $n --json
	no_leak "show $n --json"
done
expect_out '"url":"http://api:8080/env/API_TOKEN\?t=\*\*\*"'
expect_status 0 config --repo "$REPO" --env-file "$WORK/env"
expect_out 'url: "?http://api:8080/env/API_TOKEN\?t=\*\*\*'
no_leak "config"
# The record keeps the secret as ***, so on demand the token check is not
# run (and says why): exit 1; the other check runs and passes.
expect_status 1 smoke --project "$PROJECT" --json
expect_out '"name":"query","url":"http://api:8080/health","network":"default".*"passed":true'
expect_out '"name":"token".*"passed":false,"status":0,"attempts":0,.*"reason":"not run on demand: its body_contains holds a secret'
no_leak "smoke --json"
expect_status 1 smoke --project "$PROJECT"
expect_out '^smoke token: FAILED \(0 attempts.*not run on demand'
expect_out '^smoke query: passed'
no_leak "smoke"
grep -rla -- "$SECRET" "$STATE" && fail "the secret is in the state directory"
left=$(docker ps -aq --filter "label=io.deployctl.project=$PROJECT" --filter "label=io.deployctl.job")
[ -z "$left" ] || fail "check containers left behind"
echo "no secret of an in-network check in output, record or state; no check container left"
