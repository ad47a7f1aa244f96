"""Benchmark: `kindmap load osm` on GENERATED extracts of growing size against the bare
`osmium tags-filter` floor on the same files, in the same run; England estimated from the slope.

    .venv/bin/python -m bench.osm [--copies 10 30 60] [--dir /tmp/kindmap-bench-osm]

The files are GENERATED from the real Rutland extract (bench/osm_files.py ``scaled``: N translated
copies, ids spread over England's id ranges, named ``rutland-xN-GENERATED.osm.pbf``), written once
into ``--dir``. Each contender runs in its own process; its peak RSS is that process's (children
included; PostgreSQL's backends are not in it):

- floor: ``osmium tags-filter FILE <the tag table's keys> -o OUT`` (osmium-tool, C++), keeping
  the referenced nodes and ways as the loader must (the same work: which objects, and what their
  geometry needs);
- kindmap: ``kindmap load osm FILE --dry-run`` into the database of KINDMAP_PG_DATABASE (default
  ``kindmap_bench_osm``, made empty and migrated first): framing check, the three passes of
  loaders/osm_pbf.py, GDAL on the small result, staging, merge and place identity, rolled back;
- gdal: GDAL's OSM driver on the whole file (the reader before session 9: three layers read
  through OGR SQL), no database.

Prints JSON: per file its size, nodes, and per contender seconds, nodes per second, peak RSS (MB);
the ratio kindmap/floor throughput; a linear fit of seconds and RSS against bytes and the estimate
for a 1.5 GB extract (England), with the machine's load beside each run.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.osm_files import scaled

ROOT = Path(__file__).resolve().parent.parent
RUTLAND = ROOT.parent / "shared" / "data" / "osm" / "rutland-latest.osm.pbf"
ENGLAND_BYTES = 1.5e9  # the public England extract is ~1.5 GB (issue 17)
DATABASE = os.environ.get("KINDMAP_PG_DATABASE", "kindmap_bench_osm")


def floor_command(path: Path, out: Path) -> list[str]:
    from loaders.osm import filter_values
    return ["osmium", "tags-filter", str(path),
            *[f"nwr/{key}={','.join(sorted(values))}" for key, values in filter_values().items()],
            "-o", str(out), "--overwrite"]


def measured(command: list[str], env: dict | None = None) -> dict:
    """Run ``command`` in a child process: seconds and its peak RSS (this wrapper's children)."""
    wrapper = ("import resource, subprocess, sys, time; t = time.monotonic(); "
               "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE); "
               "print(time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode); "
               "sys.stderr.write(r.stderr.decode()[-2000:] if r.returncode else '')")
    load = os.getloadavg()[0]
    done = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    seconds, rss_kb, code = done.stdout.split()
    if code != "0":
        raise SystemExit(f"{command[:3]} failed: {done.stderr}")
    return {"seconds": round(float(seconds), 2), "rss_mb": round(int(rss_kb) / 1024), "load": round(load, 1)}


def gdal_read(path: Path) -> None:
    """The pre-session-9 reader: GDAL's OSM driver over the whole file, three layers."""
    import tempfile

    from loaders.osm import _pbf_batches, osm_config
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "osmconf.ini"
        config.write_text(osm_config())
        for _ in _pbf_batches(path, config):
            pass


def node_count(path: Path) -> int:
    out = subprocess.run(["osmium", "fileinfo", "-e", "-g", "data.count.nodes", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip())


def fresh_database() -> None:
    from store import localdb
    localdb.start()
    localdb.drop_database(DATABASE)
    localdb.ensure_database(database=DATABASE)
    subprocess.run([str(ROOT / ".venv" / "bin" / "kindmap"), "db", "upgrade"], check=True,
                   env={**os.environ, "KINDMAP_PG_DATABASE": DATABASE}, capture_output=True)


def fit(xs: list[float], ys: list[float], at: float) -> dict:
    slope, intercept = np.polyfit(xs, ys, 1)
    return {"per_gb": round(slope * 1e9, 2), "intercept": round(intercept, 2), "england": round(slope * at + intercept, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, nargs="+", default=[10, 30, 60])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/kindmap-bench-osm"))
    parser.add_argument("--skip-gdal", action="store_true", help="leave out GDAL on the whole file (slow)")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    fresh_database()
    kindmap = str(ROOT / ".venv" / "bin" / "kindmap")
    rows = []
    for copies in args.copies:
        path = args.dir / f"rutland-x{copies}-GENERATED.osm.pbf"
        if not path.exists():
            scaled(RUTLAND, path, copies)
        row = {"file": path.name, "bytes": path.stat().st_size, "nodes": node_count(path)}
        row["floor"] = measured(floor_command(path, args.dir / "floor-out.osm.pbf"))
        row["kindmap"] = measured([kindmap, "load", "osm", str(path), "--dry-run"],
                                  env={"KINDMAP_PG_DATABASE": DATABASE})
        if not args.skip_gdal:
            row["gdal"] = measured([sys.executable, "-c", f"from bench.osm import gdal_read; from pathlib import "
                                    f"Path; gdal_read(Path({str(path)!r}))"])
        for name in ("floor", "kindmap", "gdal"):
            if name in row:
                row[name]["nodes_per_s"] = round(row["nodes"] / row[name]["seconds"])
        row["kindmap_vs_floor"] = round(row["floor"]["seconds"] / row["kindmap"]["seconds"], 2)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    sizes = [r["bytes"] for r in rows]
    england = {name: {"seconds": fit(sizes, [r[name]["seconds"] for r in rows], ENGLAND_BYTES),
                      "rss_mb": fit(sizes, [r[name]["rss_mb"] for r in rows], ENGLAND_BYTES)}
               for name in ("floor", "kindmap", "gdal") if all(name in r for r in rows)}
    print(json.dumps({"files": rows, "england_1_5_gb_from_the_slope": england,
                      "rutland_bytes": RUTLAND.stat().st_size, "at": time.strftime("%Y-%m-%d %H:%M")}, indent=1))


if __name__ == "__main__":
    main()
