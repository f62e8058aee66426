#!/usr/bin/env bash
# Builds wbem with a CMake preset and runs every test through CTest. For every preset but the
# plain sanitizer ones it then installs the build into a temporary prefix and builds and runs each
# example under examples/ against that install, as an outside project would (CMake package and
# pkg-config), with the build's own compiler flags (the ci preset's build is ASan+UBSan).
#
# usage: scripts/test.sh [--preset NAME]    (default preset: ci; see CMakePresets.json)
set -euo pipefail

readonly JOBS=2  # the CI machine has 2 cores
readonly SANITIZER_PRESETS=(asan-ubsan tsan)  # ci sanitizes too, and is install-checked

usage() {
  echo "usage: $0 [--preset NAME]" >&2
  exit 2
}

preset=ci
while (($# > 0)); do
  case "$1" in
    --preset)
      (($# >= 2)) || usage
      preset="$2"
      shift 2
      ;;
    -h | --help) usage ;;
    *) usage ;;
  esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
readonly source_dir="$PWD"
readonly build_dir="$source_dir/build/$preset"

is_sanitizer_preset() {
  local name
  for name in "${SANITIZER_PRESETS[@]}"; do
    [[ "$preset" == "$name" ]] && return 0
  done
  return 1
}

run_tests() {
  local ctest=(ctest --preset "$preset" --output-on-failure -j"$JOBS")
  if [[ "$preset" == tsan ]]; then
    # TSan's runtime aborts with "unexpected memory mapping" when the kernel randomises mmap
    # with more than 28 bits (vm.mmap_rnd_bits, high on recent kernels). Without address-space
    # randomisation it works whatever that setting; the personality is inherited by the tests.
    ctest=(setarch "$(uname -m)" --addr-no-randomize "${ctest[@]}")
  fi
  "${ctest[@]}"
}

# Installs the build into a temporary prefix and uses it from outside the source tree.
check_installed_package() {
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  local prefix="$scratch/prefix"
  # An instrumented install needs its users built with the same sanitizer options.
  local cxx_flags linker_flags
  cxx_flags="$(sed -n 's/^CMAKE_CXX_FLAGS:STRING=//p' "$build_dir/CMakeCache.txt")"
  linker_flags="$(sed -n 's/^CMAKE_EXE_LINKER_FLAGS:STRING=//p' "$build_dir/CMakeCache.txt")"

  echo "== install into $prefix"
  cmake --install "$build_dir" --prefix "$prefix" >/dev/null

  local example_dir name example_build
  for example_dir in "$source_dir"/examples/*/; do
    [[ -f "$example_dir/CMakeLists.txt" ]] || continue
    name="$(basename "$example_dir")"
    example_build="$scratch/examples/$name"
    echo "== example $name: find_package(wbem) from the install"
    cmake -S "$example_dir" -B "$example_build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_CXX_FLAGS="$cxx_flags" -DCMAKE_EXE_LINKER_FLAGS="$linker_flags"
    cmake --build "$example_build" -j"$JOBS"
    # Each example builds one program named after its folder. One that needs the daemon has a
    # run-check.sh, which starts the installed wbemd and wbemctl (first on PATH) around it.
    if [[ -f "$example_dir/run-check.sh" ]]; then
      PATH="$prefix/sbin:$prefix/bin:$PATH" bash "$example_dir/run-check.sh" "$example_build/$name"
    else
      "$example_build/$name"
    fi
  done

  echo "== pkg-config wbem-cim from the install"
  local pc_file
  pc_file="$(find "$prefix" -name wbem-cim.pc -print -quit)"
  [[ -n "$pc_file" ]] || { echo "test: wbem-cim.pc was not installed" >&2; exit 1; }
  local flags
  flags="$(PKG_CONFIG_PATH="$(dirname "$pc_file")" pkg-config --cflags --libs wbem-cim)"
  echo "pkg-config --cflags --libs wbem-cim: $flags"
  # The flags alone must be enough to build a program.
  # shellcheck disable=SC2086  # the flags are lists of compiler options
  g++ -std=c++20 $cxx_flags "$source_dir/examples/hello-events/main.cpp" $flags $linker_flags \
    -o "$scratch/hello-events-pkg-config"
  "$scratch/hello-events-pkg-config" >/dev/null
  echo "== installed package works"
}

bash "$source_dir/scripts/setup.sh"

echo "== configure, build and test: preset $preset"
cmake --preset "$preset"
cmake --build --preset "$preset" -j"$JOBS"
run_tests

if is_sanitizer_preset; then
  echo "== preset $preset: install check skipped (sanitizer build)"
else
  check_installed_package
fi
