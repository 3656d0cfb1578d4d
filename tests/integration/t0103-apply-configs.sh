#!/usr/bin/env bash
# A config file from the repository is mounted read-only; changing it in git
# replaces exactly the service that uses it, with the reason "configs changed".
. "$(dirname "$0")/lib.sh"

mkdir -p "$REPO/config"
printf 'greeting=one\n' >"$REPO/config/app.conf"
write_manifest app.yml <<YAML
name: $PROJECT
configs:
  app:
    file: ../config/app.conf
services:
  web:
    image: deployctl-test/app:v1
    init: true
    configs: [{source: app, target: /etc/app.conf}]
  other:
    image: deployctl-test/app:v1
    init: true
YAML
commit one
expect_status 0 apply --repo "$REPO"
web=$(cid web); other=$(cid other)
[ -n "$web" ] && [ -n "$other" ] || fail "containers missing"
docker inspect -f '{{range .Mounts}}{{.Destination}} {{.RW}}{{"\n"}}{{end}}' "$web" |
	grep -qx "/etc/app.conf false" || fail "config not mounted read-only"

printf 'greeting=two\n' >"$REPO/config/app.conf"
commit two
expect_status 0 plan --repo "$REPO"
expect_out 'replace +web#1: configs changed'
grep -q other "$OUT" && fail "plan touches other: $(cat "$OUT")"
expect_status 0 apply --repo "$REPO"
[ "$(cid other)" = "$other" ] || fail "other was replaced"
[ "$(cid web)" != "$web" ] || fail "web was not replaced"

# A config that escapes the repository is refused with its location.
write_manifest app.yml <<YAML
name: $PROJECT
configs:
  app:
    file: ../../etc/passwd
services:
  web: {image: deployctl-test/app:v1, configs: [app]}
YAML
commit three
expect_status 2 apply --repo "$REPO"
expect_err "app.yml:4:11: configs.app.file: path '../../etc/passwd' escapes the repository"
echo "ok $TEST_NAME"
