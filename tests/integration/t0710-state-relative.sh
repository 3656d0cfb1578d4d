#!/usr/bin/env bash
# --state given as a relative path (and $DEPLOYCTL_STATE likewise) is made
# absolute once: the bind-mount sources of configs and secrets sent to
# Docker are absolute, so a service with a config and a secret comes up.
. "$(dirname "$0")/lib.sh"

mkdir -p "$REPO/config"
printf 'greeting=one\n' >"$REPO/config/app.conf"
write_manifest app.yml <<YAML
name: $PROJECT
configs:
  app:
    file: ../config/app.conf
secrets:
  token:
    environment: APP_TOKEN
services:
  web:
    image: deployctl-test/app:v1
    init: true
    configs: [{source: app, target: /etc/app.conf}]
    secrets: [token]
YAML
commit one
cd "$WORK" || fail "cannot cd"
APP_TOKEN=s3cr3t-relative "$DEPLOYCTL" --state st apply --repo "$REPO" >"$OUT" 2>"$ERR" ||
	{ cat "$OUT" "$ERR"; fail "apply with --state st failed"; }
grep -q 'succeeded' "$OUT" || { cat "$OUT" "$ERR"; fail "release did not succeed"; }
[ -f "$WORK/st/deployctl.db" ] || fail "state not in ./st"
web=$(cid web)
[ -n "$web" ] || fail "web not running"
src=$(docker inspect -f '{{range .Mounts}}{{if eq .Destination "/etc/app.conf"}}{{.Source}}{{end}}{{end}}' "$web")
case "$src" in
"$WORK"/st/files/*) ;;
*) fail "config mount source is not absolute under $WORK/st: '$src'" ;;
esac
[ "$(cat "$src")" = "greeting=one" ] || fail "config file content wrong"
ssrc=$(docker inspect -f '{{range .Mounts}}{{if eq .Destination "/run/secrets/token"}}{{.Source}}{{end}}{{end}}' "$web")
case "$ssrc" in
"$WORK"/st/files/*) ;;
*) fail "secret mount source is not absolute under $WORK/st: '$ssrc'" ;;
esac
[ "$(docker inspect -f '{{.State.Running}}' "$web")" = true ] || fail "web not running"

# The same through $DEPLOYCTL_STATE, from another directory: nothing to change.
mkdir -p "$WORK/sub" && cd "$WORK/sub" || fail "cannot cd"
APP_TOKEN=s3cr3t-relative DEPLOYCTL_STATE=../st "$DEPLOYCTL" apply --repo "$REPO" >"$OUT" 2>"$ERR" ||
	{ cat "$OUT" "$ERR"; fail "apply with DEPLOYCTL_STATE=../st failed"; }
grep -q 'no changes' "$OUT" || { cat "$OUT" "$ERR"; fail "second apply not a no-op"; }

# --state after the command, relative too: a change that replaces web works.
cd "$WORK" || fail "cannot cd"
printf 'greeting=two\n' >"$REPO/config/app.conf"
commit two
APP_TOKEN=s3cr3t-relative "$DEPLOYCTL" apply --state st --repo "$REPO" >"$OUT" 2>"$ERR" ||
	{ cat "$OUT" "$ERR"; fail "apply --state st failed"; }
grep -q 'release 2 succeeded' "$OUT" || { cat "$OUT" "$ERR"; fail "release 2 did not succeed"; }
echo "ok $TEST_NAME"
