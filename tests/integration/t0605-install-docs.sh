#!/usr/bin/env bash
# ctest: serial (timing-sensitive: runs alone under ctest -j)
# What cmake --install and cpack -G DEB put on a machine: the binary, a man
# page for every command of the table plus deployctl(1) and
# deployctl-manifest(5), bash and zsh completion generated from the command
# table, the systemd units; the .deb also makes /var/lib/deployctl root-only.
# The .deb is installed with apt-get when run as root with
# DEPLOYCTL_TEST_DEB_INSTALL=1 (CI), and unpacked with dpkg-deb otherwise.
. "$(dirname "$0")/lib.sh"
: "${BUILDDIR:=$SRCDIR/build}"

prefix="$WORK/prefix"
cmake --install "$BUILDDIR" --prefix "$prefix" >"$WORK/install.log" 2>&1 ||
	{ cat "$WORK/install.log"; fail "cmake --install failed"; }
"$prefix/bin/deployctl" version | grep -q '^deployctl ' || fail "installed binary does not run"

# A man page for every command in the table, each rendering without warnings.
cmds=$("$prefix/bin/deployctl" help | sed -n 's/^  \([a-z]*\) .*/\1/p')
[ "$(echo "$cmds" | wc -w)" -ge 17 ] || fail "help lists too few commands: $cmds"
for c in $cmds; do
	page="$prefix/share/man/man1/deployctl-$c.1"
	[ -s "$page" ] || fail "no man page for '$c'"
	if command -v groff >/dev/null; then
		groff -man -Tutf8 -ww -z "$page" 2>"$WORK/groff" && [ ! -s "$WORK/groff" ] ||
			{ cat "$WORK/groff"; fail "man page of '$c' has warnings"; }
	fi
	grep -q -- "deployctl $c" "$prefix/share/man/man1/deployctl.1" ||
		fail "deployctl(1)'s SYNOPSIS lacks '$c'"
done
[ -s "$prefix/share/man/man5/deployctl-manifest.5" ] || fail "no deployctl-manifest(5)"
# Generated pages carry every option of the command's help.
grep -q 'keep\\-history' "$prefix/share/man/man1/deployctl-down.1" || fail "down(1) lacks --keep-history"

# bash completion: commands, then each command's own options.
comp="$prefix/share/bash-completion/completions/deployctl"
words() { bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _deployctl; echo "${COMPREPLY[*]}"' _ "$comp" "$@"; }
[ "$(words deployctl do)" = down ] || fail "bash completion: 'do' -> $(words deployctl do)"
[ "$(words deployctl down --v)" = --volumes ] || fail "bash completion of down's options"
[ "$(words deployctl --state /x logs --ti)" = --timestamps ] || fail "bash completion after a global option"
for c in $cmds; do
	words deployctl "$c" --h | grep -q -- --help || fail "bash completion lacks $c --help"
done
zcomp="$prefix/share/zsh/vendor-completions/_deployctl"
head -1 "$zcomp" | grep -qx '#compdef deployctl' || fail "zsh completion lacks #compdef"
grep -q "'diff:What changed" "$zcomp" || fail "zsh completion lacks the diff command"
if command -v zsh >/dev/null; then zsh -n "$zcomp" || fail "zsh completion does not parse"; fi
[ -s "$prefix/lib/systemd/system/deployctl-apply@.service" ] || fail "no systemd unit installed"

# The Debian package.
command -v dpkg-deb >/dev/null || { echo "ok $TEST_NAME (no dpkg-deb: package not built)"; exit 0; }
(cd "$WORK" && cpack -G DEB --config "$BUILDDIR/CPackConfig.cmake" >"$WORK/cpack.log" 2>&1) ||
	{ cat "$WORK/cpack.log"; fail "cpack -G DEB failed"; }
deb=$(ls "$WORK"/deployctl_*.deb)
[ -f "$deb" ] || fail "no deployctl_*.deb"
dpkg-deb -c "$deb" >"$WORK/contents"
for f in ./usr/bin/deployctl ./usr/share/man/man1/deployctl.1 ./usr/share/man/man1/deployctl-down.1 \
	./usr/share/man/man5/deployctl-manifest.5 ./usr/share/bash-completion/completions/deployctl \
	./usr/share/zsh/vendor-completions/_deployctl './usr/lib/systemd/system/deployctl-apply@.service'; do
	grep -qE " $f(\.gz)?\$" "$WORK/contents" || { cat "$WORK/contents"; fail "the package lacks $f"; }
done
dpkg-deb -I "$deb" postinst | grep -q 'install -d -m 0700 -o root -g root /var/lib/deployctl' ||
	fail "the package does not make /var/lib/deployctl root-only"
dpkg-deb -f "$deb" Depends | grep -q libgit2 || fail "the package does not depend on libgit2"
if [ "$(id -u)" = 0 ] && [ "${DEPLOYCTL_TEST_DEB_INSTALL:-}" = 1 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y "$deb" >"$WORK/apt.log" 2>&1 ||
		{ cat "$WORK/apt.log"; fail "apt-get install of the package failed"; }
	/usr/bin/deployctl version | grep -q '^deployctl ' || fail "the installed package does not run"
	[ "$(stat -c %a /var/lib/deployctl)" = 700 ] || fail "/var/lib/deployctl is not 0700"
	apt-get remove -y deployctl >/dev/null 2>&1
else
	dpkg-deb -x "$deb" "$WORK/unpacked"
	"$WORK/unpacked/usr/bin/deployctl" version | grep -q '^deployctl ' ||
		fail "the packaged binary does not run"
fi
echo "ok $TEST_NAME"
