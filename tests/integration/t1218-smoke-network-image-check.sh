#!/usr/bin/env bash
# The check image of an in-network smoke check, like a job's image: when it
# is not present, `check` says whether its registry has it (asked, never
# pulled), `plan` pulls nothing, and apply pulls it from a real local
# registry before the check runs. `check` also says where each smoke check
# runs and whether each notify target's URL is resolvable, never printing it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry.sh"
CURLIMG=$(bash "$SRCDIR/tests/images/build.sh" curl) || fail "cannot build the curl image"

export DOCKER_CONFIG="$WORK/nocreds"
mkdir -p "$DOCKER_CONFIG"
registry_start plain || fail "cannot start the registry"
IMG="$REGISTRY/deployctl-$PROJECT/curl:1"
registry_push "$CURLIMG" "$IMG" || fail "push failed"
registry_untag "$IMG" || fail "cannot untag"
GONE="$REGISTRY/deployctl-$PROJECT/nothing:1"
HOOK="http://127.0.0.1:9/hook-t1218-secret-$$"
echo "$HOOK" >"$WORK/hook.url"
printf 'HOOK_URL=%s\n' "$HOOK" >"$WORK/hook.env"

manifest() { # IMAGE URL_FILE
	write_manifest app.yml <<YAML
name: $PROJECT
x-deployctl:
  smoke_image: $1
  smoke:
    - name: inside
      service: api
      port: 8080
      path: /health
  notify:
    - url_env: HOOK_URL
    - url_env: UNSET_HOOK_$$
    - url_file: $WORK/hook.url
      format: json
    - url_file: $2
services:
  api:
    image: deployctl-test/app:healthy
    init: true
    healthcheck: {test: ["CMD", "/testsrv", "probe", "8080"], interval: 1s, retries: 3}
YAML
	commit "$1"
}

# An image no registry has: check fails on it and says so.
manifest "$GONE" "$WORK/no-such-file"
expect_status 1 check --repo "$REPO" --env-file "$WORK/hook.env"
expect_out "^FAIL +images: smoke check inside: image '$GONE' is not present locally (nor in its registry|and its registry cannot supply it)"
expect_out "^FAIL +notify: x-deployctl.notify\[3\]: cannot read url_file $WORK/no-such-file"

# In the registry only: check says apply will pull it; plan pulls nothing.
manifest "$IMG" "$WORK/hook.url"
expect_status 0 check --repo "$REPO" --env-file "$WORK/hook.env"
expect_out "^ok +images: smoke check inside: image '$IMG' is not present locally; its registry has it \(apply pulls it\)"
expect_out "^ok +smoke: 1 smoke check\(s\), URLs well-formed: 0 on this host against published ports, 1 from inside a project network"
expect_out '^ok +notify: x-deployctl.notify\[0\]: variable HOOK_URL holds an http\(s\) URL \(slack format\)'
expect_out "^warn +notify: x-deployctl.notify\[1\]: UNSET_HOOK_$$ is not set .*skipped"
expect_out "^ok +notify: x-deployctl.notify\[2\]: file $WORK/hook.url holds an http\(s\) URL \(json format\)"
grep -q "hook-t1218-secret" "$OUT" "$ERR" && fail "check printed a webhook URL"
docker image inspect "$IMG" >/dev/null 2>&1 && fail "check pulled the smoke image"
expect_status 0 plan --repo "$REPO"
expect_out "note: image $IMG: not present, apply will pull it \(smoke check inside\)"
docker image inspect "$IMG" >/dev/null 2>&1 && fail "plan pulled the smoke image"

# apply pulls it, then the check passes from inside the network.
expect_status 0 apply --repo "$REPO" --env-file "$WORK/hook.env"
expect_out "smoke inside: pulling $IMG"
expect_out 'smoke inside: passed \(200'
docker image inspect "$IMG" >/dev/null 2>&1 || fail "the smoke image was not pulled"
grep -q "hook-t1218-secret" "$OUT" "$ERR" && fail "apply printed a webhook URL"
echo "ok $TEST_NAME"
