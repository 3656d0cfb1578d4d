#!/usr/bin/env bash
# ctest: serial (timing-sensitive: runs alone under ctest -j)
# Drain of a start-first replace: once the new api is healthy, the old one
# leaves its networks (its DNS name and aliases go with it), stays running
# for the drain period (x-deployctl.rollout.drain), is stopped, and is then
# attached again while stopped, so that a rollback brings it back whole. A
# sampler (docker inspect every ~50 ms, bounded) sees the old container
# running off its networks before it stops. Requests through an edge proxy
# that resolves api on each request are counted and printed (t0503 asserts
# zero failures under the default drain). drain: 0s stops at once.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
manifest() { edge_stack "$1" "{rollout: {drain: $2}}"; } # MESSAGE DRAIN

# sample ID: "running networks" of container ID every ~50 ms, bounded (40 s, 800 samples).
sample() {
	local end=$((SECONDS + 40)) n=0
	: >"$WORK/samples"
	while [ $SECONDS -lt $end ] && [ $n -lt 800 ] && [ ! -f "$WORK/stop" ]; do
		docker inspect -f '{{.State.Running}} {{len .NetworkSettings.Networks}}' "$1" \
			>>"$WORK/samples" 2>/dev/null
		n=$((n + 1))
		sleep 0.05
	done
}

# Bounded load through edge: at most 40 s and 3000 requests; one HTTP code a line.
load() {
	local end=$((SECONDS + 40)) n=0
	: >"$WORK/codes"
	while [ $SECONDS -lt $end ] && [ $n -lt 3000 ] && [ ! -f "$WORK/stop" ]; do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 3 \
			"http://127.0.0.1:$PORT/" >>"$WORK/codes" 2>/dev/null
		n=$((n + 1))
	done
}

# replace MESSAGE DRAIN: apply under load while sampling the old api; sets REQS, FAILS, TOOK.
replace() {
	local old t0
	old=$(cid api)
	manifest "$1" "$2"
	commit "$1"
	rm -f "$WORK/stop"
	sample "$old" &
	sampler=$!
	load &
	loader=$!
	sleep 0.5
	t0=$(date +%s%N)
	expect_status 0 apply --repo "$REPO"
	TOOK=$((($(date +%s%N) - t0) / 1000000))
	sleep 0.5
	touch "$WORK/stop"
	wait "$sampler" "$loader"
	REQS=$(grep -c . "$WORK/codes" || true)
	FAILS=$(grep -vc '^200$' "$WORK/codes" || true)
}

manifest v1 2s
commit v1
expect_status 0 apply --repo "$REPO"
http_get "$PORT" / | grep -q '^v1 from' || fail "edge does not proxy to api"
api1=$(cid api)

replace v2 2s
echo "drain 2s: apply took ${TOOK} ms, $REQS requests, $FAILS failed"
grep -qx 'true 0' "$WORK/samples" || { sort "$WORK/samples" | uniq -c; fail "the old api never ran off its networks"; }
# Off the networks before it stopped: the first "false" comes after a "true 0".
first_off=$(grep -nx 'true 0' "$WORK/samples" | head -n 1 | cut -d: -f1)
first_stop=$(grep -n '^false' "$WORK/samples" | head -n 1 | cut -d: -f1)
[ -n "$first_stop" ] || fail "the old api was never seen stopped"
[ "$first_off" -lt "$first_stop" ] || fail "the old api stopped before it left its networks"
# Running off the networks for about the drain period (>= 1 s of samples at ~50 ms + inspect).
[ "$(grep -cx 'true 0' "$WORK/samples")" -ge 5 ] || fail "the old api was drained too briefly"
[ "$TOOK" -ge 2000 ] || fail "a 2 s drain finished in $TOOK ms"
# Stopped, and attached again for a way back.
[ "$(docker inspect -f '{{.State.Running}} {{len .NetworkSettings.Networks}}' "$api1")" = "false 1" ] ||
	fail "the retained api is not stopped and attached again"
expect_status 0 show 2
grep -qE '^ +[0-9]+ disconnected +[0-9a-f]{12} .*--r1 \(off 1 network\(s\) for a 2.0s drain\)' "$OUT" ||
	{ cat "$OUT"; fail "show does not record the drain"; }
grep -qE '^ +[0-9]+ reconnected ' "$OUT" || { cat "$OUT"; fail "show does not record the reconnect"; }

# drain: 0s stops at once: never off the networks while running.
replace v3 0s
echo "drain 0s: apply took ${TOOK} ms, $REQS requests, $FAILS failed"
grep -qx 'true 0' "$WORK/samples" && fail "drain: 0s still took the old api off its networks"

# A rollback to release 2 brings back its drained container, reachable by its alias.
expect_status 0 rollback --project "$PROJECT" --to 2
http_get "$PORT" / | grep -q '^v2 from' || fail "the rolled-back api does not answer through its alias"
echo "ok $TEST_NAME"
