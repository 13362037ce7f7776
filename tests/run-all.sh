#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds warning-free (-Werror) twice — a plain
# release build and an ASan+UBSan build — and runs every test (unit, fuzz corpus replay, docs,
# end-to-end against moto, the fake SSO service, botocore and real databases) in both, the
# valgrind memcheck pass (release build only), then the libFuzzer smoke run (tests/fuzz-smoke.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh

jobs=$(nproc 2>/dev/null || echo 2)
shared=$(cd .. && pwd)/shared
status=0
for variant in release asan; do
  dir=build-ci-$variant
  flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DMT_WERROR=ON -DMT_SHARED_DIR="$shared")
  [ $variant = asan ] && flags+=(-DMT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
  echo "== $variant: configure and build"
  cmake -S . -B "$dir" "${flags[@]}" >/dev/null
  cmake --build "$dir" -j "$jobs" 2>&1 | grep -Ev '^\[ *[0-9]+%\]|^gmake|^Consolidate' || true
  cmake --build "$dir" -j "$jobs" >/dev/null   # fails the script on a build error
  echo "== $variant: tests"
  if ! (cd "$dir" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --output-on-failure --timeout 900 -j "$jobs"); then
    status=1
  fi
  if [ $variant = release ]; then bash tests/deb-check.sh "$dir" || status=1; fi
done
# libFuzzer smoke run over every registered target (about 30 s each, two at a time; measured on
# the 2-core machine: ~1.5 min clang build + ~2 min fuzzing for 7 targets)
echo "== fuzz smoke"
if ! bash tests/fuzz-smoke.sh "${MT_FUZZ_SECONDS:-30}" 2; then
  status=1
fi
exit $status
