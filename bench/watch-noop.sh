#!/usr/bin/env bash
# watch-noop.sh [N]: the long-lived reconciler's cost for a converged stack of
# N services (default 50): no-op ticks back to back in one watch process
# (ticks per second, milliseconds and Docker calls per tick, from the
# watcher's own count), and the time from a commit on the deploy branch to
# the first mutating Docker call (a container event), with watch at a 100 ms
# interval; and the tick over the Engine floor (one kept-alive filtered list
# call, measured before and after the ticks). Needs a built deployctl,
# dockerd and the test images.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${DEPLOYCTL:-$top/build/deployctl}
[ -x "$bin" ] || { echo "bench: build deployctl first" >&2; exit 1; }
bash "$top/tests/images/build.sh" >/dev/null
n=${1:-50}
ticks=${TICKS:-2000}
work=$(mktemp -d /tmp/deployctl-bench.XXXXXX)
project=wbench$$
wpid=
cleanup() {
	[ -n "$wpid" ] && kill -TERM "$wpid" 2>/dev/null && wait "$wpid" || true
	ids=$(docker ps -aq --filter "label=io.deployctl.project=$project")
	[ -n "$ids" ] && docker rm -f $ids >/dev/null
	# Engine 20.10 may report "active endpoints" for a moment after many removes (moby#42119)
	for _ in $(seq 1 20); do
		ids=$(docker network ls -q --filter "label=io.deployctl.project=$project")
		[ -z "$ids" ] && break
		docker network rm $ids >/dev/null 2>&1 || sleep 0.5
	done
	rm -rf "$work"
}
trap cleanup EXIT

repo="$work/repo"
mkdir -p "$repo/manifests"
manifest() {
	{
		echo "name: $project"
		echo "services:"
		for i in $(seq 1 "$n"); do
			printf '  s%03d:\n    image: deployctl-test/app:v1\n    init: true\n' "$i"
			printf '    environment: {INDEX: "%d", ROUND: "%s"}\n' "$i" "$1"
		done
	} >"$repo/manifests/app.yml"
	git -C "$repo" add -A
	git -C "$repo" -c user.name=b -c user.email=b@b commit -qm "round $1"
}
git -C "$repo" init -q -b main
manifest 1
"$bin" --state "$work/state" apply -q --repo "$repo" >/dev/null

# The Engine's floor: the same filtered list call on one kept-alive connection.
floor_ms() {
	python3 - "$project" <<'PY'
import http.client, json, socket, sys, time, urllib.parse
class C(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect("/var/run/docker.sock")
c = C("localhost")
q = urllib.parse.quote(json.dumps({"label": ["io.deployctl.project=" + sys.argv[1]]}))
n, t0 = 200, time.monotonic()
for _ in range(n):
    c.request("GET", "/v1.41/containers/json?all=1&filters=" + q)
    c.getresponse().read()
print("%.2f" % ((time.monotonic() - t0) * 1000 / n))
PY
}
floor=$(floor_ms)
echo "services=$n Engine floor (filtered /containers/json, kept-alive, python): $floor ms"

# No-op ticks, back to back (1 ms interval), events off: the per-tick floor.
"$bin" --state "$work/state" watch --repo "$repo" --ref main --interval 1ms --no-events \
	--ticks "$ticks" >/dev/null 2>"$work/noop.log"

line=$(grep 'no-op tick(s)' "$work/noop.log")
ms=$(echo "$line" | sed -n 's/.* \([0-9.]*\) ms and \([0-9.]*\) Docker calls each.*/\1/p')
calls=$(echo "$line" | sed -n 's/.* ms and \([0-9.]*\) Docker calls each.*/\1/p')
echo "services=$n no-op ticks: $(echo "$line" | sed 's/^deployctl: //')"
printf 'services=%s no-op tick: %.2f ms, %s Docker call(s), %.0f ticks/s\n' "$n" "$ms" "$calls" \
	"$(echo "1000 / $ms" | bc -l)"
# The floor again after the ticks: the ratio is to the mean of both, as the load moves.
floor2=$(floor_ms)
printf 'services=%s no-op tick / Engine floor: %.2f (floor %s ms before, %s ms after; load %s)\n' "$n" \
	"$(echo "$ms / (($floor + $floor2) / 2)" | bc -l)" "$floor" "$floor2" "$(cut -d' ' -f1-3 /proc/loadavg)"

# Commit -> first mutating Docker call, watch at 100 ms with the events stream on.
"$bin" --state "$work/state" watch --repo "$repo" --ref main --interval 100ms >"$work/watch.log" 2>&1 &
wpid=$!
releases() { sqlite3 "$work/state/deployctl.db" "select count(*) from releases where status != 'running'"; }
for _ in $(seq 1 100); do grep -q 'up to date' "$work/watch.log" && break; sleep 0.1; done
# The daemon keeps only the last 256 events for --since: follow them live instead.
for round in 2 3 4; do
	before=$(releases)
	docker events --filter "label=io.deployctl.project=$project" --filter type=container \
		--format '{{.TimeNano}} {{.Action}}' >"$work/events" &
	epid=$!
	sleep 0.5
	t0=$(date +%s.%N)
	manifest "$round"
	for _ in $(seq 1 1200); do [ "$(releases)" -gt "$before" ] && break; sleep 0.1; done
	kill "$epid" 2>/dev/null
	wait "$epid" 2>/dev/null || true
	first=$(awk '$2 == "create" || $2 == "stop" || $2 == "kill" || $2 == "rename" {print $1; exit}' "$work/events")
	[ -n "$first" ] || { echo "bench: no Docker event after the commit" >&2; cat "$work/watch.log" >&2; exit 1; }
	printf 'services=%s commit -> first mutating Docker call: %.3f s (release of %s changes done after %.1f s)\n' \
		"$n" "$(echo "($first / 1000000000) - $t0" | bc -l)" "$n" "$(echo "$(date +%s.%N) - $t0" | bc -l)"
done
