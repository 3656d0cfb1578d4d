#!/usr/bin/env bash
# build-stack-images.sh: builds local images for the example stack (manifests/*.yml) on
# machines where no Docker registry is reachable.
#
# One Debian bookworm root filesystem made by debootstrap holds postgres, redis, nginx and
# prometheus; it is imported once as deployctl-local/debian-stack:bookworm, and each service
# image is derived from it by running a short setup script (scripts/stack/setup.sh) in a
# container and committing it with the service's ENTRYPOINT/CMD. api, web and the grafana
# stand-in are tagged from the testsrv image built by tests/images/build.sh.
#
# Idempotent: every image carries a label org.deployctl.input-hash; an image whose label
# matches its inputs is not rebuilt. The debootstrap result is cached as a tarball under
# $DEPLOYCTL_CACHE (default /var/cache/deployctl), so rebuilding the base after
# `docker rmi` does not run debootstrap again.
#
# Environment:
#   DEPLOYCTL_CACHE          cache directory (default /var/cache/deployctl)
#   DEPLOYCTL_DEBIAN_MIRROR  Debian mirror URL (default: read from the apt configuration)
#   FORCE=1                  rebuild every image even if its input hash matches
#
# Must run as root (debootstrap, docker). Prints one line per image and the timings.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
stack_dir="$here/stack"
cache=${DEPLOYCTL_CACHE:-/var/cache/deployctl}
suite=bookworm
variant=minbase
# wget: the healthcheck client prom/prometheus ships (busybox wget); see docs/example-stack.md.
include=postgresql-15,redis-server,nginx-light,prometheus,ca-certificates,wget
base_tag=deployctl-local/debian-stack:bookworm
label=org.deployctl.input-hash
# Bump when the way the base rootfs is made or cleaned changes.
base_recipe=2

die() {
	echo "build-stack-images: $*" >&2
	exit 1
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap and docker need it)"
"$here/ensure-dockerd.sh" || die "Docker Engine is not available"

sha() { sha256sum | cut -c1-64; }

# drop_old OLD_ID TAG: removes the image a rebuild of TAG replaced, unless still in use.
drop_old() {
	if [ -n "$1" ] && [ "$1" != "$(docker image inspect --format '{{.Id}}' "$2" 2>/dev/null)" ]; then
		docker rmi "$1" >/dev/null 2>&1 || true
	fi
}

image_hash() {
	docker image inspect --format "{{ index .Config.Labels \"$label\" }}" "$1" 2>/dev/null || true
}

# Print the URI of the first enabled "deb" source for $suite found in the apt
# configuration (one-line .list format and deb822 .sources format).
apt_mirror() {
	local f files=()
	[ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
	for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && files+=("$f")
	done
	for f in "${files[@]}"; do
		case "$f" in
		*.list)
			# deb [opts] URI SUITE COMPONENTS...
			awk -v s="$suite" '
				$1 == "deb" {
					i = 2
					if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
					if ($(i + 1) == s) { print $i; exit }
				}' "$f"
			;;
		*.sources)
			awk -v s="$suite" '
				function flush() {
					if (deb && enabled && hit && uri != "") { print uri; found = 1 }
					deb = 0; enabled = 1; hit = 0; uri = ""
				}
				BEGIN { enabled = 1 }
				/^[ \t]*#/ { next }
				/^[ \t]*$/ { flush(); if (found) exit; next }
				{
					key = tolower($1); sub(/:$/, "", key)
					if (key == "types") { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
					else if (key == "uris") uri = $2
					else if (key == "suites") { for (i = 2; i <= NF; i++) if ($i == s) hit = 1 }
					else if (key == "enabled" && tolower($2) == "no") enabled = 0
				}
				END { if (!found) flush() }' "$f"
			;;
		esac
	done | head -n 1
}

t_total=$(now)
mkdir -p "$cache"

# --- base image --------------------------------------------------------------
base_hash=$(printf '%s\n' "recipe=$base_recipe" "suite=$suite" "variant=$variant" \
	"include=$include" "arch=$(dpkg --print-architecture)" | sha)
