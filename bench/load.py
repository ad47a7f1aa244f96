"""Load: a realistic mix of requests against `kindmap serve`, loopback only, bounded in time.

Four wrk processes run side by side, one per kind of request, each with its own latency figures:
- items: bbox pages of places (limit 100) around real towns and cities;
- tiles: MVT tiles of places and areas at zoom 8–12 over the same windows;
- analysis: /gaps, /areas/{code}/summary, /closures, /spending, /priorities for real authorities;
- edits: planners of Trafford going through the write routes with an API key made for the run
  (`kindmap keys create --scope write:places --authority E08000009`), each connection on places
  of its own: GET → POST a place → PATCH with If-Match → GETs checking that the writes changed
  the ETags (200) and that the new one revalidates (304) → PATCH a publisher's place → DELETE
  (bench/edits.lua), with a pause between requests (a planner's pace, --edit-pause-ms).
Connections are shared 2 : 1 : 1 : 1 between them: step k runs 2k, k, k and k connections. A
sweep raises k step by step; the highest step with zero errors (edits' unexpected statuses
included: a 412 or 428 is one) and items p99 < 250 ms is the rate that holds, and a soak then
runs at that step while the server's memory (RSS of uvicorn and its workers) is sampled.

The edits write, so the run never touches the database named: it serves a copy made for the run
(CREATE DATABASE <db>_load TEMPLATE <db>, in the local cluster; nothing may be connected to
<db> meanwhile), migrated to head, and drops it at the end (--keep-copy keeps it to look at).
Run against a database with the analysis inputs loaded (the demo sample has no population, so
the analysis endpoints would answer 404 there), e.g. everything in ../shared/data:

    KINDMAP_PG_DATABASE=kindmap_full .venv/bin/kindmap load manifest data/manifests/shared-data.toml
    KINDMAP_PG_DATABASE=kindmap_full .venv/bin/python -m bench.load --workers 2 --soak 300

Prints one JSON document (steps, the chosen step, the soak with its RSS samples, what the edits
wrote). Needs `wrk`.
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
from sqlalchemy import Engine, text

from store import localdb, migrate
from store.db import make_engine
from store.logging import configure_logging
from store.settings import database_settings

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
EDITED = "E08000009"  # the authority the run's key may edit in (Trafford)
SHARE = {"items": 2, "tiles": 1, "analysis": 1, "edits": 1}
# Publisher places of the edited authority, one per edits connection (each edits its own).
PUBLISHED_PLACES = text("""
    SELECT DISTINCT p.id, ST_X(p.geom), ST_Y(p.geom) FROM places p
    JOIN areas a ON a.code = :code AND ST_Contains(a.geom, p.geom)
    WHERE p.merged_into IS NULL AND p.source NOT IN ('edits', 'proposals')
    ORDER BY p.id LIMIT :n""")


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


def wrk(kind: str, connections: int, seconds: int, url: str, files: dict[str, Path], edits: list[str]) -> list[str]:
    """The wrk command of one kind: GETs of its paths (mix.lua), or the edits' rounds (edits.lua,
    a thread per connection: each keeps its own state)."""
    script, threads, args = ((HERE / "edits.lua", connections, [str(files["edits"]), *edits]) if kind == "edits"
                             else (HERE / "mix.lua", 1, [str(files[kind])]))
    return ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(script),
            url, "--", *args]


def run_mix(url: str, files: dict[str, Path], edits: list[str], step: int, seconds: int) -> dict:
    """The four wrk processes at once (``step`` × SHARE connections); their JSON summaries by
    kind, plus req/s overall."""
    procs = {kind: subprocess.Popen(wrk(kind, step * share, seconds, url, files, edits), stdout=subprocess.PIPE,
                                    text=True)
             for kind, share in SHARE.items()}
    results = {}
    for kind, proc in procs.items():
        out, _ = proc.communicate(timeout=seconds + 60)
        results[kind] = json.loads(out.strip().splitlines()[-1])
        results[kind]["rps"] = round(results[kind]["requests"] / results[kind]["seconds"], 1)
        results[kind]["connections"] = step * SHARE[kind]
    return {"step": step, "connections": step * sum(SHARE.values()),
            "rps": round(sum(r["rps"] for r in results.values()), 1),
            "errors": sum(sum(r["errors"].values()) + r.get("unexpected", 0) for r in results.values()),
            "by_kind": results}


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


def api_connections(owner: Engine) -> int:
    with owner.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity "
                                 "WHERE usename = :role AND datname = current_database()"),
                            {"role": localdb.API_ROLE}).scalar()


def soak(url: str, files: dict[str, Path], edits: list[str], step: int, seconds: int, pid: int,
         owner: Engine) -> dict:
    """The mix for ``seconds`` at ``step``, sampling RSS and DB connections every 5 s."""
    samples, result = [], {}
    started = time.monotonic()
    mix = threading.Thread(target=lambda: result.update(run_mix(url, files, edits, step, seconds)))
    mix.start()
    while mix.is_alive():
        samples.append({"s": round(time.monotonic() - started), "rss_mb": rss_mb(pid),
                        "api_db_connections": api_connections(owner)})
        mix.join(5)
    rss = [s["rss_mb"] for s in samples]
    return {**result, "rss_mb": {"first": rss[0], "last": rss[-1], "max": max(rss),
                                 "first_minute_max": max(rss[:12]), "last_minute_max": max(rss[-12:])},
            "max_api_db_connections": max(s["api_db_connections"] for s in samples), "samples": samples}


def copy_for_the_run(source: str) -> tuple[str, Engine]:
    """A copy of ``source`` for the run to write in, migrated to head (the API role granted)."""
    copy = f"{source}_load"
    localdb.copy_database(source, copy)
    url = localdb.url(database=copy)
    migrate.upgrade(url, api_role=localdb.API_ROLE)
    return copy, make_engine(url)


def planner_key(copy: str) -> tuple[int, str]:
    """A real key for the run (its id and the key), made as a planner's would be: `kindmap keys create`."""
    made = subprocess.run([sys.executable, "-m", "cli", "keys", "create", "--name", "bench.load planner",
                           "--scope", "write:places", "--authority", EDITED], cwd=HERE.parent, check=True,
                          env={**os.environ, "KINDMAP_PG_DATABASE": copy}, capture_output=True, text=True)
    line = made.stdout.strip().splitlines()[-1]  # "key 3 (km_ab12) for …: <key>"
    return int(line.split()[1]), line.rsplit(" ", 1)[-1]


