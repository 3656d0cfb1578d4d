# swarm-lib.sh - a private single-node Swarm for the t14xx tests (sourced after lib.sh).
#
# The host's own dockerd is never made a Swarm manager: this starts a second dockerd in a
# network namespace the test creates (its own data root, exec root, pidfile and socket),
# runs `docker swarm init` on it, loads the local test images into it with docker save/load
# (no registry is reachable), and tears everything down in the EXIT trap: the daemon is
# killed by its pidfile, the namespace deleted, the directories removed.
#
# After sourcing: SWARM_SOCK (unix socket path), SWARM_HOST (unix://...), SWARM_NS (netns
# name), swarm_docker ARGS... (the docker CLI on that daemon), swarm_exec CMD... (a command in
# the namespace, e.g. curl to a published port), dctl_swarm ARGS... (deployctl on it).
# swarm_add_worker IMAGE... joins a second daemon as a worker (SWARM_WHOST), in a namespace of
# its own linked to the manager's by a veth pair; the same trap removes it.
set -u

command -v nsenter >/dev/null 2>&1 || skip "nsenter not found"
command -v dockerd >/dev/null 2>&1 || skip "dockerd not found"
[ "$(id -u)" = 0 ] || skip "a private dockerd needs root"

SWARM_NS="dsw$$"
SWARM_DIR=$(mktemp -d "/tmp/dsw.XXXXXX") # short: a socket path has a 108-byte limit
SWARM_SOCK="$SWARM_DIR/docker.sock"
SWARM_HOST="unix://$SWARM_SOCK"
SWARM_ADDR=10.254.77.1
SWARM_WNS="dsww$$" # swarm_add_worker's namespace
SWARM_WHOST="unix://$SWARM_DIR/w/docker.sock"
SWARM_IMAGES=${SWARM_IMAGES:-"deployctl-test/app:healthy deployctl-test/app:crashing deployctl-test/app:v1 deployctl-test/app:v2 deployctl-test/app:unhealthy"}

swarm_docker() {
	docker -H "$SWARM_HOST" "$@"
}

swarm_exec() {
	nsenter --net="/var/run/netns/$SWARM_NS" "$@"
}

dctl_swarm() {
	DOCKER_HOST="$SWARM_HOST" "$DEPLOYCTL" --state "$STATE" "$@" >"$OUT" 2>"$ERR"
}

swarm_svc_label() { # SERVICE LABEL: a label of the project's Swarm service
	swarm_docker service inspect -f "{{index .Spec.Labels \"$2\"}}" "${PROJECT}_$1"
}

swarm_svc_env() { # SERVICE: the environment of the project's Swarm service, as JSON
	swarm_docker service inspect -f '{{json .Spec.TaskTemplate.ContainerSpec.Env}}' "${PROJECT}_$1"
}

