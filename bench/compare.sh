#!/usr/bin/env bash
# compare.sh [N...]: deployctl side by side with docker-compose on the same
# generated stacks of N services (default 1 10 50 200)
# of a local image (deployctl-test/app:v1, `init: true` so a stop is not the
# 10 s SIGTERM timeout of a PID 1 that ignores it).
#
# For each N, in one invocation, runs alternate A (deployctl) / B
# (docker-compose) and prints medians and the ratio B/A:
#   cold      first apply / `up -d` of the whole stack, from nothing
#   noop      apply / `up -d` again with nothing changed
#   one       one service's environment changed (deployctl: stop-first, as
#             docker-compose recreates; ORDER=start-first for deployctl's
#             default, whose old container then drains for 3 s)
#   rollback  back to the previous release of that one service
#             (deployctl rollback; for compose, `up -d` of the previous file)
#   rss       peak RSS of the no-op, in kB
#   rss-one   peak RSS of a one-change apply, in kB
# and, as the floor, one `curl` of the same filtered container list that a
# deployctl no-op makes. With callgrind installed (valgrind), the instruction
# count of `deployctl plan` on the largest N is printed as a repeatable figure.
#
# `docker stack deploy` needs a Swarm manager; this script never turns the
# host's daemon into one (see issue #14 for the Swarm bench).
#
#   RUNS=5 COLD_RUNS=3 bash bench/compare.sh 1 10 50
#
# From N >= BIG (default 200) on, RUNS is capped at BIG_RUNS (default 3) and
# COLD_RUNS at 1. Each N ends with the wall time it took. docker-compose runs
# only up to N = COMPOSE_MAX (default 50; COMPOSE_MAX=200 for the full row):
# at N = 200 its first `up -d` had made 4 of the 200 containers after 12.5
# minutes on this 2-core machine under load (killed), while deployctl's whole
# row takes a few minutes.
#
# Needs a built deployctl (build/deployctl or $DEPLOYCTL), dockerd, the test
# images (tests/images/build.sh runs first) and, for column B, docker-compose
# (Debian package docker-compose; the column is "-" without it). Every object
# it creates is labelled and removed at exit.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${DEPLOYCTL:-$top/build/deployctl}
[ -x "$bin" ] || { echo "bench: build deployctl first (cmake -S . -B build && cmake --build build)" >&2; exit 1; }
RUNS=${RUNS:-5}
COLD_RUNS=${COLD_RUNS:-3}
ORDER=${ORDER:-stop-first}
bash "$top/tests/images/build.sh" >/dev/null
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1 10 50 200)
compose_all=$(command -v docker-compose || true)
compose=$compose_all
sock=${DOCKER_HOST:-unix:///var/run/docker.sock}
sock=${sock#unix://}

work=$(mktemp -d /tmp/deployctl-bench.XXXXXX)
pa=bencha$$ # deployctl's project
pb=benchb$$ # docker-compose's project

remove_project() {
	local ids
	ids=$(docker ps -aq --filter "label=io.deployctl.project=$pa")
	[ -n "$ids" ] && docker rm -f $ids >/dev/null
	# Engine 20.10 may report "active endpoints" for a moment after many removes (moby#42119)
	for _ in $(seq 1 20); do
		ids=$(docker network ls -q --filter "label=io.deployctl.project=$pa")
		[ -z "$ids" ] && break
		docker network rm $ids >/dev/null 2>&1 || sleep 0.5
	done
	if [ -n "$compose_all" ] && [ -f "$work/b/docker-compose.yml" ]; then
		(cd "$work/b" && "$compose_all" -p "$pb" down -t 1 >/dev/null 2>&1) || true
	fi
	rm -rf "$work/state"
	return 0
}
cleanup() {
	remove_project
	rm -rf "$work"
}
trap cleanup EXIT

median() {
	sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'
}

# ms CMD...: run CMD, print its wall time in milliseconds (its output is dropped).
ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# stack N INDEX1: the manifest of N services; INDEX1 is service s001's env value.
stack() {
	echo "services:"
	for i in $(seq 1 "$1"); do
		printf '  s%03d:\n    image: deployctl-test/app:v1\n    init: true\n' "$i"
		if [ "$i" = 1 ]; then
			printf '    environment: {INDEX: "%s"}\n' "$2"
		else
			printf '    environment: {INDEX: "%d"}\n' "$i"
		fi
	done
}

# version A|B N VALUE: write and (for A) commit the stack with s001=VALUE.
version() {
	if [ "$1" = A ]; then
		{
			echo "name: $pa"
			echo "x-deployctl: {rollout: {order: $ORDER}}"
			stack "$2" "$3"
		} >"$work/a/manifests/app.yml"
		git -C "$work/a" add -A
		git -C "$work/a" -c user.name=bench -c user.email=bench@bench.invalid commit -qm "s001=$3" --allow-empty
	else
		stack "$2" "$3" >"$work/b/docker-compose.yml"
	fi
}

A() { "$bin" --state "$work/state" "$@"; }
B() { (cd "$work/b" && "$compose" -p "$pb" "$@"); }

ratio() {
	[ "$1" = - ] || [ "$2" = - ] && { echo -; return; }
	awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.1fx", b / a; else print "-" }'
}

BIG=${BIG:-200}
BIG_RUNS=${BIG_RUNS:-3}
runs_all=$RUNS
cold_all=$COLD_RUNS
printf '%-5s %-9s %12s %14s %8s\n' N scenario deployctl docker-compose ratio
for n in "${sizes[@]}"; do
	t_n=$(date +%s)
	RUNS=$runs_all
	COLD_RUNS=$cold_all
	compose=$compose_all
	[ "$n" -gt "${COMPOSE_MAX:-50}" ] && compose=
	if [ "$n" -ge "$BIG" ]; then
		[ "$RUNS" -gt "$BIG_RUNS" ] && RUNS=$BIG_RUNS
		COLD_RUNS=1
	fi
	rm -rf "$work/a" "$work/b"
	mkdir -p "$work/a/manifests" "$work/b"
	git -C "$work/a" init -q
	for s in cold noop one rollback; do : >"$work/$s.a"; : >"$work/$s.b"; done

	for _ in $(seq 1 "$COLD_RUNS"); do
		remove_project
		version A "$n" 1
		ms A apply -q --repo "$work/a" >>"$work/cold.a"
		if [ -n "$compose" ]; then
			version B "$n" 1
			ms B up -d >>"$work/cold.b"
		fi
	done
	for _ in $(seq 1 "$RUNS"); do
		ms A apply -q --repo "$work/a" >>"$work/noop.a"
		[ -n "$compose" ] && ms B up -d >>"$work/noop.b"
	done
	for r in $(seq 1 "$RUNS"); do
		version A "$n" "changed$r"
		ms A apply -q --repo "$work/a" >>"$work/one.a"
		ms A rollback -q >>"$work/rollback.a"
		A unpin >/dev/null
		version A "$n" 1
		A apply -q --repo "$work/a" >/dev/null # converged again (a no-op after the rollback)
		if [ -n "$compose" ]; then
			version B "$n" "changed$r"
			ms B up -d >>"$work/one.b"
			version B "$n" 1
			ms B up -d >>"$work/rollback.b"
		fi
	done
	rss_a=$(/usr/bin/time -f %M "$bin" --state "$work/state" apply -q --repo "$work/a" 2>&1 >/dev/null | tail -1)
	rss_b=-
	[ -n "$compose" ] && rss_b=$( (cd "$work/b" && /usr/bin/time -f %M "$compose" -p "$pb" up -d 2>&1 >/dev/null) | tail -1)
	version A "$n" rss
	rss1_a=$(/usr/bin/time -f %M "$bin" --state "$work/state" apply -q --repo "$work/a" 2>&1 >/dev/null | tail -1)
	rss1_b=-
	if [ -n "$compose" ]; then
		version B "$n" rss
		rss1_b=$( (cd "$work/b" && /usr/bin/time -f %M "$compose" -p "$pb" up -d 2>&1 >/dev/null) | tail -1)
	fi

	filter=$(printf '{"label":["io.deployctl.project=%s"]}' "$pa" | python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.stdin.read()))')
	for _ in $(seq 1 "$RUNS"); do
		ms curl -sf --unix-socket "$sock" "http://localhost/v1.41/containers/json?all=1&filters=$filter"
	done | median >"$work/curl"

	for s in cold noop one rollback; do
		a=$(median <"$work/$s.a")
		b=$(median <"$work/$s.b")
		printf '%-5s %-9s %10s ms %11s ms %8s\n' "$n" "$s" "$a" "$b" "$(ratio "$a" "$b")"
	done
	printf '%-5s %-9s %9s kB %11s kB %8s\n' "$n" rss "$rss_a" "$rss_b" "$(ratio "$rss_a" "$rss_b")"
	printf '%-5s %-9s %9s kB %11s kB %8s\n' "$n" rss-one "$rss1_a" "$rss1_b" "$(ratio "$rss1_a" "$rss1_b")"
	printf '%-5s %-9s %10s ms   (one curl of the same filtered list; noop/curl = %s)\n' "$n" curl-list \
		"$(cat "$work/curl")" "$(ratio "$(cat "$work/curl")" "$(median <"$work/noop.a")")"
	if command -v valgrind >/dev/null; then
		ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" --state "$work/state" \
			apply -q --repo "$work/a" 2>&1 >/dev/null | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p')
		printf '%-5s %-9s %10s instructions (callgrind, a no-op apply)\n' "$n" noop-ir "${ir:-?}"
	fi
	last=$n
	remove_project
	printf '%-5s (%s runs, %s cold: %s s for this N; load average %s)\n' "$n" "$RUNS" "$COLD_RUNS" \
		$(($(date +%s) - t_n)) "$(cut -d' ' -f1-3 /proc/loadavg)"
done

if command -v valgrind >/dev/null && [ -n "${last:-}" ]; then
	version A "$last" 1
	ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" --state "$work/state" plan --repo "$work/a" 2>&1 >/dev/null |
		sed -n 's/.*Collected : *\([0-9]*\).*/\1/p')
	printf 'callgrind: deployctl plan of %s services (nothing deployed): %s instructions\n' "$last" "${ir:-?}"
fi
printf 'deployctl one-change order: %s; load average at the end: %s\n' "$ORDER" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'machine: %s, %s cores, %s; Docker %s; docker-compose %s\n' "$(uname -r)" "$(nproc)" \
	"$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)" \
	"$(docker version -f '{{.Server.Version}}' 2>/dev/null)" "$([ -n "$compose_all" ] && "$compose_all" version --short 2>/dev/null || echo absent)"
