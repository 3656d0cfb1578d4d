#!/usr/bin/env bash
# A broken manifest changes nothing and every error is reported with its location.
. "$(dirname "$0")/lib.sh"

write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:v1
    init: true
YAML
commit good
expect_status 0 apply --repo "$REPO"
api1=$(cid api)

write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:v1
    ports: ["80800:80"]
    depends_on: [nosuch]
    imagee: typo
  web:
    build: ./nosuchdir
YAML
commit broken
t0=$(now)
expect_status 2 apply --repo "$REPO"
t1=$(now)
expect_err 'manifests/app.yml:5:13: services.api.ports\[0\]: invalid port "80800:80"'
expect_err "manifests/app.yml:6:18: services.api.depends_on\\[0\\]: unknown service 'nosuch'"
expect_err "manifests/app.yml:7:5: services.api: unknown key 'imagee'"
expect_err "manifests/app.yml:9:12: services.web.build: context: 'manifests/nosuchdir' does not exist at commit"
expect_err '4 error\(s\); nothing was changed'
expect_err 'nothing was changed'
[ "$(cid api)" = "$api1" ] || fail "api changed"
[ -z "$(events_between "$t0" "$t1")" ] || fail "a broken manifest caused Docker events"
expect_status 0 history --project "$PROJECT" --json
[ "$(grep -o '"release":' "$OUT" | wc -l)" = 1 ] || fail "a release was recorded for a broken manifest"

# A missing image is caught before any change too.
write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:does-not-exist
    pull_policy: never
YAML
commit missing-image
expect_status 2 apply --repo "$REPO"
expect_err "manifests/app.yml:3:3: services.api.image: image 'deployctl-test/app:does-not-exist' is not present locally and pull_policy is never"
[ "$(cid api)" = "$api1" ] || fail "api changed"
# Absent locally, and its registry (on loopback port 1: nothing leaves the machine) is down.
write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: 127.0.0.1:1/deployctl-test/app:does-not-exist
YAML
commit unpullable-image
expect_status 2 apply --repo "$REPO"
expect_err "manifests/app.yml:3:3: services.api.image: cannot pull '127.0.0.1:1/deployctl-test/app:does-not-exist'"
[ "$(cid api)" = "$api1" ] || fail "api changed"

# A required variable without a value names the variable, not a value.
write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:v1
    environment:
      DB_PASSWORD: \${DB_PASSWORD:?set it in the env file}
YAML
commit required
expect_status 2 apply --repo "$REPO"
expect_err 'manifests/app.yml:6:20: .*DB_PASSWORD'
echo "DB_PASSWORD=from-env-file-$$" >"$WORK/secrets.env"
expect_status 0 apply --repo "$REPO" --env-file "$WORK/secrets.env"
grep -q "from-env-file-$$" "$OUT" "$ERR" && fail "secret printed"

# Docker unreachable: exit 3 with the socket named.
expect_status 3 apply --repo "$REPO" --env-file "$WORK/secrets.env" --docker-host unix://"$WORK"/nosock
expect_err "$WORK/nosock"
echo "ok $TEST_NAME"
