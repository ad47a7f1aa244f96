"""Benchmark: /priorities?sensitivity=1 for England's upper-tier authorities (the issue's target:
under 10 s), beside the same ranking without it (the floor: the one scoring query the
sensitivity adds two loss queries and 15 re-rankings to).

Runs the analysis functions in-process against the configured database (KINDMAP_PG_PORT /
KINDMAP_DATABASE_URL, with the shared data loaded: `kindmap load manifest
data/manifests/shared-data.toml`), `--rounds` times each, alternating.

    .venv/bin/python -m bench.sensitivity [--rounds 5]

Prints JSON: the medians, every round, the load before and after. Never a pass/fail test.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from analysis import gap_index
from store.db import engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    query = gap_index.GapQuery(level="authority", limit=None)
    timings: dict[str, list[float]] = {"ranked": [], "ranked_with_sensitivity": []}
    load_before = os.getloadavg()
    with engine().connect() as conn:
        gap_index.ranked(conn, query)  # warm: the plan caches and shared buffers
        for _ in range(args.rounds):
            for name, run in (("ranked", lambda: gap_index.ranked(conn, query)),
                              ("ranked_with_sensitivity", lambda: gap_index.ranked_with_sensitivity(conn, query, 10))):
                started = time.perf_counter()
                result = run()
                timings[name].append(round(time.perf_counter() - started, 3))
        rows, summary = result
    medians = {k: statistics.median(v) for k, v in timings.items()}
    print(json.dumps({
        "rows": len(rows), "scenarios": len(summary["scenarios"]),
        "median_s": medians, "ratio_to_floor": round(medians["ranked_with_sensitivity"] / medians["ranked"], 2),
        "rounds_s": timings, "kendall_tau_min_mean": [summary["kendall_tau_min"], summary["kendall_tau_mean"]],
        "top_n_overlap_min_mean": [summary["top_n_overlap_min"], summary["top_n_overlap_mean"]],
        "load_1_5_15min": {"before": [round(x, 2) for x in load_before],
                           "after": [round(x, 2) for x in os.getloadavg()]}}, indent=1))


if __name__ == "__main__":
    main()
