#!/usr/bin/env bash
# An env value that is not valid UTF-8 (Docker takes the environment as JSON
# strings) is a usage error (exit 2) naming its file and line: --env-file,
# env_file in the repository, a variable of the process environment used by
# environment:, and a byte in the manifest itself. It used to be "out of
# memory rendering the spec", exit 1.
. "$(dirname "$0")/lib.sh"

write_manifest app.yml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:v1
    init: true
    env_file: web.env
    environment:
      FROM_VAR: \${BVAR}
      PASSED:
YAML
printf 'A=ok\n' >"$REPO/manifests/web.env"
commit first
printf 'BVAR=fine\n' >"$WORK/good.env"
expect_status 0 plan --repo "$REPO" --env-file "$WORK/good.env"

printf 'BVAR=fine\nLONG="two\nlines\xff"\n' >"$WORK/bad.env"
expect_status 2 plan --repo "$REPO" --env-file "$WORK/bad.env"
expect_err "^deployctl: $WORK/bad.env:2:1: value of 'LONG' is not valid UTF-8 \(byte 9 of the value\)"

printf 'A=ok\nX=bad\xff\xfevalue\n' >"$REPO/manifests/web.env"
commit bad-env-file
expect_status 2 plan --repo "$REPO" --env-file "$WORK/good.env"
expect_err "^deployctl: manifests/web.env:2:1: value of 'X' is not valid UTF-8 \(byte 3 of the value\)"
expect_status 2 apply --repo "$REPO" --env-file "$WORK/good.env"
expect_err "manifests/web.env:2:1: value of 'X' is not valid UTF-8"
printf 'A=ok\n' >"$REPO/manifests/web.env"
commit good-env-file

BVAR=$(printf 'a\xffb') expect_status 2 plan --repo "$REPO"
expect_err "^deployctl: manifests/app.yml:8:17: services.web.environment.FROM_VAR: variable BVAR is not valid UTF-8 \(byte 1 of its value\)"
BVAR=ok PASSED=$(printf '\xed\xa0\x80') expect_status 2 plan --repo "$REPO"
expect_err "^deployctl: manifests/app.yml:9:14: services.web.environment.PASSED: variable PASSED is not valid UTF-8 \(byte 0 of its value\)"
grep -q 'out of memory' "$ERR" && fail "still 'out of memory': $(cat "$ERR")"

printf 'name: %s\nservices:\n  web:\n    image: deployctl-test/app:v1\n    environment: {A: "x\xffy"}\n' \
	"$PROJECT" >"$REPO/manifests/app.yml"
commit bad-yaml
expect_status 2 plan --repo "$REPO"
expect_err "^deployctl: manifests/app.yml:5:24: invalid leading UTF-8 octet at byte [0-9]+"
[ "$(count_containers)" = 0 ] || fail "something was created"
echo "ok $TEST_NAME"
