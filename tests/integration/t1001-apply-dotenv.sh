#!/usr/bin/env bash
# The project directory's .env is read at the commit for interpolation
# (the process environment wins); one that sets a secret key fails check.
. "$(dirname "$0")/lib.sh"

write_manifest compose.yaml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:\${TAG}
    init: true
    environment: {MODE: "\${MODE}"}
YAML
printf 'TAG=v1\nMODE=from-dotenv\n' >"$REPO/manifests/.env"
commit one
# uncommitted: never read
printf 'TAG=v2\nMODE=uncommitted\n' >"$REPO/manifests/.env"
expect_status 0 apply --repo "$REPO"
[ "$(docker inspect -f "{{.Image}}" "$(cid web)")" = "$(docker image inspect -f "{{.Id}}" deployctl-test/app:v1)" ] ||
	fail "image is not the committed .env's"
docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$(cid web)" |
	grep -qx MODE=from-dotenv || fail "MODE is not the committed .env's"
MODE=from-env expect_status 0 config --repo "$REPO"
expect_out '^      MODE: from-env$'
git -C "$REPO" checkout -q -- manifests/.env

printf 'TAG=v1\nAPI_TOKEN=tok-committed-12345\n' >"$REPO/manifests/.env"
commit two
expect_status 1 check --repo "$REPO"
expect_out '^FAIL  dotenv: manifests/.env is in the repository and sets secret keys \(API_TOKEN\)'
grep -q tok-committed "$OUT" "$ERR" && fail "the secret value was printed"
expect_status 2 apply --repo "$REPO"
expect_err 'check: FAIL dotenv'
echo "ok $TEST_NAME"
