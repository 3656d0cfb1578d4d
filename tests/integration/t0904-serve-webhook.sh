#!/usr/bin/env bash
# serve: signed push webhooks (GitHub, Gitea, GitLab) fetch and deploy; a
# bad, missing or replayed signature, an oversized or malformed body, or a
# flood is refused (401/403/413/400/429) and nothing is fetched; two pushes
# in a burst make one apply; /healthz answers; /metrics parses as
# Prometheus text with the deployctl_* families; the secret is never printed
# or stored.
. "$(dirname "$0")/lib.sh"

SPID=
trap '[ -n "$SPID" ] && kill -TERM "$SPID" 2>/dev/null && wait "$SPID"; cleanup' EXIT
LOG="$WORK/serve.log"

SECRET="hook-secret-$$-$RANDOM"
printf '%s\n' "$SECRET" >"$WORK/secret"
chmod 600 "$WORK/secret"
BARE="$WORK/remote.git"
git init -q --bare --initial-branch=main "$BARE"
git -C "$REPO" checkout -qb main
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:v1
    init: true
    environment: {MESSAGE: $1}
YAML
	commit "$1" && git -C "$REPO" push -q "$BARE" main
}
manifest one

PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
# A long interval: only webhooks (and the first tick) make it fetch.
"$DEPLOYCTL" --state "$STATE" serve --repo "file://$BARE" --ref main --interval 1h \
	--listen "127.0.0.1:$PORT" --webhook-secret-file "$WORK/secret" >"$LOG" 2>&1 &
SPID=$!
wait_for 20 curl -fs -o /dev/null "$URL/healthz" || { cat "$LOG"; fail "/healthz does not answer"; }
[ "$(curl -sS "$URL/healthz")" = ok ] || fail "/healthz body"
wait_for 30 logged "up to date with main at commit $(git -C "$REPO" rev-parse --short=12 HEAD)" ||
	{ cat "$LOG"; fail "the first commit was not deployed"; }
releases() { sqlite3 "$STATE/deployctl.db" 'select count(*) from releases'; }
env_is() { docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$(cid api)" | grep -qx "MESSAGE=$1"; }
ticks() { curl -fsS "$URL/metrics" | sed -n "s/^deployctl_ticks_total{project=\"$PROJECT\"} //p"; }

hmac() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$SECRET" | awk '{print $NF}'; }
# post BODY HEADER...: the HTTP status of a POST /webhook
post() {
	local body=$1
	shift
	curl -sS -o "$WORK/resp" -w '%{http_code}' -H 'Content-Type: application/json' "$@" \
		--data-binary "$body" "$URL/webhook"
}
push_body() { printf '{"ref":"refs/heads/main","after":"%s","n":%s}' "$(git -C "$REPO" rev-parse HEAD)" "$1"; }

# GitHub: a good signature deploys the pushed commit.
manifest two
b=$(push_body 1)
st=$(post "$b" -H "X-GitHub-Event: push" -H "X-Hub-Signature-256: sha256=$(hmac "$b")")
[ "$st" = 202 ] || { cat "$WORK/resp" "$LOG"; fail "good GitHub signature got $st"; }
wait_for 20 env_is two || { cat "$LOG"; fail "the webhook did not deploy commit two"; }

# Refused, and nothing fetched or deployed: no tick runs.
wait_for 10 logged "up to date with main at commit $(git -C "$REPO" rev-parse --short=12 HEAD)" || fail "not converged on two"
manifest three
t0=$(ticks)
n0=$(releases)
b=$(push_body 2)
[ "$(post "$b" -H "X-Hub-Signature-256: sha256=$(hmac "x$b")")" = 403 ] || fail "bad signature not 403"
[ "$(post "$b" -H "X-Hub-Signature-256: sha1=$(hmac "$b")")" = 403 ] || fail "sha1= signature not 403"
[ "$(post "$b")" = 401 ] || fail "missing signature not 401"
[ "$(post "$b" -H "X-Gitea-Signature: $(hmac "x$b")")" = 403 ] || fail "bad Gitea signature not 403"
[ "$(post "$b" -H "X-Gitlab-Token: wrong-$SECRET")" = 403 ] || fail "bad GitLab token not 403"
# replayed: the GitHub delivery accepted above, sent again
b1=$(push_body 1)
old=$(printf '{"ref":"refs/heads/main","after":"%s","n":1}' "$(git -C "$REPO" rev-parse HEAD~1)")
[ "$(post "$old" -H "X-Hub-Signature-256: sha256=$(hmac "$old")")" = 403 ] || fail "replayed delivery not 403"
grep -q 'already accepted' "$WORK/resp" || fail "replay not named"
# oversized (2 MiB, over the 1 MiB bound) and malformed (signed, but not JSON)
head -c 2097152 /dev/zero | tr '\0' x >"$WORK/big"
st=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-H "X-Hub-Signature-256: sha256=0" --data-binary @"$WORK/big" "$URL/webhook")
[ "$st" = 413 ] || fail "oversized body got $st"
[ "$(post "not json" -H "X-Hub-Signature-256: sha256=$(hmac "not json")")" = 400 ] || fail "malformed body not 400"
[ "$(curl -sS -o /dev/null -w '%{http_code}' "$URL/webhook")" = 405 ] || fail "GET /webhook not 405"
sleep 1
[ "$(ticks)" = "$t0" ] || { cat "$LOG"; fail "a refused webhook made a tick ($t0 -> $(ticks))"; }
[ "$(releases)" = "$n0" ] || fail "a refused webhook deployed"
env_is two || fail "a refused webhook changed the stack"

