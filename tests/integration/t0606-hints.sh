#!/usr/bin/env bash
# Two first-run problems get their explanation and fix: a state directory
# this user cannot write (--state or DEPLOYCTL_STATE), and a repository
# owned by another user, which git refuses (safe.directory) — the fix
# given works as printed.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root to act as another user"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"

write_manifest app.yml <<YAML
name: $PROJECT
services:
  web: {image: deployctl-test/app:v1}
YAML
commit one

# A repository owned by another user.
chown -R nobody "$REPO"
HOME="$WORK/home" dctl plan --repo "$REPO"
[ $? = 2 ] || { cat "$OUT" "$ERR"; fail "plan of a repository owned by another user did not exit 2"; }
expect_err "repository '$REPO(/.git/)?' is owned by another user and git refuses it; if you trust it: git config --global --add safe.directory '$REPO'$"
mkdir -p "$WORK/home"
HOME="$WORK/home" git config --global --add safe.directory "$REPO"
HOME="$WORK/home" dctl plan --repo "$REPO" || { cat "$ERR"; fail "the safe.directory fix printed does not work"; }
expect_out "^plan for $PROJECT"
chown -R root "$REPO"

# A state directory this user cannot write: the default one, and one given.
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
nobody env -u DEPLOYCTL_STATE "$DEPLOYCTL" apply --repo "$REPO" >"$OUT" 2>"$ERR"
[ $? = 4 ] || { cat "$OUT" "$ERR"; fail "apply (default state) without a writable state directory did not exit 4"; }
expect_err "hint: this user cannot write the state directory '/var/lib/deployctl' \(the default needs root\): name another with --state DIR or DEPLOYCTL_STATE=DIR"
nobody "$DEPLOYCTL" --state "$WORK/st" apply --repo "$REPO" >"$OUT" 2>"$ERR"
[ $? = 4 ] || { cat "$OUT" "$ERR"; fail "apply without a writable state directory did not exit 4"; }
expect_err "hint: this user cannot write the state directory '$WORK/st'"
# A state directory the user can write: no hint.
expect_status 0 history
grep -q hint "$ERR" && fail "a hint without a problem"
echo "ok $TEST_NAME"
