#!/usr/bin/env bash
# Builds simtime's loop fuzzer with clang-14 (libFuzzer + ASan + UBSan, -O1) outside Bazel
# and runs it. See docs/fuzzing.md.
#
#   fuzz/run.sh [MINUTES] [libFuzzer flags...]  fuzz for MINUTES (default 1) on fuzz/corpus/,
#                                                writing new inputs to the scratch corpus
#   fuzz/run.sh --build                          only build
#   fuzz/run.sh --merge                          add to fuzz/corpus the scratch inputs that
#                                                cover new edges (-merge=1)
#   fuzz/run.sh --repro FILE...                  run the fuzzer on the given inputs once
#
# Environment: SIMTIME_FUZZ_DIR (default ${TMPDIR:-/tmp}/simtime-fuzz) holds the objects,
# the binary, the scratch corpus (corpus/) and crash reproducers (artifacts/);
# SIMTIME_FUZZ_JOBS compile jobs (default: the number of cores).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${SIMTIME_FUZZ_DIR:-${TMPDIR:-/tmp}/simtime-fuzz}
jobs=${SIMTIME_FUZZ_JOBS:-$(nproc)}
binary=$out/loop_fuzzer
cxx=clang++-14

command -v "$cxx" >/dev/null || { echo "fuzz/run.sh: $cxx not found; run scripts/setup.sh" >&2; exit 1; }

# clang 14 compiles coroutines correctly with the sanitizers at -O1 and above, not at -O0.
# -fno-sanitize=function: clang 14 cannot emit UBSan's function-type check for a coroutine
# in a file instrumented for the fuzzer ("error: Cannot represent a difference across
# sections"). -fsized-deallocation: g++'s default, which src/frame_allocator.cc relies on.
common=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsized-deallocation
        -Wall -Wextra
        -I "$root/include" -I "$root")

build() {
  mkdir -p "$out/obj"
  local sources=() objects=() pids=() src obj flags stale
  # The library as Bazel's //:simtime globs it, and the fuzz target.
  while IFS= read -r src; do sources+=("$src"); done < <(
    cd "$root" && find src -name '*.cc' -not -path 'src/testing/*' | sort
    printf '%s\n' fuzz/program.cc fuzz/oracles.cc fuzz/interpreter.cc fuzz/loop_fuzzer.cc)
  for src in "${sources[@]}"; do
    obj=$out/obj/${src//\//_}.o
    objects+=("$obj")
    stale=0
    if [[ ! -f $obj || ! -f $obj.d ]]; then
      stale=1
    else
      # The object is stale if the source or any header it included is newer.
      for dep in $(sed -e 's/\\$//' -e 's/^[^:]*://' "$obj.d"); do
        if [[ ! -e $dep || $dep -nt $obj ]]; then stale=1; break; fi
      done
    fi
    ((stale)) || continue
    # Coverage instrumentation for the library and the target alike; main comes at link time.
    flags=(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=function -fno-sanitize-recover=undefined)
    echo "fuzz/run.sh: compiling $src" >&2
    "$cxx" "${common[@]}" "${flags[@]}" -MMD -MF "$obj.d" -c "$root/$src" -o "$obj" &
    pids+=($!)
    if ((${#pids[@]} >= jobs)); then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  local newest=0
  for obj in "${objects[@]}"; do [[ $obj -nt $binary ]] && newest=1; done
  if [[ ! -x $binary ]] || ((newest)); then
    echo "fuzz/run.sh: linking $binary" >&2
    "$cxx" -fsanitize=fuzzer,address,undefined -fno-sanitize=function "${objects[@]}" -lfmt -pthread -o "$binary"
  fi
}

build
mkdir -p "$out/corpus" "$out/artifacts"
cd "$root"

# -max_len: a program longer than this decodes to no more ops (kMaxOps) anyway.
fuzz_flags=(-max_len=512 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/artifacts/"
            -print_final_stats=1)

case "${1:-}" in
  --build)
    echo "$binary"
    ;;
  --merge)
    # Adds to fuzz/corpus the scratch inputs that reach code it does not. Edges only
    # (-use_counters=0), not hit counts, so that the committed corpus stays small.
    before=$(ls fuzz/corpus | wc -l)
    "$binary" "${fuzz_flags[@]}" -merge=1 -use_counters=0 fuzz/corpus "$out/corpus"
    echo "fuzz/run.sh: fuzz/corpus went from $before to $(ls fuzz/corpus | wc -l) files" >&2
    ;;
  --repro)
    shift
    "$binary" "${fuzz_flags[@]}" "$@"
    ;;
  *)
    minutes=${1:-1}
    shift || true
    [[ $minutes =~ ^[0-9]+$ ]] || { echo "fuzz/run.sh: MINUTES must be a whole number, got '$minutes'" >&2; exit 2; }
    # New inputs go to the first directory, the scratch corpus; fuzz/corpus stays as committed.
    exec "$binary" "${fuzz_flags[@]}" -max_total_time=$((minutes * 60)) "$@" "$out/corpus" fuzz/corpus
    ;;
esac
