# walk.sh - the SIGKILL walk of t1500 (apply) and t1501 (rollback), sourced
# after lib.sh. A 5-service stack with dependencies goes from release one
# (db, cache, api -> db+cache, web -> api, worker -> db) to release two (api
# replaced start-first, web replaced stop-first, worker removed, queue
# added, and two release jobs: migrate, after_dependencies with needs: [api],
# so it runs between api's replace and web's, and revert, a rollback job of
# release two); for every k the run under test is killed (SIGKILL) right
# after its k-th mutating Docker call returned (fault point
# KILL_AFTER_MUTATION; a job's container create, start and remove are three
# of them), then the next run must converge and the invariants below must
# hold.
need_fault_point KILL_AFTER_MUTATION

WALK_SERVICES="db cache api web queue"
need_jobs_image
WALK_PROJECTS=()

walk_cleanup() {
	local p ids
	for p in "${WALK_PROJECTS[@]}"; do
		ids=$(docker ps -aq --filter "label=io.deployctl.project=$p")
		[ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
		ids=$(docker ps -aq --filter "name=^$p-")
		[ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
		ids=$(docker network ls -q --filter "label=io.deployctl.project=$p")
		[ -n "$ids" ] && docker network rm $ids >/dev/null 2>&1
	done
	cleanup
}
trap walk_cleanup EXIT

# Fast rollouts: no drain, a short settle (every wait is still a real gate).
WALK_X='x-deployctl: {rollout: {drain: 0s, settle: 200ms}}'

# walk_stack STEP: the manifest of release STEP (one or two) for $PROJECT.
walk_stack() {
	local s=$1
	{
		echo "name: $PROJECT"
		echo "services:"
		echo "  db: {image: deployctl-test/app:v1, init: true, $WALK_X}"
		echo "  cache: {image: deployctl-test/app:v1, init: true, $WALK_X}"
		echo "  api: {image: deployctl-test/app:v1, init: true, depends_on: [db, cache], environment: {STEP: $s}, $WALK_X}"
		echo "  web:"
		echo "    image: deployctl-test/app:v1"
		echo "    init: true"
		echo "    depends_on: [api]"
		echo "    environment: {STEP: $s}"
		echo "    x-deployctl: {rollout: {order: stop-first, drain: 0s, settle: 200ms}}"
		if [ "$s" = one ]; then
			echo "  worker: {image: deployctl-test/app:v1, init: true, depends_on: [db], $WALK_X}"
		else
			echo "  queue: {image: deployctl-test/app:v1, init: true, depends_on: [db], $WALK_X}"
			echo "x-deployctl:"
			echo "  jobs:"
			echo "    migrate: {phase: after_dependencies, needs: [api], image: $JOBIMG, command: [env, DEPLOYCTL_RELEASE], timeout: 30s}"
			echo "    revert: {phase: rollback, image: $JOBIMG, command: [env, DEPLOYCTL_RELEASE], timeout: 30s}"
		fi
	}
}

walk_project() {
	echo "t$(printf '%s' "$TEST_NAME" | tr -cd '0-9')$1x$$"
}

# walk_setup K: a fresh project, state and repository (tags one, two) for step K.
walk_setup() {
	PROJECT=$(walk_project "$1")
	WALK_PROJECTS+=("$PROJECT")
	STATE="$WORK/state-$1"
	REPO="$WORK/repo-$1"
	rm -rf "$REPO"
	git init -q "$REPO"
	git -C "$REPO" config user.email test@deployctl.invalid
	git -C "$REPO" config user.name test
	mkdir -p "$REPO/manifests"
	walk_stack one >"$REPO/manifests/app.yml"
	commit one && git -C "$REPO" tag one
	walk_stack two >"$REPO/manifests/app.yml"
	commit two && git -C "$REPO" tag two
}

# walk_drop: remove the current project's containers and network (between steps).
walk_drop() {
	local ids
	ids=$(docker ps -aq --filter "label=io.deployctl.project=$PROJECT")
	[ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
	ids=$(docker network ls -q --filter "label=io.deployctl.project=$PROJECT")
	[ -n "$ids" ] && docker network rm $ids >/dev/null 2>&1
	rm -rf "$STATE" "$REPO"
}

# walk_ids: "service id" of every live container, sorted.
walk_ids() {
	local s
	for s in $WALK_SERVICES worker; do
		cid "$s" | sed "s/^/$s /"
	done | sort
}

# walk_check WHAT REF SERVICES KEEP...: after the converging run, the
# invariants: plan at REF says no changes; releases numbered 1..N without a
# gap, none left running, the killed one (if it was recorded) marked
# interrupted and the last succeeded; the last release ran job $WALK_JOB
# once and it succeeded (show N --json); no job container of the project is
# left, running or not (docs/jobs.md: the next release that runs jobs
# removes what a killed run left); every container named for the project
# carries its labels; exactly one live container per service of
# SERVICES and none of any other; no temporary (--next-) container and no
# running retained one; every container ID in KEEP still exists.
walk_check() {
	local what=$1 ref=$2 services=$3 s n ids want got id
	shift 3
	expect_status 0 plan --repo "$REPO" --ref "$ref"
	grep -q 'no changes' "$OUT" || { cat "$OUT"; fail "$what: plan after the converging run: $(head -n 3 "$OUT")"; }
	ids=$(sqlite3 "$STATE/deployctl.db" "select group_concat(id, ' ') from (select id from releases order by id)")
	n=$(sqlite3 "$STATE/deployctl.db" "select count(*) from releases")
	want=$(seq -s ' ' 1 "$n")
	[ "$ids" = "$want" ] || fail "$what: release ids '$ids' have a gap"
	[ "$(sqlite3 "$STATE/deployctl.db" "select count(*) from releases where status = 'running'")" = 0 ] ||
		fail "$what: a release is still running"
	# A run killed after its last call changed everything: the next one has nothing to do.
	[ "$(sqlite3 "$STATE/deployctl.db" "select status from releases where id = $n")" = succeeded ] ||
		{ [ "$n" = "${WALK_KILLED:-}" ] && [ "${WALK_NOOP:-}" = 1 ]; } ||
		fail "$what: the converging release $n did not succeed: $(sqlite3 "$STATE/deployctl.db" "select status, message from releases where id = $n")"
	if [ -n "${WALK_KILLED:-}" ]; then
		got=$(sqlite3 "$STATE/deployctl.db" "select status from releases where id = $WALK_KILLED")
		[ "$got" = interrupted ] || fail "$what: killed release $WALK_KILLED is '$got', not interrupted"
	fi
	# The release that converged ran the job (a no-op converging run made
	# none: then the killed run did, before its last call).
	expect_status 0 show "$n" --json
	python3 - "$OUT" "$WALK_JOB" <<-'PY' || fail "$what: release $n did not run job $WALK_JOB once, succeeded: $(cat "$OUT")"
		import json, sys
		j = json.load(open(sys.argv[1])).get("jobs", [])
		assert [x["status"] for x in j if x["name"] == sys.argv[2]] == ["succeeded"], j
		assert all(x["status"] == "succeeded" for x in j), j
	PY
	got=$({
		docker ps -a --filter "label=io.deployctl.project=$PROJECT" --filter "label=io.deployctl.job" --format '{{.Names}} ({{.Status}})'
		docker ps -a --filter "name=^$PROJECT-job-" --format '{{.Names}} ({{.Status}})'
	} | sort -u | tr '\n' ' ')
	[ -z "$got" ] || fail "$what: job container(s) left: $got"
	got=$(docker ps -a --filter "name=^$PROJECT-" \
		--format '{{.Names}} {{.Label "io.deployctl.project"}} {{.Label "io.deployctl.service"}} {{.Label "io.deployctl.spec-hash"}}' |
		awk -v p="$PROJECT" '$2 != p || $3 == "" || $4 == ""')
	[ -z "$got" ] || fail "$what: container(s) without the project's labels: $got"
	for s in $WALK_SERVICES worker; do
		n=$(count_containers "$s")
		case " $services " in
		*" $s "*) [ "$n" = 1 ] || fail "$what: service $s has $n live containers" ;;
		*) [ "$n" = 0 ] || fail "$what: removed service $s has $n live containers" ;;
		esac
	done
	got=$(docker ps -a --filter "label=io.deployctl.project=$PROJECT" --format '{{.Names}}' | grep -- '--next-' || true)
	[ -z "$got" ] || fail "$what: temporary container(s) left: $got"
	got=$(docker ps --filter "label=io.deployctl.project=$PROJECT" --format '{{.Names}}' | grep -E -- '--r[0-9]+$' || true)
	[ -z "$got" ] || fail "$what: retained container(s) still running: $got"
	for id in "$@"; do
		docker inspect "$id" >/dev/null 2>&1 || fail "$what: container ${id:0:12} of an earlier release was lost"
	done
}

# walk_converge CMD...: the run after the kill, which must succeed and mark
# the killed release; WALK_NOOP=1 when it had nothing left to change.
walk_converge() {
	expect_status 0 "$@"
	WALK_NOOP=0
	grep -q 'no changes' "$OUT" && WALK_NOOP=1
	if [ -n "${WALK_KILLED:-}" ]; then
		grep -q 'were interrupted' "$ERR" || { cat "$ERR"; fail "the run after the kill did not mark release $WALK_KILLED"; }
	fi
}

# walk_killed K CMD...: run CMD with the fault point at K; sets WALK_STATUS
# and WALK_KILLED (the id of the release the killed run recorded, if any).
walk_killed() {
	local k=$1 before
	shift
	before=$(sqlite3 "$STATE/deployctl.db" "select coalesce(max(id), 0) from releases" 2>/dev/null || echo 0)
	DEPLOYCTL_TEST_KILL_AFTER_MUTATION=$k dctl "$@"
	WALK_STATUS=$?
	WALK_KILLED=$(sqlite3 "$STATE/deployctl.db" "select id from releases where id > $before" 2>/dev/null || true)
}

# walk_mutations FILE: the mutating Docker calls a --json run reported.
walk_mutations() {
	grep -o '"docker_mutating_calls":[0-9]*' "$1" | tail -n 1 | tr -dc '0-9'
}

# walk_measure REF SERVICES: M, the mutating Docker calls the unkilled
# --json run reported in $OUT (8 to 40), once its end state at REF with
# SERVICES live passed walk_check; then its project is dropped.
walk_measure() {
	M=$(walk_mutations "$OUT")
	[ -n "$M" ] && [ "$M" -ge 8 ] && [ "$M" -le 40 ] || fail "unexpected mutating call count '$M'"
	WALK_KILLED= walk_check "unkilled" "$1" "$2"
	walk_drop
	echo "walk over $M mutating calls" >&2
}

# walk_was_killed K WHAT: the run walk_killed started (WHAT: apply,
# rollback) died of the kill at K, after it had recorded its release.
walk_was_killed() {
	[ "$WALK_STATUS" = 137 ] || { cat "$OUT" "$ERR"; fail "k=$1: $2 was not killed (status $WALK_STATUS)"; }
	[ -n "$WALK_KILLED" ] || fail "k=$1: the killed $2 recorded no release before its first change"
}

# walk_run M STEP: STEP k for k = 1..M, WALK_PARALLEL (2) at a time, each in
# a subshell of its own (own project, state, repository, OUT and ERR; its
# output in $WORK/log-k). Bounded: no step starts after WALK_BOUND s (540;
# a walk takes 2.5 to 4 minutes on a quiet 2-core machine, up to 7 at a load
# average of 24). Fails with the log of every step that failed.
WALK_PARALLEL=${WALK_PARALLEL:-2}
walk_run() {
	local m=$1 step=$2 k start=$SECONDS failed=
	local -a pids=() ks=()
	for k in $(seq 1 "$m"); do
		WALK_PROJECTS+=("$(walk_project "$k")")
	done
	walk_reap() {
		wait "${pids[0]}" || { cat "$WORK/log-${ks[0]}" >&2; failed="$failed ${ks[0]}"; }
		pids=("${pids[@]:1}")
		ks=("${ks[@]:1}")
	}
	# WALK_STEPS="k ...": only those (debugging). WALK_STRIDE=n: every n-th k
	# and the last (scripts/test.sh's ASan phase; the plain phase walks all).
	local steps=${WALK_STEPS:-$(seq 1 "$m")}
	if [ -z "${WALK_STEPS:-}" ] && [ "${WALK_STRIDE:-1}" -gt 1 ]; then
		steps="$(seq 1 "$WALK_STRIDE" "$m") $m"
		steps=$(printf '%s\n' $steps | sort -nu | tr '\n' ' ')
		echo "walk: every ${WALK_STRIDE}th mutating call and the last: k = $steps"
	fi
	for k in $steps; do
		[ $((SECONDS - start)) -lt "${WALK_BOUND:-540}" ] || { failed="$failed timeout@$k"; break; }
		(
			OUT="$WORK/out-$k"
			ERR="$WORK/err-$k"
			"$step" "$k"
		) >"$WORK/log-$k" 2>&1 &
		pids+=($!)
		ks+=("$k")
		[ ${#pids[@]} -lt "$WALK_PARALLEL" ] || walk_reap
	done
	while [ ${#pids[@]} -gt 0 ]; do walk_reap; done
	[ -z "$failed" ] || fail "walk steps failed:$failed"
	WALK_SECONDS=$((SECONDS - start))
}
