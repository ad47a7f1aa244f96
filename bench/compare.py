"""Benchmark: kindmap against tipg on the same database in the same run, with the bare-SQL floor.

Both servers run on loopback with the same number of uvicorn workers against one PostGIS
database holding the demo sample (`kindmap demo --no-serve`). Each case is requested `--rounds`
times from each server, alternating, after warm-up; the floor is kindmap's own query for the
case sent straight through psycopg (no HTTP). Then `wrk` loads the bbox page on each server:
kindmap with each of `--wrk-workers` (1 and 2), tipg with `--workers`.
tipg is installed apart (its pins differ from kindmap's):

    python3 -m venv .kindmap/tipg-venv && .kindmap/tipg-venv/bin/pip install tipg uvicorn
    .venv/bin/python -m bench.compare [--rounds 20] [--workers 2] [--wrk-seconds 10] [--wrk-workers 1,2] [--out FILE]

Prints a Markdown table (medians in ms, ratios), the wrk lines and the machine's load average
before and after (and writes them to ``--out``; `make bench` runs all this from a fresh clone).
Timings are for reading here, never for pass/fail tests.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import morecantile

from app import features, tiles
from app.collections import COLLECTIONS
from store.db import database_url, engine
from app.crs import CRS84
from app.dependencies import BBox, Filter
from app.features import ItemsQuery
from app.selection import Selection
from app.cql import parse

ROOT = Path(__file__).resolve().parent.parent
TIPG = ROOT / ".kindmap" / "tipg-venv" / "bin" / "uvicorn"
MANCHESTER = (-2.2426, 53.4808)
PLACE_PROPERTIES = "name,category,status,opened_year,closed_year,operator_type,source,source_ref,attributes"
AREA_PROPERTIES = "code,name,level,vintage,parent_codes"
BBOX = (-2.5, 53.3, -2.0, 53.6)
CQL = "category = 'library' AND status = 'closed'"


@dataclass
class Case:
    name: str
    kindmap: str
    tipg: str
    floor: object  # () -> None, the same query through psycopg


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], env: dict, port: int, probe: str) -> subprocess.Popen:
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    sys.exit(f"{command[0]} did not start: {process.stderr.read().decode()[-2000:]}")


def items_floor(collection_id: str, query: ItemsQuery):
    """The page's own statement (features.page_statement: its features, one more, and the ETag's
    data version), read as the API reads it."""
    collection = COLLECTIONS[collection_id]
    statement, bound = features.page_statement(collection, query, collection.data_tables)

    def run():
        with engine().connect() as conn:
            conn.execute(statement, bound).all()
    return run


def tile_floor(collection_id: str, z: int, x: int, y: int):
    def run():
        with engine().connect() as conn:
            tiles.tile(conn, COLLECTIONS[collection_id], z, x, y, Selection())
    return run


def cases() -> list[Case]:
    box = ",".join(map(str, BBOX))
    found = [
        Case("items limit=1000, places (points)", "/collections/places/items?limit=1000",
             f"/collections/public.places/items?limit=1000&properties={PLACE_PROPERTIES}",
             items_floor("places", ItemsQuery(limit=1000))),
        Case("items, 361 districts (polygons)", "/collections/areas/items?level=ltla&limit=1000",
             f"/collections/public.areas/items?level=ltla&limit=1000&properties={AREA_PROPERTIES}",
             items_floor("areas", ItemsQuery(Selection(filters={"level": ["ltla"]}), limit=1000))),
        Case("bbox page of 100 places", f"/collections/places/items?bbox={box}&limit=100",
             f"/collections/public.places/items?bbox={box}&limit=100&properties={PLACE_PROPERTIES}",
             items_floor("places", ItemsQuery(Selection(bbox=BBox(*BBOX)), limit=100))),
        Case("CQL2 filter, 100 places", f"/collections/places/items?filter={CQL}&limit=100",
             f"/collections/public.places/items?filter={CQL}&filter-lang=cql2-text&limit=100"
             f"&properties={PLACE_PROPERTIES}",
             items_floor("places", ItemsQuery(Selection(filter=_filter(CQL)), limit=100))),
    ]
    for collection, z in [("places", 5), ("places", 8), ("places", 12), ("areas", 5), ("areas", 8), ("areas", 12)]:
        tile = morecantile.tms.get("WebMercatorQuad").tile(*MANCHESTER, z)
        found.append(Case(f"tile z{z} {collection}",
                          f"/collections/{collection}/tiles/WebMercatorQuad/{z}/{tile.x}/{tile.y}",
                          f"/collections/public.{collection}/tiles/WebMercatorQuad/{z}/{tile.x}/{tile.y}",
                          tile_floor(collection, z, tile.x, tile.y)))
    return found


def _filter(cql: str) -> Filter:
    return Filter(parse(cql, "cql2-text"), CRS84)


def ms(fn) -> float:
    """Milliseconds one call of ``fn`` takes."""
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a server has used so far: the process and its workers (Linux /proc)."""
    def own(p: int) -> tuple[int, float]:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    try:
        total = own(pid)[1]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parent, seconds = own(int(entry.name))
                except (OSError, ValueError, IndexError):
                    continue  # gone meanwhile
                total += seconds if parent == pid else 0
        return total
    except OSError:
        return None


