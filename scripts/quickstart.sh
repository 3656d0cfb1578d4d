#!/usr/bin/env bash
# quickstart.sh: the README's main job. On a fresh Debian 12 as root it
# installs what is missing, builds deployctl, starts dockerd if none answers,
# builds local images for the example stack (no registry needed; set
# USE_REGISTRY=1 to use the official images instead), writes a secrets file
# with generated values if there is none, and applies manifests/ at this
# repository's HEAD, with the state in /var/lib/deployctl.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
secrets=${DEPLOYCTL_SECRETS:-/etc/deployctl/shop.env}

WITH_STACK_IMAGES=1 bash scripts/deps.sh
echo "== build"
# the binary users run: no test-only fault points, even over a test build's cache
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDEPLOYCTL_TEST_HOOKS=OFF >/dev/null
cmake --build build -j"$(nproc)"
bash scripts/ensure-dockerd.sh

env_files=()
if [ "${USE_REGISTRY:-0}" != 1 ]; then
	echo "== local images for the example stack (no registry needed)"
	bash scripts/build-stack-images.sh
	env_files+=(--env-file "$top/examples/local-images.env")
fi

if [ ! -f "$secrets" ]; then
	echo "== generating $secrets (mode 0600)"
	mkdir -p "$(dirname "$secrets")"
	chmod 700 "$(dirname "$secrets")"
	(
		umask 077
		for k in POSTGRES_PASSWORD SESSION_SECRET GRAFANA_ADMIN_PASSWORD; do
			printf '%s=%s\n' "$k" "$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
		done >"$secrets"
	)
fi
env_files+=(--env-file "$secrets")

echo "== deployctl apply"
"$top/build/deployctl" apply --repo "$top" "${env_files[@]}"
"$top/build/deployctl" status
