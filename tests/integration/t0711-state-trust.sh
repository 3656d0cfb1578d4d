#!/usr/bin/env bash
# The state directory is trusted only when it deserves it: one that is
# group- or world-writable or owned by another user is refused (exit 4);
# a planted deployctl.db symlink is not followed; an empty database is an
# error, never a fresh start; read-only commands work on a read-only state
# directory (a read-only bind mount, since root ignores file modes).
. "$(dirname "$0")/lib.sh"

write_manifest app.yml <<YAML
name: $PROJECT
services:
  web: {image: deployctl-test/app:v1, init: true}
YAML
commit one
expect_status 0 apply --repo "$REPO"
expect_status 0 history --project "$PROJECT"
expect_out 'succeeded'

chmod 0770 "$STATE"
expect_status 4 history
expect_err "state directory '$STATE' is writable by its group \(mode 0770\): refusing to trust it"
expect_status 4 apply --repo "$REPO"
expect_err 'is writable by its group'
chmod 0702 "$STATE"
expect_status 4 plan --repo "$REPO"
expect_err 'is writable by everyone'
chmod 0700 "$STATE"
chown 65534:65534 "$STATE"
expect_status 4 status --project "$PROJECT"
expect_err "is owned by uid 65534, not by uid $(id -u)"
chown 0:0 "$STATE"

# Read-only commands on a read-only state directory.
RO="$WORK/ro"
mkdir "$RO"
mount --bind "$STATE" "$RO" && mount -o remount,bind,ro "$RO" || skip "cannot bind-mount read-only"
trap 'umount "$RO" 2>/dev/null; cleanup' EXIT
touch "$RO/probe" 2>/dev/null && fail "the bind mount is writable"
for cmd in "history --project $PROJECT" "show 1" "status --project $PROJECT" "plan --repo $REPO"; do
	"$DEPLOYCTL" --state "$RO" $cmd >"$OUT" 2>"$ERR" ||
		{ cat "$OUT" "$ERR"; fail "'$cmd' fails on a read-only state directory"; }
done
"$DEPLOYCTL" --state "$RO" plan --repo "$REPO" >"$OUT" 2>"$ERR"
expect_out 'no changes|0 change'
"$DEPLOYCTL" --state "$RO" history --project "$PROJECT" >"$OUT" 2>"$ERR"
expect_out 'succeeded'
"$DEPLOYCTL" --state "$RO" apply --repo "$REPO" >"$OUT" 2>"$ERR" && fail "apply wrote to a read-only state"
umount "$RO"

# A planted symlink is not followed, and nothing is created where it points.
mv "$STATE/deployctl.db" "$WORK/saved.db"
rm -f "$STATE"/deployctl.db-wal "$STATE"/deployctl.db-shm
ln -s "$WORK/planted.db" "$STATE/deployctl.db"
expect_status 4 history
expect_err "database '$STATE/deployctl.db' is a symbolic link: refusing to follow it"
expect_status 4 apply --repo "$REPO"
[ -e "$WORK/planted.db" ] && fail "a database was created through the symlink"
rm "$STATE/deployctl.db"

# A database truncated to 0 bytes is an error, and stays as it was.
: >"$STATE/deployctl.db"
expect_status 4 apply --repo "$REPO"
expect_err 'exists but is empty \(0 bytes\)'
expect_status 4 history
[ -s "$STATE/deployctl.db" ] && fail "the empty database was replaced"
mv "$WORK/saved.db" "$STATE/deployctl.db"
expect_status 0 history --project "$PROJECT"
expect_out 'succeeded'
# Files under files/ are checked against their content hash before use.
mkdir -p "$REPO/config"
printf 'greeting=one\n' >"$REPO/config/app.conf"
write_manifest app.yml <<YAML
name: $PROJECT
configs:
  app: {file: ../config/app.conf}
services:
  web: {image: deployctl-test/app:v1, init: true, configs: [{source: app, target: /etc/app.conf}]}
YAML
commit two
expect_status 0 apply --repo "$REPO"
f=$(ls "$STATE"/files/* | head -n 1)
[ -f "$f" ] || fail "no config file under files/"
web=$(cid web)
chmod u+w "$f" && printf 'greeting=evil\n' >"$f"
printf 'greeting=two\n' >"$REPO/config/app.conf"
commit three
expect_status 0 apply --repo "$REPO"
web=$(cid web)
printf 'greeting=one\n' >"$REPO/config/app.conf"
commit four
expect_status 4 apply --repo "$REPO"
expect_err "'$f' does not hold the content it is named for"
[ "$(cid web)" = "$web" ] || fail "the release went ahead"
expect_status 0 history --project "$PROJECT" --json
grep -q '"status":"running"' "$OUT" && fail "the refused apply left a release running"
# rollback (to release 2, which mounted that content) checks it the same way
expect_status 4 rollback --project "$PROJECT"
expect_err "'$f' does not hold the content it is named for"
[ "$(cid web)" = "$web" ] || fail "the rollback went ahead"
echo "ok $TEST_NAME"
