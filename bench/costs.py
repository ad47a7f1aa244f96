"""Benchmark: no one client stalls the API (issue 20). Under wrk, 32 connections asking for
England-wide ``GET /priorities?level=lsoa`` while 4 ask for ``/health`` and 4 for an items page:
the cheap ones' p99 and statuses, with the analyses' budget and reuse (app/costs.py) at their
defaults ("after"), and with them opened wide — 64 at once, nothing kept, as before ("before") —
in the same run; then the bytes of the largest tiles against a budget per tile.

Loopback only, bounded runs (``--seconds`` each). Needs the full load of ../shared/data:

    .venv/bin/kindmap load manifest data/manifests/shared-data.toml
    .venv/bin/python -m bench.costs [--seconds 20]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from store.db import api_database_url, database_url

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHEAP = {"health": ("/health", 4), "items": ("/collections/places/items?limit=100&category=library", 4)}
EXPENSIVE = ("/priorities?level=lsoa", 32)
CHEAP_P99_MS = 250
# What a map may be asked to fetch for one tile, as sent (gzip): tippecanoe's default limit, 500 kB.
TILE_BUDGET_BYTES = 500_000
TILES = {"places z0": "/collections/places/tiles/WebMercatorQuad/0/0/0",
         "places z5 (England)": "/collections/places/tiles/WebMercatorQuad/5/15/10",
         "small_areas z5 (England)": "/collections/small_areas/tiles/WebMercatorQuad/5/15/10",
         "small_areas z2": "/collections/small_areas/tiles/WebMercatorQuad/2/1/1",
         "areas z5 (England)": "/collections/areas/tiles/WebMercatorQuad/5/15/10"}
SETTINGS = {"after": {},
            "before": {"ANALYSIS_CONCURRENCY": "64", "ANALYSIS_QUEUE": "64", "ANALYSIS_PER_CLIENT": "64",
                       "ANALYSIS_CACHE_BYTES": "0"}}


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(settings: dict, log):
    port = free_port()
    env = {**os.environ, "KINDMAP_DATABASE_URL": database_url(), "KINDMAP_API_DATABASE_URL": api_database_url(),
           "KINDMAP_PORT": str(port), **{f"KINDMAP_{k}": v for k, v in settings.items()}}
    process = subprocess.Popen([sys.executable, "-m", "cli", "serve"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    sys.exit("the server did not start")


def wrk(url: str, path: str, connections: int, seconds: int) -> subprocess.Popen:
    return subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
                             "-s", str(HERE / "statuses.lua"), url + path], stdout=subprocess.PIPE, text=True)


def under_load(url: str, seconds: int) -> dict:
    runs = {"priorities": wrk(url, EXPENSIVE[0], EXPENSIVE[1], seconds)}
    time.sleep(1)  # the analyses first: the cheap requests arrive while they fill the worker
    runs |= {name: wrk(url, path, connections, seconds - 1) for name, (path, connections) in CHEAP.items()}
    results = {}
    for name, proc in runs.items():
        out, _ = proc.communicate(timeout=seconds + 120)
        results[name] = json.loads(out.strip().splitlines()[-1])
    cheap = [results[name] for name in CHEAP]
    results["holds"] = all(r["p99_ms"] < CHEAP_P99_MS and not any(s.startswith("5") for s in r["statuses"])
                           and not any(r["errors"].values()) for r in cheap)
    return results


def tile_sizes(url: str) -> dict:
    sizes = {}
    for name, path in TILES.items():
        started = time.perf_counter()
        response = httpx.get(url + path, timeout=120, headers={"Accept-Encoding": "gzip"})
        sent = int(response.headers.get("content-length", len(response.content)))
        sizes[name] = {"status": response.status_code, "bytes": len(response.content), "gzip_bytes": sent,
                       "ms": round((time.perf_counter() - started) * 1000), "within_budget": sent <= TILE_BUDGET_BYTES}
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    results = {"load_1_5_15min": [round(x, 2) for x in os.getloadavg()], "cheap_p99_ms_budget": CHEAP_P99_MS}
    with tempfile.TemporaryDirectory() as tmp:
        for name, settings in SETTINGS.items():
            with open(Path(tmp) / f"{name}.log", "w") as log:
                process, url = serve(settings, log)
                try:
                    results[name] = under_load(url, args.seconds)
                    if name == "after":
                        results["tiles"] = {"budget_bytes": TILE_BUDGET_BYTES, **tile_sizes(url)}
                finally:  # in-flight analyses would hold a graceful shutdown: a bounded wait, then kill
                    process.terminate()
                    try:
                        process.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
                    print(f"{name}: {json.dumps(results.get(name, {}))}", file=sys.stderr)
    results["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
