# lib.sh - shared set-up for the integration tests (sourced, not run).
#
# Each test gets its own project name, state directory, git repository and
# Docker objects (labelled io.deployctl.project=$PROJECT), all removed by an
# EXIT trap. Containers are reached only through ports published on
# 127.0.0.1. Every wait is bounded.
set -u

: "${SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${DEPLOYCTL:=$SRCDIR/build/deployctl}"
TEST_NAME=$(basename "$0" .sh)

fail() {
	echo "FAIL $TEST_NAME: $*" >&2
	exit 1
}

skip() {
	echo "SKIP $TEST_NAME: $*" >&2
	exit 77
}

# A daemon is needed; the harness starts one when none answers. Under CI a
# missing daemon is a failure, never a skip.
if ! docker version >/dev/null 2>&1; then
	bash "$SRCDIR/scripts/ensure-dockerd.sh" >/dev/null 2>&1 || true
fi
if ! docker version >/dev/null 2>&1; then
	[ "${CI:-}" = true ] && fail "no Docker daemon answers"
	skip "no Docker daemon answers"
fi
bash "$SRCDIR/tests/images/build.sh" >/dev/null || fail "cannot build the test images"

# need_fault_point NAME: the test kills deployctl at a test-only fault point
# (include/deployctl/fault.h), compiled in only with -DDEPLOYCTL_TEST_HOOKS=ON
# (scripts/test.sh). Without it the test is skipped; under CI it fails.
need_fault_point() {
	grep -qa "DEPLOYCTL_TEST_$1" "$DEPLOYCTL" && return 0
	[ "${CI:-}" = true ] && fail "$DEPLOYCTL has no fault point $1 (build with -DDEPLOYCTL_TEST_HOOKS=ON)"
	skip "$DEPLOYCTL has no fault point $1 (build with -DDEPLOYCTL_TEST_HOOKS=ON)"
}

# need_jobs_image: JOBIMG, the image release jobs run in tests
# (tests/jobtool/build.sh builds it when it is missing or out of date).
need_jobs_image() {
	JOBIMG=$(bash "$SRCDIR/tests/jobtool/build.sh") || fail "cannot build the job image"
}

PROJECT="t$(printf '%s' "$TEST_NAME" | tr -cd '0-9')x$$"
WORK=$(mktemp -d "/tmp/deployctl-$TEST_NAME.XXXXXX")
STATE="$WORK/state"
REPO="$WORK/repo"
OUT="$WORK/out"
ERR="$WORK/err"

