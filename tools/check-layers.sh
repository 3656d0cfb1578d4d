#!/usr/bin/env bash
# check-layers.sh LIBDIR: refuse a build whose layers call each other the
# wrong way. For each layer's static library (libdeployctl_<layer>.a), every
# symbol it uses must be defined in the layer itself, in a layer below it,
# or outside deployctl; and a wrapped external library (by its symbol
# prefix) may be used only by the layer that wraps it. The table is the one
# in docs/architecture.md and controller/CMakeLists.txt.
set -euo pipefail
dir=$1
layers=(util httpd model source manifest docker store engine deploy daemon cli)
# layer: the layers it may use (besides itself)
declare -A may=(
	[util]=""
	[httpd]="util"
	[model]="util"
	[source]="util"
	[manifest]="util model source"
	[docker]="util model"
	[store]="util model"
	[engine]="util model source manifest docker store"
	[deploy]="util model source manifest docker store engine"
	[daemon]="util httpd model source manifest docker store engine deploy"
	[cli]="util httpd model source manifest docker store engine deploy daemon"
)
# external symbol prefix: the layers that may call it
declare -A wraps=(
	[yaml_]="manifest"
	[curl_]="docker"
	[json_]="model docker"
	[git_]="source"
	[archive_]="source"
	[sqlite3_]="store"
	[EVP_]="util"
	[HMAC]="util"
	[RAND_]="util"
	[X509]="util"
	[PEM_]="util"
	[BIO_]="util"
	[ASN1_]="util"
	[OPENSSL_]="util"
	[GENERAL_NAME]="util"
	[ERR_]="util"
	[MHD_]="httpd"
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for l in "${layers[@]}"; do
	a="$dir/libdeployctl_$l.a"
	[ -f "$a" ] || { echo "check-layers: $a missing" >&2; exit 1; }
	nm -g --defined-only "$a" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/$l.def"
	nm -g --undefined-only "$a" 2>/dev/null | awk '{ print $NF }' | sort -u >"$tmp/$l.undef"
done
bad=0
for l in "${layers[@]}"; do
	for o in "${layers[@]}"; do
		[ "$o" = "$l" ] && continue
		case " ${may[$l]} " in *" $o "*) continue ;; esac
		comm -12 "$tmp/$l.undef" "$tmp/$o.def" | while read -r s; do
			echo "check-layers: $l uses $s from $o, which it may not use"
		done
	done
	for p in "${!wraps[@]}"; do
		case " ${wraps[$p]} " in *" $l "*) continue ;; esac
		{ grep "^$p" "$tmp/$l.undef" || true; } | while read -r s; do
			echo "check-layers: $l calls $s; only ${wraps[$p]} may"
		done
	done
done >"$tmp/report"
if [ -s "$tmp/report" ]; then
	cat "$tmp/report" >&2
	exit 1
fi
