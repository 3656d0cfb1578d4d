#!/usr/bin/env bash
# --repo over ssh: an sshd on 127.0.0.1 with keys the test makes; the key
# comes from $DEPLOYCTL_GIT_SSH_KEY, the host key must be known
# (~/.ssh/known_hosts), and an unknown host or a refused key is a clear
# error that changes nothing. The key is never stored.
. "$(dirname "$0")/lib.sh"

SSHD=/usr/sbin/sshd
if [ ! -x "$SSHD" ] || [ "$(id -u)" != 0 ]; then
	[ "${CI:-}" = true ] && fail "sshd (openssh-server, scripts/deps.sh) and root are needed"
	skip "no sshd, or not root"
fi
# An ASan build: libgit2 1.5's ssh transport leaks inside itself (tests/lsan-ssh.supp).
export LSAN_OPTIONS="suppressions=$SRCDIR/tests/lsan-ssh.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
trap '[ -s "$WORK/sshd.pid" ] && kill "$(cat "$WORK/sshd.pid")" 2>/dev/null; cleanup' EXIT

ssh-keygen -q -t ed25519 -N '' -f "$WORK/hostkey" || fail "host key"
# ECDSA in PEM: what Debian's libssh2 (under libgit2) signs with against OpenSSH 9
ssh-keygen -q -t ecdsa -b 256 -m PEM -N '' -f "$WORK/id_client" || fail "client key"
ssh-keygen -q -t ecdsa -b 256 -m PEM -N '' -f "$WORK/id_other" || fail "other key"
cp "$WORK/id_client.pub" "$WORK/authorized_keys"
PORT=$(free_port)
cat >"$WORK/sshd_config" <<CFG
Port $PORT
ListenAddress 127.0.0.1
HostKey $WORK/hostkey
AuthorizedKeysFile $WORK/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $WORK/sshd.pid
LogLevel ERROR
CFG
mkdir -p /run/sshd
"$SSHD" -f "$WORK/sshd_config" -E "$WORK/sshd.log" || fail "sshd did not start"
wait_for 5 test -s "$WORK/sshd.pid" || fail "sshd wrote no pid file"
mkdir -p "$WORK/home/.ssh" "$WORK/stranger/.ssh"
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$WORK/hostkey.pub")" >"$WORK/home/.ssh/known_hosts"

git -C "$REPO" checkout -qb main
write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:v1
    init: true
YAML
commit "over ssh"
BARE="$WORK/remote.git"
git clone -q --bare "$REPO" "$BARE"
URL="ssh://root@127.0.0.1:$PORT$BARE"

HOME="$WORK/home" DEPLOYCTL_GIT_SSH_KEY="$WORK/id_client" expect_status 0 apply --repo "$URL" --ref main
expect_out 'release [0-9]+ succeeded'
expect_status 0 history --json
grep -q "\"source\":\"$(git -C "$REPO" rev-parse HEAD)\"" "$OUT" || fail "history lacks the commit"
key_line=$(sed -n 2p "$WORK/id_client")
if grep -rqaF -- "$key_line" "$STATE"; then fail "the private key reached the state directory"; fi

# Refused: a host not in known_hosts, a key the server does not know. Nothing changes.
before=$(cid api)
n=$(sqlite3 "$STATE/deployctl.db" 'select count(*) from releases')
sed -i 's/MESSAGE//' "$REPO/manifests/app.yml"
printf '    environment: {MESSAGE: two}\n' >>"$REPO/manifests/app.yml"
commit two && git -C "$REPO" push -q "$BARE" main
HOME="$WORK/stranger" DEPLOYCTL_GIT_SSH_KEY="$WORK/id_client" expect_status 2 apply --repo "$URL" --ref main
expect_err "unknown remote ssh hostkey"
HOME="$WORK/home" DEPLOYCTL_GIT_SSH_KEY="$WORK/id_other" expect_status 2 apply --repo "$URL" --ref main
expect_err "cannot reach '$URL': the server refused the key in \\\$DEPLOYCTL_GIT_SSH_KEY"
DEPLOYCTL_GIT_SSH_KEY= SSH_AUTH_SOCK= HOME="$WORK/home" expect_status 2 apply --repo "$URL" --ref main
expect_err "authentication required: set \\\$DEPLOYCTL_GIT_SSH_KEY to a key file, or run an ssh-agent"
[ "$(cid api)" = "$before" ] || fail "a refused fetch changed the stack"
[ "$(sqlite3 "$STATE/deployctl.db" 'select count(*) from releases')" = "$n" ] || fail "a refused fetch recorded a release"
echo "ok $TEST_NAME"
