#!/usr/bin/env bash
# Day-two commands on a running stack: ps lists the live containers; logs
# prints each line behind "service#replica |" (--tail, --since,
# --timestamps, a service filter), and -f ends cleanly on SIGTERM; exec runs
# a command in a container and exits with its status (a TTY when stdin is
# one); restart is health-gated, one replica at a time, and recorded as an
# event, not a release.
. "$(dirname "$0")/lib.sh"

write_manifest app.yml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:slow
    init: true
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s}
  worker:
    image: deployctl-test/app:v1
    init: true
    deploy: {replicas: 2}
YAML
commit one
expect_status 0 apply --repo "$REPO"

expect_status 0 ps --project "$PROJECT"
expect_out "^SERVICE +CONTAINER +STATE +STATUS +PORTS"
expect_out "^worker +$PROJECT-worker-2 +running "
[ "$(grep -c . "$OUT")" = 4 ] || { cat "$OUT"; fail "ps does not list exactly 3 containers"; }
expect_status 0 ps --project "$PROJECT" --json
grep -q "\"container\":\"$PROJECT-web-1\"" "$OUT" || fail "ps --json lacks the web container"

# logs: every container, prefixed, in service and replica order.
expect_status 0 logs --project "$PROJECT"
expect_out '^web#1    \| testsrv: slow start, listening in 3 s$'
expect_out '^worker#2 \| testsrv: listening on 0.0.0.0:8080$'
[ "$(grep -c . "$OUT")" = 4 ] || { cat "$OUT"; fail "logs printed other than 4 lines"; }
expect_status 0 logs --project "$PROJECT" web --tail 1 --timestamps
grep -qE '^web#1 \| 20[0-9-]+T[0-9:.]+Z testsrv: listening on 0.0.0.0:8080$' "$OUT" ||
	{ cat "$OUT"; fail "logs --tail 1 --timestamps"; }
[ "$(grep -c . "$OUT")" = 1 ] || fail "logs --tail 1 printed more than one line"
expect_status 0 logs --project "$PROJECT" worker --since 10m
[ "$(grep -c '^worker#' "$OUT")" = 2 ] || { cat "$OUT"; fail "logs --since 10m lost lines"; }
expect_status 0 logs --project "$PROJECT" --since "$(( $(date +%s) + 3600 ))"
[ -s "$OUT" ] && { cat "$OUT"; fail "logs --since the future printed lines"; }
expect_status 2 logs --project "$PROJECT" nope
expect_err "has no container of service 'nope'"
expect_status 2 logs --project "$PROJECT" --since yesterday
expect_err 'since takes unix seconds'

# logs -f: follows until SIGTERM, then exits 0 at once (bounded).
"$DEPLOYCTL" --state "$STATE" logs --project "$PROJECT" -f worker >"$WORK/follow" 2>&1 &
follower=$!
followed() { [ "$(grep -c listening "$WORK/follow")" = 2 ]; }
wait_for 5 followed || { cat "$WORK/follow"; fail "logs -f printed nothing"; }
sleep 0.5
kill -0 "$follower" 2>/dev/null || fail "logs -f ended by itself"
t0=$(now)
kill -TERM "$follower"
wait_for 5 exited "$follower" || { kill -KILL "$follower"; fail "logs -f still running 5 s after SIGTERM"; }
wait "$follower" || fail "logs -f exited $? on SIGTERM"
echo "logs -f ended $(echo "$(now) - $t0" | bc) s after SIGTERM"

# exec: the command's exit status and output; --replica; a TTY under a pseudo-terminal.
expect_status 7 exec --project "$PROJECT" web -- /testsrv job --exit 7
expect_out '^testsrv: job exiting with 7$'
expect_status 0 exec --project "$PROJECT" --replica 2 worker -- /testsrv job --exit 0
expect_status 2 exec --project "$PROJECT" --replica 3 worker -- /testsrv job
expect_err "has no container worker#3"
expect_status 2 exec --project "$PROJECT" web
script -qec "$DEPLOYCTL --state $STATE -v exec --project $PROJECT web -- /testsrv job --exit 4" \
	/dev/null </dev/null >"$WORK/tty" 2>&1
[ $? = 4 ] || { cat "$WORK/tty"; fail "exec under a pseudo-terminal did not exit 4"; }
grep -q 'with a TTY' "$WORK/tty" || { cat "$WORK/tty"; fail "exec under a pseudo-terminal had no TTY"; }
expect_status 0 -v exec --project "$PROJECT" web -- /testsrv job --exit 0
expect_err 'without a TTY'

# restart: gated on the healthcheck (the slow image listens after 3 s), an event, no release.
web=$(cid web)
before=$(docker inspect -f '{{.State.StartedAt}}' "$web")
t0=$(now)
expect_status 0 restart --project "$PROJECT" web
took=$(echo "$(now) - $t0" | bc)
expect_out '^  ok     restart        web#1 \('
expect_out "^restarted 1 container\(s\) of $PROJECT"
[ "$(docker inspect -f '{{.State.StartedAt}}' "$web")" != "$before" ] || fail "web was not restarted"
[ "$(docker inspect -f '{{.State.Health.Status}}' "$web")" != unhealthy ] || fail "web unhealthy after restart"
[ "$(echo "$took >= 3" | bc)" = 1 ] || fail "restart did not wait for health ($took s)"
sqlite3 "$STATE/deployctl.db" "select message from events where kind='restart'" |
	grep -qE '^web#1 restarted by .*: up in [0-9.]+s$' || fail "restart not recorded as an event"
sqlite3 "$STATE/deployctl.db" "select count(*) from releases" | grep -qx 1 || fail "restart recorded a release"
expect_status 0 restart --project "$PROJECT" worker
[ "$(grep -c 'ok     restart        worker#' "$OUT")" = 2 ] || fail "restart worker did not do both replicas"
expect_status 2 restart --project "$PROJECT" nope
echo "ok $TEST_NAME"
