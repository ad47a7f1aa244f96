"""Access per small area on the real data, checked against independent computations:
geopandas (nearest), pysal `access` (2SFCA, E2SFCA, gravity) and Rutland's coverage by hand.

The origins (analysis_small_areas, tested in test_small_areas.py) and the places open in 2016
(place_years, IDENTITY's) are read from the database; everything computed from them here is
computed without PostGIS.
"""
import json
import math
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from access import Access, weights
from shapely import points
from sqlalchemy import text

from analysis import prepare
from analysis.access import AccessParams, Scope, WhatIf, access_rows, summary
from analysis.sql import source
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


# -- weighted categories and opening-hours supply (issue 17, parts 4 and 5) ---------------------

MIXED = AccessParams(categories=("library", "community_centre", "village_hall"), year=YEAR,
                     category_weights=(1.0, 1.0, 0.5), supply="hours")


def _hand_supply(conn, params: AccessParams) -> pd.DataFrame:
    """Each place open in the year with its supply, computed here from the stored records: its
    weekly hours are those of the record of its group (itself or merged into it) dated nearest the
    year (then the earlier), divided by the median of its category's open places stating hours;
    1 where none; times its category's weight."""
    weights = dict(zip(params.categories, params.weights))
    places = pd.read_sql(text(
        "SELECT p.id, p.category, ST_X(p.geom_27700) AS x, ST_Y(p.geom_27700) AS y FROM places p "
        "JOIN place_years y ON y.place_id = p.id AND y.year = :year AND y.status = 'open' "
        "WHERE p.category = ANY(:categories)"), conn, params={"year": params.year, "categories": list(params.categories)})
    records = pd.read_sql(text(
        "SELECT coalesce(merged_into, id) AS id, attributes ->> 'weekly_hours' AS hours, "
        "attributes ->> 'hours_year' AS hours_year FROM places WHERE attributes ? 'weekly_hours'"), conn)
    records = records.astype({"hours": float, "hours_year": int})
    records = records[records.hours > 0]
    hours = {}
    for place, group in records.groupby("id"):
        best = min(zip(group.hours_year, group.hours), key=lambda yh: (abs(yh[0] - params.year), yh[0]))
        hours[place] = best[1]
    places["hours"] = places.id.map(hours)
    median = places.groupby("category").hours.median()
    if params.supply == "places":
        places["hours"] = float("nan")
    factor = (places.hours / places.category.map(median)).fillna(1.0)
    places["supply"] = places.category.map(weights) * factor
    return places.set_index("id")


@pytest.mark.parametrize("area", [RUTLAND, "E08000009"])
def test_weighted_categories_and_hours_change_2sfca_as_by_hand(analysis_loaded, origins, area):
    """2SFCA, cumulative and gravity of each small area of Rutland (libraries, OSM community
    centres and village halls at half weight) and Trafford (libraries with their 2016 weekly
    hours), recomputed in plain Python from the places, their supply and every origin's population."""
    with analysis_loaded.begin() as conn:
        prepare(conn)
        supplied = _hand_supply(conn, MIXED)
        ours = {r.code: r for r in access_rows(conn, MIXED, Scope(code=area))}
        equal = {r.code: r for r in access_rows(conn, replace(MIXED, category_weights=None, supply="places"),
                                                Scope(code=area))}
    xy = np.c_[origins.x.to_numpy(), origins.y.to_numpy()]
    population = origins.population.to_numpy(dtype=float)
    demand = {}  # R_j's denominator: every origin within 1,200 m of place j

    def within(x, y):
        return np.hypot(xy[:, 0] - x, xy[:, 1] - y)

    for code, row in ours.items():
        here = origins.loc[code]
        d = np.hypot(supplied.x - here.x, supplied.y - here.y)
        near = supplied[d <= 1200.0]
        fca2 = 0.0
        for place, p in near.iterrows():
            if place not in demand:
                demand[place] = population[within(p.x, p.y) <= 1200.0].sum()
            fca2 += p.supply / demand[place]
        gravity = sum(p.supply * (max(dist, 100.0) / 1200.0) ** -1
                      for (_, p), dist in zip(near.iterrows(), d[d <= 1200.0]))
        assert row.fca2 == pytest.approx(fca2, rel=1e-9, abs=1e-15)
        assert row.cumulative == pytest.approx(near.supply.sum(), rel=1e-9)
        assert row.gravity == pytest.approx(gravity, rel=1e-9)
        assert row.count_within == equal[code].count_within == len(near)
    changed = [c for c in ours if ours[c].fca2 != pytest.approx(equal[c].fca2, rel=1e-9)]
    assert len(changed) >= 5  # the weights and hours moved the figures
    assert supplied.supply.nunique() > 10 and (supplied.supply[supplied.category == "village_hall"] <= 0.5).all()


