#!/usr/bin/env bash
# config_case.sh DEPLOYCTL CASEDIR - one `deployctl config` fixture.
#
# CASEDIR/repo is the project (a directory; with CASEDIR/git present it is
# first committed to a fresh git repository, and CASEDIR/git holds the
# commands, one per line, run in that repository after the first commit,
# e.g. to leave files untracked; CASEDIR/repodir names another directory
# than repo; CASEDIR/reldir passes --dir relative). CASEDIR/args holds extra options, one per
# line (default none; @CASE@ is CASEDIR); CASEDIR/environ holds VAR=value lines, the whole
# process environment besides PATH. The output is "stdout", then the lines
# of stderr prefixed "stderr: ", then "exit N"; it must equal
# CASEDIR/expected. A YAML result (exit 0, no --json/--services/...) must
# also load back as a manifest and print the same again (secret
# fingerprints aside: they are keyed, hmac:FINGERPRINT in expected).
set -u
DEPLOYCTL=$(realpath "$1")
CASE=$(realpath "$2")
WORK=$(mktemp -d /tmp/deployctl-config-case.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

args=()
if [ -f "$CASE/args" ]; then
	while IFS= read -r line; do [ -n "$line" ] && args+=("${line//@CASE@/$CASE}"); done <"$CASE/args"
fi
envv=(PATH="$PATH" HOME="$WORK")
if [ -f "$CASE/environ" ]; then
	while IFS= read -r line; do [ -n "$line" ] && envv+=("$line"); done <"$CASE/environ"
fi

# CASE/repodir names the project directory when it is not "repo" (for default names).
repo=repo
[ -f "$CASE/repodir" ] && repo=$(cat "$CASE/repodir")
src=(--dir "$CASE/$repo")
# CASE/reldir: --dir given relative (the case runs in CASEDIR), as a user types it
[ -f "$CASE/reldir" ] && src=(--dir "$repo")
if [ -f "$CASE/git" ]; then
	cp -a "$CASE/$repo" "$WORK/repo"
	git -C "$WORK/repo" init -q && git -C "$WORK/repo" add -A &&
		GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z \
			git -C "$WORK/repo" -c user.email=t@t.invalid -c user.name=t commit -qm one ||
		exit 1
	(cd "$WORK/repo" && bash -e "$CASE/git") || exit 1
	src=(--repo "$WORK/repo")
fi

run() {
	(cd "$CASE" && env -i "${envv[@]}" "$DEPLOYCTL" --state "$WORK/state" config "$@") \
		>"$WORK/out" 2>"$WORK/err"
	echo "exit $?" >"$WORK/rc"
	{
		# fingerprints are keyed by a random per-state key: compared by shape
		sed -E "s|$WORK|WORK|g; s|$CASE|CASE|g; s/hmac:[0-9a-f]{12}/hmac:FINGERPRINT/g" "$WORK/out"
		sed "s|$WORK|WORK|g; s|$CASE|CASE|g; s|^|stderr: |" "$WORK/err"
		cat "$WORK/rc"
	} >"$WORK/actual"
}
run "${src[@]}" "${args[@]}"
cat "$WORK/actual"
if ! diff -u "$CASE/expected" "$WORK/actual" >&2; then
	echo "FAIL: $CASE: output differs from expected (above)" >&2
	exit 1
fi

# The round trip: what config prints is a manifest that means the same.
# (CASEDIR/noroundtrip: the result needs git, e.g. build:, and cannot load from a directory)
if [ "$(cat "$WORK/rc")" = "exit 0" ] && ! grep -qE -- '^--(json|services|images|hash)$' \
	"$CASE/args" 2>/dev/null && [ ! -f "$CASE/noroundtrip" ]; then
	mkdir -p "$WORK/rt/manifests"
	cp "$WORK/out" "$WORK/rt/manifests/config.yaml"
	first="$WORK/first"
	# (a bind from git loads back from the directory as a host path: its
	# origin lines, and a writable one's read_only: false and copy, differ)
	nowrite() { sed -E '/^ *- read_only: false$/{N;s/^( *)- read_only: false\n *(.*)$/\1- \2/;}; /^ *read_only: false$/d'; }
	grep -vE 'sha256:|hmac:|host_path:|copy: per-release' "$WORK/out" | nowrite >"$first"
	(env -i "${envv[@]}" "$DEPLOYCTL" --state "$WORK/state" config --dir "$WORK/rt") \
		>"$WORK/out2" 2>"$WORK/err2"
	grep -vE 'sha256:|hmac:|host_path:|copy: per-release' "$WORK/out2" | nowrite >"$WORK/second"
	if ! diff -u "$first" "$WORK/second" >&2; then
		cat "$WORK/err2" >&2
		echo "FAIL: $CASE: the printed project does not load back the same" >&2
		exit 1
	fi
fi
echo "ok $CASE"
