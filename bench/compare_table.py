#!/usr/bin/env python3
"""Prints simtime beside the peers from one harness run: bench/compare.sh calls this.

Reads the harness's machine-readable output (the raw-*.jsonl file, one JSON record per run)
and prints one table, workload x system: the median wall time of each cell and, for each
peer, simtime's wall time over the peer's. Checks every run as the harness does (its
expected_check is imported, not copied) and lists any mismatch. Ends with two lines:

    W3 ratio to lower bound: R
    worst ratio to lower bound: R (Wn)      # over W1, W2 and W4

Exits 1 if a simtime run failed, failed its check, or a ratio could not be computed.

Usage: compare_table.py --harness-dir DIR [--system simtime] [--label TEXT] RAW_JSONL
"""
import argparse
import json
import statistics
import sys

WORST_OVER = ("W1", "W2", "W4")


def load_runs(path):
    runs = {}  # (workload, peer) -> [record]
    with open(path) as f:
        for line in f:
            rec = json.loads(line)
            if rec["workload_key"].startswith("W0-real"):
                continue  # the real-clock demo says nothing about simtime
            runs.setdefault((rec["workload_key"], rec["peer_key"]), []).append(rec)
    return runs


def problems_of(runs, workload, peer, n, expected_check):
    """What is wrong with a cell: failed runs, check or virtual end time mismatches."""
    found = []
    reference = [r for r in runs.get((workload, "lowerbound"), []) if "error" not in r]
    for rec in runs[(workload, peer)]:
        if "error" in rec:
            found.append("run failed: " + rec["error"][:120])
            continue
        want = expected_check(workload, n)
        if want and rec.get(want[0]) != want[1]:
            found.append("%s=%s, want %s" % (want[0], rec.get(want[0]), want[1]))
        if workload == "W0" and rec["virtual_end_ms"] != 10000:
            found.append("virtual end %d ms, want 10000" % rec["virtual_end_ms"])
        bound_end = reference[0]["virtual_end_ms"] if reference else None
        if workload in ("W1", "W2") and bound_end is not None and rec["virtual_end_ms"] != bound_end:
            found.append("virtual end %d ms, lower bound %d ms" % (rec["virtual_end_ms"], bound_end))
    return sorted(set(found))


def median_wall(recs):
    walls = [r["wall_s"] for r in recs if "error" not in r]
    return statistics.median(walls) if walls else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--harness-dir", required=True, help="the peers' folder, holding harness.py")
    ap.add_argument("--system", default="simtime", help="the --peer name given to the harness")
    ap.add_argument("--label", default="", help="what was measured, e.g. the commit, printed first")
    ap.add_argument("raw", help="the harness's raw-*.jsonl")
    args = ap.parse_args()
    sys.path.insert(0, args.harness_dir)
    sys.dont_write_bytecode = True  # no __pycache__ in the peers' folder
    import harness  # its own check rules, wall time format and peer order

    expected_check, fmt_wall = harness.expected_check, harness.fmt_wall
    known_order = list(harness.PEERS) + list(harness.EXTRAS)

    runs = load_runs(args.raw)
    me = args.system
    if not runs:
        sys.exit("compare_table: no runs in %s" % args.raw)
    n = next(iter(runs.values()))[0]["n_key"]
    reps = max(len(v) for v in runs.values())
    workloads = sorted({w for w, _ in runs})
    # The harness's order: the lower bound, the main peers, then its variants.
    rank = {p: i for i, p in enumerate(known_order)}
    peers = sorted({p for _, p in runs if p != me}, key=lambda p: (rank.get(p, len(rank)), p))

    problems = {key: problems_of(runs, key[0], key[1], n, expected_check) for key in runs}
    walls = {key: median_wall(recs) for key, recs in runs.items()}

    def cell(w, p):
        if (w, p) not in runs:
            return "n/a"
        wall = walls[(w, p)]
        if wall is None:
            return "FAILED"
        text = fmt_wall(wall)
        mine = walls.get((w, me))
        if p != me and mine and wall > 0:
            text += " (%.3gx)" % (mine / wall)
        return text + (" CHECK" if problems[(w, p)] else "")

    systems = [me] + peers
    if args.label:
        print(args.label)
    print("n = %d, median of %d run(s) per cell; wall = in-program time of the workload." % (n, reps))
    print("A peer's cell: its wall time (simtime's wall time / the peer's).")
    print()
    print("| workload | " + " | ".join(systems) + " |")
    print("|---|" + "---|" * len(systems))
    for w in workloads:
        print("| %s | %s |" % (w, " | ".join(cell(w, p) for p in systems)))
    print()

    failed = False
    for (w, p), found in sorted(problems.items()):
        for problem in found:
            print("problem: %s %s: %s" % (w, p, problem))
            failed = failed or p == me

    def ratio(w):
        mine, bound = walls.get((w, me)), walls.get((w, "lowerbound"))
        if mine is None or not bound or problems.get((w, me)):
            return None
        return mine / bound

    w3 = ratio("W3")
    print("W3 ratio to lower bound: " + ("%.2f" % w3 if w3 is not None else "n/a"))
    worst = [(ratio(w), w) for w in WORST_OVER if w in workloads]
    missing = [w for r, w in worst if r is None]
    if worst and not missing:
        r, w = max(worst)
        print("worst ratio to lower bound: %.2f (%s)" % (r, w))
    else:
        print("worst ratio to lower bound: n/a (%s)" % (", ".join(missing) or "no W1, W2 or W4 run"))
        failed = True
    if w3 is None and "W3" in workloads:
        failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