cleanup() {
	local ids
	ids=$(docker ps -aq --filter "label=io.deployctl.project=$PROJECT")
	[ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
	ids=$(docker network ls -q --filter "label=io.deployctl.project=$PROJECT")
	[ -n "$ids" ] && docker network rm $ids >/dev/null 2>&1
	ids=$(docker volume ls -q --filter "label=io.deployctl.project=$PROJECT")
	[ -n "$ids" ] && docker volume rm $ids >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

# remove_built_images: the images this test's builds tagged $PROJECT-*;
# call it after cleanup (an image a container still uses is not removed).
remove_built_images() {
	local ids
	ids=$(docker images -q --filter "reference=$PROJECT-*" | sort -u)
	[ -n "$ids" ] && docker rmi -f $ids >/dev/null 2>&1
	return 0
}

git init -q "$REPO"
git -C "$REPO" config user.email test@deployctl.invalid
git -C "$REPO" config user.name test
mkdir -p "$REPO/manifests"

# A free TCP port on 127.0.0.1, for publishing.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# write_manifest FILE <<EOF ... : into manifests/ of the test repository.
write_manifest() {
	cat >"$REPO/manifests/$1"
}

commit() {
	git -C "$REPO" add -A && git -C "$REPO" commit -qm "${1:-change}" >/dev/null
}

# dctl ARGS...: deployctl on this test's state, stdout in $OUT, stderr in $ERR, status returned.
dctl() {
	"$DEPLOYCTL" --state "$STATE" "$@" >"$OUT" 2>"$ERR"
}

apply() {
	dctl apply --repo "$REPO" "$@"
}

# expect_status N CMD...: run dctl with CMD, fail unless it exits N.
expect_status() {
	local want=$1 got
	shift
	dctl "$@"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "--- stdout"; cat "$OUT"; echo "--- stderr"; cat "$ERR"
		fail "deployctl $* exited $got, expected $want"
	fi
}

expect_out() {
	grep -qE -- "$1" "$OUT" || { cat "$OUT" "$ERR"; fail "stdout lacks /$1/"; }
}

expect_err() {
	grep -qE -- "$1" "$ERR" || { cat "$OUT" "$ERR"; fail "stderr lacks /$1/"; }
}

# Containers of previous releases are kept, stopped, as "<name>--r<release>",
# and containers that failed their gate as "<name>--failed-r<release>": the
# helpers below see only the live ones; retained() and failed() list the others.
live() {
	docker ps -a --no-trunc --filter "label=io.deployctl.project=$PROJECT" "$@" \
		--format '{{.ID}} {{.Names}}' | grep -Ev -- '--(failed-|next-)?r[0-9]*$' | cut -d' ' -f1
}

# ID of a service's live container (replica 1 unless given).
cid() {
	live --filter "label=io.deployctl.service=$1" --filter "label=io.deployctl.replica=${2:-1}"
}

count_containers() {
	live ${1:+--filter "label=io.deployctl.service=$1"} | grep -c . || true
}

# Names of retained containers (of a service, if given).
retained() {
	docker ps -a --filter "label=io.deployctl.project=$PROJECT" \
		${1:+--filter "label=io.deployctl.service=$1"} --format '{{.Names}}' |
		grep -- '--r[0-9]*$' || true
}

# http_get PORT PATH: body of a GET to 127.0.0.1, retried for up to 10 s.
http_get() {
	local i
	for i in $(seq 1 50); do
		if curl -fsS --max-time 2 "http://127.0.0.1:$1$2" 2>/dev/null; then
			return 0
		fi
		sleep 0.2
	done
	return 1
}

# smoke_stack MESSAGE PATH STATUS: commit a stack with two smoke checks
# (t1211, t1215): api (healthy, answering MESSAGE on /env/MESSAGE, published
# on 127.0.0.1:$PORT) and worker, checked on /health and on PATH, which must
# answer STATUS with a body containing "good", 2 attempts 200 ms apart.
smoke_stack() {
	write_manifest app.yml <<YAML
name: $PROJECT
x-deployctl:
  smoke:
    - name: health
      url: http://127.0.0.1:$PORT/health
    - name: message
      url: http://127.0.0.1:$PORT$2
      expect_status: $3
      body_contains: good
      retries: 2
      interval: 200ms
services:
  api:
    image: deployctl-test/app:healthy
    init: true
    environment: {MESSAGE: "$1"}
    ports: ["127.0.0.1:$PORT:8080"]
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s, retries: 3}
  worker:
    image: deployctl-test/app:v1
    init: true
    environment: {MESSAGE: "$1"}
YAML
	commit "$1 $2"
}

# edge_stack MESSAGE [API_XDEPLOYCTL]: write (not commit) edge, a proxy
# published on 127.0.0.1:$PORT that resolves api:8080 on each request, and
# api (healthy, answering MESSAGE), with API_XDEPLOYCTL as api's
# x-deployctl value, e.g. "{rollout: {drain: 2s}}" (t0503, t0508).
edge_stack() {
	local x=
	[ -n "${2:-}" ] && x="    x-deployctl: $2"
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  edge:
    image: deployctl-test/app:healthy
    command: ["serve", "--upstream", "api:8080"]
    ports: ["127.0.0.1:$PORT:8080"]
    init: true
  api:
    image: deployctl-test/app:healthy
    init: true
    environment: {MESSAGE: "$1"}
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
$x
YAML
}

# wait_for SECONDS CMD...: run CMD every 0.2 s until it succeeds; 1 after SECONDS.
wait_for() {
	local n=$(($1 * 5)) i
	shift
	for i in $(seq 1 $n); do "$@" && return 0; sleep 0.2; done
	return 1
}

# start_receiver MODE PORTFILE ARGS...: notify-receiver.py MODE PORTFILE
# ARGS... (record DIR --lifetime S, hang --lifetime S) in the background,
# its pid in $RECV_PID, killed on exit; fails unless it wrote the port it
# listens on to PORTFILE within 5 s.
start_receiver() {
	python3 "$SRCDIR/tests/integration/notify-receiver.py" "$@" &
	RECV_PID=$!
	trap 'kill $RECV_PID 2>/dev/null; cleanup' EXIT
	wait_for 5 test -s "$2" || fail "the $1 receiver did not start"
}

# exited PID: process PID is gone (for wait_for after a signal).
exited() { ! kill -0 "$1" 2>/dev/null; }

# logged PATTERN: the log of a watch or serve the test runs in the background
# ($LOG) has a line matching the extended regular expression PATTERN.
logged() { grep -qE -- "$1" "$LOG"; }

# Docker events for this project between two times (unix seconds, fractional ok),
# without the ones Docker's own health checks cause (each probe is an exec and
# a health_status event; deployctl itself never execs during apply or plan).
events_between() {
	docker events --since "$1" --until "$2" \
		--filter "label=io.deployctl.project=$PROJECT" --format '{{.Type}} {{.Action}}' |
		grep -v '^container \(exec_create\|exec_start\|exec_die\|health_status\)' || true
}

now() {
	date +%s.%N
}

# Names of containers kept after a failed gate (of a service, if given).
failed() {
	docker ps -a --filter "label=io.deployctl.project=$PROJECT" \
		${1:+--filter "label=io.deployctl.service=$1"} --format '{{.Names}}' |
		grep -- '--failed-r[0-9]*$' || true
}

# start_relay SOCKET: a relay from the Unix socket SOCKET to the Docker daemon
# (/var/run/docker.sock), in the background, its pid in $relay; a test makes
# "the daemon go away" by killing it. It lives at most 120 s.
start_relay() {
	rm -f "$1"
	python3 - "$1" <<'PY' &
import socket, sys, threading, time
path = sys.argv[1]
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(16)
def pump(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
def serve():
    while True:
        c, _ = srv.accept()
        d = socket.socket(socket.AF_UNIX)
        d.connect("/var/run/docker.sock")
        threading.Thread(target=pump, args=(c, d), daemon=True).start()
        threading.Thread(target=pump, args=(d, c), daemon=True).start()
threading.Thread(target=serve, daemon=True).start()
time.sleep(120)  # bounded: the relay never outlives the test by much
PY
	relay=$!
	local i
	for i in $(seq 1 50); do [ -S "$1" ] && break; sleep 0.1; done
}