def edited_places(owner: Engine, file: Path, connections: int) -> None:
    with owner.connect() as conn:
        rows = conn.execute(PUBLISHED_PLACES, {"code": EDITED, "n": connections}).all()
    if len(rows) < connections:
        sys.exit(f"{EDITED} has {len(rows)} published places with a point; the edits need {connections}")
    file.write_text("".join(f"{id_} {lon} {lat}\n" for id_, lon, lat in rows))


def written(owner: Engine, key_id: int) -> dict[str, int]:
    """What the run's edits wrote: the audit rows of its key, by action."""
    with owner.connect() as conn:
        return dict(conn.execute(text("SELECT action, count(*) FROM place_audit WHERE key_id = :key "
                                      "GROUP BY action"), {"key": key_id}).all())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--port", type=int, default=int(os.environ.get("KINDMAP_PORT", 8000)))
    parser.add_argument("--steps", default="1,2,3,4,6,8", help="steps k (2k + k + k + k connections)")
    parser.add_argument("--step-seconds", type=int, default=20)
    parser.add_argument("--soak", type=int, default=300, help="seconds of the soak (0: none)")
    parser.add_argument("--edit-pause-ms", type=int, default=100, help="an edits connection's pause before "
                        "each request (a planner's pace; 0: as fast as the server answers)")
    parser.add_argument("--keep-copy", action="store_true", help="keep the database copy the run wrote in")
    args = parser.parse_args()
    configure_logging()  # on stderr: stdout is the report
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    if database_settings().database_url:
        sys.exit("bench.load copies the database in the local cluster (KINDMAP_PG_DATABASE); "
                 "unset KINDMAP_DATABASE_URL")
    steps_run = [int(s) for s in args.steps.split(",")]
    source = database_settings().pg_database
    copy, owner = copy_for_the_run(source)
    url = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--workers", str(args.workers),
                               "--port", str(args.port)], cwd=HERE.parent,
                              env={**os.environ, "KINDMAP_PG_DATABASE": copy},
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
        key_id, key = planner_key(copy)
        edits = [key, str(args.edit_pause_ms)]
        with tempfile.TemporaryDirectory() as tmp:
            files = {kind: Path(tmp) / f"{kind}.txt" for kind in SHARE}
            for kind in paths:
                files[kind].write_text("\n".join(paths[kind]) + "\n")
            edited_places(owner, files["edits"], max(steps_run) * SHARE["edits"])
            run_mix(url, files, edits, 1, 5)  # warm-up: caches, pools
            steps = []
            for step in steps_run:
                steps.append(run_mix(url, files, edits, step, args.step_seconds))
                print(json.dumps({k: steps[-1][k] for k in ("step", "connections", "rps", "errors")}
                                 | {"items_p99_ms": steps[-1]["by_kind"]["items"]["p99_ms"]}), file=sys.stderr)
            held = [s for s in steps if holds(s)]
            chosen = max(held, key=lambda s: s["rps"]) if held else None
            report = {"workers": args.workers, "database": f"{copy} (a copy of {source}, dropped after the run)",
                      "paths": {k: len(v) for k, v in paths.items()}, "edit_pause_ms": args.edit_pause_ms,
                      "steps": steps, "holds": chosen and chosen["step"]}
            if args.soak:  # at the step that holds, else the lightest (memory is measured either way)
                report["soak"] = soak(url, files, edits, chosen["step"] if chosen else steps[0]["step"],
                                      args.soak, server.pid, owner)
        report["edits_wrote"] = written(owner, key_id)
        print(json.dumps(report, indent=1))
    finally:
        server.terminate()
        server.wait(timeout=30)
        owner.dispose()
        if not args.keep_copy:
            localdb.drop_database(copy)


if __name__ == "__main__":
    main()
