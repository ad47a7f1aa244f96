"""Benchmark: England-scale access — kindmap's refresh and access query against pysal `access`,
geopandas and the bare-SQL floor, in the same run; then GET /gaps, GET /areas/{code}/summary and
GET /priorities (level=lsoa) for one authority against their own SQL.

Needs a database with every source of ../shared/data loaded (and so refreshed):

    KINDMAP_PG_DATABASE=kindmap_full .venv/bin/kindmap load manifest data/manifests/shared-data.toml
    KINDMAP_PG_DATABASE=kindmap_full .venv/bin/python -m bench.access [--rounds 3] [--pysal-full]

Inputs: every origin of analysis_small_areas (≈33k English LSOAs) and every library open in 2016
(place_years). Each contender runs in its own process (its peak memory is its own; PostgreSQL's
backends are not in it), and what each includes, end to end:

- floor: the core query alone in bare SQL over the refreshed base — nearest (Voronoi cells of the
  open libraries, as kindmap), count within 1,200 m, 2SFCA — rows fetched into Python in
  PostgreSQL's binary format, as kindmap fetches its own (since session 8; text before);
- kindmap: ``analysis.refresh`` then ``access_rows`` for England (nearest, count within 1,200 m,
  cumulative, 2SFCA, E2SFCA, gravity), rows fetched into Python; in four cases, each in a
  transaction rolled back afterwards: ``places_changed`` (the data versions of places and
  place_years bumped and their statistics recorded as taken, as a library load leaves them: the
  refresh checks both, analyses neither and skips the small-area base — the headline),
  ``places_edited`` (the same versions bumped, statistics not taken, as an edit through the API
  leaves them: the refresh analyses both), ``unchanged`` (every step up to date) and ``cold``
  (``force=True``: every step rebuilt, the small-area base included);
- pysal_pruned: inputs read from PostGIS, a cost table of the pairs within 1,200 m made by a
  geopandas spatial join, ``two_stage_fca``, nearest by geopandas ``sjoin_nearest``;
- pysal_full (``--pysal-full``): pysal's own workflow — inputs read from PostGIS, the cost table
  by ``create_euclidean_distance`` (every origin–library pair, kept within the 1,200 m
  threshold), ``two_stage_fca``, nearest by ``sjoin_nearest``. It holds ~100 M pairs at once: it
  runs under an address-space limit (``--pysal-memory-gb``) and only when that much memory is
  available, else it is reported as skipped;
- geopandas: inputs read from PostGIS, ``sjoin_nearest`` alone (nearest distance).

Prints JSON: best-of-rounds seconds, peak memory (MB) per contender, the ratios, and the load of
the machine around each contender. Timings are for reading here (docs/benchmarks.md), never for
pass/fail tests.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

from sqlalchemy import text

YEAR, RADIUS_M, AUTHORITY = 2016, 1200.0, "E08000009"
ORIGINS_SQL = "SELECT code, population, ST_X(origin) AS x, ST_Y(origin) AS y FROM analysis_small_areas"
LIBRARIES_SQL = ("SELECT p.id, ST_X(p.geom_27700) AS x, ST_Y(p.geom_27700) AS y FROM places p "
                 "JOIN place_years y ON y.place_id = p.id AND y.year = :year AND y.status = 'open' "
                 "WHERE p.category = 'library'")
# The core query: what a hand-written PostGIS answer to "nearest, within 1,200 m and 2SFCA per
# LSOA" must do, without kindmap's scopes, what-ifs and further measures. Nearest by the same
# set-based Voronoi join as kindmap (a KNN probe per LSOA costs ~1.4 s for England).
FLOOR_SQL = """
WITH open AS MATERIALIZED (
    SELECT p.id, p.geom_27700 AS geom FROM places p
    JOIN place_years y ON y.place_id = p.id AND y.year = :year AND y.status = 'open'
    WHERE p.category = 'library'),
cells AS MATERIALIZED (
    SELECT (ST_Dump(ST_VoronoiPolygons(ST_Collect(geom), 0.001,
        (SELECT ST_Expand(ST_SetSRID(ST_Extent(origin)::geometry, 27700), 1) FROM analysis_small_areas)))).geom AS cell
    FROM open),
sites AS MATERIALIZED (
    SELECT c.cell, p.id, p.geom_27700 AS geom FROM cells c
    JOIN places p ON ST_Intersects(c.cell, p.geom_27700) WHERE p.id IN (SELECT id FROM open)),
nearest AS (
    SELECT DISTINCT ON (a.code) a.code, ST_Distance(a.origin, s.geom) AS d
    FROM sites s JOIN analysis_small_areas a ON ST_Intersects(s.cell, a.origin)
    ORDER BY a.code, 2, s.id),
