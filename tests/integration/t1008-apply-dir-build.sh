#!/usr/bin/env bash
# --dir, given relative as a user types it: relative binds are host paths
# under the project directory made absolute (a relative one reached Docker
# and was refused), and build: contexts are built from the directory as it
# is (they were refused: "needs a git commit"), labelled with the content's
# id so an unchanged context is not built again; an edit builds and rolls.
. "$(dirname "$0")/lib.sh"

images_cleanup() {
	cleanup
	remove_built_images
}
trap images_cleanup EXIT

P="$WORK/proj"
mkdir -p "$P/app" "$P/conf"
printf 'FROM deployctl-test/app:v1\nCOPY version.txt /version.txt\n' >"$P/app/Dockerfile"
echo one >"$P/app/version.txt"
echo settings >"$P/conf/app.conf"
cat >"$P/compose.yaml" <<YAML
name: $PROJECT
services:
  web:
    build: ./app
    init: true
    volumes:
      - ./conf:/etc/app:ro
YAML
in_web() { docker cp "$(cid web):$1" - 2>/dev/null | tar -xO; }
rel() { (cd "$WORK" && "$DEPLOYCTL" --state "$STATE" "$@" --dir proj) >"$OUT" 2>"$ERR"; }

rel apply || { cat "$OUT" "$ERR"; fail "apply --dir proj failed"; }
grep -q "^deployctl: build web: context app (content [0-9a-f]\{12\}) in $P$" "$ERR" ||
	fail "no build from the directory: $(cat "$ERR")"
[ "$(in_web /version.txt)" = one ] || fail "the image is not built from the directory"
[ "$(in_web /etc/app/app.conf)" = settings ] || fail "./conf is not the project's"
src=$(docker inspect -f '{{range .Mounts}}{{.Source}}{{end}}' "$(cid web)")
[ "$src" = "$P/conf" ] || fail "./conf is mounted from '$src', not $P/conf"
web1=$(cid web)

rel apply || fail "second apply failed"
grep -q '^no changes' "$OUT" || fail "an unchanged context planned changes: $(cat "$OUT")"
grep -q "build web: context" "$ERR" && fail "an unchanged context was built again"

echo two >"$P/app/version.txt"
rel apply || { cat "$OUT" "$ERR"; fail "apply after the edit failed"; }
grep -q "build web: context app" "$ERR" || fail "the edited context was not built"
[ "$(cid web)" != "$web1" ] || fail "web was not replaced"
[ "$(in_web /version.txt)" = two ] || fail "the new image is not the edited context's"
echo "ok $TEST_NAME"
