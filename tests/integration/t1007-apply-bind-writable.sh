#!/usr/bin/env bash
# A bind from git asked to be writable (./seed:/data:rw) mounts a copy of
# the commit's content made for the release, and the plan says so: writes
# go to that copy, never to the stored content; the next release that
# changes the service starts from its own commit's content in a copy of its
# own; a rollback mounts the old release's copy again, with what was written
# while it ran, and keeps the newer copy. A read-only bind beside it stays
# read-only.
. "$(dirname "$0")/lib.sh"

write_manifest compose.yaml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:v1
    init: true
    volumes:
      - ./seed:/data:rw
      - ./conf.txt:/etc/conf.txt
YAML
mkdir -p "$REPO/manifests/seed"
printf 'one\n' >"$REPO/manifests/seed/version"
printf 'conf\n' >"$REPO/manifests/conf.txt"
commit one
in_web() { docker cp "$(cid web):$1" - 2>/dev/null | tar -xO; }
put_web() { printf '%s\n' "$2" >"$WORK/put" && docker cp "$WORK/put" "$(cid web):$1"; }
mounts() { docker inspect -f '{{range .Mounts}}{{.Destination}} {{.RW}} {{.Source}}{{"\n"}}{{end}}' "$(cid web)"; }

expect_status 0 plan --repo "$REPO"
expect_out 'create +web#1: new service; bind ./seed \(writable: per-release copy\)$'
expect_status 0 apply --repo "$REPO"
mounts | grep -q '^/data true ' || fail "./seed is not mounted writable: $(mounts)"
mounts | grep -q '^/etc/conf.txt false ' || fail "./conf.txt is not read-only: $(mounts)"
src1=$(mounts | awk '$1 == "/data" {print $3}')
case "$src1" in "$STATE"/files/rw/*) ;; *) fail "/data is mounted from '$src1', not a copy under the state directory" ;; esac
[ "$(in_web /data/version)" = one ] || fail "the copy does not hold the commit's content"
put_web /data/note "written in release 1" || fail "cannot write to the writable bind"
put_web /etc/conf.txt nope 2>/dev/null && fail "the read-only bind took a write"
[ "$(cat "$src1/note")" = "written in release 1" ] || fail "the write did not land in the copy"
# the stored content is untouched: only the copy took the write
stored=$(find "$STATE/files" -maxdepth 2 -name version -path '*/files/*/version' ! -path '*/rw/*' | head -1)
[ -n "$stored" ] && [ "$(cat "$stored")" = one ] && [ ! -e "$(dirname "$stored")/note" ] ||
	fail "the stored content of ./seed changed"
expect_status 0 plan --repo "$REPO"
expect_out '^no changes'

printf 'two\n' >"$REPO/manifests/seed/version"
commit two
expect_status 0 plan --repo "$REPO"
expect_out 'replace +web#1: bind ./seed changed; bind ./seed \(writable: per-release copy\)'
expect_status 0 apply --repo "$REPO"
src2=$(mounts | awk '$1 == "/data" {print $3}')
[ "$src2" != "$src1" ] || fail "release 2 mounts release 1's copy"
[ "$(in_web /data/version)" = two ] || fail "release 2's copy is not its commit's content"
[ -z "$(in_web /data/note)" ] || fail "release 2's copy holds release 1's write"
put_web /data/note "written in release 2" || fail "cannot write in release 2"

expect_status 0 rollback --project "$PROJECT"
[ "$(mounts | awk '$1 == "/data" {print $3}')" = "$src1" ] || fail "rollback does not mount release 1's copy: $(mounts)"
[ "$(in_web /data/version)" = one ] || fail "rollback: /data/version is not release 1's"
[ "$(in_web /data/note)" = "written in release 1" ] || fail "rollback: release 1's write is gone"
[ "$(cat "$src2/note")" = "written in release 2" ] || fail "rollback removed release 2's copy"
echo "ok $TEST_NAME"
