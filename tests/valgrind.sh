#!/usr/bin/env bash
# valgrind.sh BINARY: the CLI paths under valgrind (memcheck, leaks are
# errors): help, version, a broken manifest, a real apply, a no-op apply,
# plan, status and history against the running daemon.
set -euo pipefail
bin=$1
work=$(mktemp -d /tmp/deployctl-valgrind.XXXXXX)
project="vg$$"
cleanup() {
	ids=$(docker ps -aq --filter "label=io.deployctl.project=$project")
	[ -n "$ids" ] && docker rm -f $ids >/dev/null
	ids=$(docker network ls -q --filter "label=io.deployctl.project=$project")
	[ -n "$ids" ] && docker network rm $ids >/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

vg() {
	local want=$1
	shift
	set +e
	valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect "$bin" --state "$work/state" "$@" \
		>"$work/out" 2>"$work/err"
	local got=$?
	set -e
	if [ "$got" != "$want" ]; then
		cat "$work/out" "$work/err"
		echo "valgrind: deployctl $* exited $got (want $want)" >&2
		exit 1
	fi
	echo "valgrind clean: deployctl $*"
}

vg 0 --help
for c in apply plan check rollback status history show tag unpin version help; do vg 0 "$c" --help; done
vg 2 nosuchcommand
vg 0 history

mkdir -p "$work/repo/manifests"
cat >"$work/repo/manifests/app.yml" <<YAML
name: $project
services:
  api:
    image: deployctl-test/app:v1
    ports: ["99999:1"]
    nosuchkey: 1
YAML
vg 2 apply --dir "$work/repo"
cat >"$work/repo/manifests/app.yml" <<YAML
name: $project
services:
  api:
    image: deployctl-test/app:v1
    init: true
    environment: {A: "1", SECRET_KEY: "x"}
  db:
    image: deployctl-test/app:v2
    init: true
YAML
git -C "$work/repo" init -q
git -C "$work/repo" add -A
git -C "$work/repo" -c user.name=t -c user.email=t@t commit -qm one
vg 0 plan --repo "$work/repo"
vg 0 apply --repo "$work/repo"
vg 0 apply --repo "$work/repo"
vg 0 status --project "$project" --json
vg 0 history --json
vg 0 check --repo "$work/repo"
sed -i 's/A: "1"/A: "2"/' "$work/repo/manifests/app.yml"
git -C "$work/repo" -c user.name=t -c user.email=t@t commit -qam two
vg 0 apply --repo "$work/repo"
vg 0 show 2 --json
vg 0 tag 1 first
vg 0 rollback --project "$project"
vg 0 unpin --project "$project"
vg 2 apply --repo "$work/repo" --env-file "$work/nosuch.env"
