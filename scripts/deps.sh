#!/usr/bin/env bash
# deps.sh: installs what deployctl needs to build, test and run on Debian 12,
# as root, with apt-get. Skips apt entirely when everything is already there.
set -euo pipefail

pkgs=(build-essential cmake pkgconf git ca-certificates curl python3 sqlite3
	libyaml-dev libcurl4-openssl-dev libjansson-dev libgit2-dev libsqlite3-dev libssl-dev
	libmicrohttpd-dev # deployctl serve: webhooks and /metrics
	openssh-server # an sshd on 127.0.0.1 for the ssh fetch test (t0607)
	libarchive-dev # build: contexts streamed to the Engine as tar
	docker.io valgrind clang-format iproute2 python3-yaml # python3-yaml: tests/monitoring_check.py
	clang libclang-rt-14-dev # libFuzzer targets (tests/fuzz)
	docker-registry apache2-utils) # a local registry (htpasswd auth) for the pull tests
[ "${WITH_STACK_IMAGES:-0}" = 1 ] && pkgs+=(debootstrap)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$(id -u)" = 0 ] || { echo "deps.sh: missing ${missing[*]}; run as root to install" >&2; exit 1; }
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
