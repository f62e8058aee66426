#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a short time on its seed corpus
# (copied, so the repository's seeds stay as they are). A crash, leak or timeout fails the run.
#
# usage: scripts/fuzz.sh [SECONDS_PER_TARGET]    (default 60)
set -euo pipefail

readonly seconds="${1:-60}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
readonly build_dir="$PWD/build/fuzz"

bash scripts/setup.sh
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DWBEM_BUILD_FUZZERS=ON -DWBEM_BUILD_TESTS=OFF -DWBEM_BUILD_BENCH=OFF
cmake --build "$build_dir" -j2 --target fuzz_mof fuzz_wql fuzz_wire

# fuzz_run <target> <corpus folder> [extra libFuzzer options...]
fuzz_run() {
  local target="$1" seeds="$2"
  shift 2
  local corpus="$build_dir/corpus-$target"
  mkdir -p "$corpus"
  cp "$seeds"/* "$corpus"/
  echo "== $target: $seconds s on $(ls "$corpus" | wc -l) inputs"
  "$build_dir/tests/fuzz/$target" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "$@" "$corpus"
}

fuzz_run fuzz_mof tests/fuzz/corpus/mof -dict=tests/fuzz/mof.dict
fuzz_run fuzz_wql tests/fuzz/corpus/wql
fuzz_run fuzz_wire tests/fuzz/corpus/wire
echo "== fuzzers found nothing"
