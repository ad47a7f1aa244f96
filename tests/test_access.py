"""Access per small area on the real data, checked against independent computations:
geopandas (nearest), pysal `access` (2SFCA, E2SFCA, gravity) and Rutland's coverage by hand.

The origins (analysis_small_areas, tested in test_small_areas.py) and the places open in 2016
(place_years, IDENTITY's) are read from the database; everything computed from them here is
computed without PostGIS.
"""
import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from access import Access, weights
from shapely import points
from sqlalchemy import text

from analysis import prepare
from analysis.access import AccessParams, Scope, WhatIf, access_rows, summary
from tests.analysis_inputs import analysis_loaded  # noqa: F401 (the fixture)

YEAR = 2016
LIBRARIES = AccessParams(categories=("library",), year=YEAR)
RUTLAND = "E06000017"


@pytest.fixture(scope="module")
def ours(analysis_loaded) -> pd.DataFrame:
    with analysis_loaded.begin() as conn:
        rows = access_rows(prepare(conn), LIBRARIES)
    return pd.DataFrame([r._asdict() for r in rows]).set_index("code")


@pytest.fixture(scope="module")
def origins(analysis_loaded) -> gpd.GeoDataFrame:
    frame = pd.read_sql(text("SELECT code, population, ST_X(origin) AS x, ST_Y(origin) AS y "
                             "FROM analysis_small_areas ORDER BY code"), analysis_loaded)
    return gpd.GeoDataFrame(frame, geometry=points(frame.x, frame.y), crs=27700).set_index("code")


@pytest.fixture(scope="module")
def libraries(analysis_loaded) -> gpd.GeoDataFrame:
    frame = pd.read_sql(text(
        "SELECT p.id, ST_X(p.geom_27700) AS x, ST_Y(p.geom_27700) AS y FROM places p "
        "JOIN place_years y ON y.place_id = p.id AND y.year = :year AND y.status = 'open' "
        "WHERE p.category = 'library' ORDER BY p.id"), analysis_loaded, params={"year": YEAR})
    return gpd.GeoDataFrame(frame, geometry=points(frame.x, frame.y), crs=27700).set_index("id")


@pytest.fixture(scope="module")
def pairs(origins, libraries) -> pd.DataFrame:
    """Every origin–library pair within the 1,200 m catchment, distances by shapely."""
    joined = gpd.sjoin(origins[["geometry"]], libraries[["geometry"]], predicate="dwithin", distance=1200.0)
    cost = libraries.geometry.loc[joined.id].values.distance(joined.geometry.values)
    return pd.DataFrame({"origin": joined.index, "dest": joined.id.values, "cost": cost})


def test_nearest_matches_geopandas(ours, origins, libraries):
    nearest = gpd.sjoin_nearest(origins[["geometry"]], libraries[["geometry"]], distance_col="d")
    nearest = nearest[~nearest.index.duplicated()]  # ties: any of the equally near is right
    assert len(ours) == len(origins) > 32_000
    assert np.abs(ours.nearest_m - nearest.d.reindex(ours.index)).max() < 1.0
    exact = ours.nearest_m.round(6) == nearest.d.reindex(ours.index).round(6)
    assert exact.mean() > 0.999


def _pysal(origins, libraries, pairs) -> Access:
    supply = pd.DataFrame({"supply": 1.0}, index=libraries.index.rename("geoid"))
    demand = pd.DataFrame({"pop": origins.population.astype(float)}, index=origins.index.rename("geoid"))
    return Access(demand_df=demand, demand_index=True, demand_value="pop",
                  supply_df=supply, supply_index=True, supply_value="supply",
                  cost_df=pairs, cost_origin="origin", cost_dest="dest", cost_name="cost")


def _same(ours: pd.Series, theirs: pd.Series):
    theirs = theirs.reindex(ours.index).fillna(0.0)
    scale = np.maximum(np.abs(theirs), 1e-300)
    assert (np.abs(ours - theirs) / scale)[theirs != 0].max() < 1e-6
    assert (ours[theirs == 0] == 0).all()
    assert (theirs != 0).sum() > 15_000


def test_two_stage_fca_matches_pysal(ours, origins, libraries, pairs):
    model = _pysal(origins, libraries, pairs)
    _same(ours.fca2.astype(float), model.two_stage_fca(name="fca2", max_cost=1200)["fca2_supply"])


