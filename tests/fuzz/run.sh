#!/usr/bin/env bash
# run.sh [SECONDS [TARGET...]]: build the libFuzzer targets (clang,
# ASan+UBSan) in build-fuzz/ and run each (or the TARGETs named) for
# SECONDS (default 30) over its seed corpus:
# the committed seeds in tests/fuzz/corpus/<target>/ plus the repository's
# own fixtures (manifest cases, the example stack, recorded Engine JSON,
# canonical specs). A crash, leak or sanitizer report fails the run and
# leaves the input in build-fuzz/findings/<target>/; turn it into a
# regression seed under tests/fuzz/corpus/<target>/ with the fix.
# Prints one line per target: executions, corpus size, result.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
secs=${1:-30}
[ $# -gt 0 ] && shift
targets=(fuzz_manifest fuzz_merge fuzz_interpolate fuzz_envfile fuzz_dotenv fuzz_docker_decode
	fuzz_docker_stream fuzz_spec fuzz_webhook)
[ $# -gt 0 ] && targets=("$@")
out=$top/build-fuzz

command -v clang >/dev/null || { echo "fuzz: clang not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
CC=clang cmake -S . -B "$out" -DDEPLOYCTL_FUZZ=ON -DDEPLOYCTL_SANITIZE=address,undefined \
	-DDEPLOYCTL_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out" -j"$(nproc)" --target "${targets[@]}" >/dev/null

# seeds TARGET: a fresh working corpus from the committed seeds and fixtures.
seeds() {
	local t=$1 d=$out/corpus/$1 i=0 f
	rm -rf "$d"
	mkdir -p "$d" "$out/findings/$t"
	[ -d "tests/fuzz/corpus/$t" ] && cp tests/fuzz/corpus/$t/* "$d/" 2>/dev/null || true
	case $t in
	fuzz_manifest)
		for f in tests/manifests/*/*/manifests/*.y*ml manifests/*.yml; do
			cp "$f" "$d/m$((i++))"
		done ;;
	fuzz_merge)
		# each valid case's files, merged in order
		for f in tests/manifests/valid/*/manifests; do
			ls "$f"/*.y*ml >/dev/null 2>&1 || continue
			awk 'FNR == 1 && NR > 1 { print "---8<---" } { print }' "$f"/*.y*ml >"$d/v$((i++))"
		done ;;
	fuzz_envfile | fuzz_dotenv)
		for f in manifests/*.env tests/manifests/*/*/manifests/*.env; do
			[ -f "$f" ] && cp "$f" "$d/e$((i++))"
		done ;;
	fuzz_spec)
		for f in tests/manifests/valid/*/expected; do
			split -l 1 "$f" "$d/s$((i++))-"
		done ;;
	fuzz_docker_decode)
		# The first byte picks the decoder (see fuzz_docker_decode.c).
		pick() { { printf "\\$(printf '%03o' "$1")"; cat "$2"; } >"$d/$(basename "$2")"; }
		pick 0 tests/fixtures/docker/containers.json
		pick 0 tests/fixtures/docker/containers_ports.json
		pick 0 tests/fixtures/docker/containers_many.json
		pick 1 tests/fixtures/docker/networks.json
		pick 2 tests/fixtures/docker/volumes.json
		pick 3 tests/fixtures/docker/container_exited.json
		pick 3 tests/fixtures/docker/container_unhealthy.json
		pick 4 tests/fixtures/docker/images.json
		pick 5 tests/fixtures/docker/info.json
		pick 6 tests/fixtures/docker/image_pulled.json
		pick 7 tests/fixtures/docker/distribution.json ;;
	esac
}

# fuzz_one TARGET: run it; its result line goes to findings/TARGET/result.
fuzz_one() {
	local t=$1 log=$out/findings/$1/log res execs
	if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$out/tests/fuzz/$t" -max_total_time="$secs" -max_len=65536 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$out/findings/$t/" "$out/corpus/$t" >"$log" 2>&1; then
		res=ok
	else
		res=FAILED
	fi
	# (anchored: the recommended dictionary printed at the end may hold "#0")
	execs=$(grep -oE '^Done [0-9]+ runs|^#[0-9]+' "$log" | tail -n 1 | tr -dc '0-9')
	printf 'fuzz %-20s %s: %s executions, corpus %s files\n' "$t" "$res" "${execs:-?}" \
		"$(ls "$out/corpus/$t" | wc -l)" >"$out/findings/$t/result"
}

# One target per core at a time: each is single-threaded.
par=$(nproc)
running=()
for t in "${targets[@]}"; do
	seeds "$t"
	fuzz_one "$t" &
	running+=($!)
	if [ ${#running[@]} -ge "$par" ]; then
		wait "${running[0]}" || true
		running=("${running[@]:1}")
	fi
done
wait || true
fail=0
for t in "${targets[@]}"; do
	cat "$out/findings/$t/result"
	if ! grep -q ' ok: ' "$out/findings/$t/result"; then
		fail=1
		tail -n 40 "$out/findings/$t/log" >&2
	fi
done
exit $fail
