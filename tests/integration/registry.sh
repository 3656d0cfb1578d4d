# registry.sh - real local Docker registries for the integration tests
# (sourced after lib.sh). Debian's docker-registry serves each one on a free
# port of 127.0.0.1 (which Docker treats as insecure-allowed) with its
# storage, config and log under $WORK; an htpasswd one needs apache2-utils.
# Every wait is bounded; the EXIT trap set here stops the registries and
# removes the tags pushed before lib.sh's cleanup runs.
#
#   registry_start NAME [USER PASS]   sets REGISTRY=127.0.0.1:PORT
#   registry_push SRC REF             tag + push; sets REGISTRY_DIGEST=sha256:...
#   registry_untag REF                drop a local tag (not the image)
#   registry_login ADDR USER PASS DIR docker login with DOCKER_CONFIG=DIR
#   registry_auth_config DIR ADDR USER PASS   a client config.json with an "auths" entry

command -v docker-registry >/dev/null 2>&1 || {
	[ "${CI:-}" = true ] && fail "docker-registry is not installed (scripts/deps.sh)"
	skip "docker-registry is not installed (scripts/deps.sh)"
}

: "${BUILDDIR:=$SRCDIR/build}"
REGISTRY=
REGISTRY_PIDS=()
REGISTRY_TAGS=()

registry_stop_all() {
	local pid i
	for pid in "${REGISTRY_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || continue
		for i in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	REGISTRY_PIDS=()
}

registry_cleanup() {
	local t
	registry_stop_all
	# Pulls leave repo@digest references behind the tags: remove those too.
	for t in "${REGISTRY_TAGS[@]}"; do
		docker rmi "$t" >/dev/null 2>&1
		docker images --digests --format '{{.Repository}}@{{.Digest}}' "${t%:*}" |
			grep -v '@<none>$' | xargs -r docker rmi >/dev/null 2>&1
	done
	cleanup
}
trap registry_cleanup EXIT

# registry_start NAME [USER PASS]: a registry under $WORK/registry-NAME.
registry_start() {
	local name=$1 user=${2:-} pass=${3:-} dir="$WORK/registry-$1" port pid code try i
	if [ -n "$user" ]; then
		command -v htpasswd >/dev/null 2>&1 || fail "htpasswd is not installed (apache2-utils)"
	fi
	mkdir -p "$dir/data" || return 1
	for try in 1 2 3; do
		port=$(free_port)
		{
			printf 'version: 0.1\nlog:\n  level: warn\n'
			printf 'storage:\n  filesystem:\n    rootdirectory: %s\n' "$dir/data"
			printf 'http:\n  addr: 127.0.0.1:%s\n' "$port"
			if [ -n "$user" ]; then
				htpasswd -Bbn "$user" "$pass" >"$dir/htpasswd" || return 1
				printf 'auth:\n  htpasswd:\n    realm: test\n    path: %s\n' \
					"$dir/htpasswd"
			fi
		} >"$dir/config.yml"
		docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
		pid=$!
		REGISTRY_PIDS+=("$pid")
		for i in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 \
				"http://127.0.0.1:$port/v2/" 2>/dev/null)
			if [ "$code" = 200 ] || [ "$code" = 401 ]; then
				REGISTRY="127.0.0.1:$port"
				return 0
			fi
			sleep 0.1
		done
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	cat "$dir/log" >&2
	fail "registry $name did not start"
}

# registry_push SRC REF: sets REGISTRY_DIGEST to the pushed manifest digest (sha256:...).
# Not in $(...): the tag must reach REGISTRY_TAGS for the cleanup.
registry_push() {
	local out
	REGISTRY_DIGEST=
	docker tag "$1" "$2" || return 1
	REGISTRY_TAGS+=("$2")
	out=$(docker push "$2" 2>&1) || { echo "$out" >&2; return 1; }
	REGISTRY_DIGEST=$(echo "$out" | sed -n 's/.*digest: \(sha256:[0-9a-f]\{64\}\).*/\1/p' |
		tail -n 1)
	[ -n "$REGISTRY_DIGEST" ]
}

registry_untag() {
	docker rmi "$1" >/dev/null
}

# registry_login ADDR USER PASS DIR: the Docker CLI's own login, kept in DIR.
registry_login() {
	mkdir -p "$4" &&
		printf '%s' "$3" | DOCKER_CONFIG="$4" docker login -u "$2" --password-stdin "$1" \
			>/dev/null 2>&1
}

# registry_auth_config DIR ADDR USER PASS: config.json as deployctl reads it.
registry_auth_config() {
	mkdir -p "$1" &&
		printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$2" \
			"$(printf '%s:%s' "$3" "$4" | base64 -w0)" >"$1/config.json"
}

# registry_driver OUTFILE VAR=VALUE...: the pull driver with that environment.
registry_driver() {
	local out=$1
	shift
	[ -x "$BUILDDIR/tests/test_docker_registry" ] ||
		fail "$BUILDDIR/tests/test_docker_registry is not built"
	env DEPLOYCTL_TEST_REGISTRY="$REGISTRY" "$@" \
		"$BUILDDIR/tests/test_docker_registry" >"$out" 2>&1
}
