#!/usr/bin/env bash
# A manifest that would be read only in part (a raw NUL byte ends libyaml's
# input) or not at all (a symlinked *.yml) is refused with its place, from
# git and from --dir, instead of planning its services' removal.
. "$(dirname "$0")/lib.sh"

write_manifest a.yml <<YAML
name: $PROJECT
services:
  keep:
    image: deployctl-test/app:v1
    init: true
YAML
write_manifest b.yml <<YAML
services:
  other:
    image: deployctl-test/app:v1
    init: true
YAML
commit both
expect_status 0 apply --repo "$REPO"
other1=$(cid other)
[ -n "$other1" ] || fail "other was not created"

untouched() {
	grep -q 'remove' "$OUT" && fail "a removal was planned ($1): $(cat "$OUT")"
	[ "$(cid other)" = "$other1" ] || fail "other was replaced or removed ($1)"
}

# A NUL byte in b.yml before its service (line 2, column 3).
printf 'services:\n  \000other:\n    image: deployctl-test/app:v1\n' >"$REPO/manifests/b.yml"
commit nul
expect_status 2 plan --repo "$REPO"
expect_err "^deployctl: manifests/b.yml:2:3: NUL byte \(at byte 12\): a manifest is text"
untouched "git, NUL"
expect_status 2 apply --repo "$REPO"
untouched "git apply, NUL"
mkdir -p "$WORK/dir"
cp -r "$REPO/manifests" "$WORK/dir/"
expect_status 2 plan --dir "$WORK/dir"
expect_err "^deployctl: manifests/b.yml:2:3: NUL byte"
untouched "dir, NUL"

# b.yml a symlink (to a regular file beside it, in the tree).
git -C "$REPO" show HEAD~1:manifests/b.yml >"$REPO/manifests/real.txt"
rm "$REPO/manifests/b.yml"
ln -s real.txt "$REPO/manifests/b.yml"
commit symlink
[ "$(git -C "$REPO" ls-tree HEAD manifests/b.yml | cut -c1-6)" = 120000 ] ||
	fail "b.yml is not a symlink in the tree"
expect_status 2 plan --repo "$REPO"
expect_err "'manifests/b.yml' is a symlink; deployctl reads regular files only"
untouched "git, symlink"
rm -rf "$WORK/dir/manifests"
cp -a "$REPO/manifests" "$WORK/dir/"
[ -L "$WORK/dir/manifests/b.yml" ] || fail "dir copy lost the symlink"
expect_status 2 plan --dir "$WORK/dir"
expect_err "'manifests/b.yml' is a symlink; deployctl reads regular files only"
untouched "dir, symlink"
# A FIFO in --dir is no file either (and would block a reader).
rm "$WORK/dir/manifests/b.yml"
cp "$REPO/manifests/real.txt" "$WORK/dir/manifests/b.yml"
mkfifo "$WORK/dir/manifests/c.yml"
expect_status 2 plan --dir "$WORK/dir"
expect_err "'manifests/c.yml' is not a regular file; deployctl reads regular files only"
rm "$WORK/dir/manifests/c.yml"
expect_status 0 plan --dir "$WORK/dir"
expect_out 'no changes'
echo "ok $TEST_NAME"
