#!/usr/bin/env bash
# check: every check passing, then each one failing on a real daemon, with the reason and
# the exit status; apply refuses to start when a check fails.
. "$(dirname "$0")/lib.sh"

FOREIGN="$PROJECT-foreign"
LISTENER=
cleanup_t0300() {
	[ -n "$LISTENER" ] && kill "$LISTENER" 2>/dev/null
	docker rm -f "$FOREIGN" >/dev/null 2>&1
	cleanup
}
trap cleanup_t0300 EXIT

PORT=$(free_port)
JWT="jwt-$$-0123456789abcdef0123456789abcdef"
printf 'JWT_SECRET=%s\nDATABASE_URL=postgresql://app:pw-%s@db:5432/app\n' "$JWT" "$$" \
	>"$WORK/secrets.env"
chmod 600 "$WORK/secrets.env"

# app_yml [EXTRA SERVICE LINES]: the issue's env rules, verbatim, and one service.
app_yml() {
	cat <<YAML
name: $PROJECT
x-deployctl:
  env:
    JWT_SECRET: {required: true, min_length: 32}
    DATABASE_URL: {required: true, url: {schemes: [postgresql, postgres]}}
    REDIS_URL: {url: {schemes: [redis]}}
    LOG_LEVEL: {one_of: [debug, info, warn, error]}
services:
  api:
    image: deployctl-test/app:v1
    init: true
    ports: ["127.0.0.1:$PORT:8080"]
    environment:
      LOG_LEVEL: info
      JWT_SECRET: \${JWT_SECRET}
      DATABASE_URL: \${DATABASE_URL}
YAML
	[ $# -gt 0 ] && printf '%s\n' "$@"
	return 0
}

# expect_check N ARGS...: check exits N.
expect_check() {
	expect_status "$1" check --repo "$REPO" --env-file "$WORK/secrets.env" "${@:2}"
}

app_yml | write_manifest app.yml
commit good

# Everything passes.
expect_check 0
expect_out '^ok    docker: reachable, API 1\.[0-9]+ \(Engine [0-9]'
expect_out "^ok    manifests: valid: project $PROJECT, 1 service\\(s\\), git [0-9a-f]{12}"
expect_out '^ok    env-file: 1 file\(s\) outside the repository, mode 600'
expect_out '^ok    env: 4 rule\(s\) satisfied'
expect_out '^ok    images: 1 image\(s\): 1 present locally'
expect_out '^ok    ports: 1 published port\(s\) free'
expect_out '^ok    files: '
expect_out "^ok    state: $STATE will be created"
expect_out '^ok    disk: [0-9.]+ [KMGT]iB free in /'
expect_out '^all checks passed, 0 warning\(s\)'
[ ! -e "$STATE" ] || fail "check created the state directory"
expect_check 0 --json
python3 - "$OUT" <<'PY' || fail "bad --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is True and d["failed"] == 0, d
names = [c["name"] for c in d["checks"]]
for n in ["docker", "manifests", "env-file", "env", "images", "ports", "files", "state", "disk"]:
    assert n in names, (n, names)
assert all(c["status"] == "ok" for c in d["checks"]), d
PY

# A port held by another process: check fails naming it, and apply changes nothing.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
print("listening", flush=True); time.sleep(60)' "$PORT" >"$WORK/listener" &
LISTENER=$!
wait_for 5 grep -q listening "$WORK/listener" || fail "the listener did not start"
expect_check 1
expect_out "^FAIL  ports: 127\\.0\\.0\\.1:$PORT/tcp is held by another process or container \\(services\\.api\\)"
expect_out '1 check\(s\) failed'
expect_check 1 --json
grep -q '"status":"fail"' "$OUT" || fail "--json lacks the failure"
expect_status 2 apply --repo "$REPO" --env-file "$WORK/secrets.env"
expect_err "check: FAIL ports: 127\\.0\\.0\\.1:$PORT/tcp is held by another process or container"
expect_err 'nothing was changed'
[ "$(count_containers)" = 0 ] || fail "apply created containers though a port was held"
kill "$LISTENER"
wait "$LISTENER" 2>/dev/null
LISTENER=

# The project's own container publishing the port is fine.
expect_status 0 apply --repo "$REPO" --env-file "$WORK/secrets.env"
expect_check 0
expect_out "^ok    ports: 1 published port\\(s\\) free or already this project's \\(1\\)"
expect_out "^ok    state: $STATE is writable"

# A container outside the project publishing a port the manifests want.
PORT2=$(free_port)
docker run -d --name "$FOREIGN" -p "127.0.0.1:$PORT2:8080" deployctl-test/app:v1 >/dev/null ||
	fail "cannot start the foreign container"
app_yml "  web:" "    image: deployctl-test/app:v1" "    ports: [\"127.0.0.1:$PORT2:8080\"]" |
	write_manifest app.yml
commit foreign-port
expect_check 1
expect_out "^FAIL  ports: 127\\.0\\.0\\.1:$PORT2/tcp is held by another process or container \\(services\\.web\\)"
docker rm -f "$FOREIGN" >/dev/null

# The same host port twice in the project.
app_yml "  web:" "    image: deployctl-test/app:v1" "    ports: [\"127.0.0.1:$PORT:8081\"]" |
	write_manifest app.yml
commit twice
expect_check 1
expect_out "^FAIL  (manifests|ports): .*$PORT/tcp .*published by (both )?services\\.api"

# A missing env_file fails the manifests check, with its location.
app_yml "  web:" "    image: deployctl-test/app:v1" "    env_file: missing.env" |
	write_manifest app.yml
commit missing-env-file
expect_check 1
expect_out '^FAIL  manifests: manifests/app\.yml:[0-9]+:[0-9]+: services\.web\.env_file'

# A missing bind source.
app_yml "  web:" "    image: deployctl-test/app:v1" "    volumes: [\"$WORK/nosuch-dir:/data\"]" |
	write_manifest app.yml
commit missing-bind
expect_check 1
expect_out "^FAIL  files: manifests/app\\.yml:[0-9]+:[0-9]+: services\\.web\\.volumes\\[0\\]: bind source: $WORK/nosuch-dir: No such file"
mkdir "$WORK/nosuch-dir"
expect_check 0
expect_out '^ok    files: 1 host file\(s\) present'

# A missing image: not present locally and no registry can supply it. The
# registry named is on loopback port 1, so the lookup never leaves the machine.
app_yml "  web:" "    image: 127.0.0.1:1/deployctl-test/app:does-not-exist-$$" | write_manifest app.yml
commit missing-image
expect_check 1
expect_out "^FAIL  images: services\\.web: image '127.0.0.1:1/deployctl-test/app:does-not-exist-$$' is not present locally"
app_yml "  web:" "    image: deployctl-test/app:does-not-exist-$$" "    pull_policy: never" |
	write_manifest app.yml
commit missing-image-never
expect_check 1
expect_out "^FAIL  images: services\\.web: image 'deployctl-test/app:does-not-exist-$$' is not present locally \\(pull_policy: never\\)"

# Env rules: a failing rule names the rule's location, never the value.
app_yml | write_manifest app.yml
commit back
printf 'JWT_SECRET=short-%s\nDATABASE_URL=mysql://root:pw-%s@db/app\nREDIS_URL=http://cache-%s\n' \
	"$$" "$$" "$$" >"$WORK/bad.env"
chmod 600 "$WORK/bad.env"
dctl check --repo "$REPO" --env-file "$WORK/bad.env"
[ $? = 1 ] || fail "bad env rules: check did not exit 1"
expect_out '^FAIL  env: manifests/app\.yml:4:[0-9]+: x-deployctl\.env\.JWT_SECRET: too short \([0-9]+ characters, at least 32\)'
expect_out '^FAIL  env: manifests/app\.yml:5:[0-9]+: x-deployctl\.env\.DATABASE_URL: the URL.s scheme is not allowed \(allowed: postgresql, postgres\)'
expect_out '^FAIL  env: manifests/app\.yml:6:[0-9]+: x-deployctl\.env\.REDIS_URL: the URL.s scheme is not allowed \(allowed: redis\)'
grep -q -e "short-$$" -e "pw-$$" -e "cache-$$" "$OUT" "$ERR" && fail "a value was printed"
dctl check --repo "$REPO" --env-file "$WORK/bad.env" --json
grep -q -e "short-$$" -e "pw-$$" -e "cache-$$" "$OUT" "$ERR" && fail "a value was printed (json)"
# Required and unset.
: >"$WORK/empty.env"
chmod 600 "$WORK/empty.env"
env -u JWT_SECRET -u DATABASE_URL "$DEPLOYCTL" --state "$STATE" check --repo "$REPO" \
	--env-file "$WORK/empty.env" >"$OUT" 2>"$ERR"
[ $? = 1 ] || fail "required variables unset: check did not exit 1"
expect_out '^FAIL  (env|manifests): manifests/app\.yml:[0-9]+:[0-9]+: .*JWT_SECRET'

# A world-readable env file outside the repository: a warning, exit 0.
chmod 644 "$WORK/secrets.env"
expect_check 0
expect_out "^warn  env-file: $WORK/secrets\\.env is readable by group or others \\(chmod 600\\)"
expect_out '^all checks passed, 1 warning\(s\)'
chmod 600 "$WORK/secrets.env"

# An env file with secrets tracked in the repository fails.
cp "$WORK/secrets.env" "$REPO/secrets.env"
commit tracked-secrets
dctl check --repo "$REPO" --env-file "$REPO/secrets.env"
[ $? = 1 ] || fail "tracked env file: check did not exit 1"
expect_out "^FAIL  env-file: $REPO/secrets\\.env is tracked in the git repository and sets secret keys \\(JWT_SECRET\\)"
grep -q "$JWT" "$OUT" && fail "tracked env file: value printed"
echo secrets.env >"$REPO/.gitignore"
git -C "$REPO" rm -q --cached secrets.env && commit untrack
dctl check --repo "$REPO" --env-file "$REPO/secrets.env"
[ $? = 0 ] || { cat "$OUT" "$ERR"; fail "untracked env file in the working tree: check did not exit 0"; }
expect_out "^warn  env-file: $REPO/secrets\\.env is inside the repository's working tree \\(not tracked\\)"
rm -f "$REPO/secrets.env"

# A state directory that cannot be written.
: >"$WORK/not-a-dir"
"$DEPLOYCTL" --state "$WORK/not-a-dir" check --repo "$REPO" --env-file "$WORK/secrets.env" \
	>"$OUT" 2>"$ERR"
[ $? = 1 ] || fail "unwritable state: check did not exit 1"
expect_out "^FAIL  state: $WORK/not-a-dir is not a directory"
"$DEPLOYCTL" --state "$WORK/not-a-dir/sub/dir" check --repo "$REPO" \
	--env-file "$WORK/secrets.env" >"$OUT" 2>"$ERR"
[ $? = 1 ] || fail "state under a file: check did not exit 1"
expect_out "^FAIL  state: $WORK/not-a-dir/sub/dir cannot be created: $WORK/not-a-dir is not a directory"

# Free disk space below the threshold; a bad threshold is a usage error.
expect_check 1 --min-free 1000000t
expect_out '^FAIL  disk: only [0-9.]+ [KMGT]iB free in /.* \(at least [0-9.]+ TiB wanted; --min-free\)'
expect_check 0 --min-free 1m
expect_check 2 --min-free lots
expect_err "--min-free takes a size such as 512m or 2g, not 'lots'"

# Docker unreachable: exit 3, and the checks that need no daemon still run.
expect_check 3 --docker-host "unix://$WORK/nosock"
expect_out "^FAIL  docker: .*$WORK/nosock"
expect_out '^ok    manifests: valid'
expect_out '^ok    env: 4 rule\(s\) satisfied'
expect_out '^ok    state: '
expect_out '^ok    disk: '
grep -q '^ok    images' "$OUT" && fail "images checked without a daemon"

# Usage errors.
expect_check 2 --no-such-option
expect_check 2 extra-argument
echo "ok $TEST_NAME"
