#!/usr/bin/env bash
# Installs the Debian 12 packages needed to build and test this project.
# Idempotent: does nothing (and prints nothing) when everything is installed.
set -euo pipefail

packages=(
  g++
  python3
  bazel-bootstrap
  bazel-bootstrap-source
  libgtest-dev
  librapidcheck-dev
  libfmt-dev
  libbenchmark-dev
  clang-14            # bazel --config=clang, and fuzz/run.sh
  libclang-rt-14-dev  # libFuzzer and the sanitizer runtimes for clang-14 (fuzz/run.sh)
  clang-format-14     # scripts/check_format.sh, run by .ci/run
  cmake               # the CMake build beside Bazel
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "setup.sh: installing missing packages: ${missing[*]}" >&2

sudo=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "setup.sh: not root and sudo not available; please install: ${missing[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
