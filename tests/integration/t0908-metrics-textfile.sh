#!/usr/bin/env bash
# deployctl metrics --textfile: the Prometheus text of serve's families, read
# back from the state database and one Docker list call, written atomically
# (no temporary file left, mode 644) for node_exporter's textfile collector;
# values after a success, an automatic rollback and a manual rollback; Docker
# unreachable gives deployctl_docker_up 0 and no running/healthy samples.
. "$(dirname "$0")/lib.sh"

manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: $1
    init: true
    environment: {MESSAGE: "$2"}
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s, retries: 2}
    x-deployctl: {rollout: {timeout: 10s}}
  worker:
    image: deployctl-test/app:v1
    init: true
    deploy: {replicas: 2}
YAML
	commit "$2"
}
manifest deployctl-test/app:healthy one
expect_status 0 apply --repo "$REPO"
manifest deployctl-test/app:healthy two
expect_status 0 apply --repo "$REPO"
manifest deployctl-test/app:unhealthy three
expect_status 1 apply --repo "$REPO"
expect_status 0 rollback --project "$PROJECT"
expect_out "release 4 succeeded"

# Docker's own health status may lag the rollback's gate by an interval: wait (bounded).
for i in $(seq 1 40); do
	[ "$(docker inspect -f '{{.State.Health.Status}}' "$(cid api)" 2>/dev/null)" = healthy ] && break
	sleep 0.5
done

TF="$WORK/textfile"
mkdir -p "$TF"
expect_status 0 metrics --textfile "$TF/deployctl.prom"
[ -s "$TF/deployctl.prom" ] || fail "no textfile written"
[ ! -s "$OUT" ] || fail "--textfile printed to stdout"
[ "$(ls "$TF")" = deployctl.prom ] || fail "a temporary file was left: $(ls "$TF")"
[ "$(stat -c %a "$TF/deployctl.prom")" = 644 ] || fail "textfile mode is not 644"
P="project=\"$PROJECT\""
python3 "$SRCDIR/tests/integration/promparse.py" "$TF/deployctl.prom" \
	"deployctl_releases_total{$P,status=\"succeeded\"}=3" \
	"deployctl_releases_total{$P,status=\"rolled_back\"}=1" \
	"deployctl_releases_total{$P,status=\"failed\"}=0" \
	"deployctl_releases_total{$P,status=\"interrupted\"}=0" \
	"deployctl_rollbacks_total{$P}=1" \
	"deployctl_manual_rollbacks_total{$P}=1" \
	"deployctl_apply_duration_seconds_count{$P}=4" \
	"deployctl_last_release{$P}=4" \
	"deployctl_last_release_timestamp_seconds{$P}>=$(($(date +%s) - 600))" \
	"deployctl_last_success_timestamp_seconds{$P}>=$(($(date +%s) - 600))" \
	"deployctl_services_desired{$P}=3" \
	"deployctl_services_running{$P}=3" \
	"deployctl_services_healthy{$P}=3" \
	"deployctl_docker_up=1" || fail "bad metrics"
# The watcher-only families are not made up from the state.
grep -q '^deployctl_ticks_total\|^deployctl_fetch_errors_total\|^deployctl_webhook' "$TF/deployctl.prom" &&
	fail "watcher-only families in the textfile"

# The same text on stdout without --textfile; --project keeps one project.
expect_status 0 metrics --project "$PROJECT"
diff <(grep -v timestamp "$OUT") <(grep -v timestamp "$TF/deployctl.prom") >/dev/null ||
	fail "stdout and textfile differ"
expect_status 0 metrics --project "nosuch-$PROJECT"
grep -q "$PROJECT" "$OUT" && fail "--project did not filter"

# A rewrite replaces the file in one rename: a reader never sees it half-written.
ino1=$(stat -c %i "$TF/deployctl.prom")
expect_status 0 metrics --textfile "$TF/deployctl.prom"
[ "$(stat -c %i "$TF/deployctl.prom")" != "$ino1" ] || fail "the textfile was rewritten in place"

# Docker unreachable: the state's numbers still, docker_up 0, no running/healthy.
"$DEPLOYCTL" --state "$STATE" --docker-host unix:///nonexistent/t0905.sock metrics \
	--textfile "$TF/deployctl.prom" >"$OUT" 2>"$ERR" || fail "metrics failed without Docker"
expect_err "running and healthy are left out"
python3 "$SRCDIR/tests/integration/promparse.py" "$TF/deployctl.prom" \
	"deployctl_docker_up=0" "deployctl_releases_total{$P,status=\"succeeded\"}=3" ||
	fail "bad metrics without Docker"
grep -q '^deployctl_services_running' "$TF/deployctl.prom" && fail "running made up without Docker"

# An unwritable directory fails, leaving nothing behind.
expect_status 1 metrics --textfile "$WORK/nosuch/deployctl.prom"
expect_err "cannot create"
# promtool, when installed, agrees.
if command -v promtool >/dev/null; then
	promtool check metrics <"$TF/deployctl.prom" || fail "promtool check metrics"
fi
echo "ok $TEST_NAME"