# Gitea and GitLab forms are accepted too; a burst of two pushes makes one apply.
manifest four
b=$(push_body 3)
st1=$(post "$b" -H "X-Gitea-Event: push" -H "X-Gitea-Signature: $(hmac "$b")")
b=$(push_body 4)
st2=$(post "$b" -H "X-Gitlab-Event: Push Hook" -H "X-Gitlab-Token: $SECRET")
[ "$st1" = 202 ] && [ "$st2" = 202 ] || { cat "$LOG"; fail "Gitea/GitLab webhooks got $st1/$st2"; }
wait_for 20 env_is four || { cat "$LOG"; fail "the burst did not deploy four"; }
sleep 2
[ "$(releases)" = $((n0 + 1)) ] || { cat "$LOG"; fail "a burst of two pushes made $(( $(releases) - n0 )) releases, not 1"; }
src=$(sqlite3 "$STATE/deployctl.db" 'select source from releases order by id desc limit 1')
[ "$src" = "$(git -C "$REPO" rev-parse HEAD)" ] || fail "the burst's release is not of the last push"

# A ping is verified and ignored; a flood is rate-limited.
b='{"zen":"hi"}'
[ "$(post "$b" -H "X-GitHub-Event: ping" -H "X-Hub-Signature-256: sha256=$(hmac "$b")")" = 200 ] || fail "ping not 200"
limited=0
for i in $(seq 1 40); do [ "$(post '{}')" = 429 ] && limited=$((limited + 1)); done
[ "$limited" -gt 0 ] || fail "40 requests at once were not rate-limited"

# /metrics: valid Prometheus text with the families the issue names.
curl -fsS "$URL/metrics" >"$WORK/metrics" || fail "/metrics"
python3 "$SRCDIR/tests/integration/promparse.py" "$WORK/metrics" \
	"deployctl_releases_total{project=\"$PROJECT\",status=\"succeeded\"}>=2" \
	"deployctl_apply_duration_seconds_count{project=\"$PROJECT\"}>=2" \
	"deployctl_services_desired{project=\"$PROJECT\"}=1" \
	"deployctl_services_running{project=\"$PROJECT\"}=1" \
	"deployctl_services_healthy{project=\"$PROJECT\"}=1" \
	"deployctl_last_release{project=\"$PROJECT\"}>=1" \
	"deployctl_rollbacks_total{project=\"$PROJECT\"}=0" \
	"deployctl_webhook_requests_total{result=\"accepted\"}=3" \
	"deployctl_webhook_requests_total{result=\"bad_signature\"}=4" \
	"deployctl_webhook_requests_total{result=\"unsigned\"}>=1" \
	"deployctl_webhook_requests_total{result=\"replayed\"}=1" \
	"deployctl_webhook_requests_total{result=\"too_large\"}=1" \
	"deployctl_webhook_requests_total{result=\"malformed\"}=1" \
	"deployctl_webhook_errors_total>=9" \
	"deployctl_fetch_errors_total{project=\"$PROJECT\"}=0" \
	"deployctl_drift_detected_total{project=\"$PROJECT\"}=0" ||
	{ cat "$WORK/metrics"; fail "/metrics does not parse or lacks a value"; }

kill -TERM "$SPID"
wait "$SPID" || { cat "$LOG"; fail "serve exited $? after SIGTERM"; }
SPID=
if grep -rqa -- "$SECRET" "$LOG" "$STATE"; then fail "the webhook secret was printed or stored"; fi
echo "ok $TEST_NAME"
