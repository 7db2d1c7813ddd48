#!/usr/bin/env bash
# The CMake build beside Bazel, end to end, in a temporary directory (run by .ci/run):
#
#   1. configure this tree (benchmarks included, so that bench/CMakeLists.txt keeps
#      building), build it with -j2, and run its tests with ctest;
#   2. install it to a prefix;
#   3. configure and build tests/cmake_consumer against that prefix (CMAKE_PREFIX_PATH),
#      run its tutorial program and its test.
#
#   scripts/cmake_check.sh [--junit FILE]    FILE: ctest's JUnit XML of step 1
#
# Stops at the first step that fails, with a non-zero exit. The build type is CMake's
# default (no optimisation flags), as Bazel's default fastbuild; no sanitizers.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

junit=
while (($# > 0)); do
  case $1 in
    --junit)
      junit=$(realpath -m "$2")
      mkdir -p "$(dirname "$junit")"
      shift 2
      ;;
    *)
      echo "usage: scripts/cmake_check.sh [--junit FILE]" >&2
      exit 2
      ;;
  esac
done

if ! command -v cmake >/dev/null 2>&1; then
  echo "cmake_check.sh: cmake not found; run scripts/setup.sh" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/cmake-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$SECONDS

step() {
  echo "cmake_check.sh: $* ($((SECONDS - start)) s)" >&2
}

step "configure"
cmake -S . -B "$work/build" -DSIMTIME_BUILD_BENCHMARKS=ON
step "build"
cmake --build "$work/build" -j2
step "test"
ctest --test-dir "$work/build" -j2 --output-on-failure --no-tests=error ${junit:+--output-junit "$junit"}
step "install"
cmake --install "$work/build" --prefix "$work/prefix"

step "consumer: configure against $work/prefix"
cmake -S tests/cmake_consumer -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix"
# The package found must be the one just installed, not one from elsewhere on the machine.
found=$(sed -n 's/^simtime_DIR:PATH=//p' "$work/consumer/CMakeCache.txt")
if [[ "$found" != "$work/prefix/"* ]]; then
  echo "cmake_check.sh: the consumer found simtime in '$found', not in $work/prefix" >&2
  exit 1
fi
step "consumer: build"
cmake --build "$work/consumer" -j2
step "consumer: run"
"$work/consumer/tutorial"
ctest --test-dir "$work/consumer" --output-on-failure --no-tests=error
step "passed"
