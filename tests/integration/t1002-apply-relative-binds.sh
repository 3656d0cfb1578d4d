#!/usr/bin/env bash
# Relative bind mounts: a file tracked in git is mounted read-only from its
# content at the commit; editing it rolls the service with the reason
# "bind ./nginx.conf changed", and a rollback brings the old file back. An
# untracked path is the host's, under the project's host directory:
# check names a missing certificate and where to put it; a missing
# directory is created.
. "$(dirname "$0")/lib.sh"

HOST="$WORK/host"
write_manifest compose.yaml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:v1
    init: true
    volumes:
      - ./nginx.conf:/etc/app/nginx.conf:ro
      - ./certs:/certs
      - ./tls/fullchain.pem:/etc/ssl/fullchain.pem:ro
      - type: bind
        source: ./data
        target: /data
        bind: {create_host_path: false}
  other:
    image: deployctl-test/app:v1
    init: true
YAML
printf 'worker_processes 1;\n' >"$REPO/manifests/nginx.conf"
commit one
in_web() { docker cp "$(cid web):$1" - 2>/dev/null | tar -xO; }

expect_status 1 check --repo "$REPO" --host-dir "$HOST"
expect_out "^FAIL  files: manifests/compose.yaml:[0-9]+:[0-9]+: services.web.volumes\[2\]: ./tls/fullchain.pem is not in git and missing on the host: put it at $HOST/tls/fullchain.pem"
expect_out "^warn  files: .*services.web.volumes\[1\]: ./certs is not in git and missing on the host: created empty at $HOST/certs"
expect_out "^FAIL  files: .*services.web.volumes\[3\]: ./data is not in git and missing on the host: put it at $HOST/data"
mkdir -p "$HOST/tls" "$HOST/data" && printf 'CERT\n' >"$HOST/tls/fullchain.pem"
dctl check --repo "$REPO" --host-dir "$HOST"
grep -q 'fullchain.pem' "$OUT" && fail "check still reports the certificate: $(cat "$OUT")"

expect_status 0 apply --repo "$REPO" --host-dir "$HOST"
[ "$(in_web /etc/app/nginx.conf)" = "worker_processes 1;" ] || fail "nginx.conf is not the commit's"
[ "$(in_web /etc/ssl/fullchain.pem)" = CERT ] || fail "the certificate is not the host's"
[ -d "$HOST/certs" ] || fail "the host directory for ./certs was not created"
docker inspect -f '{{range .Mounts}}{{.Destination}} {{.RW}}{{"\n"}}{{end}}' "$(cid web)" |
	grep -qx "/etc/app/nginx.conf false" || fail "nginx.conf is not mounted read-only"
expect_status 0 plan --repo "$REPO" --host-dir "$HOST"
expect_out '^no changes'
web1=$(cid web); other=$(cid other)

printf 'worker_processes 2;\n' >"$REPO/manifests/nginx.conf"
commit two
expect_status 0 plan --repo "$REPO" --host-dir "$HOST"
expect_out 'replace +web#1: bind ./nginx.conf changed \((stop|start)-first: [^)]*\)$'
grep -q other "$OUT" && fail "plan touches other: $(cat "$OUT")"
expect_status 0 apply --repo "$REPO" --host-dir "$HOST"
[ "$(cid other)" = "$other" ] || fail "other was replaced"
[ "$(cid web)" != "$web1" ] || fail "web was not replaced"
[ "$(in_web /etc/app/nginx.conf)" = "worker_processes 2;" ] || fail "nginx.conf was not updated"

expect_status 0 rollback --project "$PROJECT"
[ "$(in_web /etc/app/nginx.conf)" = "worker_processes 1;" ] || fail "rollback did not restore nginx.conf"
echo "ok $TEST_NAME"
