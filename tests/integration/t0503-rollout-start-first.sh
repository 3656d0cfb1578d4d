#!/usr/bin/env bash
# ctest: serial (timing-sensitive: runs alone under ctest -j)
# Start-first rollout behind a network alias: edge proxies every request to
# "api:8080", resolving the alias on each request and retrying once on a
# failed connect. Replacing api start-first (the default without a fixed
# host port) must fail no request: the new container is healthy before the
# old one stops, and the old one is kept, stopped, as retained. The same
# change stop-first is measured too (failures printed, not asserted: the
# alias has no container for a moment).
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
manifest() { # MESSAGE [ORDER]
	local x=
	[ -n "${2:-}" ] && x="{rollout: {order: $2}}"
	edge_stack "$1" "$x"
}

# Bounded load: at most 30 s and 3000 requests, until $WORK/stop exists.
# One HTTP code per line in $WORK/codes, bodies of 200s sampled in $WORK/bodies.
load() {
	local end=$((SECONDS + 30)) n=0
	: >"$WORK/codes"
	: >"$WORK/bodies"
	while [ $SECONDS -lt $end ] && [ $n -lt 3000 ] && [ ! -f "$WORK/stop" ]; do
		curl -s -o "$WORK/body" -w '%{http_code}\n' --max-time 2 \
			"http://127.0.0.1:$PORT/" >>"$WORK/codes" 2>/dev/null
		head -c 64 "$WORK/body" >>"$WORK/bodies" 2>/dev/null
		echo >>"$WORK/bodies"
		n=$((n + 1))
	done
}

# rollout MESSAGE [ORDER]: commit, apply under load; sets REQS and FAILS.
rollout() {
	manifest "$1" "${2:-}"
	commit "$1"
	rm -f "$WORK/stop"
	load &
	loader=$!
	sleep 1
	expect_status 0 apply --repo "$REPO"
	# Let the load see the new version answer a few times (bounded: 10 s).
	local i
	for i in $(seq 1 50); do
		[ "$(grep -c "^$1 from" "$WORK/bodies")" -ge 3 ] && break
		sleep 0.2
	done
	touch "$WORK/stop"
	wait "$loader"
	REQS=$(grep -c . "$WORK/codes" || true)
	FAILS=$(grep -vc '^200$' "$WORK/codes" || true)
}

manifest v1
commit v1
expect_status 0 apply --repo "$REPO"
http_get "$PORT" / | grep -q '^v1 from' || fail "edge does not proxy to api"
api1=$(cid api)

rollout v2
expect_out 'replace +api#1'
grep -q '^v2 from' "$WORK/bodies" || fail "no response came from v2 after the rollout"
[ "$(grep . "$WORK/bodies" | tail -n 1 | cut -c1-2)" = v2 ] || fail "v1 still answers at the end"
[ -n "$(retained api)" ] || fail "the old api container is not retained"
[ "$(docker inspect -f '{{.State.Running}}' "$api1")" = false ] || fail "the old api container still runs"
[ "$(cid api)" != "$api1" ] || fail "api was not replaced"
echo "start-first: $REQS requests, $FAILS failed"
[ "$REQS" -gt 0 ] || fail "no requests were made"
[ "$FAILS" = 0 ] || { sort "$WORK/codes" | uniq -c; fail "$FAILS of $REQS requests failed during a start-first rollout"; }

rollout v3 stop-first
expect_out 'replace +api#1'
grep -q '^v3 from' "$WORK/bodies" || fail "no response came from v3 after the stop-first rollout"
echo "stop-first: $REQS requests, $FAILS failed (not asserted)"
echo "ok $TEST_NAME"
