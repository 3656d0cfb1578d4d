#!/usr/bin/env bash
# A job that outlives its timeout is killed and fails its release (here an
# after job: the rollout is put back), recorded as timed_out with about the
# timeout as its duration; its container is removed.
. "$(dirname "$0")/lib.sh"
need_jobs_image

manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:healthy
    init: true
    environment: {MESSAGE: "$1"}
x-deployctl:
  jobs:
    warm:
      phase: after
      image: $JOBIMG
      command: ["env", "DEPLOYCTL_RELEASE", ";", "sleep", "$2"]
      timeout: 2s
YAML
}
manifest one 0
commit one
expect_status 0 apply --repo "$REPO"
web1=$(cid web)

manifest two 60
commit two
t0=$(date +%s)
expect_status 1 apply --repo "$REPO"
took=$(( $(date +%s) - t0 ))
[ "$took" -lt 30 ] || fail "apply took ${took}s: the timeout did not kill the job"
# About the timeout: the duration also holds the container's create, start and
# kill, which took 9 s more under ASan on a loaded 2-core machine (the job
# sleeps 60 s, so a kill that did not happen fails the bound below).
expect_out 'job warm \(after\): timed_out in ([2-9]|1[0-4])\.[0-9]s'
expect_err "job 'warm' \(after\) timed out after 2s and was killed"
[ "$(cid web)" = "$web1" ] || fail "web was not put back after the failed after job"
[ -z "$(docker ps -aq --filter "label=io.deployctl.project=$PROJECT" --filter "label=io.deployctl.job")" ] ||
	fail "the timed-out job's container was left behind"
expect_status 0 show 2 --json
python3 - "$OUT" <<'PY' || fail "show --json: $(cat "$OUT")"
import json, sys
d = json.load(open(sys.argv[1]))
j = d["jobs"][0]
assert j["status"] == "timed_out" and j["exit_code"] is None, j
assert 1.9 <= j["duration_s"] < 15, j
assert "DEPLOYCTL_RELEASE=2" in j["log_tail"], j
assert d["status"] in ("rolled_back", "failed"), d["status"]
PY
echo "ok $TEST_NAME"
