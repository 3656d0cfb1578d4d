#!/usr/bin/env bash
# build: the image is built from the commit's tree (a local base image),
# labelled with the context's tree id; a no-op never rebuilds; a change to
# the context builds and rolls the service; rollback brings the previous
# image back without building; a failing build changes nothing.
. "$(dirname "$0")/lib.sh"

images_cleanup() {
	cleanup # containers first: an image in use is not removed
	remove_built_images
}
trap images_cleanup EXIT

mkdir -p "$REPO/manifests/app"
cat >"$REPO/manifests/app/Dockerfile" <<'DOCKERFILE'
FROM deployctl-test/app:v1
ARG GREETING=hello
ENV MESSAGE=${GREETING}
COPY version.txt /version.txt
DOCKERFILE
echo one >"$REPO/manifests/app/version.txt"
write_manifest compose.yaml <<YAML
name: $PROJECT
services:
  web:
    build:
      context: ./app
      args: {GREETING: built}
      labels: {com.example.from: deployctl-test}
    init: true
  db:
    image: deployctl-test/app:v1
    init: true
YAML
commit one
expect_status 0 apply --repo "$REPO"
expect_err "^deployctl: build web: context manifests/app \(tree [0-9a-f]{12}\)"
img1=$(docker inspect -f '{{.Image}}' "$(cid web)")
[ "$img1" = "$(docker image inspect -f '{{.Id}}' "$PROJECT-web")" ] || fail "web does not run $PROJECT-web"
tree=$(git -C "$REPO" rev-parse HEAD:manifests/app)
[ "$(docker image inspect -f '{{index .Config.Labels "io.deployctl.build-context"}}' "$img1")" = "$tree" ] ||
	fail "the image is not labelled with the context's tree id $tree"
[ "$(docker image inspect -f '{{index .Config.Labels "com.example.from"}}' "$img1")" = deployctl-test ] ||
	fail "build labels missing"
docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$img1" | grep -qx MESSAGE=built ||
	fail "build args not applied"

# a no-op builds nothing
expect_status 0 apply --repo "$REPO"
expect_out '^no changes'
grep -q 'build web' "$ERR" && fail "a no-op rebuilt: $(cat "$ERR")"
expect_status 0 plan --repo "$REPO"
expect_out '^no changes'

# a change in the context builds and rolls web only
db=$(cid db)
echo two >"$REPO/manifests/app/version.txt"
commit two
expect_status 0 check --repo "$REPO"
expect_out '^ok    images: services.web: built from manifests/app \(tree [0-9a-f]{12}\) by apply$'
expect_status 0 plan --repo "$REPO"
expect_err 'would build'
expect_status 0 apply --repo "$REPO"
expect_err 'build web: context'
img2=$(docker inspect -f '{{.Image}}' "$(cid web)")
[ "$img2" != "$img1" ] || fail "web was not rebuilt"
[ "$(cid db)" = "$db" ] || fail "db was replaced"

# rollback: the previous image, no build
expect_status 0 rollback --project "$PROJECT"
grep -q 'build web' "$ERR" && fail "rollback built: $(cat "$ERR")"
[ "$(docker inspect -f '{{.Image}}' "$(cid web)")" = "$img1" ] || fail "rollback did not bring the first image back"
expect_status 0 unpin --project "$PROJECT"

# a failing build fails before any container changes
web=$(cid web)
printf 'FROM deployctl-test/app:v1\nCOPY missing.txt /missing.txt\n' >"$REPO/manifests/app/Dockerfile"
commit three
expect_status 1 apply --repo "$REPO"
expect_err 'services.web.build: .*build failed'
expect_err 'nothing was changed'
[ "$(cid web)" = "$web" ] || fail "a failed build changed the container"
echo "ok $TEST_NAME"
