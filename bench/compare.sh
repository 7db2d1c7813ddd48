#!/usr/bin/env bash
# simtime beside the peers (../shared/bench-peers) on the same five workloads, as one table.
#
#   bench/compare.sh            N=1,000,000, median of REPS=5 runs per cell (about 20
#                               minutes on 2 idle cores, mostly Trio and asyncio)
#   bench/compare.sh --quick    N=100,000, one run per cell (under a minute of runs)
#   N=200000 REPS=3 PEERS=lowerbound,tokio-paused WORKLOADS=W1,W3 bench/compare.sh
#
# Builds //bench:workloads with --config=opt, copies the binary aside (a concurrent build
# cannot swap it mid-run), runs the peers' run_all.sh with it as `--peer simtime=...`, and
# prints, from the harness's raw results, workload x system wall times with simtime's ratio
# to each peer. The last two lines are
#
#   W3 ratio to lower bound: R
#   worst ratio to lower bound: R (Wn)        # over W1, W2 and W4
#
# BEFORE=path/to/an/older/workloads binary puts it in the same run as the peer
# "simtime-before", so a change is measured side by side with what it changes (copy the
# binary aside first: bazel-bin is rebuilt).
#
# Environment: N, REPS, PEERS and WORKLOADS as run_all.sh reads them (the lower bound is
# always added); BENCH_PEERS_DIR, the peers' folder (default: ../shared/bench-peers beside
# this repository); BENCH_PEERS_OUT, where the peers are built and results kept (default
# /tmp/bench-peers); REAL_W0=1 also runs the peers' 10-second real-clock demo. run_all.sh
# installs missing Debian packages with apt-get. The harness's own tables and raw results
# stay in $BENCH_PEERS_OUT/results. Exits non-zero if a simtime run fails or fails its check.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
peers_dir=${BENCH_PEERS_DIR:-$repo/../shared/bench-peers}

if [[ ${1:-} == --quick ]]; then
  N=${N:-100000}
  REPS=${REPS:-1}
  shift
fi
if (($#)); then
  echo "usage: bench/compare.sh [--quick]   (settings come from the environment; see the script)" >&2
  exit 2
fi
export N=${N:-1000000}
export REPS=${REPS:-5}
export WORKLOADS=${WORKLOADS:-W0,W1,W2,W3,W4}
# Unset PEERS means run_all.sh's list, every peer; the ratios need the lower bound.
if [[ -n ${PEERS:-} && ,$PEERS, != *,lowerbound,* ]]; then
  export PEERS=lowerbound,$PEERS
fi
export BENCH_PEERS_OUT=${BENCH_PEERS_OUT:-/tmp/bench-peers}
# The harness splits the simtime command on whitespace, and the binary is copied there.
if [[ $BENCH_PEERS_OUT == *[[:space:]]* ]]; then
  echo "compare.sh: BENCH_PEERS_OUT must not contain whitespace: '$BENCH_PEERS_OUT'" >&2
  exit 1
fi

if [[ ! -x $peers_dir/run_all.sh || ! -f $peers_dir/harness.py ]]; then
  echo "compare.sh: no peers at $peers_dir (want run_all.sh and harness.py); set BENCH_PEERS_DIR" >&2
  exit 1
fi
peers_dir=$(cd "$peers_dir" && pwd)

echo "== building //bench:workloads (--config=opt)" >&2
(cd "$repo" && bazel build --config=opt //bench:workloads)
built=$(cd "$repo" && bazel info --config=opt bazel-bin)/bench/workloads

mkdir -p "$BENCH_PEERS_OUT"
BENCH_PEERS_OUT=$(cd "$BENCH_PEERS_OUT" && pwd)  # the harness runs the binary by this path
work=$(mktemp -d "$BENCH_PEERS_OUT/simtime.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$built" "$work/workloads"
commit=$(git -C "$repo" describe --always --dirty 2>/dev/null || echo '(not a git checkout)')
label="simtime $commit, $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
echo "$label" >&2

real_w0=(--no-real-w0)
[[ ${REAL_W0:-0} == 1 ]] && real_w0=()
before=()
if [[ -n ${BEFORE:-} ]]; then
  if [[ ! -x $BEFORE ]]; then
    echo "compare.sh: BEFORE=$BEFORE is not an executable workloads binary" >&2
    exit 1
  fi
  cp "$BEFORE" "$work/workloads-before"
  before=(--peer "simtime-before=$work/workloads-before {w} {n}")
fi
# The harness's progress and its closing "raw runs: PATH" go to stderr: shown and kept.
"$peers_dir/run_all.sh" "${real_w0[@]}" --peer "simtime=$work/workloads {w} {n}" "${before[@]}" \
  2>&1 >"$work/harness.out" | tee "$work/harness.err" >&2

raw=$(sed -n 's/^raw runs: //p' "$work/harness.err" | tail -n 1)
if [[ -z $raw || ! -f $raw ]]; then
  echo "compare.sh: the harness reported no raw results" >&2
  exit 1
fi
tables=$(dirname "$raw")/$(basename "$raw" .jsonl | sed 's/^raw-/table-/').md
echo "harness tables: $tables" >&2
echo >&2
python3 "$repo/bench/compare_table.py" --harness-dir "$peers_dir" --system simtime --label "$label" "$raw"
