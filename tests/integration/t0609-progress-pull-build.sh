#!/usr/bin/env bash
# The live view on a terminal covers what happens before the first action:
# a pull shows "pulling n%" from the daemon's byte counts and a build shows
# "building step k/n" from its output, each line redrawn in place and ended
# by "done"; with --json they are events on stdout; without a terminal the
# daemon's status lines are printed as before, and -q prints none of them.
. "$(dirname "$0")/lib.sh"
command -v script >/dev/null || skip "script(1) (util-linux) is not installed"
. "$(dirname "$0")/registry.sh"

images_cleanup() {
	registry_cleanup
	remove_built_images
}
trap images_cleanup EXIT

registry_start plain || fail "cannot start the registry"
REF="$REGISTRY/deployctl-$PROJECT/big:t"
# an image with a layer of its own (3 MB), pushed and then removed here, so
# the pull downloads it
mkdir -p "$WORK/img"
head -c 3000000 /dev/urandom >"$WORK/img/blob"
printf 'FROM deployctl-test/app:v1\nCOPY blob /blob\n' >"$WORK/img/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t "$REF" "$WORK/img" >/dev/null || fail "cannot build the image to push"
registry_push "$REF" "$REF" || fail "push failed"
registry_untag "$REF" || fail "cannot untag $REF"
docker image inspect "$REF" >/dev/null 2>&1 && fail "$REF is still here"

mkdir -p "$REPO/manifests/app"
printf 'FROM deployctl-test/app:v1\nENV GREETING=hi\nCOPY version.txt /version.txt\n' \
	>"$REPO/manifests/app/Dockerfile"
echo one >"$REPO/manifests/app/version.txt"
write_manifest compose.yaml <<YAML
name: $PROJECT
services:
  big:
    image: $REF
    pull_policy: always
    init: true
  web:
    build: ./app
    init: true
YAML
commit one

script -qec "$DEPLOYCTL --state $STATE apply --repo $REPO" /dev/null </dev/null >"$WORK/tty" 2>&1 ||
	{ cat "$WORK/tty"; fail "apply on a terminal failed"; }
# the redraws are \r-separated frames of one line
tr '\r' '\n' <"$WORK/tty" | sed 's/\x1b\[K//g' >"$WORK/frames"
grep -qE "^pull $REF: pulling [0-9]+% \([0-9.]+s\)" "$WORK/frames" ||
	{ cat "$WORK/frames"; fail "no 'pulling n%' frame"; }
grep -qE "^pull $REF: pulling (100|[1-9][0-9]?)% " "$WORK/frames" ||
	{ cat "$WORK/frames"; fail "the pull never showed bytes moving"; }
grep -qE "^pull $REF: done \([0-9.]+s\)$" "$WORK/frames" || { cat "$WORK/frames"; fail "the pull line does not end with done"; }
grep -qE "^build web: building step [1-9]/[0-9]+ \([0-9.]+s\)" "$WORK/frames" ||
	{ cat "$WORK/frames"; fail "no 'building step k/n' frame"; }
grep -qE "^build web: done \([0-9.]+s\)$" "$WORK/frames" || { cat "$WORK/frames"; fail "the build line does not end with done"; }
grep -q "deployctl: pull $REF: Downloading" "$WORK/frames" && fail "the terminal got the plain status lines too"
[ -n "$(cid big)" ] && [ -n "$(cid web)" ] || fail "apply did not bring both services up"

# without a terminal: the daemon's status lines (pull_policy: always pulls again)
expect_status 0 apply --repo "$REPO"
expect_err "^deployctl: pull $REF: (Status: Image is up to date|Digest: sha256:)"
grep -q 'pulling [0-9]' "$ERR" && fail "plain output got the terminal's frames: $(cat "$ERR")"
# --json: the pull is events on stdout beside the release's own, every line JSON
echo two >"$REPO/manifests/app/version.txt"
commit two
expect_status 0 apply --repo "$REPO" --json
python3 - "$OUT" "$REF" <<'PY' || { cat "$OUT"; fail "apply --json: pull and build events"; }
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
pulls = [e for e in events if e.get("event") == "pull" and e.get("image") == sys.argv[2]]
builds = [e for e in events if e.get("event") == "build" and e.get("service") == "web"]
assert pulls and pulls[-1]["state"] == "done", pulls
assert any(e["state"].startswith("building step ") for e in builds), builds
assert builds[-1]["state"] == "done", builds
assert all(isinstance(e["elapsed_s"], float) for e in pulls + builds)
PY
grep -q "deployctl: pull" "$ERR" && fail "--json also printed the plain pull lines: $(cat "$ERR")"
# -q: none of it
expect_status 0 -q apply --repo "$REPO"
grep -q "pull" "$ERR" && fail "-q printed pull lines: $(cat "$ERR")"
[ "$(wc -l <"$OUT")" -le 1 ] || fail "-q printed more than the final line: $(cat "$OUT")"
echo "ok $TEST_NAME"
