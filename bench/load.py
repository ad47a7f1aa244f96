"""Load: a realistic mix of requests against `kindmap serve`, loopback only, bounded in time.

Three wrk processes run side by side, one per kind of request, each with its own latency figures:
- items: bbox pages of places (limit 100) around real towns and cities;
- tiles: MVT tiles of places and areas at zoom 8–12 over the same windows;
- analysis: /gaps, /areas/{code}/summary, /closures, /spending, /priorities for real authorities.
Connections are shared 2 : 1 : 1 between them: step k runs 2k, k and k connections. A sweep
raises k step by step; the highest step with zero errors and items p99 < 250 ms is the rate
that holds, and a soak then runs at that step while the server's memory (RSS of uvicorn and its
workers) is sampled.

Run against a database with the analysis inputs loaded (the demo sample has no population, so
the analysis endpoints would answer 404 there), e.g. everything in ../shared/data:

    KINDMAP_PG_DATABASE=kindmap_full .venv/bin/kindmap load manifest data/manifests/shared-data.toml
    KINDMAP_PG_DATABASE=kindmap_full .venv/bin/python -m bench.load --workers 2 --soak 300

Prints one JSON document (steps, the chosen step, the soak with its RSS samples). Needs `wrk`.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import morecantile
from sqlalchemy import text

from app.db import engine
from app.localdb import API_ROLE

HERE = Path(__file__).resolve().parent
ITEMS_P99_MS = 250
# Real places: (west, south, east, north) windows of about a town's size.
WINDOWS = {
    "Trafford": (-2.42, 53.40, -2.25, 53.48), "Rutland": (-0.80, 52.55, -0.45, 52.75),
    "central Manchester": (-2.27, 53.46, -2.20, 53.50), "Birmingham": (-1.95, 52.45, -1.85, 52.51),
    "Leeds": (-1.60, 53.77, -1.50, 53.82), "Westminster": (-0.18, 51.49, -0.11, 51.52),
    "Bristol": (-2.64, 51.43, -2.54, 51.48), "Norwich": (1.25, 52.61, 1.33, 52.65),
}
AUTHORITIES = {"E08000009": "Trafford", "E06000017": "Rutland"}
SHARE = {"items": 2, "tiles": 1, "analysis": 1}


def item_paths() -> list[str]:
    return [f"/collections/places/items?bbox={w},{s},{e},{n}&limit=100" for w, s, e, n in WINDOWS.values()]


def tile_paths() -> list[str]:
    tms = morecantile.tms.get("WebMercatorQuad")
    return [f"/collections/{collection}/tiles/WebMercatorQuad/{t.z}/{t.x}/{t.y}"
            for window in WINDOWS.values() for z in (8, 10, 12) for t in tms.tiles(*window, [z])
            for collection in ("places", "areas")]


def analysis_paths() -> list[str]:
    paths = []
    for code in AUTHORITIES:
        paths += [f"/gaps?area={code}&year=2016", f"/areas/{code}/summary?year=2016",
                  f"/closures?area={code}&from=2016&to=2023", f"/spending?area={code}",
                  f"/priorities?level=lsoa&authority={code}&year=2016"]
    return paths


MIX = {"items": item_paths, "tiles": tile_paths, "analysis": analysis_paths}


def check(url: str, paths: dict[str, list[str]]) -> None:
    """Every path answers 200 (204: an empty tile) before the run: a mix of 404s measures nothing."""
    failing = [(p, r.status_code) for ps in paths.values() for p in ps
               if (r := httpx.get(url + p, timeout=60)).status_code not in (200, 204)]
    if failing:
        sys.exit(f"these paths do not answer 200 (is the data loaded?): {failing[:5]}")


def run_mix(url: str, files: dict[str, Path], step: int, seconds: int) -> dict:
    """The three wrk processes at once (``step`` × SHARE connections); their JSON summaries by
    kind, plus req/s overall."""
    procs = {kind: subprocess.Popen(
        ["wrk", "-t1", f"-c{step * share}", f"-d{seconds}s", "--timeout", "5s", "-s", str(HERE / "mix.lua"),
         url, "--", str(files[kind])], stdout=subprocess.PIPE, text=True)
        for kind, share in SHARE.items()}
    results = {}
    for kind, proc in procs.items():
        out, _ = proc.communicate(timeout=seconds + 60)
        results[kind] = json.loads(out.strip().splitlines()[-1])
        results[kind]["rps"] = round(results[kind]["requests"] / results[kind]["seconds"], 1)
        results[kind]["connections"] = step * SHARE[kind]
    return {"step": step, "connections": step * sum(SHARE.values()),
            "rps": round(sum(r["rps"] for r in results.values()), 1),
            "errors": sum(sum(r["errors"].values()) for r in results.values()), "by_kind": results}


def holds(step: dict) -> bool:
    return step["errors"] == 0 and step["by_kind"]["items"]["p99_ms"] < ITEMS_P99_MS


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants (uvicorn's workers), in MB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except FileNotFoundError:
            continue
        total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
        todo += [int(c) for c in children]
    return round(total / 1024, 1)


def api_connections() -> int:
    with engine().connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE usename = :role"),
                            {"role": API_ROLE}).scalar()


def soak(url: str, files: dict[str, Path], step: int, seconds: int, pid: int) -> dict:
    """The mix for ``seconds`` at ``step``, sampling RSS and DB connections every 5 s."""
    samples, result = [], {}
    started = time.monotonic()
    mix = threading.Thread(target=lambda: result.update(run_mix(url, files, step, seconds)))
    mix.start()
    while mix.is_alive():
        samples.append({"s": round(time.monotonic() - started), "rss_mb": rss_mb(pid),
                        "api_db_connections": api_connections()})
        mix.join(5)
    rss = [s["rss_mb"] for s in samples]
    return {**result, "rss_mb": {"first": rss[0], "last": rss[-1], "max": max(rss),
                                 "first_minute_max": max(rss[:12]), "last_minute_max": max(rss[-12:])},
            "max_api_db_connections": max(s["api_db_connections"] for s in samples), "samples": samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--port", type=int, default=int(os.environ.get("KINDMAP_PORT", 8000)))
    parser.add_argument("--steps", default="1,2,3,4,6,8", help="steps k (2k + k + k connections)")
    parser.add_argument("--step-seconds", type=int, default=20)
    parser.add_argument("--soak", type=int, default=300, help="seconds of the soak (0: none)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    url = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--workers", str(args.workers),
                               "--port", str(args.port)], cwd=HERE.parent,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        paths = {kind: make() for kind, make in MIX.items()}
        check(url, paths)
        with tempfile.TemporaryDirectory() as tmp:
            files = {kind: Path(tmp) / f"{kind}.txt" for kind in paths}
            for kind, file in files.items():
                file.write_text("\n".join(paths[kind]) + "\n")
            run_mix(url, files, 1, 5)  # warm-up: caches, pools
            steps = []
            for step in (int(s) for s in args.steps.split(",")):
                steps.append(run_mix(url, files, step, args.step_seconds))
                print(json.dumps({k: steps[-1][k] for k in ("step", "connections", "rps", "errors")}
                                 | {"items_p99_ms": steps[-1]["by_kind"]["items"]["p99_ms"]}), file=sys.stderr)
            held = [s for s in steps if holds(s)]
            chosen = max(held, key=lambda s: s["rps"]) if held else None
            report = {"workers": args.workers, "paths": {k: len(v) for k, v in paths.items()},
                      "steps": steps, "holds": chosen and chosen["step"]}
            if args.soak:  # at the step that holds, else the lightest (memory is measured either way)
                report["soak"] = soak(url, files, chosen["step"] if chosen else steps[0]["step"],
                                      args.soak, server.pid)
        print(json.dumps(report, indent=1))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
