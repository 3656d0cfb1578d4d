#!/usr/bin/env bash
# build.sh: builds the container images used by the integration tests from
# tests/testsrv/testsrv.c (+ testsrv_dns.c), with `docker import` (no registry, no Dockerfile build needed).
#
# Every image holds one static binary at /testsrv (ENTRYPOINT), /etc/passwd and /etc/group
# with root and nobody, and /tmp. Tags:
#   deployctl-test/app:healthy    CMD ["serve"]
#   deployctl-test/app:unhealthy  CMD ["serve","--unhealthy"]   (/health answers 503)
#   deployctl-test/app:crashing   CMD ["serve","--crash-after","1"]
#   deployctl-test/app:slow       CMD ["serve","--slow-start","3"]
#   deployctl-test/app:v1, :v2    CMD ["serve"]; /version holds "1"/"2", ENV VERSION=1/2
# Each image carries LABEL org.deployctl.input-hash (sha256 of the rootfs inputs and the
# image's changes); an image whose label matches is not rebuilt, so a rerun takes well under
# a second. FORCE=1 rebuilds. Prints one line per image; exits non-zero on failure.
#
# `build.sh curl` builds instead the HTTP client image of in-network smoke checks in the tests
# (no registry supplies curl here) and prints its tag, deployctl-test/curl:HASH: testsrv built
# from tests/testsrv/testsrv_get.c, whose curl-compatible client runs as /usr/bin/curl (a
# symlink to /testsrv). The hash of its sources is the tag, so concurrent checkouts never
# replace each other's image, and the app images above are not touched.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src="$here/../testsrv/testsrv.c"
dns="$here/../testsrv/testsrv_dns.c"
label=org.deployctl.input-hash
# Bump when the rootfs layout below changes.
recipe=1

die() {
	echo "tests/images/build.sh: $*" >&2
	exit 1
}

command -v docker >/dev/null 2>&1 || die "docker CLI not found"
docker version >/dev/null 2>&1 || die "Docker Engine does not answer (scripts/ensure-dockerd.sh starts it)"
command -v gcc >/dev/null 2>&1 || die "gcc not found (apt-get install build-essential)"
[ -r "$src" ] || die "cannot read $src"

image_hash() {
	docker image inspect --format "{{ index .Config.Labels \"$label\" }}" "$1" 2>/dev/null || true
}

src_hash=$(cat "$src" "$dns" "${dns%.c}.h" <(echo "recipe=$recipe") <(gcc --version | head -n 1) | sha256sum | cut -c1-64)

tmp=
cleanup() {
	[ -n "$tmp" ] && rm -rf "$tmp"
	return 0
}
trap cleanup EXIT

# build_rootfs VERSION: makes $tmp/rootfs-VERSION.tar (VERSION may be empty).
binary=
build_rootfs() {
	local ver=$1 root
	if [ -z "$tmp" ]; then
		tmp=$(mktemp -d /tmp/deployctl-test-images.XXXXXX)
	fi
	if [ -z "$binary" ]; then
		binary="$tmp/testsrv"
		gcc -static -O2 -Wall -Wextra -Wpedantic -o "$binary" "$src" "$dns" ||
			die "cannot build $src statically (is libc6-dev installed?)"
		strip "$binary" 2>/dev/null || true
	fi
	root="$tmp/root-${ver:-base}"
	rm -rf "$root"
	mkdir -p "$root/etc" "$root/tmp"
	chmod 1777 "$root/tmp"
	install -m 0755 "$binary" "$root/testsrv"
	printf 'root:x:0:0:root:/root:/testsrv\nnobody:x:65534:65534:nobody:/nonexistent:/testsrv\n' \
		>"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	if [ -n "$ver" ]; then
		echo "$ver" >"$root/version"
	fi
	tar --numeric-owner --owner=0 --group=0 --mtime=@0 --sort=name -C "$root" \
		-cf "$tmp/rootfs-${ver:-base}.tar" . || die "cannot write the rootfs tar"
}

# image TAG VERSION CMD_JSON [ENV...]
image() {
	local tag=$1 ver=$2 cmd=$3 h old args=()
	shift 3
	h=$(printf '%s\n' "$src_hash" "$ver" "$cmd" "$@" | sha256sum | cut -c1-64)
	if [ "${FORCE:-0}" != 1 ] && [ "$(image_hash "$tag")" = "$h" ]; then
		echo "$tag: up to date"
		return 0
	fi
	[ -f "$tmp/rootfs-${ver:-base}.tar" ] 2>/dev/null || build_rootfs "$ver"
	old=$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
	args=(--change 'ENTRYPOINT ["/testsrv"]' --change "CMD $cmd" --change "LABEL $label=$h")
	for e in "$@"; do
		args+=(--change "ENV $e")
	done
	docker import "${args[@]}" "$tmp/rootfs-${ver:-base}.tar" "$tag" >/dev/null ||
		die "docker import of $tag failed"
	# Remove the image this one replaced, unless a container or another tag still uses it.
	if [ -n "$old" ] && [ "$old" != "$(docker image inspect --format '{{.Id}}' "$tag")" ]; then
		docker rmi "$old" >/dev/null 2>&1 || true
	fi
	echo "$tag: built"
}

# curl_image: the smoke checks' client image (see the header); prints its tag.
curl_image() {
	local get="$here/../testsrv/testsrv_get.c" h tag root
	h=$(cat "$get" "$src" "$dns" "${dns%.c}.h" "$0" <(gcc --version | head -n 1) | sha256sum | cut -c1-12)
	tag="deployctl-test/curl:$h"
	if [ "${FORCE:-0}" != 1 ] && docker image inspect "$tag" >/dev/null 2>&1; then
		echo "$tag"
		return 0
	fi
	tmp=$(mktemp -d /tmp/deployctl-test-curl.XXXXXX)
	root="$tmp/root"
	mkdir -p "$root/etc" "$root/tmp" "$root/usr/bin"
	chmod 1777 "$root/tmp"
	gcc -static -O2 -Wall -Wextra -Wpedantic -o "$root/testsrv" "$get" "$dns" 2>/dev/null ||
		die "cannot build $get statically"
	strip "$root/testsrv" 2>/dev/null || true
	ln -s /testsrv "$root/usr/bin/curl"
	printf 'root:x:0:0:root:/root:/testsrv\nnobody:x:65534:65534:nobody:/nonexistent:/testsrv\n' \
		>"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	tar --numeric-owner --owner=0 --group=0 --mtime=@0 --sort=name -C "$root" -c . |
		docker import --change 'ENV PATH=/usr/bin:/bin' --change 'CMD ["curl", "--help"]' \
			- "$tag" >/dev/null || die "docker import of $tag failed"
	echo "$tag"
}
if [ "${1:-}" = curl ]; then
	curl_image
	exit 0
fi

image deployctl-test/app:healthy "" '["serve"]'
image deployctl-test/app:unhealthy "" '["serve","--unhealthy"]'
image deployctl-test/app:crashing "" '["serve","--crash-after","1"]'
image deployctl-test/app:slow "" '["serve","--slow-start","3"]'
image deployctl-test/app:v1 1 '["serve"]' VERSION=1
image deployctl-test/app:v2 2 '["serve"]' VERSION=2