pairs AS MATERIALIZED (
    SELECT a.code, a.population, o.id, ST_Distance(a.origin, o.geom) AS d
    FROM open o JOIN analysis_small_areas a ON ST_DWithin(a.origin, o.geom, :radius)),
ratio AS (SELECT id, 1.0::float8 / sum(population) AS r FROM pairs GROUP BY id),
scores AS (SELECT code, count(*) AS within, sum(r) AS fca2 FROM pairs JOIN ratio USING (id) GROUP BY code)
SELECT n.code, n.d AS nearest_m, coalesce(s.within, 0) AS within, coalesce(s.fca2, 0) AS fca2
FROM nearest n LEFT JOIN scores s USING (code)
"""
# What a write to places and place_years leaves behind for the refresh: new versions of both.
PLACES_WRITTEN = (
    text("""INSERT INTO data_versions AS v (table_name, version) VALUES ('places', 1), ('place_years', 1)
            ON CONFLICT (table_name) DO UPDATE SET version = v.version + 1"""),
    text("UPDATE table_statistics SET changed = changed + 1 WHERE table_name IN ('places', 'place_years')"))
# A library load (places/refresh.py) also analyses both tables after its last write to them and
# records it (table_statistics, since session 8), as loaders/pipeline.py did for places already.
LIBRARIES_CHANGED = PLACES_WRITTEN + (
    text("UPDATE table_statistics SET analysed = changed WHERE table_name IN ('places', 'place_years')"),)
# A write that analyses nothing (an edit through the API): the refresh analyses both tables.
PLACES_EDITED = PLACES_WRITTEN


def best_of(fn, rounds: int) -> tuple[float, object]:
    """The fastest of ``rounds`` runs: its seconds and what it returned."""
    best = (float("inf"), None)
    for _ in range(rounds):
        started = time.perf_counter()
        result = fn()
        best = min(best, (time.perf_counter() - started, result), key=lambda b: b[0])
    return best


def kindmap_path(db, rounds: int) -> dict:
    import analysis
    from analysis.access import AccessParams, access_rows

    params = AccessParams(categories=("library",), year=YEAR, radius_m=RADIUS_M)

    def case(before, force: bool):
        def run():
            with db.connect() as conn:
                transaction = conn.begin()
                started = time.perf_counter()
                for statement in before:
                    conn.execute(statement)
                analysis.refresh(conn, force=force)
                refreshed = time.perf_counter()
                rows = access_rows(conn, params)
                done = time.perf_counter()
                transaction.rollback()  # leave the database as it was for the next round
                return {"rows": len(rows), "refresh_s": round(refreshed - started, 3),
                        "access_s": round(done - refreshed, 3)}
        seconds, parts = best_of(run, rounds)
        return {"seconds": round(seconds, 3), **parts}

    return {"places_changed": case(LIBRARIES_CHANGED, False), "places_edited": case(PLACES_EDITED, False),
            "unchanged": case((), False), "cold": case((), True)}


def floor_path(db, rounds: int) -> dict:
    import analysis
    from analysis.sql import binary_rows

    def run():  # rows fetched in binary, as kindmap's access_rows fetches them
        with db.begin() as conn:
            analysis.prepare(conn)
            return len(binary_rows(conn, text(FLOOR_SQL), {"year": YEAR, "radius": RADIUS_M}))
    seconds, rows = best_of(run, rounds)
    return {"seconds": round(seconds, 3), "rows": rows}


def _inputs(db):
    import geopandas as gpd
    import pandas as pd
    from shapely import points

    origins = pd.read_sql(text(ORIGINS_SQL), db)
    libraries = pd.read_sql(text(LIBRARIES_SQL), db, params={"year": YEAR})
    return (gpd.GeoDataFrame(origins, geometry=points(origins.x, origins.y), crs=27700).set_index("code"),
            gpd.GeoDataFrame(libraries, geometry=points(libraries.x, libraries.y), crs=27700).set_index("id"))


def geopandas_path(db, rounds: int) -> dict:
    import geopandas as gpd

    def run():
        origins, libraries = _inputs(db)
        return len(gpd.sjoin_nearest(origins[["geometry"]], libraries[["geometry"]], distance_col="d"))
    seconds, rows = best_of(run, rounds)
    return {"seconds": round(seconds, 3), "rows": rows}


def pysal_path(db, rounds: int, full: bool) -> dict:
    import geopandas as gpd
    import pandas as pd
    from access import Access

    def run():
        origins, libraries = _inputs(db)
        demand = origins[["population", "geometry"]].rename_axis("geoid")
        supply = libraries.assign(supply=1.0)[["supply", "geometry"]].rename_axis("geoid")
        if full:  # pysal's own cost table: every origin–library pair, kept within the threshold
            model = Access(demand_df=demand, demand_index=True, demand_value="population",
                           supply_df=supply, supply_index=True, supply_value="supply")
            model.create_euclidean_distance(name="cost", threshold=RADIUS_M)
        else:  # the pairs within the catchment only, from a geopandas spatial join
            joined = gpd.sjoin(origins[["geometry"]], libraries[["geometry"]], predicate="dwithin",
                               distance=RADIUS_M)
            cost = pd.DataFrame({"origin": joined.index, "dest": joined.id.values,
                                 "cost": libraries.geometry.loc[joined.id].values.distance(joined.geometry.values)})
            model = Access(demand_df=demand, demand_index=True, demand_value="population",
                           supply_df=supply, supply_index=True, supply_value="supply",
                           cost_df=cost, cost_origin="origin", cost_dest="dest", cost_name="cost")
        scores = model.two_stage_fca(name="fca2", max_cost=RADIUS_M)
        nearest = gpd.sjoin_nearest(origins[["geometry"]], libraries[["geometry"]], distance_col="d")
        return {"fca2": len(scores), "nearest": len(nearest)}
    seconds, rows = best_of(run, rounds)
    return {"seconds": round(seconds, 3), "rows": rows}


def endpoint_paths(db, rounds: int) -> dict:
    """GET /gaps, GET /areas/{code}/summary and GET /priorities?level=lsoa for one authority vs
    their SQL sent straight to PostGIS (the same statements the wrappers run, without HTTP or
    FastAPI)."""
    from fastapi.testclient import TestClient

    import analysis
    from analysis.access import AccessParams, gap_features, scope_of, summary
    from analysis.gap_index import GapQuery, ranked, score_parameters, utlas_of
    from app.main import create_app

    params = AccessParams(categories=("library",), year=YEAR, radius_m=RADIUS_M)

    def gaps(conn, params, scope):
        gap = score_parameters(GapQuery(categories=params.categories, year=YEAR, radius_m=RADIUS_M))
        return gap_features(conn, params, scope, gap)

    def priorities(conn, params, scope):  # the authority's small areas ranked (scope: its UTLAs)
        return ranked(conn, GapQuery(level="lsoa", categories=params.categories, year=YEAR,
                                     radius_m=RADIUS_M, utlas=utlas_of(conn, AUTHORITY)))

    results = {}
    with TestClient(create_app(db), base_url="http://localhost") as client:
        for name, wrapper, route in (("gaps", gaps, ("/gaps", {"area": AUTHORITY})),
                                     ("summary", summary, (f"/areas/{AUTHORITY}/summary", {})),
                                     ("priorities", priorities,
                                      ("/priorities", {"level": "lsoa", "authority": AUTHORITY}))):
            def bare():
                with db.begin() as conn:
                    analysis.prepare(conn)
                    return wrapper(conn, params, scope_of(conn, AUTHORITY))

            def api():
                response = client.get(route[0], params={**route[1], "year": YEAR})
                response.raise_for_status()
            bare(), api()  # warm
            floor, _ = best_of(bare, rounds * 4)
            service, _ = best_of(api, rounds * 4)
            results[name] = {"sql_ms": round(floor * 1000, 1), "api_ms": round(service * 1000, 1),
                             "ratio": round(service / floor, 2)}
    return results


def priorities_path(db, rounds: int) -> dict:
    """England-wide GET /priorities?level=lsoa (the top 100 of every small area, uncached: its
    SQL through analysis.gap_index.ranked) beside the England access computation it contains
    (access_rows), alternating, in one process (issue 20: it took ~23 s, access ~0.5 s)."""
    import analysis
    from analysis.access import AccessParams, access_rows
    from analysis.gap_index import GapQuery, ranked

    params = AccessParams(categories=("library",), year=YEAR, radius_m=RADIUS_M)
    query = GapQuery(level="lsoa", categories=("library",), year=YEAR, radius_m=RADIUS_M)
    with db.connect() as conn:
        analysis.prepare(conn)
        timings = {"access": [], "priorities": []}
        for _ in range(rounds):
            for name, work in (("access", lambda: access_rows(conn, params)), ("priorities", lambda: ranked(conn, query))):
                started = time.perf_counter()
                work()
                timings[name].append(time.perf_counter() - started)
            conn.rollback()
    access_s, priorities_s = (sorted(t)[len(t) // 2] for t in (timings["access"], timings["priorities"]))
    return {"access_median_s": round(access_s, 3), "priorities_median_s": round(priorities_s, 3),
            "ratio": round(priorities_s / access_s, 2), "rounds": rounds}


CONTENDERS = {"floor": floor_path, "priorities_england": priorities_path, "kindmap": kindmap_path, "geopandas": geopandas_path,
              "pysal_pruned": lambda db, rounds: pysal_path(db, rounds, full=False),
              "pysal_full": lambda db, rounds: pysal_path(db, rounds, full=True),
              "endpoints": endpoint_paths}


def contender(name: str, rounds: int) -> None:
    from store.db import engine

    result = CONTENDERS[name](engine(), rounds)
    result["peak_python_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))


def available_gb() -> float:
    """MemAvailable of the machine (Linux), in GiB."""
    with open("/proc/meminfo") as meminfo:
        fields = dict(line.split(":", 1) for line in meminfo)
    return int(fields["MemAvailable"].split()[0]) / 2**20


def up_to_date() -> dict:
    """Refresh the analysis once (committed), so that the cases measured start from a refreshed
    database whatever wrote to it last; returns what that refresh ran."""
    import analysis
    from store.db import engine

    with engine().begin() as conn:
        refreshed = analysis.refresh(conn)
    vacuumed()
    return refreshed


# The tables kindmap's cold case rewrites, in transactions rolled back: each round leaves a dead
# copy of every row (33k in analysis_small_areas) that every later contender's scans and index
# probes step over until autovacuum comes (the table doubled to 21 MB after one run).
REWRITTEN = ("analysis_small_areas", "analysis_gap_spending")


def vacuumed() -> None:
    """Every contender starts on tables without the cold case's dead rows (since session 8)."""
    from store.db import engine

    with engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"VACUUM {', '.join(REWRITTEN)}"))


