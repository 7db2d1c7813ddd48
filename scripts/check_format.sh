#!/usr/bin/env bash
# Fails (and lists the files) when a C++ file in the tree is not formatted as .clang-format
# says. `scripts/check_format.sh --fix` formats them in place instead.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

clang_format=${CLANG_FORMAT:-clang-format-14}
if ! command -v "$clang_format" >/dev/null 2>&1; then
  echo "check_format.sh: $clang_format not found; run scripts/setup.sh" >&2
  exit 1
fi

mapfile -t files < <(git ls-files '*.cc' '*.hpp' '*.h' '*.cpp')
if [[ "${1:-}" == "--fix" ]]; then
  "$clang_format" -i "${files[@]}"
  exit 0
fi
if ! "$clang_format" --dry-run --Werror "${files[@]}"; then
  echo "check_format.sh: the files above are not formatted; run scripts/check_format.sh --fix" >&2
  exit 1
fi
