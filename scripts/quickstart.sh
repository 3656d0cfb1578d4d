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
echo "== install: deployctl in /usr/local/bin, its man pages and bash/zsh completion"
cmake --install build --prefix /usr/local >/dev/null
bash scripts/ensure-dockerd.sh

if [ "${USE_REGISTRY:-0}" != 1 ]; then
	echo "== local images for the example stack (no registry needed; the first time a Debian" \
		"root filesystem is made with debootstrap: a few minutes)"
	bash scripts/build-stack-images.sh
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
# One env file for everything the stack needs, outside the repository and mode 0600, so every
# command (and the README's walkthrough) passes just --env-file $secrets: without a registry,
# the image overrides of examples/local-images.env join the secrets.
(
	umask 077
	tmp=$(mktemp "$secrets.XXXXXX")
	grep -vE '^[A-Z_]+_IMAGE=' "$secrets" >"$tmp" || true
	if [ "${USE_REGISTRY:-0}" != 1 ]; then
		echo "# image overrides from examples/local-images.env (scripts/quickstart.sh)" >>"$tmp"
		grep -E '^[A-Z_]+_IMAGE=' examples/local-images.env >>"$tmp"
	fi
	mv "$tmp" "$secrets"
)

echo "== deployctl apply"
deployctl apply --repo "$top" --env-file "$secrets"
deployctl status

cache=${DEPLOYCTL_CACHE:-/var/cache/deployctl}
echo
echo "== done. Left on this machine:"
echo "  /usr/local/bin/deployctl, its man pages and completions (cmake --install build)"
echo "  /var/lib/deployctl: the release history of the stack (deployctl.db)"
echo "  $secrets: the stack's generated secrets (mode 0600)"
if [ "${USE_REGISTRY:-0}" != 1 ]; then
	echo "  Docker images deployctl-local/* (about 1 GB), and the debootstrap cache in $cache"
fi
echo "  the running stack 'shop': its containers, networks and volumes"
echo "To remove it all:"
echo "  deployctl down --project shop --volumes   # containers, networks, volumes and their data"
echo "  docker rmi \$(docker images -q 'deployctl-local/*')"
echo "  rm -rf $cache /var/lib/deployctl $secrets"
echo "  xargs rm -f <$top/build/install_manifest.txt   # what cmake --install put in /usr/local"
echo "Next: the walkthrough in README.md, from $top"