def run_contender(name: str, rounds: int, limit_gb: float | None, timeout_s: float) -> dict:
    """``name`` in a child process (under an address-space limit when ``limit_gb``), with the
    machine's load average before and after; a failure or timeout is reported, not raised."""
    def bound():
        limit = int(limit_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    command = [sys.executable, "-m", "bench.access", "--contender", name, "--rounds", str(rounds)]
    load_before = os.getloadavg()[0]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s,
                              preexec_fn=bound if limit_gb else None)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout_s:.0f} s"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["exit %d" % done.returncode])[-1]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["load_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pysal-full", action="store_true",
                        help="also pysal's own all-pairs cost table (create_euclidean_distance), one round")
    parser.add_argument("--pysal-memory-gb", type=float, default=12.0,
                        help="address-space limit of the pysal_full process; it is skipped unless "
                             "this much memory is available")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per contender")
    parser.add_argument("--contender", choices=CONTENDERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.contender:
        contender(args.contender, args.rounds)
        return
    results = {"machine": {"cpus": os.cpu_count(), "memory_available_gb": round(available_gb(), 1),
                           "load_1_5_15min": [round(x, 2) for x in os.getloadavg()]},
               "refreshed_before": up_to_date()}
    for name in ("floor", "kindmap", "geopandas", "pysal_pruned", "endpoints", "priorities_england"):
        results[name] = run_contender(name, args.rounds, None, args.timeout)
        vacuumed()
    if args.pysal_full:
        free = available_gb()
        results["pysal_full"] = (
            run_contender("pysal_full", 1, args.pysal_memory_gb, args.timeout) if free >= args.pysal_memory_gb
            else {"skipped": f"{free:.1f} GiB available, --pysal-memory-gb {args.pysal_memory_gb:g} needed"})
    results["ratios"] = ratios(results)
    print(json.dumps(results, indent=2))


def ratios(results: dict) -> dict:
    """How the contenders compare, from the figures that ran (the headline: kindmap after a
    library load, i.e. its places_changed case)."""
    def seconds(name):
        return results.get(name, {}).get("seconds")

    kindmap, floor = results.get("kindmap", {}), seconds("floor")
    ours = kindmap.get("places_changed", {}).get("seconds")
    if not (ours and floor):
        return {}
    out = {"kindmap_over_floor": round(ours / floor, 2),
           "kindmap_access_over_floor": round(kindmap["places_changed"]["access_s"] / floor, 2),
           "kindmap_cold_over_floor": round(kindmap["cold"]["seconds"] / floor, 2)}
    for name in ("pysal_full", "pysal_pruned", "geopandas"):
        if seconds(name):
            out[f"{name}_over_kindmap"] = round(seconds(name) / ours, 1)
            out[f"{name}_over_kindmap_cold"] = round(seconds(name) / kindmap["cold"]["seconds"], 1)
    return out


if __name__ == "__main__":
    main()