def test_enhanced_two_stage_fca_matches_pysal(ours, origins, libraries, pairs):
    steps = dict(LIBRARIES.step_weights)
    assert steps == {400.0: 1.0, 800.0: 0.68, 1200.0: 0.22}
    model = _pysal(origins, libraries, pairs)
    theirs = model.enhanced_two_stage_fca(name="e2sfca", weight_fn=weights.step_fn(steps))
    _same(ours.e2sfca.astype(float), theirs["e2sfca_supply"])


def test_gravity_matches_pysal(ours, origins, libraries, pairs):
    model = _pysal(origins, libraries, pairs)
    theirs = model.weighted_catchment(name="gravity", max_cost=1200,
                                      weight_fn=weights.gravity(scale=1200, alpha=-1, min_dist=100))
    _same(ours.gravity.astype(float), theirs["gravity_supply"])
    counted = model.weighted_catchment(name="cumulative", max_cost=1200)
    _same(ours.cumulative.astype(float), counted["cumulative_supply"])


def test_rutland_coverage_by_hand(analysis_loaded, libraries):
    """Rutland's roll-up recomputed in plain Python from its small areas and the open libraries."""
    with analysis_loaded.begin() as conn:
        figures = json.loads(summary(prepare(conn), LIBRARIES, Scope(code=RUTLAND)))
        small_areas = conn.execute(text(
            "SELECT code, population, ST_X(origin), ST_Y(origin) FROM analysis_small_areas "
            "WHERE utla = :rutland"), {"rutland": RUTLAND}).all()
    located = list(zip(libraries.x, libraries.y))
    nearest = {code: min(math.hypot(x - lx, y - ly) for lx, ly in located)
               for code, _, x, y in small_areas}
    residents = sum(p for _, p, _, _ in small_areas)
    within = sum(p for code, p, _, _ in small_areas if nearest[code] <= 1200)

    def of_residents(share):  # the nearest distance within which `share` of the residents live
        total = 0
        for code, population in sorted(((c, p) for c, p, _, _ in small_areas), key=lambda cp: nearest[cp[0]]):
            total += population
            if total >= share * residents:
                return nearest[code]

    whole = figures["all"]
    assert len(small_areas) == whole["small_areas"] == 26
    assert whole["residents"] == residents and whole["residents_within"] == within
    assert whole["share_within"] == pytest.approx(within / residents)
    assert whole["median_m"] == pytest.approx(of_residents(0.5), abs=0.05)
    assert whole["p90_m"] == pytest.approx(of_residents(0.9), abs=0.05)
    assert sum(d["residents"] for d in figures["by_imd_decile"]) == residents


def test_closing_then_reopening_a_place_changes_nothing(analysis_loaded):
    with analysis_loaded.begin() as conn:
        prepare(conn)
        place_id, lon, lat = conn.execute(text(
            "SELECT p.id, ST_X(p.geom), ST_Y(p.geom) FROM places p JOIN place_years y ON y.place_id = p.id "
            "AND y.year = :year AND y.status = 'open' WHERE p.category = 'library' AND p.name ILIKE 'Oakham%' "
            "ORDER BY p.id LIMIT 1"), {"year": YEAR}).one()
        scope = Scope(code=RUTLAND)
        before = access_rows(conn, LIBRARIES, scope)
        closed = access_rows(conn, LIBRARIES, scope, WhatIf(closed_ids=(place_id,)))
        reopened = access_rows(conn, LIBRARIES, scope, WhatIf(closed_ids=(place_id,), opened=((lon, lat),)))
    assert sum(r.count_within for r in closed) < sum(r.count_within for r in before)
    for b, r in zip(before, reopened):
        assert (b.code, b.count_within, b.cumulative) == (r.code, r.count_within, r.cumulative)
        assert r.nearest_m == pytest.approx(b.nearest_m, abs=1e-6)
        assert r.fca2 == pytest.approx(b.fca2, rel=1e-12) and r.e2sfca == pytest.approx(b.e2sfca, rel=1e-12)
    with analysis_loaded.begin() as conn:  # and nothing was written
        assert access_rows(prepare(conn), LIBRARIES, scope) == before
