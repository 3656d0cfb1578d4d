#!/usr/bin/env bash
# swarm.sh [N]: deployctl --target swarm side by side with `docker stack deploy` on the same
# stack of N services (default 5; each one replica of deployctl-test/app, healthcheck every
# second, init: true), on a private single-node Swarm that this script starts in its own
# network namespace (tests/integration/swarm-lib.sh: never the host's daemon).
#
# RUNS times (default 5), alternating A (deployctl) and B (docker stack deploy), it times:
#   noop      apply / stack deploy again with nothing changed (and counts B's updates)
#   one       one service's environment changed, until its task is running and healthy
#             (deployctl's gate; stack deploy --detach=false waits for convergence)
#   rollback  that service back (deployctl rollback; docker service rollback --detach=false)
# and prints medians, the ratio B/A, and deployctl's Docker calls for the no-op.
#
#   RUNS=5 bash bench/swarm.sh 5
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export SRCDIR=$top DEPLOYCTL=${DEPLOYCTL:-$top/build/deployctl}
N=${1:-5}
RUNS=${RUNS:-5}
# shellcheck source=../tests/integration/lib.sh
. "$top/tests/integration/lib.sh"
SWARM_IMAGES="deployctl-test/app:v1"
# shellcheck source=../tests/integration/swarm-lib.sh
. "$top/tests/integration/swarm-lib.sh"
swarm_start >&2

STACK="b${PROJECT}"
stack_file="$WORK/stack.yml"
# stack FILE MESSAGE [TARGET]: the same services for both tools
stack() {
	{
		echo "version: \"3.9\""
		[ -n "${3:-}" ] && echo "name: $PROJECT" && echo "x-deployctl: {target: swarm}"
		echo "services:"
		for i in $(seq 1 "$N"); do
			cat <<YAML
  s$i:
    image: deployctl-test/app:v1
    init: true
    environment: {MESSAGE: "${2}-$([ "$i" = 1 ] && echo one || echo same)"}
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
YAML
		done
	} >"$1"
}
ms() {
	python3 -c 'import sys,time; print(int((time.time()-float(sys.argv[1]))*1000))' "$1"
}
t() { date +%s.%N; }
declare -A res
add() { res[$1]="${res[$1]:-} $2"; }

stack "$REPO/manifests/app.yml" v0 swarm && commit v0
dctl_swarm apply --repo "$REPO" || { cat "$OUT" "$ERR"; fail "deployctl first apply failed"; }
stack "$stack_file" v0
swarm_docker stack deploy --resolve-image never --detach=false -c "$stack_file" "$STACK" >/dev/null 2>&1 ||
	fail "docker stack deploy failed"
calls=
for r in $(seq 1 "$RUNS"); do
	msg="r$r"
	# A: deployctl
	s=$(t); dctl_swarm apply --repo "$REPO" || fail "no-op apply failed"; add A_noop "$(ms "$s")"
	calls=$(grep -o '([0-9]* Docker calls, [0-9]* mutating)' "$OUT")
	stack "$REPO/manifests/app.yml" "$msg" swarm && commit "$msg"
	s=$(t); dctl_swarm apply --repo "$REPO" || { cat "$OUT" "$ERR"; fail "one-change apply failed"; }
	add A_one "$(ms "$s")"
	s=$(t); dctl_swarm rollback || { cat "$OUT" "$ERR"; fail "rollback failed"; }
	add A_rollback "$(ms "$s")"
	# back to the changed commit for the next round (not timed)
	dctl_swarm apply --repo "$REPO" --force >/dev/null 2>&1
	# B: docker stack deploy
	before=$(swarm_docker service inspect -f '{{.Version.Index}}' "${STACK}_s2")
	s=$(t); swarm_docker stack deploy --resolve-image never --detach=false -c "$stack_file" "$STACK" >/dev/null 2>&1
	add B_noop "$(ms "$s")"
	after=$(swarm_docker service inspect -f '{{.Version.Index}}' "${STACK}_s2")
	stack "$stack_file" "$msg"
	s=$(t); swarm_docker stack deploy --resolve-image never --detach=false -c "$stack_file" "$STACK" >/dev/null 2>&1
	add B_one "$(ms "$s")"
	s=$(t); swarm_docker service rollback --detach=false "${STACK}_s1" >/dev/null 2>&1
	add B_rollback "$(ms "$s")"
	swarm_docker stack deploy --resolve-image never --detach=false -c "$stack_file" "$STACK" >/dev/null 2>&1
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
printf '%-10s %12s %18s %7s\n' "N=$N" "deployctl ms" "stack deploy ms" "B/A"
for k in noop one rollback; do
	a=$(echo "${res[A_$k]}" | median)
	b=$(echo "${res[B_$k]}" | median)
	printf '%-10s %12s %18s %7s\n' "$k" "$a" "$b" "$(python3 -c "print(f'{$b/max($a,1):.1f}x')")"
done
echo "deployctl no-op: $calls; stack deploy no-op: service s2 version $before -> $after (it updates every service each run)"
echo "(medians of $RUNS runs, private single-node Swarm, Engine $(swarm_docker version -f '{{.Server.Version}}'))"
