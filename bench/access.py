"""Benchmark: England-scale access — kindmap's refresh and access query against pysal `access`,
geopandas and the bare-SQL floor, in the same run; then GET /gaps and GET /areas/{code}/summary
for one authority against their own SQL.

Needs a database with every source of ../shared/data loaded (and so refreshed):

    KINDMAP_PG_DATABASE=kindmap_full .venv/bin/kindmap load manifest data/manifests/shared-data.toml
    KINDMAP_PG_DATABASE=kindmap_full .venv/bin/python -m bench.access [--rounds 5] [--pysal-full]

Inputs: every origin of analysis_small_areas (≈33k English LSOAs) and every library open in 2016
(place_years). Each contender runs in its own process (so its peak memory is its own):

- kindmap: ``analysis.refresh`` (the small-area base) then ``access_rows`` for England (nearest,
  count within 1,200 m, cumulative, 2SFCA, E2SFCA, gravity), rows fetched into Python;
- floor: the core query alone in bare SQL (nearest by KNN, count within 1,200 m, 2SFCA) over the
  refreshed base, rows fetched;
- pysal: inputs read from the database, the cost table (pairs within 1,200 m from geopandas;
  with --pysal-full, pysal's own all-pairs ``create_euclidean_distance``, as pysal users do),
  then ``two_stage_fca``; nearest by geopandas ``sjoin_nearest``;
- geopandas: ``sjoin_nearest`` alone (nearest distance).

Prints JSON: best-of-rounds seconds, peak Python memory (MB) per contender and the ratios.
Timings are for reading here (docs/benchmarks.md), never for pass/fail tests.
"""
from __future__ import annotations

import argparse
import json
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
# The core query: what any hand-written PostGIS answer to "nearest, within 1,200 m and 2SFCA per
# LSOA" must do, without kindmap's scopes, what-ifs and further measures.
FLOOR_SQL = """
WITH open AS MATERIALIZED (
    SELECT p.id, p.geom_27700 AS geom FROM places p
    JOIN place_years y ON y.place_id = p.id AND y.year = :year AND y.status = 'open'
    WHERE p.category = 'library'),
pairs AS MATERIALIZED (
    SELECT a.code, a.population, o.id, ST_Distance(a.origin, o.geom) AS d
    FROM open o JOIN analysis_small_areas a ON ST_DWithin(a.origin, o.geom, :radius)),
ratio AS (SELECT id, 1.0::float8 / sum(population) AS r FROM pairs GROUP BY id),
scores AS (SELECT code, count(*) AS within, sum(r) AS fca2 FROM pairs JOIN ratio USING (id) GROUP BY code)
SELECT a.code, n.d AS nearest_m, coalesce(s.within, 0), coalesce(s.fca2, 0)
FROM analysis_small_areas a
LEFT JOIN scores s USING (code)
CROSS JOIN LATERAL (
    SELECT ST_Distance(p.geom_27700, a.origin) AS d FROM places p
    WHERE p.category = 'library'
      AND EXISTS (SELECT 1 FROM place_years y WHERE y.place_id = p.id AND y.year = :year AND y.status = 'open')
    ORDER BY p.geom_27700 <-> a.origin LIMIT 1) n
"""


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

    def run():
        with db.begin() as conn:
            started = time.perf_counter()
            analysis.refresh(conn)
            refreshed = time.perf_counter()
            rows = access_rows(conn, params)
            return {"rows": len(rows), "refresh_s": round(refreshed - started, 3),
                    "access_s": round(time.perf_counter() - refreshed, 3)}
    seconds, parts = best_of(run, rounds)
    return {"seconds": seconds, **parts}


def floor_path(db, rounds: int) -> dict:
    import analysis

    def run():
        with db.begin() as conn:
            analysis.prepare(conn)
            return len(conn.execute(text(FLOOR_SQL), {"year": YEAR, "radius": RADIUS_M}).all())
    seconds, rows = best_of(run, rounds)
    return {"seconds": seconds, "rows": rows}


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
    return {"seconds": seconds, "rows": rows}


def pysal_path(db, rounds: int, full: bool) -> dict:
    import geopandas as gpd
    import pandas as pd
    from access import Access

    def run():
        origins, libraries = _inputs(db)
        demand = origins[["population", "geometry"]].rename_axis("geoid")
        supply = libraries.assign(supply=1.0)[["supply", "geometry"]].rename_axis("geoid")
        if full:  # pysal's own cost table: every origin–library pair
            model = Access(demand_df=demand, demand_index=True, demand_value="population",
                           supply_df=supply, supply_index=True, supply_value="supply")
            model.create_euclidean_distance(name="cost", threshold=float("inf"))
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
    return {"seconds": seconds, "rows": rows}


def endpoint_paths(db, rounds: int) -> dict:
    """GET /gaps and GET /areas/{code}/summary for one authority vs their SQL sent straight to
    PostGIS (the same statements the wrappers run, without HTTP or FastAPI)."""
    from fastapi.testclient import TestClient

    import analysis
    from analysis.access import AccessParams, gap_features, scope_of, summary
    from app.main import create_app

    params = AccessParams(categories=("library",), year=YEAR, radius_m=RADIUS_M)
    results = {}
    with TestClient(create_app(db), base_url="http://localhost") as client:
        for name, wrapper, route in (("gaps", gap_features, ("/gaps", {"area": AUTHORITY})),
                                     ("summary", summary, (f"/areas/{AUTHORITY}/summary", {}))):
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


def contender(name: str, rounds: int, full: bool) -> None:
    from app.db import engine

    db = engine()
    run = {"kindmap": kindmap_path, "floor": floor_path, "geopandas": geopandas_path,
           "endpoints": endpoint_paths}.get(name)
    result = run(db, rounds) if run else pysal_path(db, rounds, full)
    result["peak_python_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pysal-full", action="store_true", help="pysal's all-pairs cost table")
    parser.add_argument("--contender", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.contender:
        contender(args.contender, args.rounds, args.pysal_full)
        return
    results = {}
    for name in ("floor", "kindmap", "geopandas", "pysal", "endpoints"):
        command = [sys.executable, "-m", "bench.access", "--contender", name, "--rounds", str(args.rounds)]
        if args.pysal_full:
            command.append("--pysal-full")
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        results[name] = json.loads(out.strip().splitlines()[-1])
    floor, ours = results["floor"]["seconds"], results["kindmap"]["seconds"]
    results["ratios"] = {
        "pysal_over_kindmap": round(results["pysal"]["seconds"] / ours, 1),
        "kindmap_over_floor": round(ours / floor, 2),
        "kindmap_access_over_floor": round(results["kindmap"]["access_s"] / floor, 2),
        "geopandas_nearest_over_kindmap": round(results["geopandas"]["seconds"] / ours, 2),
    }
    results["pysal_cost_table"] = "all pairs (create_euclidean_distance)" if args.pysal_full else "pairs within 1200 m"
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
