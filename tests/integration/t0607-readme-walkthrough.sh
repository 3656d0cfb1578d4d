#!/usr/bin/env bash
# The README's walkthrough, run as written: its commands are taken from
# between the walkthrough markers, in a clone of this repository, with
# deployctl installed by cmake --install and on PATH, after the apply the
# quickstart makes. The only substitutions are the test's own: its secrets
# file for /etc/deployctl/shop.env, its state directory (DEPLOYCTL_STATE),
# its project name and free ports. When the example stack's local images
# (scripts/build-stack-images.sh) are absent, manifests/*.yml are replaced by
# a stand-in stack with the same api and web services and app.env.
. "$(dirname "$0")/lib.sh"
: "${BUILDDIR:=$SRCDIR/build}"

clone="$WORK/clone"
git clone -q "$SRCDIR" "$clone" || fail "cannot clone $SRCDIR"
# The walkthrough of the README being tested, not of the commit cloned.
sed -n '/^<!-- walkthrough:begin -->$/,/^<!-- walkthrough:end -->$/p' "$SRCDIR/README.md" |
	sed -e '/^<!--/d' -e '/^```/d' -e '/^#/d' -e '/^$/d' >"$WORK/commands"
[ "$(grep -c . "$WORK/commands")" -ge 10 ] || fail "no walkthrough found in README.md"

umask 077
envf="$WORK/shop.env"
grep -v '^#' "$SRCDIR/examples/secrets.env.example" >"$envf"
printf 'HTTP_PORT=%s\nPROMETHEUS_PORT=%s\nGRAFANA_PORT=%s\n' "$(free_port)" "$(free_port)" \
	"$(free_port)" >>"$envf"
if docker image inspect deployctl-local/postgres:15 >/dev/null 2>&1; then
	grep -E '^[A-Z_]+_IMAGE=' "$SRCDIR/examples/local-images.env" >>"$envf"
	stack=example
else
	stack=stand-in
	rm "$clone"/manifests/*.yml
	cat >"$clone/manifests/app.yml" <<YAML
name: shop
services:
  api:
    image: \${API_IMAGE}
    env_file: app.env
    environment: {MESSAGE: api, DB_PASSWORD: "\${POSTGRES_PASSWORD:?set it}"}
    init: true
    depends_on: {cache: {condition: service_started}}
    volumes: ["cache-data:/data"]
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 5s}
  web:
    image: \${WEB_IMAGE}
    env_file: app.env
    environment: {MESSAGE: web}
    init: true
    ports: ["127.0.0.1:\${HTTP_PORT:-8080}:8080"]
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 5s}
  cache:
    image: deployctl-test/app:v1
    init: true
volumes:
  cache-data: {}
YAML
	printf 'API_IMAGE=deployctl-test/app:healthy\nWEB_IMAGE=deployctl-test/app:healthy\n' >>"$envf"
fi
sed -i "s/^name: shop\$/name: $PROJECT/" "$clone/manifests/app.yml"
git -C "$clone" -c user.name=t -c user.email=t@example.invalid commit -qam "test: own project name" ||
	fail "cannot commit the test's project name"
sed -i "s#/etc/deployctl/shop.env#$envf#g" "$WORK/commands"
echo "walkthrough on the $stack stack: $(grep -c . "$WORK/commands") commands"

# deployctl on PATH, as cmake --install (or the quickstart) puts it.
cmake --install "$BUILDDIR" --prefix "$WORK/prefix" >/dev/null || fail "cmake --install failed"
export PATH="$WORK/prefix/bin:$PATH" DEPLOYCTL_STATE="$STATE"
cd "$clone" || fail "no clone"
# What the quickstart does last.
deployctl apply --repo "$clone" --env-file "$envf" >"$WORK/log" 2>&1 ||
	{ cat "$WORK/log"; fail "the quickstart's apply failed"; }
n=0
while IFS= read -r cmd; do
	n=$((n + 1))
	echo "\$ $cmd" >>"$WORK/log"
	bash -c "$cmd" >"$WORK/step" 2>&1 </dev/null
	rc=$?
	cat "$WORK/step" >>"$WORK/log"
	[ $rc = 0 ] || { cat "$WORK/log"; fail "walkthrough command $n exited $rc: $cmd"; }
	case $n in
	1) grep -q "^no changes: $PROJECT is up to date" "$WORK/step" || fail "first plan: $(cat "$WORK/step")" ;;
	4) grep -q 'replace        api#1: env LOG_LEVEL: info -> debug' "$WORK/step" ||
		fail "the plan after the edit: $(cat "$WORK/step")" ;;
	esac
	grep -q 'warning' "$WORK/step" && { cat "$WORK/step"; fail "command $n warns: $cmd"; }
done <"$WORK/commands"
grep -q "release 2 succeeded" "$WORK/log" || fail "the walkthrough's apply did not make release 2"
grep -q "rolling $PROJECT back to release 3" "$WORK/log" || fail "rollback after down did not go to release 3"
[ "$(count_containers api)" = 1 ] || fail "the stack is not back after the walkthrough"
echo "ok $TEST_NAME"
