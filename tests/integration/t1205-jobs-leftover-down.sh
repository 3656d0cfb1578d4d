#!/usr/bin/env bash
# A job's container left behind by a killed apply is never taken for a
# service (plan does not plan its removal, status does not list it), and
# down removes it with the rest of the project — but not a job container of
# the same project owned by another state database (it may be running now).
. "$(dirname "$0")/lib.sh"
need_jobs_image

write_manifest app.yml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:healthy
    init: true
x-deployctl:
  jobs:
    slow:
      phase: after
      image: $JOBIMG
      command: ["sleep", "60"]
      timeout: 90s
YAML
commit one
"$DEPLOYCTL" --state "$STATE" apply --repo "$REPO" >"$OUT" 2>"$ERR" &
pid=$!
job=
for i in $(seq 1 100); do
	job=$(docker ps -q --filter "label=io.deployctl.project=$PROJECT" --filter "label=io.deployctl.job=slow")
	[ -n "$job" ] && break
	sleep 0.2
done
[ -n "$job" ] || { kill "$pid"; cat "$OUT" "$ERR"; fail "the job never started"; }
kill -9 "$pid"
wait "$pid" 2>/dev/null
[ -n "$(docker ps -q --filter "id=$job")" ] || fail "the job's container did not outlive the kill"
docker inspect -f '{{index .Config.Labels "io.deployctl.service"}}' "$job" | grep -q . &&
	fail "a job's container carries a service label"

expect_status 0 plan --repo "$REPO"
grep -qE 'remove|slow' "$OUT" && { cat "$OUT"; fail "plan took the job's container for a service"; }
expect_status 0 status --project "$PROJECT"
grep -q 'slow' "$OUT" && fail "status lists the job's container"

foreign=$(docker run -d --name "$PROJECT-foreign-job" --label "io.deployctl.project=$PROJECT" \
	--label io.deployctl.job=other --label io.deployctl.owner=0123456789abcdef0123 \
	"$JOBIMG" sleep 60) || fail "cannot start the foreign job container"

expect_status 0 down --project "$PROJECT"
left=$(docker ps -aq --no-trunc --filter "label=io.deployctl.project=$PROJECT")
[ "$left" = "$foreign" ] ||
	fail "down left the wrong containers (want only the foreign job $foreign): $(docker ps -a --filter "label=io.deployctl.project=$PROJECT")"
grep -q "foreign-job is not this state's" "$ERR" || { cat "$ERR"; fail "down did not say it left the foreign job alone"; }
echo "ok $TEST_NAME"
