#!/usr/bin/env bash
# noop.sh [N...]: cost of a no-op apply for stacks of N services (default 10 50):
# wall time (median of 15 runs), Docker calls made (from deployctl's own count),
# and peak memory (max RSS). Also the first apply's time. Prints one line per N.
# Needs a built deployctl (build/deployctl or $DEPLOYCTL), dockerd and the test images.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${DEPLOYCTL:-$top/build/deployctl}
[ -x "$bin" ] || { echo "bench: build deployctl first (cmake -S . -B build && cmake --build build)" >&2; exit 1; }
bash "$top/tests/images/build.sh" >/dev/null
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(10 50)

work=$(mktemp -d /tmp/deployctl-bench.XXXXXX)
project=bench$$
cleanup() {
	ids=$(docker ps -aq --filter "label=io.deployctl.project=$project")
	[ -n "$ids" ] && docker rm -f $ids >/dev/null
	ids=$(docker network ls -q --filter "label=io.deployctl.project=$project")
	[ -n "$ids" ] && docker network rm $ids >/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

median() {
	sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

printf '%-9s %-14s %-16s %-12s %-12s\n' services first-apply-s noop-median-ms docker-calls max-rss-kb
for n in "${sizes[@]}"; do
	repo="$work/repo$n"
	mkdir -p "$repo/manifests"
	{
		echo "name: $project"
		echo "services:"
		for i in $(seq 1 "$n"); do
			printf '  s%03d:\n    image: deployctl-test/app:v1\n    init: true\n' "$i"
			printf '    environment: {INDEX: "%d"}\n' "$i"
		done
	} >"$repo/manifests/app.yml"
	git -C "$repo" init -q
	git -C "$repo" add -A
	git -C "$repo" -c user.name=b -c user.email=b@b commit -qm bench
	t0=$(date +%s.%N)
	"$bin" --state "$work/state" apply -q --repo "$repo" >/dev/null
	t1=$(date +%s.%N)
	first=$(echo "$t1 - $t0" | bc)
	for _ in $(seq 1 15); do
		t0=$(date +%s%N)
		"$bin" --state "$work/state" apply --repo "$repo" >/dev/null
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done | median >"$work/median"
	calls=$("$bin" --state "$work/state" apply --repo "$repo" --json |
		sed -n 's/.*"docker_calls":\([0-9]*\),"docker_mutating_calls":\([0-9]*\).*/\1 (\2 mutating)/p')
	rss=$(/usr/bin/time -f %M "$bin" --state "$work/state" apply --repo "$repo" 2>&1 >/dev/null | tail -1)
	printf '%-9s %-14.2f %-16.1f %-12s %-12s\n' "$n" "$first" "$(echo "$(cat "$work/median") / 1000" | bc -l)" "$calls" "$rss"
	cleanup_ids=$(docker ps -aq --filter "label=io.deployctl.project=$project")
	[ -n "$cleanup_ids" ] && docker rm -f $cleanup_ids >/dev/null
	rm -rf "$work/state"
done
