#!/usr/bin/env bash
# health-chain.sh - time to bring up a chain of three service_healthy
# dependencies (a <- b <- c, deployctl-test/app:healthy, healthcheck
# /testsrv probe every 1 s) from nothing, with deployctl apply and, when it
# is installed, docker-compose; and the same chain without healthchecks.
# Prints a table of medians over RUNS runs (default 3). Every object it
# creates is removed at exit. Needs the test images (tests/images/build.sh).
#
#   DEPLOYCTL=build/deployctl RUNS=3 bash bench/health-chain.sh
#
# Columns: "returned" is when the command came back; "all healthy" is when
# Docker reports every container healthy (running, without healthchecks),
# polled every 50 ms, bounded to 120 s.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEPLOYCTL=${DEPLOYCTL:-$here/build/deployctl}
RUNS=${RUNS:-3}
WORK=$(mktemp -d /tmp/deployctl-bench.XXXXXX)
PREFIX="bench$$"
projects=()

die() {
	echo "bench/health-chain.sh: $*" >&2
	exit 1
}

cleanup() {
	local p ids
	for p in "${projects[@]}"; do
		ids=$(docker ps -aq --filter "label=io.deployctl.project=$p" \
			--filter "label=com.docker.compose.project=$p" 2>/dev/null || true)
		ids="$ids $(docker ps -aq --filter "label=io.deployctl.project=$p" 2>/dev/null || true)"
		ids="$ids $(docker ps -aq --filter "label=com.docker.compose.project=$p" 2>/dev/null || true)"
		# shellcheck disable=SC2086
		[ -n "${ids// /}" ] && docker rm -f $ids >/dev/null 2>&1
		for ids in $(docker network ls -q --filter "label=io.deployctl.project=$p") \
			$(docker network ls -q --filter "label=com.docker.compose.project=$p"); do
			docker network rm "$ids" >/dev/null 2>&1 || true
		done
	done
	rm -rf "$WORK"
	return 0
}
trap cleanup EXIT

[ -x "$DEPLOYCTL" ] || die "no deployctl at $DEPLOYCTL (set DEPLOYCTL)"
docker version >/dev/null 2>&1 || die "Docker Engine does not answer"
bash "$here/tests/images/build.sh" >/dev/null || die "cannot build the test images"
COMPOSE=
command -v docker-compose >/dev/null 2>&1 && COMPOSE=docker-compose

now() {
	date +%s.%N
}

# services HEALTH: the services: block (HEALTH=1 with healthchecks).
services() {
	local s dep prev=
	echo "services:"
	for s in a b c; do
		echo "  $s:"
		echo "    image: deployctl-test/app:healthy"
		echo "    init: true"
		if [ "$1" = 1 ]; then
			echo "    healthcheck: {test: [\"CMD\", \"/testsrv\", \"probe\", \"8080\"], interval: 1s}"
			dep=service_healthy
		else
			dep=service_started
		fi
		[ -n "$prev" ] && echo "    depends_on: {$prev: {condition: $dep}}"
		prev=$s
	done
}

# wait_up LABEL=VALUE HEALTH: until the three containers are healthy (or running).
wait_up() {
	local end=$((SECONDS + 120)) ids states
	while [ $SECONDS -lt $end ]; do
		ids=$(docker ps -aq --filter "label=$1")
		if [ -n "$ids" ]; then
			# shellcheck disable=SC2086
			states=$(docker inspect -f '{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{end}}' $ids)
			if [ "$(echo "$states" | grep -c .)" = 3 ]; then
				if [ "$2" = 1 ]; then
					! echo "$states" | grep -vq '^running/healthy$' && return 0
				else
					! echo "$states" | grep -vq '^running/' && return 0
				fi
			fi
		fi
		sleep 0.05
	done
	die "not up within 120 s ($1)"
}

# run_deployctl HEALTH: prints "returned all-healthy" seconds.
run_deployctl() {
	local p="${PREFIX}d$1x$2" repo="$WORK/repo-$1-$2" t0 t1 t2
	projects+=("$p")
	git init -q "$repo"
	mkdir -p "$repo/manifests"
	{ echo "name: $p"; services "$1"; } >"$repo/manifests/app.yml"
	git -C "$repo" add -A
	git -C "$repo" -c user.email=b@b.invalid -c user.name=bench commit -qm bench
	t0=$(now)
	"$DEPLOYCTL" --state "$WORK/state-$1-$2" apply --repo "$repo" >"$WORK/out" 2>&1 ||
		{ cat "$WORK/out" >&2; die "deployctl apply failed"; }
	t1=$(now)
	wait_up "io.deployctl.project=$p" "$1"
	t2=$(now)
	echo "$(echo "$t1 - $t0" | bc) $(echo "$t2 - $t0" | bc)"
}

# run_compose HEALTH: prints "returned all-healthy" seconds.
run_compose() {
	local p="${PREFIX}c$1x$2" dir="$WORK/compose-$1-$2" t0 t1 t2
	projects+=("$p")
	mkdir -p "$dir"
	services "$1" >"$dir/docker-compose.yml"
	t0=$(now)
	(cd "$dir" && $COMPOSE -p "$p" up -d >"$WORK/out" 2>&1) ||
		{ cat "$WORK/out" >&2; die "docker-compose up failed"; }
	t1=$(now)
	wait_up "com.docker.compose.project=$p" "$1"
	t2=$(now)
	echo "$(echo "$t1 - $t0" | bc) $(echo "$t2 - $t0" | bc)"
}

# median of the numbers on stdin, to 2 decimals
median() {
	sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m }'
}

printf '%-36s %10s %13s\n' "median of $RUNS runs, seconds" returned "all healthy"
for tool in deployctl compose; do
	[ "$tool" = compose ] && [ -z "$COMPOSE" ] && {
		echo "(docker-compose not installed: skipped)"
		continue
	}
	for health in 1 0; do
		: >"$WORK/times"
		for r in $(seq 1 "$RUNS"); do
			"run_$tool" "$health" "$r" >>"$WORK/times"
		done
		label="$tool, $([ "$health" = 1 ] && echo "3 x service_healthy" || echo "no healthchecks")"
		[ "$tool" = compose ] && label="docker-compose $($COMPOSE version --short 2>/dev/null), ${label#compose, }"
		printf '%-36s %10s %13s\n' "$label" "$(cut -d' ' -f1 "$WORK/times" | median)" \
			"$(cut -d' ' -f2 "$WORK/times" | median)"
	done
done
