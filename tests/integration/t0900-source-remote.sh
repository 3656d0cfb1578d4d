#!/usr/bin/env bash
# --repo takes a remote URL (file://, git:// from a git daemon on 127.0.0.1):
# fetched into a bare cache under the state directory and deployed at a
# branch, tag or SHA; every release records the commit's SHA, author, date
# and subject. A remote, ref or path that does not exist changes nothing.
. "$(dirname "$0")/lib.sh"

DPID=
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; cleanup' EXIT

git -C "$REPO" checkout -qb main
write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:v1
    environment: {MESSAGE: one}
YAML
git -C "$REPO" add -A && git -C "$REPO" -c user.name='Ada Author' -c user.email=ada@deployctl.invalid \
	commit -qm "first: api one" || fail "commit"
BARE="$WORK/remote.git"
git clone -q --bare "$REPO" "$BARE" || fail "bare clone"

# file:// with a token in the environment: deployed, and the token stored nowhere.
export DEPLOYCTL_GIT_TOKEN="tok-never-stored-$$"
expect_status 0 apply --repo "file://$BARE"
expect_out 'release [0-9]+ succeeded'
unset DEPLOYCTL_GIT_TOKEN
sha1=$(git -C "$REPO" rev-parse HEAD)
cache=$(ls -d "$STATE"/repos/*.git) || fail "no cache under the state directory"
[ "$(git -C "$cache" rev-parse --is-bare-repository)" = true ] || fail "cache is not bare"
[ "$(git -C "$cache" rev-parse main)" = "$sha1" ] || fail "cache lacks main"
if grep -rqa "tok-never-stored-$$" "$STATE"; then fail "token written to the state directory"; fi
expect_status 0 history --json
grep -q "\"source\":\"$sha1\"" "$OUT" || fail "history lacks the SHA"
grep -q '"author":"Ada Author <ada@deployctl.invalid>"' "$OUT" || fail "history lacks the author"
grep -qE '"committed_at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"' "$OUT" || fail "history lacks the date"
grep -q '"subject":"first: api one"' "$OUT" || fail "history lacks the subject"
expect_status 0 history
expect_out "commit ${sha1:0:12} by Ada Author <ada@deployctl.invalid> at [0-9T:-]+Z: first: api one"

# A git daemon on 127.0.0.1: a new commit on main, a tag, another branch, a SHA.
PORT=$(free_port)
git daemon --listen=127.0.0.1 --port="$PORT" --base-path="$WORK" --export-all --reuseaddr \
	--pid-file="$WORK/daemon.pid" --detach "$WORK" || fail "git daemon"
wait_for 5 test -s "$WORK/daemon.pid" || fail "git daemon wrote no pid file"
DPID=$(cat "$WORK/daemon.pid")
URL="git://127.0.0.1:$PORT/remote.git"
wait_for 5 git ls-remote "$URL" >/dev/null 2>&1 || fail "git daemon does not answer on $URL"

sed -i 's/MESSAGE: one/MESSAGE: two/' "$REPO/manifests/app.yml" && commit "second: api two"
git -C "$REPO" tag v2
sha2=$(git -C "$REPO" rev-parse HEAD)
git -C "$REPO" checkout -qb other
sed -i 's/MESSAGE: two/MESSAGE: other/' "$REPO/manifests/app.yml" && commit "other branch"
sha3=$(git -C "$REPO" rev-parse HEAD)
git -C "$REPO" checkout -q main
git -C "$REPO" push -q "$BARE" main other v2 || fail "push to the bare remote"

expect_status 0 apply --repo "$URL" --ref v2
expect_out 'release [0-9]+ succeeded'
env_of() { docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$(cid api)" | grep '^MESSAGE='; }
[ "$(env_of)" = MESSAGE=two ] || fail "tag v2 not deployed: $(env_of)"
expect_status 0 apply --repo "$URL" --ref other
[ "$(env_of)" = MESSAGE=other ] || fail "branch other not deployed: $(env_of)"
expect_status 0 apply --repo "$URL" --ref "$sha2"
[ "$(env_of)" = MESSAGE=two ] || fail "SHA not deployed: $(env_of)"
# Default: the remote's default branch (main, HEAD of the bare remote).
git -C "$BARE" symbolic-ref HEAD refs/heads/main
expect_status 0 plan --repo "$URL"
expect_out "^no changes: .* ${sha2:0:12}"

# Errors change nothing: the running container stays, no release is recorded.
before=$(cid api)
nrel=$(sqlite3 "$STATE/deployctl.db" 'select count(*) from releases')
expect_status 2 apply --repo "git://127.0.0.1:$(free_port)/remote.git"
expect_err "cannot reach 'git://127.0.0.1:[0-9]+/remote.git'"
expect_status 2 apply --repo "$URL" --ref no-such-branch
expect_err "ref 'no-such-branch' not found"
expect_status 2 apply --repo "file://$WORK/no-such.git"
expect_err "no-such.git"
expect_status 2 apply --repo "$URL" --manifests nowhere
expect_err "directory 'nowhere' does not exist"
expect_status 2 apply --repo "https://user:hunter2-$$@127.0.0.1:1/remote.git"
expect_err 'carries a password'
if grep -q "hunter2-$$" "$ERR" "$OUT"; then fail "the URL's password was printed"; fi
[ "$(cid api)" = "$before" ] || fail "a failed fetch touched the running stack"
[ "$(sqlite3 "$STATE/deployctl.db" 'select count(*) from releases')" = "$nrel" ] ||
	fail "a failed fetch recorded a release"
echo "ok $TEST_NAME"