def test_hours_supply_matches_pysal(ours, origins, libraries, pairs, analysis_loaded):
    """England's 2SFCA with hours as the supply equals pysal's two_stage_fca given the same supply column."""
    hours = AccessParams(categories=("library",), year=YEAR, supply="hours")
    with analysis_loaded.begin() as conn:
        supplied = _hand_supply(prepare(conn), hours)
        theirs_rows = access_rows(conn, hours)
    mine = pd.DataFrame([r._asdict() for r in theirs_rows]).set_index("code")
    supply = pd.DataFrame({"supply": supplied.supply.reindex(libraries.index)}, index=libraries.index.rename("geoid"))
    assert supply.supply.notna().all() and supply.supply.nunique() > 50
    demand = pd.DataFrame({"pop": origins.population.astype(float)}, index=origins.index.rename("geoid"))
    model = Access(demand_df=demand, demand_index=True, demand_value="pop",
                   supply_df=supply, supply_index=True, supply_value="supply",
                   cost_df=pairs, cost_origin="origin", cost_dest="dest", cost_name="cost")
    _same(mine.fca2.astype(float), model.two_stage_fca(name="fca2", max_cost=1200)["fca2_supply"])
    assert not np.allclose(mine.fca2.to_numpy(float), ours.fca2.reindex(mine.index).to_numpy(float))


def test_nearest_per_category_and_of_any(analysis_loaded):
    """Per category, the nearest open place is the one a plain distance scan finds; of any, the smaller.
    In 2022, the year of Rutland's OSM extract, all three categories are known there (coverage); in
    2016 only libraries are, and the others' rows are null (not_covered), never a distance."""
    mixed = replace(MIXED, year=2022)
    with analysis_loaded.begin() as conn:
        prepare(conn)
        rows = conn.execute(text(
            "WITH {{access_scope}}, {{access_ctes}} SELECT code, category, known, nearest_m, count_within, per_1000 "
            "FROM category_measured".replace("{{access_scope}}", source("access_scope"))
            .replace("{{access_ctes}}", source("access_ctes"))),
            mixed.bind() | Scope(code=RUTLAND).bind() | WhatIf().bind()).all()
        supplied = _hand_supply(conn, mixed)
        small = pd.read_sql(text("SELECT code, population, ST_X(origin) AS x, ST_Y(origin) AS y "
                                 "FROM analysis_small_areas WHERE utla = :r"), conn, params={"r": RUTLAND}).set_index("code")
        anyof = {r.code: r.nearest_m for r in access_rows(conn, mixed, Scope(code=RUTLAND))}
    assert len(rows) == 26 * 3
    assert all(r.known for r in rows)
    for code, category, _, nearest_m, count_within, per_1000 in rows:
        here = small.loc[code]
        of = supplied[supplied.category == category]
        d = np.hypot(of.x - here.x, of.y - here.y)
        assert nearest_m == pytest.approx(d.min(), abs=1e-6)
        assert count_within == int((d <= 1200).sum())
        assert per_1000 == pytest.approx(1000 * count_within / here.population)
    for code, nearest in anyof.items():
        assert nearest == pytest.approx(min(r.nearest_m for r in rows if r.code == code), abs=1e-6)
    with analysis_loaded.begin() as conn:
        unknown = conn.execute(text(
            "WITH {{access_scope}}, {{access_ctes}} SELECT category, bool_or(known), count(nearest_m), "
            "count(count_within) FROM category_measured GROUP BY category".replace("{{access_scope}}", source("access_scope"))
            .replace("{{access_ctes}}", source("access_ctes"))),
            MIXED.bind() | Scope(code=RUTLAND).bind() | WhatIf().bind()).all()
    assert {c: (k, n, w) for c, k, n, w in unknown} == {
        "library": (True, 26, 26), "community_centre": (False, 0, 0), "village_hall": (False, 0, 0)}
