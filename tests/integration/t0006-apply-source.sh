#!/usr/bin/env bash
# What is deployed is what was committed: --ref picks a commit, the working
# tree is ignored (and said so), bare repositories work, --dir is recorded as dir:.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:healthy
    environment: {MESSAGE: "$1"}
    ports: ["127.0.0.1:$PORT:8080"]
    init: true
YAML
}
manifest first
commit first
first=$(git -C "$REPO" rev-parse HEAD)
manifest second
commit second
manifest uncommitted

expect_status 0 apply --repo "$REPO"
expect_err 'uncommitted changes under manifests/ are not deployed'
http_get "$PORT" / | grep -q second || fail "HEAD not deployed"

git clone -q --bare "$REPO" "$WORK/bare.git"
expect_status 0 apply --repo "$WORK/bare.git" --ref "$first"
http_get "$PORT" / | grep -q first || fail "--ref not deployed"
expect_status 0 history --json
grep -q "\"source\":\"$first\"" "$OUT" || fail "release lacks the commit"

expect_status 0 apply --dir "$REPO"
http_get "$PORT" / | grep -q uncommitted || fail "--dir not deployed"
expect_status 0 history --json
grep -q '"source_kind":"dir","source":"dir:[0-9a-f]\{64\}"' "$OUT" || fail "dir release not recorded as dir:"

expect_status 2 apply --repo "$REPO" --ref no-such-ref
expect_err "ref 'no-such-ref' not found"
echo "ok $TEST_NAME"
