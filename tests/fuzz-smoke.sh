#!/usr/bin/env bash
# Fuzz smoke run (CI): builds every registered libFuzzer target with clang (-DMT_FUZZ=ON) and runs
# each for a bounded time from its committed corpus, two at a time. The list comes from cmake
# (build-fuzz/fuzz-targets.txt, written by mt_fuzz_target), so targets added on any branch run
# without editing this script. New inputs go to a scratch directory; the committed corpus is only
# read. A crash, leak or timeout fails the run and is copied to build-fuzz/findings/<target>/:
# commit it to tests/fuzz/corpus/<target>/ with the fix, where the replay test keeps it.
# Usage: bash tests/fuzz-smoke.sh [seconds-per-target] [parallel]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-${MT_FUZZ_SECONDS:-30}}
par=${2:-2}
dir=build-fuzz
cmake -S . -B "$dir" -DMT_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug >/dev/null
list=$dir/fuzz-targets.txt
[ -s "$list" ] || { echo "fuzz-smoke: no targets in $list" >&2; exit 1; }
mapfile -t names < <(cut -f1 "$list")
cmake --build "$dir" -j "$par" --target "${names[@]}" 2>&1 | grep -E 'error|warning' || true
cmake --build "$dir" -j "$par" --target "${names[@]}" >/dev/null
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$dir/findings"

run_one() {
  local name=$1 corpus=$2 bin work
  bin=$(find "$PWD/$dir" -type f -name "$name" -perm -u+x | head -1)
  [ -n "$bin" ] || { echo "fuzz-smoke: $name was not built" >&2; return 1; }
  work=$scratch/$name
  mkdir -p "$work/new" "$work/art"
  if (cd "$work" && ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="$work/art/" -print_final_stats=1 \
        "$work/new" "$corpus" >"$work/log" 2>&1); then
    echo "ok   $name ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" |
                          grep -o '[0-9]*$') runs in ${secs}s)"
  else
    mkdir -p "$dir/findings/$name"
    cp "$work"/art/* "$dir/findings/$name/" 2>/dev/null || true
    echo "FAIL $name: see $dir/findings/$name and the log below" >&2
    tail -40 "$work/log" >&2
    return 1
  fi
}
export -f run_one
export dir secs scratch
status=0
# two at a time (2 cores): xargs runs the pairs, any failure fails the run
if ! tr '\t' ' ' <"$list" | xargs -P "$par" -L 1 bash -c 'run_one "$0" "$1"'; then
  status=1
fi
exit $status