tarball="$cache/debian-stack-$suite-${base_hash:0:16}.tar"

if [ "${FORCE:-0}" != 1 ] && [ "$(image_hash "$base_tag")" = "$base_hash" ]; then
	echo "$base_tag: up to date"
else
	if [ ! -s "$tarball" ] || [ "${FORCE:-0}" = 1 ]; then
		command -v debootstrap >/dev/null 2>&1 ||
			{ apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; } ||
			die "cannot install debootstrap"
		mirror=${DEPLOYCTL_DEBIAN_MIRROR:-$(apt_mirror)}
		[ -n "$mirror" ] || die "no 'deb' source for $suite in the apt configuration;" \
			"set DEPLOYCTL_DEBIAN_MIRROR"
		# apt's proxy, if one is configured, for debootstrap's downloads.
		proxy=$(apt-config dump --format '%v' Acquire::http::Proxy 2>/dev/null || true)
		if [ -n "$proxy" ] && [ -z "${http_proxy:-}" ]; then
			export http_proxy="$proxy"
		fi
		root=$(mktemp -d "$cache/rootfs.XXXXXX")
		# shellcheck disable=SC2064
		trap "umount -R '$root/proc' '$root/sys' 2>/dev/null || true; rm -rf '$root'" EXIT
		echo "debootstrap $suite ($variant) from $mirror: about 2 minutes and 1 GB the first time" \
			"(log: $cache/debootstrap.log) ..."
		t=$(now)
		# Say every 15 s that it is still working, and what it is at (the log's last step).
		(
			while sleep 15; do
				echo "  ... $(elapsed "$t") s: $(grep -E '^I: ' "$cache/debootstrap.log" 2>/dev/null |
					tail -n 1 | cut -c4-80)"
			done
		) &
		ticker=$!
		if ! debootstrap --variant="$variant" --include="$include" "$suite" "$root" "$mirror" \
			>"$cache/debootstrap.log" 2>&1; then
			kill "$ticker" 2>/dev/null || true
			tail -n 20 "$cache/debootstrap.log" >&2
			die "debootstrap failed (log: $cache/debootstrap.log)"
		fi
		kill "$ticker" 2>/dev/null || true
		wait "$ticker" 2>/dev/null || true
		echo "debootstrap: $(elapsed "$t") s"
		# Images need no package caches; postinst's default cluster is replaced by
		# the entrypoint's initdb into $PGDATA.
		rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
			"$root"/var/lib/postgresql/15/main "$root"/etc/postgresql/15/main
		t=$(now)
		tar --numeric-owner --xattrs -C "$root" -cf "$tarball.tmp" . ||
			die "cannot write $tarball"
		mv "$tarball.tmp" "$tarball"
		# Tarballs of older recipes are of no further use.
		for f in "$cache"/debian-stack-"$suite"-*.tar; do
			[ "$f" = "$tarball" ] || rm -f "$f"
		done
		echo "tarball: $(elapsed "$t") s, $(du -m "$tarball" | cut -f1) MiB"
		rm -rf "$root"
		trap - EXIT
	fi
	t=$(now)
	old=$(docker image inspect --format '{{.Id}}' "$base_tag" 2>/dev/null || true)
	docker import --change "LABEL $label=$base_hash" --change 'CMD ["/bin/bash"]' \
		"$tarball" "$base_tag" >/dev/null || die "docker import of $tarball failed"
	echo "$base_tag: imported in $(elapsed "$t") s"
	drop_old "$old" "$base_tag"
fi
base_id=$(docker image inspect --format '{{.Id}}' "$base_tag")