def wrk(url: str, seconds: int, server: subprocess.Popen) -> str:
    """wrk's throughput, p99 and errors, and the server's CPU per request (what sets throughput and
    the tail when the server, PostgreSQL and wrk share the cores)."""
    if shutil.which("wrk") is None:
        return "skipped: wrk is not installed"
    # 2 s first, unmeasured: every worker opens its pooled connections and prepares its statements.
    subprocess.run(["wrk", "-t2", "-c16", "-d2s", url], capture_output=True)
    before = cpu_seconds(server.pid)
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True).stdout
    after = cpu_seconds(server.pid)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"\s99%\s+([\d.]+\w+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    done = re.search(r"(\d+) requests in", out)
    cpu = f", server CPU {1000 * (after - before) / int(done.group(1)):.2f} ms per request" \
        if done and int(done.group(1)) and before is not None and after is not None else ""
    return f"{rps.group(1) if rps else '?'} req/s, p99 {p99.group(1) if p99 else '?'}, " \
           f"errors: {errors.group(0) if errors else 'none'}{cpu}"


def serve_kindmap(url: str, port: int, workers: int) -> subprocess.Popen:
    quiet = {"KINDMAP_LOG_LEVEL": "WARNING"}  # no access log line per request, as tipg
    return start([sys.executable, "-m", "cli", "serve", "--port", str(port), "--workers", str(workers)],
                 {**os.environ, **quiet, "KINDMAP_DATABASE_URL": url}, port, "/health")


def wrk_kindmap(url: str, port: int, running: subprocess.Popen, args, workers: int, box: str) -> str:
    """wrk on kindmap with ``workers`` workers: the server of the table when it has as many, else
    one started for the run (on 2 cores one worker may do better: PostgreSQL needs the other)."""
    server = running
    if workers != args.workers:
        port = free_port()
        server = serve_kindmap(url, port, workers)
    try:
        return wrk(f"http://127.0.0.1:{port}/collections/places/items?bbox={box}&limit=100", args.wrk_seconds, server)
    finally:
        if server is not running:
            server.terminate()
            server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--wrk-workers", default="1,2",
                        help="kindmap's worker counts under wrk, comma-separated (tipg keeps --workers)")
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    load_before = os.getloadavg()
    if not TIPG.exists():
        sys.exit(f"tipg is not installed at {TIPG}: see this module's docstring")
    url = database_url()
    k_port, t_port = free_port(), free_port()
    kindmap = serve_kindmap(url, k_port, args.workers)
    tipg_env = {**os.environ, "DATABASE_URL": url.replace("postgresql+psycopg", "postgresql"),
                "TIPG_DB_SCHEMAS": '["public"]'}
    tipg = start([str(TIPG), "tipg.main:app", "--port", str(t_port), "--workers", str(args.workers),
                  "--log-level", "warning"], tipg_env, t_port, "/collections")
    try:
        rows = []
        with httpx.Client(base_url=f"http://127.0.0.1:{k_port}", timeout=60) as k, \
                httpx.Client(base_url=f"http://127.0.0.1:{t_port}", timeout=60) as t:
            for case in cases():
                for client, path in ((k, case.kindmap), (t, case.tipg)):
                    for _ in range(3):  # warm caches, pools and every worker
                        response = client.get(path)
                        assert response.status_code in (200, 204), (path, response.status_code, response.text[:300])
                case.floor()
                ks, ts, fs = [], [], []
                for _ in range(args.rounds):  # interleaved, so drift hits all three alike
                    ks.append(ms(lambda: k.get(case.kindmap)))
                    ts.append(ms(lambda: t.get(case.tipg)))
                    fs.append(ms(case.floor))
                km, tm, fm = (statistics.median(s) for s in (ks, ts, fs))
                rows.append(f"| {case.name} | {km:.1f} | {tm:.1f} | {tm / km:.1f}× | {fm:.1f} | {km / fm:.1f}× |")
        box = ",".join(map(str, BBOX))
        report = [f"{time.strftime('%Y-%m-%d %H:%M %Z')}: medians of {args.rounds}, ms; "
                  f"{args.workers} uvicorn workers each",
                  "| case | kindmap | tipg | tipg/kindmap | bare SQL | kindmap/floor |",
                  "|---|---|---|---|---|---|", *rows,
                  f"wrk -t2 -c16 -d{args.wrk_seconds}s, bbox page of 100 places:",
                  *[f"  kindmap, {workers} worker(s): {wrk_kindmap(url, k_port, kindmap, args, workers, box)}"
                    for workers in map(int, args.wrk_workers.split(","))],
                  f"  tipg, {args.workers} worker(s): {wrk(f'http://127.0.0.1:{t_port}/collections/public.places/items?bbox={box}&limit=100&properties={PLACE_PROPERTIES}', args.wrk_seconds, tipg)}",
                  "load average (1, 5, 15 min) before: " + ", ".join(f"{v:.1f}" for v in load_before)
                  + "; after: " + ", ".join(f"{v:.1f}" for v in os.getloadavg())]
        print("\n".join(report))
        if args.out:
            args.out.write_text("\n".join(report) + "\n")
    finally:
        for process in (kindmap, tipg):
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