swarm_teardown() {
	local pid i f
	# The worker of swarm_add_worker (if any) first, then the manager.
	for f in "$SWARM_DIR/w/docker.pid" "$SWARM_DIR/docker.pid"; do
		[ -f "$f" ] || continue
		pid=$(cat "$f" 2>/dev/null)
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null
			for i in $(seq 1 100); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -9 "$pid" 2>/dev/null
		fi
	done
	# containerd-shims started by that daemon live under its exec root; end only those.
	for pid in $(grep -l "$SWARM_DIR" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
		kill -9 "$pid" 2>/dev/null
	done
	# Mounts under the data root (overlay, netns bind mounts) go before the directory.
	grep -o " $SWARM_DIR[^ ]*" /proc/mounts 2>/dev/null | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null
	done
	ip netns del "$SWARM_WNS" 2>/dev/null
	ip netns del "$SWARM_NS" 2>/dev/null
	rm -rf "$SWARM_DIR"
}

swarm_cleanup() {
	swarm_teardown
	cleanup
}
trap swarm_cleanup EXIT

# swarm_start: namespace, daemon (bounded wait), swarm init, images. Fails the test on error.
swarm_start() {
	local i t0
	t0=$(date +%s)
	ip netns add "$SWARM_NS" || fail "cannot create netns $SWARM_NS"
	swarm_exec ip link set lo up &&
		swarm_exec ip link add dsw0 type veth peer name dsw1 &&
		swarm_exec ip addr add "$SWARM_ADDR/24" dev dsw0 &&
		swarm_exec ip link set dsw0 up && swarm_exec ip link set dsw1 up ||
		fail "cannot set up the namespace's links"
	# nsenter --net, not `ip netns exec`: the latter remounts /sys and dockerd then fails.
	# DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: tasks use the loaded images without a pull.
	DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 swarm_exec setsid dockerd \
		--data-root "$SWARM_DIR/root" --exec-root "$SWARM_DIR/exec" \
		-H "$SWARM_HOST" --pidfile "$SWARM_DIR/docker.pid" \
		--bip 172.31.250.1/24 >"$SWARM_DIR/log" 2>&1 </dev/null &
	for i in $(seq 1 150); do
		swarm_docker version >/dev/null 2>&1 && break
		sleep 0.2
	done
	swarm_docker version >/dev/null 2>&1 || {
		tail -20 "$SWARM_DIR/log" >&2
		fail "private dockerd did not answer within 30 s"
	}
	swarm_docker swarm init --advertise-addr "$SWARM_ADDR" >/dev/null 2>"$SWARM_DIR/init.err" ||
		fail "swarm init failed: $(cat "$SWARM_DIR/init.err")"
	# shellcheck disable=SC2086
	docker save $SWARM_IMAGES | swarm_docker load >/dev/null || fail "cannot load the test images"
	echo "# private swarm up in $(($(date +%s) - t0)) s ($SWARM_HOST)"
}

# swarm_wait_running SERVICE N: until N tasks of SERVICE run (30 s at most).
swarm_wait_running() {
	local i n
	for i in $(seq 1 150); do
		n=$(swarm_docker service ps -q --filter desired-state=running "$1" 2>/dev/null |
			xargs -r docker -H "$SWARM_HOST" inspect -f '{{.Status.State}}' 2>/dev/null |
			grep -c '^running$')
		[ "$n" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

# swarm_add_worker IMAGE...: a second dockerd (own data root, exec root, socket under
# $SWARM_DIR/w) in namespace $SWARM_WNS, a veth pair to the manager's namespace
# (10.254.78.2 -> 10.254.78.1), joined as a worker; the images loaded into it. Fails the test.
swarm_add_worker() {
	local i t0 token a="dswa$$" b="dswb$$" w="$SWARM_DIR/w"
	t0=$(date +%s)
	mkdir -p "$w" && ip netns add "$SWARM_WNS" || fail "cannot create netns $SWARM_WNS"
	ip link add "$a" type veth peer name "$b" && ip link set "$a" netns "$SWARM_NS" &&
		ip link set "$b" netns "$SWARM_WNS" &&
		swarm_exec ip addr add 10.254.78.1/24 dev "$a" && swarm_exec ip link set "$a" up &&
		nsenter --net="/var/run/netns/$SWARM_WNS" sh -c "ip link set lo up &&
			ip addr add 10.254.78.2/24 dev $b && ip link set $b up &&
			ip route add 10.254.77.0/24 via 10.254.78.1" ||
		fail "cannot link the worker's namespace"
	DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 nsenter --net="/var/run/netns/$SWARM_WNS" setsid dockerd \
		--data-root "$w/root" --exec-root "$w/exec" -H "$SWARM_WHOST" --pidfile "$w/docker.pid" \
		--bip 172.31.251.1/24 >"$w/log" 2>&1 </dev/null &
	for i in $(seq 1 150); do
		docker -H "$SWARM_WHOST" version >/dev/null 2>&1 && break
		sleep 0.2
	done
	docker -H "$SWARM_WHOST" version >/dev/null 2>&1 || {
		tail -20 "$w/log" >&2
		fail "the worker's dockerd did not answer within 30 s"
	}
	# shellcheck disable=SC2068
	docker save $@ | docker -H "$SWARM_WHOST" load >/dev/null || fail "cannot load images into the worker"
	token=$(swarm_docker swarm join-token -q worker) &&
		docker -H "$SWARM_WHOST" swarm join --advertise-addr 10.254.78.2 --token "$token" \
			10.254.78.1:2377 >/dev/null 2>"$w/join.err" ||
		fail "swarm join failed: $(cat "$w/join.err")"
	for i in $(seq 1 100); do
		[ "$(swarm_docker node ls -q --filter role=worker | wc -l)" = 1 ] &&
			swarm_docker node ls --filter role=worker --format '{{.Status}}' | grep -q Ready && break
		sleep 0.2
	done
	echo "# worker joined in $(($(date +%s) - t0)) s"
}
