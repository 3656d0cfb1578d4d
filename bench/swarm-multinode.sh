#!/usr/bin/env bash
# swarm-multinode.sh: deployctl on a three-node Swarm that this script builds on one machine
# (the recipe of ../shared/DOCKER-NOTES.md): three dockerds, each in a network namespace of its
# own, joined over a bridge in a fourth namespace, which also runs a registry (Debian's
# docker-registry) that every node pulls from. The host talks to the daemons only through their
# Unix sockets; the host's own daemon is never touched beyond `docker save` of the test images.
#
# Scenarios, each timed:
#   create    3 replicas with a spread preference over node.labels.zone -> one task per node
#   drain     node 2 drained -> its task rescheduled; the release still healthy (apply: no-op)
#   update    image v1 -> v2 across nodes (pinned by digest, pulled by each node)
#   failing   an update to a crashing image -> automatic rollback on every node
#   rollback  deployctl rollback (from SQLite) back to release 1 across nodes
#
#   bash bench/swarm-multinode.sh        (root; about 2-3 minutes)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${DEPLOYCTL:-$top/build/deployctl}
[ -x "$bin" ] || { echo "bench: build deployctl first" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench: needs root (network namespaces, dockerd)" >&2; exit 1; }
command -v docker-registry >/dev/null || { echo "bench: needs docker-registry" >&2; exit 1; }
bash "$top/tests/images/build.sh" >/dev/null || exit 1

id=$$
W=$(mktemp -d /tmp/dmn.XXXXXX)
HUB="dmnhub$id"
REG=10.254.88.254:5000
P="mn$id"
STATE="$W/state"
REPO="$W/repo"

die() {
	echo "swarm-multinode: $*" >&2
	exit 1
}
sock() { echo "unix://$W/n$1/docker.sock"; }
d() { # NODE ARGS...
	local n=$1
	shift
	docker -H "$(sock "$n")" "$@"
}
ns() { # NODE CMD...
	local n=$1
	shift
	nsenter --net="/var/run/netns/dmn$id-$n" "$@"
}
dctl() {
	DOCKER_HOST=$(sock 1) "$bin" --state "$STATE" "$@" >"$W/out" 2>"$W/err"
}
t() { date +%s.%N; }
since() { python3 -c 'import sys,time; print(f"{time.time()-float(sys.argv[1]):.1f}")' "$1"; }

teardown() {
	local i pid
	for i in 1 2 3; do
		pid=$(cat "$W/n$i/docker.pid" 2>/dev/null)
		[ -n "$pid" ] && kill "$pid" 2>/dev/null
	done
	[ -f "$W/registry.pid" ] && kill "$(cat "$W/registry.pid")" 2>/dev/null
	for i in $(seq 1 100); do
		pgrep -f "$W/n[123]/docker.sock" >/dev/null || break
		sleep 0.1
	done
	for pid in $(grep -l "$W" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
		[ "$pid" != $$ ] && kill -9 "$pid" 2>/dev/null
	done
	grep -o " $W[^ ]*" /proc/mounts 2>/dev/null | sort -r | while read -r m; do umount -l "$m"; done
	for i in 1 2 3; do ip netns del "dmn$id-$i" 2>/dev/null; done
	ip netns del "$HUB" 2>/dev/null
	rm -rf "$W"
}
trap teardown EXIT

t0=$(t)
ip netns add "$HUB" && ip netns exec "$HUB" ip link set lo up &&
	ip netns exec "$HUB" ip link add br0 type bridge &&
	ip netns exec "$HUB" ip addr add 10.254.88.254/24 dev br0 &&
	ip netns exec "$HUB" ip link set br0 up || die "cannot make the hub"
for i in 1 2 3; do
	mkdir -p "$W/n$i"
	ip netns add "dmn$id-$i" && ns "$i" ip link set lo up &&
		ip link add "dmn${i}a$id" type veth peer name "dmn${i}b$id" &&
		ip link set "dmn${i}a$id" netns "dmn$id-$i" && ip link set "dmn${i}b$id" netns "$HUB" &&
		ip netns exec "$HUB" ip link set "dmn${i}b$id" master br0 &&
		ip netns exec "$HUB" ip link set "dmn${i}b$id" up &&
		ns "$i" ip addr add "10.254.88.$i/24" dev "dmn${i}a$id" &&
		ns "$i" ip link set "dmn${i}a$id" up || die "cannot make node $i's namespace"
	ns "$i" setsid dockerd --data-root "$W/n$i/root" --exec-root "$W/n$i/exec" \
		-H "$(sock "$i")" --pidfile "$W/n$i/docker.pid" --bip "172.31.$((240 + i)).1/24" \
		--insecure-registry "$REG" >"$W/n$i/log" 2>&1 </dev/null &
done
cat >"$W/registry.yml" <<YAML
version: 0.1
storage: {filesystem: {rootdirectory: $W/registry}}
http: {addr: $REG}
YAML
nsenter --net="/var/run/netns/$HUB" setsid docker-registry serve "$W/registry.yml" \
	>"$W/registry.log" 2>&1 </dev/null &
echo $! >"$W/registry.pid"
for i in 1 2 3; do
	for k in $(seq 1 150); do d "$i" version >/dev/null 2>&1 && break; sleep 0.2; done
	d "$i" version >/dev/null 2>&1 || { tail "$W/n$i/log"; die "node $i's dockerd did not start"; }
done
d 1 swarm init --advertise-addr 10.254.88.1 >/dev/null || die "swarm init failed"
tok=$(d 1 swarm join-token -q worker)
for i in 2 3; do
	d "$i" swarm join --token "$tok" --advertise-addr "10.254.88.$i" 10.254.88.1:2377 >/dev/null ||
		die "node $i could not join"
done
for i in 1 2 3; do
	d 1 node update --label-add "zone=z$i" "$(d "$i" info -f '{{.Swarm.NodeID}}')" >/dev/null
done
# Images reach the registry from node 1 (the host cannot reach the namespaces' network).
docker save deployctl-test/app:v1 deployctl-test/app:v2 deployctl-test/app:crashing | d 1 load >/dev/null
for tag in v1 v2 crashing; do
	d 1 tag "deployctl-test/app:$tag" "$REG/app:$tag" && d 1 push "$REG/app:$tag" >/dev/null ||
		die "push of $tag failed"
done
echo "three-node swarm with a registry up in $(since "$t0") s"

git init -q "$REPO" && git -C "$REPO" config user.email b@x && git -C "$REPO" config user.name b
mkdir -p "$REPO/manifests"
manifest() {
	cat >"$REPO/manifests/app.yml" <<YAML
name: $P
x-deployctl: {target: swarm}
services:
  web:
    image: $REG/app:$1
    init: true
    deploy:
      replicas: 3
      placement: {preferences: [{spread: node.labels.zone}]}
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
    x-deployctl: {rollout: {timeout: 40s}}
YAML
	git -C "$REPO" add -A && git -C "$REPO" commit -qm "$1"
}
# "NODEID STATE" of each task meant to run (the nodes share one host name, so by ID)
tasks() {
	d 1 service ps -q -f desired-state=running "${P}_web" |
		xargs -r docker -H "$(sock 1)" inspect -f '{{.NodeID}} {{.Status.State}}'
}
nodes_of() { tasks | grep ' running$' | cut -d' ' -f1 | sort -u | wc -l; }

manifest v1
s=$(t); dctl apply --repo "$REPO" || { cat "$W/out" "$W/err"; die "create failed"; }
echo "create: $(since "$s") s, tasks on $(nodes_of) node(s); image $(d 1 service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "${P}_web")"

s=$(t)
n2=$(d 2 info -f '{{.Swarm.NodeID}}')
d 1 node update --availability drain "$n2" >/dev/null
for k in $(seq 1 100); do
	tk=$(tasks)
	[ "$(echo "$tk" | grep -c ' running$')" = 3 ] && ! echo "$tk" | grep -q "^$n2" && break
	sleep 0.3
done
dctl apply --repo "$REPO"
echo "drain: $(tasks | grep -c ' running$') tasks running, $(tasks | grep -c "^$n2") on node 2, after $(since "$s") s, on $(nodes_of) node(s); apply then: $(grep -o 'no changes\|release [0-9]* [a-z_]*' "$W/out" | head -1) $(grep -o '([0-9]* Docker calls, [0-9]* mutating)' "$W/out")"

manifest v2
s=$(t); dctl apply --repo "$REPO" || { cat "$W/out" "$W/err"; die "update failed"; }
echo "update v1 -> v2 across nodes: $(since "$s") s, tasks on $(nodes_of) node(s)"

manifest crashing
s=$(t); dctl apply --repo "$REPO"
echo "failing update: exit $?, $(grep -o 'release [0-9]* [a-z_]*' "$W/out" | tail -1) in $(since "$s") s"

rm -rf "$REPO"
s=$(t); dctl rollback --to 1 || { cat "$W/out" "$W/err"; die "rollback failed"; }
echo "rollback to release 1 (git gone) across nodes: $(since "$s") s; image $(d 1 service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "${P}_web" | cut -c1-60)"
echo "total $(since "$t0") s"
