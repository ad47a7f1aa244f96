"""Benchmark: the small-area layer's vector tiles (collection `small_areas`) over England.

The busiest tiles of England's LSOA origins at z6, z7 and z8 (12,000–14,000 small areas in the
z6/z7 ones), each with its access measures and gap index computed per request. For each tile:
the bare-SQL floor (the tile query through psycopg, no HTTP), the API answering it the first time
(computed: each round asks another `radius`, so nothing is kept), the API answering it again (kept
per ETag), with every property and with `properties=code,gap_score` (what a map shades). Needs a
database holding all of ../shared/data:

    KINDMAP_PG_DATABASE=kindmap_full .venv/bin/kindmap load manifest data/manifests/shared-data.toml
    KINDMAP_PG_DATABASE=kindmap_full .venv/bin/python -m bench.layer [--rounds 3] [--workers 2]

Prints a Markdown table (medians in ms, tile sizes). Timings are for reading, never for tests.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys

import httpx

from analysis import access
from app import crs as crs_
from app import tiles
from app.collections import COLLECTIONS
from store.db import database_url, engine
from app.routers.access import gap_parameters
from app.selection import Selection
from bench.compare import free_port, ms, start

# The tiles holding the most LSOA origins at each zoom (counted in analysis_small_areas).
TILES = [(6, 31, 21), (7, 63, 42), (8, 127, 85)]
SLIM = "code,gap_score"


def floor(z: int, x: int, y: int, radius: float) -> None:
    params = access.AccessParams(("library",), 2016, radius)
    covering = crs_.covering_polygon(*tiles.TMS.xy_bounds(x, y, z), 3857, margin=2 * tiles.BUFFER / tiles.EXTENT)
    with engine().connect() as conn:
        conn.exec_driver_sql("SET jit = off")  # as the API's engine
        bound = access.layer_parameters(params, access.Scope(geojson=covering), gap_parameters(params))
        tiles.tile(conn, COLLECTIONS["small_areas"], z, x, y, Selection(bound=bound))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    port = free_port()
    server = start([sys.executable, "-m", "cli", "serve", "--port", str(port), "--workers", str(args.workers)],
                   {**os.environ, "KINDMAP_LOG_LEVEL": "WARNING", "KINDMAP_DATABASE_URL": database_url()},
                   port, "/health")
    rows = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for z, x, y in TILES:
                path = f"/collections/small_areas/tiles/WebMercatorQuad/{z}/{x}/{y}?categories=library&year=2016"
                floors, cold, warm, cold_slim, sizes = [], [], [], [], {}
                for k in range(args.rounds):
                    radius = 1200 + 10 * k  # a new radius: computed, not kept
                    floors.append(ms(lambda: floor(z, x, y, radius)))
                    for properties, times in ((None, cold), (SLIM, cold_slim)):
                        url = f"{path}&radius={radius + (5 if properties else 0)}" + \
                              (f"&properties={properties}" if properties else "")
                        times.append(ms(lambda: client.get(url).raise_for_status()))
                        sizes[properties] = len(client.get(url).content)
                        warm.append(ms(lambda: client.get(url).raise_for_status()))
                f, c, cs, w = (statistics.median(s) for s in (floors, cold, cold_slim, warm))
                rows.append(f"| z{z} {x}/{y} | {f:.0f} | {c:.0f} ({sizes[None] / 1e6:.2f} MB) | "
                            f"{cs:.0f} ({sizes[SLIM] / 1e3:.0f} kB) | {w:.1f} | {c / f:.2f}× |")
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"medians of {args.rounds}, ms; {args.workers} uvicorn workers")
    print("| tile | bare SQL | API, computed (size) | API, computed, properties=code,gap_score (size) "
          "| API, kept | computed/floor |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
