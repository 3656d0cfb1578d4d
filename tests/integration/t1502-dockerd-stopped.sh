#!/usr/bin/env bash
# The Docker daemon itself stops in the middle of an apply (not a relay, as
# in t0505): a private dockerd of the test's own (own data root, exec root,
# socket and pidfile, in its own network namespace; the host's daemon is
# never touched) is killed (SIGKILL, dockerd and its containerd) while the
# apply waits on a slow service's health. The apply ends within a bounded time with a clear error naming
# the socket, the release is recorded failed (or interrupted, never running
# or succeeded), and once the daemon is started again the next apply
# converges and a plan after it has nothing to change.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root for a private dockerd"
for t in dockerd nsenter ip; do
	command -v $t >/dev/null || { [ "${CI:-}" = true ] && fail "$t not found"; skip "$t not found"; }
done
NS="dctl1502x$$"
D="$WORK/dockerd"
SOCK="$D/docker.sock"
mkdir -p "$D"
ip netns add "$NS" || skip "cannot create a network namespace"
ip netns exec "$NS" ip link set lo up

pdocker() {
	DOCKER_HOST="unix://$SOCK" docker "$@"
}
dockerd_start() {
	nsenter --net="/var/run/netns/$NS" setsid dockerd --data-root "$D/root" --exec-root "$D/exec" \
		-H "unix://$SOCK" --pidfile "$D/docker.pid" >>"$D/log" 2>&1 </dev/null &
	for _ in $(seq 1 150); do
		pdocker version >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	grep -iE "error|fatal|fail" "$D/log" | tail -n 30 >&2
	return 1
}
# Every process of the private daemon: dockerd, its containerd, the shims.
private_pids() {
	local p
	for p in $(pgrep -f -- "$D/" 2>/dev/null); do
		[ "$p" != $$ ] && echo "$p"
	done
}
private_cleanup() {
	local p
	if [ -S "$SOCK" ]; then
		ids=$(pdocker ps -aq 2>/dev/null)
		[ -n "$ids" ] && pdocker rm -f $ids >/dev/null 2>&1
	fi
	[ -f "$D/docker.pid" ] && kill "$(cat "$D/docker.pid")" 2>/dev/null
	for _ in $(seq 1 50); do
		[ -z "$(private_pids)" ] && break
		sleep 0.2
	done
	for p in $(private_pids); do kill -9 "$p" 2>/dev/null; done
	grep -F " $D/" /proc/mounts | cut -d' ' -f2 | sort -r | while read -r m; do umount -l "$m"; done
	ip netns del "$NS" 2>/dev/null
	cleanup
}
trap private_cleanup EXIT

dockerd_start || fail "the private dockerd did not start"
docker save deployctl-test/app:v1 deployctl-test/app:slow | pdocker load >/dev/null ||
	fail "cannot load the test images into the private daemon"

write_manifest app.yml <<YAML
name: $PROJECT
services:
  first: {image: deployctl-test/app:v1, init: true}
  slow:
    image: deployctl-test/app:slow
    init: true
    depends_on: [first]
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
YAML
commit one
pcid() {
	pdocker ps -aq --filter "label=io.deployctl.project=$PROJECT" --filter "label=io.deployctl.service=$1"
}
t0=$SECONDS
"$DEPLOYCTL" --state "$STATE" apply --repo "$REPO" --docker-host "unix://$SOCK" >"$OUT" 2>"$ERR" &
apply=$!
for _ in $(seq 1 150); do
	[ -n "$(pcid slow)" ] && break
	sleep 0.1
done
[ -n "$(pcid slow)" ] || { cat "$OUT" "$ERR"; fail "apply never reached slow"; }
# The engine dies whole: dockerd and the containerd it started (the shims,
# and so the containers, live on, as after a crash of the daemon).
dpid=$(cat "$D/docker.pid")
cpid=$(cat "$D/exec/containerd/containerd.pid" 2>/dev/null)
kill -9 "$dpid" || fail "cannot kill the private dockerd"
[ -n "$cpid" ] && kill -9 "$cpid" 2>/dev/null
t1=$SECONDS
# Bounded: the apply must end on its own within 60 s of the daemon's death.
for _ in $(seq 1 600); do
	kill -0 "$apply" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$apply" 2>/dev/null; then
	kill -9 "$apply"
	fail "apply still running 60 s after dockerd died"
fi
wait "$apply"
st=$?
echo "apply ended $((SECONDS - t1)) s after dockerd was killed (exit $st)" >&2
[ "$st" = 1 ] || [ "$st" = 3 ] || { cat "$OUT" "$ERR"; fail "apply exited $st, expected 1 or 3"; }
grep -qF "$SOCK" "$ERR" || { cat "$ERR"; fail "the error does not name the socket"; }
grep -qiE 'assert|sanitizer|segmentation' "$ERR" && fail "apply crashed: $(cat "$ERR")"
status=$(sqlite3 "$STATE/deployctl.db" "select status from releases where id = 1")
case $status in
failed | interrupted) ;;
*) fail "release 1 recorded '$status', expected failed or interrupted" ;;
esac

# While the daemon is away: a clear error, quickly, for plan too.
t2=$SECONDS
expect_status 3 plan --repo "$REPO" --docker-host "unix://$SOCK"
expect_err "cannot reach docker at '$SOCK'"
[ $((SECONDS - t2)) -le 10 ] || fail "plan took $((SECONDS - t2)) s to say Docker is away"

# The daemon is back: the next apply converges (a container Docker was
# starting when it died is made anew: its task outlived the daemon).
for _ in $(seq 1 100); do
	kill -0 "$dpid" 2>/dev/null || { [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; } || break
	sleep 0.1
done
dockerd_start || fail "the private dockerd did not start again"
expect_status 0 apply --repo "$REPO" --docker-host "unix://$SOCK"
grep -q "making it anew" "$OUT" && echo "(Docker held a stale task: the container was made anew)" >&2
expect_status 0 plan --repo "$REPO" --docker-host "unix://$SOCK"
expect_out 'no changes'
[ -n "$(pcid first)" ] && [ -n "$(pdocker ps -q --filter "id=$(pcid slow | head -n 1)")" ] ||
	fail "not converged: $(pdocker ps -a --format '{{.Names}} {{.Status}}')"
[ "$(sqlite3 "$STATE/deployctl.db" "select count(*) from releases where status = 'running'")" = 0 ] ||
	fail "a release is still running"
[ -z "$(docker ps -aq --filter "label=io.deployctl.project=$PROJECT")" ] ||
	fail "containers were made on the host's daemon"
echo "ok $TEST_NAME (whole test $((SECONDS - t0)) s)"
