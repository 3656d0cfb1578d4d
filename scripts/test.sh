#!/usr/bin/env bash
# test.sh: the README's test command. On a fresh Debian 12 as root it
# installs what is missing, starts dockerd if none answers, then:
#   1. builds with warnings as errors and runs every test (unit + integration);
#   2. builds with ASan+UBSan and runs every test again;
#   3. runs the CLI under valgrind on the no-daemon paths and a real apply;
#   4. runs each libFuzzer target for a bounded time (tests/fuzz/run.sh);
#   5. checks formatting.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
jobs=$(nproc)

bash scripts/deps.sh
bash scripts/ensure-dockerd.sh
bash tests/images/build.sh

echo "== build (warnings are errors)"
cmake -S . -B build -DDEPLOYCTL_WERROR=ON -DDEPLOYCTL_TEST_HOOKS=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
echo "== tests"
# Integration tests mostly wait on Docker, so one more than the cores; the
# timing-sensitive ones run alone ("# ctest: serial", tests/CMakeLists.txt).
ctest --test-dir build --output-on-failure -j"$((jobs + 1))"

echo "== build with ASan+UBSan"
cmake -S . -B build-asan -DDEPLOYCTL_WERROR=ON -DDEPLOYCTL_TEST_HOOKS=ON -DDEPLOYCTL_SANITIZE=address,undefined \
	-DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
echo "== tests under ASan+UBSan"
# The SIGKILL walks (t1500, t1501) stop at every mutating call above; here at
# every third and the last, which keeps the sanitizers on the same paths in a
# third of the time.
WALK_STRIDE=3 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build-asan --output-on-failure -j"$((jobs + 1))"

echo "== valgrind on the CLI paths"
bash tests/valgrind.sh "$top/build/deployctl"

echo "== fuzz every parser (${FUZZ_SECONDS:-30} s each)"
bash tests/fuzz/run.sh "${FUZZ_SECONDS:-30}"

echo "== format"
clang-format --dry-run --Werror controller/*/*.c controller/*/*.h include/deployctl/*.h tests/unit/*.c tests/unit/*.h \
	tests/*.c tests/testsrv/*.c tests/testsrv/*.h tests/fuzz/*.c tests/fuzz/*.h
echo "all tests passed"