# --- per-service images ------------------------------------------------------
# derive TAG SERVICE CHANGE...: run setup.sh SERVICE in a container of the base image
# with scripts/stack mounted, then commit it with the given Dockerfile changes.
stack_hash=$(cd "$stack_dir" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha)
derive() {
	local tag=$1 svc=$2 ctr h t old
	shift 2
	h=$(printf '%s\n' "$base_id" "$stack_hash" "$svc" "$@" | sha)
	if [ "${FORCE:-0}" != 1 ] && [ "$(image_hash "$tag")" = "$h" ]; then
		echo "$tag: up to date"
		return 0
	fi
	t=$(now)
	old=$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
	ctr="deployctl-stack-build-$svc-$$"
	docker rm -f "$ctr" >/dev/null 2>&1 || true
	if ! docker run --name "$ctr" --network none -v "$stack_dir:/stack:ro" \
		--entrypoint /bin/sh "$base_tag" /stack/setup.sh "$svc" >"$cache/setup-$svc.log" 2>&1; then
		cat "$cache/setup-$svc.log" >&2
		docker rm -f "$ctr" >/dev/null 2>&1 || true
		die "setup of $svc failed"
	fi
	local args=()
	for c in "$@"; do
		args+=(--change "$c")
	done
	if ! docker commit "${args[@]}" --change "LABEL $label=$h" "$ctr" "$tag" >/dev/null; then
		docker rm -f "$ctr" >/dev/null 2>&1 || true
		die "commit of $tag failed"
	fi
	docker rm -f "$ctr" >/dev/null
	drop_old "$old" "$tag"
	echo "$tag: built in $(elapsed "$t") s"
}

pgpath=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
derive deployctl-local/postgres:15 postgres \
	"ENV PATH=$pgpath" 'ENV PGDATA=/var/lib/postgresql/data' \
	'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' 'CMD ["postgres"]' \
	'EXPOSE 5432' 'VOLUME /var/lib/postgresql/data' 'WORKDIR /'
derive deployctl-local/redis:7 redis \
	'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' 'CMD ["redis-server"]' \
	'EXPOSE 6379' 'VOLUME /data' 'WORKDIR /data'
derive deployctl-local/nginx:1.22 nginx \
	'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' 'CMD ["nginx", "-g", "daemon off;"]' \
	'EXPOSE 80' 'WORKDIR /'
derive deployctl-local/prometheus:2 prometheus \
	'USER prometheus' 'ENTRYPOINT ["/usr/bin/prometheus"]' \
	'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.listen-address=:9090"]' \
	'EXPOSE 9090' 'VOLUME /prometheus' 'WORKDIR /prometheus'

# --- testsrv stand-ins ---------------------------------------------------------
"$repo/tests/images/build.sh" >/dev/null || die "tests/images/build.sh failed"
testsrv_id=$(docker image inspect --format '{{.Id}}' deployctl-test/app:healthy)
standin() {
	local tag=$1 msg=$2 port=$3 h ctr t old
	h=$(printf '%s\n' "$testsrv_id" "$msg" "$port" | sha)
	if [ "${FORCE:-0}" != 1 ] && [ "$(image_hash "$tag")" = "$h" ]; then
		echo "$tag: up to date"
		return 0
	fi
	t=$(now)
	old=$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
	ctr=$(docker create deployctl-test/app:healthy) || die "docker create failed"
	docker commit --change "ENV MESSAGE=$msg" --change "ENV PORT=$port" \
		--change "EXPOSE $port" --change "LABEL $label=$h" "$ctr" "$tag" >/dev/null ||
		{ docker rm -f "$ctr" >/dev/null; die "commit of $tag failed"; }
	docker rm -f "$ctr" >/dev/null
	drop_old "$old" "$tag"
	echo "$tag: built in $(elapsed "$t") s"
}
standin deployctl-local/api:1 api 8080
standin deployctl-local/web:1 web 8080
standin deployctl-local/grafana-standin:1 grafana-standin 3000
# The in-network smoke check's HTTP client (manifests/edge.yml): testsrv's curl-compatible one.
curl_img=$("$repo/tests/images/build.sh" curl) || die "tests/images/build.sh curl failed"
docker tag "$curl_img" deployctl-local/curl:1 || die "cannot tag deployctl-local/curl:1"
echo "deployctl-local/curl:1: $curl_img"

echo "total: $(elapsed "$t_total") s"
