#!/usr/bin/env bash
# engine-floor.sh [N] [P...]: the Engine's own floor for bringing up N
# independent containers (create + start, nothing else: no settle, no
# record), with P requests in flight at once (default N=50, P = 1 2 4 8),
# each request one `curl` over the Unix socket. Prints the wall time per P:
# what a cold apply of N services at parallelism P cannot beat on this
# machine. Containers are labelled and removed at exit; the machine's load
# is printed, since another job on it moves these figures.
#
#   bash bench/engine-floor.sh 50 1 2 4 8
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-50}
shift || true
pars=("$@")
[ ${#pars[@]} -eq 0 ] && pars=(1 2 4 8)
bash "$top/tests/images/build.sh" >/dev/null
sock=${DOCKER_HOST:-unix:///var/run/docker.sock}
sock=${sock#unix://}
run=$$ # the label value every container of this run carries
label=io.deployctl.bench-floor=$run
api=v1.41

cleanup() {
	local ids
	ids=$(docker ps -aq --filter "label=$label")
	[ -n "$ids" ] && docker rm -f $ids >/dev/null
	return 0
}
trap cleanup EXIT

# one I: create and start container I
one() {
	local id
	id=$(curl -sf --unix-socket "$sock" -H 'Content-Type: application/json' \
		-d "{\"Image\":\"deployctl-test/app:v1\",\"Labels\":{\"io.deployctl.bench-floor\":\"$run\"},\"HostConfig\":{\"Init\":true}}" \
		"http://localhost/$api/containers/create?name=floor$run-$1" | sed 's/.*"Id":"\([0-9a-f]*\)".*/\1/')
	curl -sf --unix-socket "$sock" -X POST "http://localhost/$api/containers/$id/start" >/dev/null
}
export -f one
export sock api label run

printf '%-6s %-6s %10s   %s\n' N P wall-ms load
for p in "${pars[@]}"; do
	cleanup
	t0=$(date +%s%N)
	seq 1 "$n" | xargs -P "$p" -I{} bash -c 'one {}'
	t1=$(date +%s%N)
	printf '%-6s %-6s %10s   %s\n' "$n" "$p" $(((t1 - t0) / 1000000)) "$(cut -d' ' -f1-3 /proc/loadavg)"
done
