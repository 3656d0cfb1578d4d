#!/usr/bin/env bash
# build.sh: the image the job tests (t12xx) run their jobs in, made with `docker import`
# from tests/jobtool/jobtool.c (which includes tests/testsrv/testsrv.c, and is linked with
# tests/testsrv/testsrv_dns.c): /jobtool as the entrypoint, /etc/passwd, /etc/group, /tmp
# and /backups. The tag carries a hash of the sources, so concurrent checkouts never replace
# each other's image; prints the tag.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
hash=$(cat "$here/jobtool.c" "$here/../testsrv/testsrv.c" "$here/../testsrv/testsrv_dns.c" "$here/../testsrv/testsrv_dns.h" "$0" <(gcc --version | head -n 1) |
	sha256sum | cut -c1-12)
tag="deployctl-test/jobtool:$hash"
if docker image inspect "$tag" >/dev/null 2>&1; then
	echo "$tag"
	exit 0
fi
tmp=$(mktemp -d /tmp/deployctl-jobtool.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
gcc -static -O2 -Wall -o "$tmp/jobtool" "$here/jobtool.c" "$here/../testsrv/testsrv_dns.c" >&2
strip "$tmp/jobtool" 2>/dev/null || true
mkdir -p "$tmp/root/etc" "$tmp/root/tmp" "$tmp/root/backups"
chmod 1777 "$tmp/root/tmp"
cp "$tmp/jobtool" "$tmp/root/jobtool"
printf 'root:x:0:0:root:/:/jobtool\nnobody:x:65534:65534:nobody:/:/jobtool\n' >"$tmp/root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$tmp/root/etc/group"
tar -C "$tmp/root" -c . | docker import -c 'ENTRYPOINT ["/jobtool"]' - "$tag" >/dev/null
echo "$tag"
