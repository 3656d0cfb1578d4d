#!/usr/bin/env bash
# Pulls from a registry with htpasswd auth: no credentials, a wrong password
# and credentials kept by a helper fail with clear messages; the credentials
# of a DOCKER_CONFIG config.json make the pull work; the password appears in
# no message and no progress line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry.sh"

V1=$(docker image inspect -f '{{.Id}}' deployctl-test/app:v1) || fail "no deployctl-test/app:v1"
USER_NAME=deployer
PASS="pw-$$-$RANDOM-secret"
WRONG="wrong-$$-$RANDOM"

registry_start auth "$USER_NAME" "$PASS" || fail "cannot start the registry"
REPO="$REGISTRY/deployctl-$PROJECT/app"
REF="$REPO:v1"
registry_login "$REGISTRY" "$USER_NAME" "$PASS" "$WORK/login" || fail "docker login"
DOCKER_CONFIG="$WORK/login" registry_push deployctl-test/app:v1 "$REF" || fail "push failed"
D1=$REGISTRY_DIGEST
registry_untag "$REF" || fail "cannot untag $REF"

# No credentials: the registry's refusal, and where deployctl looked.
mkdir -p "$WORK/nocreds"
registry_driver "$WORK/none" DOCKER_CONFIG="$WORK/nocreds" DEPLOYCTL_TEST_REF="$REF" \
	DEPLOYCTL_TEST_WANT_ERROR="no basic auth credentials" DEPLOYCTL_TEST_SECRET="$PASS" ||
	{ cat "$WORK/none"; fail "pull without credentials"; }
grep -qF "no credentials for its registry in '$WORK/nocreds/config.json'" "$WORK/none" ||
	{ cat "$WORK/none"; fail "the message does not say where credentials were looked for"; }

# A wrong password.
registry_auth_config "$WORK/wrong" "$REGISTRY" "$USER_NAME" "$WRONG"
registry_driver "$WORK/wrongout" DOCKER_CONFIG="$WORK/wrong" DEPLOYCTL_TEST_REF="$REF" \
	DEPLOYCTL_TEST_WANT_ERROR="unauthorized" DEPLOYCTL_TEST_SECRET="$WRONG" ||
	{ cat "$WORK/wrongout"; fail "pull with a wrong password"; }

# Credentials in a helper: not run, and said so.
mkdir -p "$WORK/helper"
printf '{"auths":{"%s":{}},"credsStore":"secretservice"}\n' "$REGISTRY" >"$WORK/helper/config.json"
registry_driver "$WORK/helperout" DOCKER_CONFIG="$WORK/helper" DEPLOYCTL_TEST_REF="$REF" \
	DEPLOYCTL_TEST_WANT_ERROR="docker-credential-secretservice" ||
	{ cat "$WORK/helperout"; fail "pull with a credential helper"; }

# The credentials from DOCKER_CONFIG, as written by hand and as docker login wrote them.
registry_auth_config "$WORK/creds" "$REGISTRY" "$USER_NAME" "$PASS"
registry_driver "$WORK/ok" DOCKER_CONFIG="$WORK/creds" DEPLOYCTL_TEST_REF="$REF" \
	DEPLOYCTL_TEST_WANT_LOCAL=absent DEPLOYCTL_TEST_WANT_ID="$V1" \
	DEPLOYCTL_TEST_WANT_DIGEST="$REPO@$D1" DEPLOYCTL_TEST_SECRET="$PASS" ||
	{ cat "$WORK/ok"; fail "pull with credentials"; }
grep -qF "pulled id=$V1 digest=$REPO@$D1" "$WORK/ok" || { cat "$WORK/ok"; fail "pull result"; }
registry_untag "$REF" || fail "cannot untag $REF"
registry_driver "$WORK/ok2" DOCKER_CONFIG="$WORK/login" DEPLOYCTL_TEST_REF="$REF" \
	DEPLOYCTL_TEST_WANT_ID="$V1" DEPLOYCTL_TEST_WANT_DIGEST="$REPO@$D1" \
	DEPLOYCTL_TEST_SECRET="$PASS" || { cat "$WORK/ok2"; fail "pull with docker login's config"; }

for f in none wrongout helperout ok ok2; do
	if grep -qF -e "$PASS" -e "$WRONG" "$WORK/$f"; then
		fail "a password appears in the output of $f"
	fi
done
echo "ok $TEST_NAME"
