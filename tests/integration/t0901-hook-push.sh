#!/usr/bin/env bash
# hook install: a push to the deploy branch of a bare repository deploys the
# pushed commit and the push output reports the release; a push to another
# branch does nothing; a failed deploy is reported and the push is kept. An
# existing post-receive hook is chained (run with the same input) and
# uninstall puts it back exactly.
. "$(dirname "$0")/lib.sh"

BARE="$WORK/deploy.git"
git init -q --bare --initial-branch=main "$BARE" || fail "git init --bare"
cat >"$BARE/hooks/post-receive" <<SH
#!/bin/sh
while read -r old new ref; do echo "chained \$ref \$new" >>"$WORK/chained.log"; done
echo "the existing hook ran"
SH
chmod +x "$BARE/hooks/post-receive"
cp "$BARE/hooks/post-receive" "$WORK/original-hook"

printf 'SECRET_TOKEN=hook-secret-%s\n' "$$" >"$WORK/app.env"
expect_status 0 hook install --repo "$BARE" --env-file "$WORK/app.env"
expect_out "installed deployctl's post-receive hook in $BARE: a push to main deploys it"
expect_out 'existing hook is kept'
[ -x "$BARE/hooks/post-receive" ] || fail "hook not executable"
cmp -s "$BARE/hooks/post-receive.deployctl-chained" "$WORK/original-hook" || fail "old hook not kept"
# Installing again replaces deployctl's hook and keeps the chained one.
expect_status 0 hook install --repo "$BARE" --env-file "$WORK/app.env"
cmp -s "$BARE/hooks/post-receive.deployctl-chained" "$WORK/original-hook" || fail "reinstall lost the chained hook"
# Refused: not a bare repository, or a missing one.
expect_status 2 hook install --repo "$REPO"
expect_err 'is not a bare repository'
expect_status 2 hook install --repo "$WORK/nowhere.git"

PORT=$(free_port)
git -C "$REPO" checkout -qb main
write_manifest app.yml <<YAML
name: $PROJECT
services:
  api:
    image: deployctl-test/app:v1
    ports: ["127.0.0.1:$PORT:8080"]
    environment: {MESSAGE: pushed-one, SECRET_TOKEN: "\${SECRET_TOKEN}"}
YAML
commit "first push"
sha1=$(git -C "$REPO" rev-parse HEAD)
git -C "$REPO" push "$BARE" main >"$WORK/push1" 2>&1 || { cat "$WORK/push1"; fail "push failed"; }
grep -q "remote: deployctl: deploying main at $sha1" "$WORK/push1" || { cat "$WORK/push1"; fail "push output lacks the deploy"; }
grep -qE "remote: release [0-9]+ succeeded" "$WORK/push1" || { cat "$WORK/push1"; fail "push output lacks the release"; }
grep -q "remote: the existing hook ran" "$WORK/push1" || fail "chained hook's output missing"
grep -q "chained refs/heads/main $sha1" "$WORK/chained.log" || fail "chained hook lacked its input"
http_get "$PORT" / | grep -q pushed-one || fail "stack does not answer with the pushed commit"
expect_status 0 history --json
grep -q "\"source\":\"$sha1\"" "$OUT" || fail "history lacks the pushed commit"
if grep -q "hook-secret-$$" "$WORK/push1"; then fail "a secret reached the push output"; fi

# Another branch: nothing deployed.
nrel=$(sqlite3 "$STATE/deployctl.db" 'select count(*) from releases')
git -C "$REPO" checkout -qb feature
sed -i 's/pushed-one/feature/' "$REPO/manifests/app.yml" && commit "feature work"
git -C "$REPO" push "$BARE" feature >"$WORK/push2" 2>&1 || fail "push of feature failed"
grep -q "deploying" "$WORK/push2" && { cat "$WORK/push2"; fail "a push to feature deployed"; }
[ "$(sqlite3 "$STATE/deployctl.db" 'select count(*) from releases')" = "$nrel" ] || fail "feature push recorded a release"
git -C "$REPO" checkout -q main

# A deploy that fails (image not present, pull_policy never) is reported; the push is kept.
before=$(cid api)
sed -i 's|deployctl-test/app:v1|deployctl-test/app:no-such-tag|' "$REPO/manifests/app.yml"
sed -i 's|    ports:|    pull_policy: never\n    ports:|' "$REPO/manifests/app.yml"
commit "broken image"
sha2=$(git -C "$REPO" rev-parse HEAD)
git -C "$REPO" push "$BARE" main >"$WORK/push3" 2>&1 || { cat "$WORK/push3"; fail "a failed deploy rejected the push"; }
grep -q "remote: deployctl: deploy of main at $sha2 FAILED (exit 2)" "$WORK/push3" || { cat "$WORK/push3"; fail "push output lacks the failure"; }
[ "$(git -C "$BARE" rev-parse main)" = "$sha2" ] || fail "the push was not kept"
[ "$(cid api)" = "$before" ] || fail "the failed deploy touched the stack"

# Uninstall restores the original hook byte for byte; a second uninstall says so.
expect_status 0 hook uninstall --repo "$BARE"
expect_out 'the hook it chained is back in place'
cmp -s "$BARE/hooks/post-receive" "$WORK/original-hook" || fail "original hook not restored"
[ ! -e "$BARE/hooks/post-receive.deployctl-chained" ] || fail "chained copy left behind"
expect_status 2 hook uninstall --repo "$BARE"
expect_err "is not deployctl's hook: left alone"
cmp -s "$BARE/hooks/post-receive" "$WORK/original-hook" || fail "uninstall touched a foreign hook"
# Without a hook before, uninstall leaves none.
rm "$BARE/hooks/post-receive"
expect_status 0 hook install --repo "$BARE" --branch main
expect_status 0 hook uninstall --repo "$BARE"
[ ! -e "$BARE/hooks/post-receive" ] || fail "uninstall left a hook"
echo "ok $TEST_NAME"
