#!/usr/bin/env bash
# A damaged state directory is a clear error (exit 4), never a crash and
# never a silently re-created empty history: a database truncated (inside
# the header, and mid-file), one whose header is garbage, one from a newer
# deployctl (schema version above ours), a database file writable by its
# group or by everyone, a state path that is a file, and apply on a
# read-only state directory. Each time the file is left byte for byte as it
# was and Docker is not touched. (t0711 has the directory's own mode and
# owner, a symlinked and an empty database; t0713 a full disk.)
. "$(dirname "$0")/lib.sh"

manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  web: {image: deployctl-test/app:v1, init: true, environment: {STEP: "$1"}}
YAML
	commit "$1"
}
manifest one
expect_status 0 apply --repo "$REPO"
web=$(cid web)
manifest two # what a run that went ahead would deploy
DB="$STATE/deployctl.db"
cp "$DB" "$WORK/good.db"

# damaged WHAT PATTERN: every command that opens the store refuses with
# PATTERN and exit 4; the file is unchanged and web was not replaced.
damaged() {
	local what=$1 pat=$2 sum cmd st
	rm -f "$DB-wal" "$DB-shm" "$DB-journal"
	sum=$(sha256sum <"$DB")
	for cmd in "apply --repo $REPO" "plan --repo $REPO" "history --project $PROJECT" \
		"status --project $PROJECT" "rollback --project $PROJECT"; do
		dctl $cmd
		st=$?
		[ "$st" = 4 ] || { cat "$OUT" "$ERR"; fail "$what: '$cmd' exited $st, expected 4"; }
		grep -qE -- "$pat" "$ERR" || { cat "$ERR"; fail "$what: '$cmd' does not say /$pat/"; }
		grep -qiE 'assert|sanitizer|segmentation' "$ERR" && fail "$what: '$cmd' crashed: $(cat "$ERR")"
	done
	[ "$(sha256sum <"$DB")" = "$sum" ] || fail "$what: the database was changed"
	[ "$(cid web)" = "$web" ] || fail "$what: web was replaced"
	[ -z "$(docker ps -aq --filter "label=io.deployctl.project=$PROJECT" --filter label=io.deployctl.release=2)" ] ||
		fail "$what: a container of a second release exists"
}

head -c 100 "$WORK/good.db" >"$DB"
damaged "truncated to 100 bytes" "database '$DB'.*(malformed|not a database)"
head -c 8192 "$WORK/good.db" >"$DB"
damaged "truncated to 8 KB" "database '$DB'.*(malformed|not a database)"
cp "$WORK/good.db" "$DB"
printf 'not a database!!' | dd of="$DB" conv=notrunc status=none
damaged "garbage header" "database '$DB'.*file is not a database"
head -c 65536 /dev/urandom >"$DB"
damaged "random bytes" "database '$DB'.*file is not a database"

cp "$WORK/good.db" "$DB"
sqlite3 "$DB" 'pragma user_version = 9999'
damaged "newer schema" "database '$DB': database schema 9999 is newer than this deployctl \([0-9]+\)"

cp "$WORK/good.db" "$DB"
chmod 0620 "$DB"
damaged "group-writable database" "database '$DB' is writable by its group \(mode 0620\): refusing to trust it"
chmod 0606 "$DB"
damaged "world-writable database" "database '$DB' is writable by everyone \(mode 0606\): refusing to trust it"
chmod 0600 "$DB"

# The state path is a file.
mv "$STATE" "$WORK/state.saved"
echo x >"$STATE"
expect_status 4 apply --repo "$REPO"
expect_err "state directory '$STATE' is not a directory"
[ "$(cat "$STATE")" = x ] || fail "the file at the state path was changed"
rm "$STATE"
mv "$WORK/state.saved" "$STATE"

# apply on a read-only state directory: refused before Docker is touched.
RO="$WORK/ro"
mkdir "$RO"
mount --bind "$STATE" "$RO" && mount -o remount,bind,ro "$RO" || skip "cannot bind-mount read-only"
trap 'umount "$RO" 2>/dev/null; cleanup' EXIT
"$DEPLOYCTL" --state "$RO" apply --repo "$REPO" >"$OUT" 2>"$ERR"
st=$?
umount "$RO"
[ "$st" = 4 ] || { cat "$OUT" "$ERR"; fail "apply on a read-only state directory exited $st, expected 4"; }
grep -q "Read-only file system" "$ERR" || { cat "$ERR"; fail "the error does not say the state is read-only"; }
grep -q "is on a read-only file system; read-only commands" "$ERR" || { cat "$ERR"; fail "no hint for a read-only state"; }
grep -q "needs root" "$ERR" && fail "the hint blames the user on a read-only file system"
[ "$(cid web)" = "$web" ] || fail "apply on a read-only state directory replaced web"

# The good database still works, and its history is whole.
expect_status 0 history --project "$PROJECT" --json
grep -q '"status":"succeeded"' "$OUT" || fail "history lost: $(cat "$OUT")"
expect_status 0 apply --repo "$REPO"
expect_out 'release 2 succeeded'
echo "ok $TEST_NAME"
