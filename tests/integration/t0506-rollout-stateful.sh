#!/usr/bin/env bash
# ctest: serial (timing-sensitive: runs alone under ctest -j)
# A service that writes a named volume is replaced stop-first by default:
# two containers of it never run on the volume at once. A background
# sampler (docker ps every ~50 ms, bounded) counts the running containers
# of the service during the apply; the plan says the order and why. An
# explicit start-first stays allowed, the plan warns, and the same sampler
# does see both containers run (so the sampler can see an overlap).
. "$(dirname "$0")/lib.sh"

manifest() { # MESSAGE [ORDER]
	local x=
	[ -n "${2:-}" ] && x="    x-deployctl: {rollout: {order: $2, drain: 0s}}"
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  db:
    image: deployctl-test/app:healthy
    init: true
    environment: {MESSAGE: "$1"}
    volumes: ["pgdata:/data"]
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
$x
volumes:
  pgdata: {}
YAML
}

# Bounded: at most 40 s or 800 samples, until $WORK/stop exists. One count a line.
sample() {
	local end=$((SECONDS + 40)) n=0
	: >"$WORK/samples"
	while [ $SECONDS -lt $end ] && [ $n -lt 800 ] && [ ! -f "$WORK/stop" ]; do
		docker ps -q --filter "label=io.deployctl.project=$PROJECT" \
			--filter "label=io.deployctl.service=db" --filter status=running |
			grep -c . >>"$WORK/samples"
		n=$((n + 1))
		sleep 0.05
	done
}

# replace MESSAGE [ORDER]: commit, apply while sampling; sets MAX and SAMPLES.
replace() {
	manifest "$1" "${2:-}"
	commit "$1"
	expect_status 0 plan --repo "$REPO"
	cp "$OUT" "$WORK/plan"
	rm -f "$WORK/stop"
	sample &
	sampler=$!
	sleep 0.3
	expect_status 0 apply --repo "$REPO"
	sleep 0.3
	touch "$WORK/stop"
	wait "$sampler"
	SAMPLES=$(grep -c . "$WORK/samples" || true)
	MAX=$(sort -n "$WORK/samples" | tail -n 1)
}

manifest v1
commit v1
expect_status 0 apply --repo "$REPO"
db1=$(cid db)

replace v2
grep -qF 'replace        db#1: env MESSAGE: v1 -> v2 (stop-first: mounts volume pgdata)' "$WORK/plan" ||
	{ cat "$WORK/plan"; fail "the plan does not say stop-first and why"; }
grep -q '^warning:' "$WORK/plan" && fail "a default stop-first replace warns"
echo "stop-first: $SAMPLES samples, at most $MAX running"
[ "$SAMPLES" -ge 10 ] || fail "only $SAMPLES samples were taken"
[ "$MAX" = 1 ] || fail "$MAX containers of db ran at once on volume pgdata"
[ "$(cid db)" != "$db1" ] || fail "db was not replaced"

# The plan in JSON names the order too.
manifest v3
commit v3
expect_status 0 plan --json --repo "$REPO"
jq -e '.actions[] | select(.action == "replace") | .order == "stop-first" and
	.order_why == "mounts volume pgdata"' "$OUT" >/dev/null ||
	{ cat "$OUT"; fail "plan --json lacks the order"; }

# Explicit start-first: allowed, warned, and the sampler sees the overlap.
replace v4 start-first
grep -qF 'replace        db#1: env MESSAGE: v2 -> v4 (start-first: set in x-deployctl.rollout.order; the old and the new container share volume pgdata)' "$WORK/plan" ||
	{ cat "$WORK/plan"; fail "the plan does not say start-first"; }
grep -qx 'warning: db: start-first: the old and the new container will both run on volume pgdata during the replace' "$WORK/plan" ||
	{ cat "$WORK/plan"; fail "the plan does not warn about the shared volume"; }
echo "explicit start-first: $SAMPLES samples, at most $MAX running"
[ "$MAX" = 2 ] || fail "the sampler never saw the two containers of a start-first replace"
echo "ok $TEST_NAME"
