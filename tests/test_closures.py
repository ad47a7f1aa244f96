"""Closures over time (GET /closures): checked against a hand computation for small authorities and
an independent geopandas computation for England, on the real data.

The inputs (small-area origins and populations, place statuses by year from place_years) are read
from the database; everything computed from them here is independent of kindmap's SQL.
"""
from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from analysis.closures import ClosuresParams, closures
from store.db import make_engine
from app.main import create_app
from tests.analysis_inputs import analysis_loaded  # noqa: F401 (the fixture)
from tests.test_api import assert_problem

FROM, TO, RADIUS = 2010, 2016, 1200.0


@pytest.fixture(scope="module")
def client(analysis_loaded, database_url):
    with TestClient(create_app(make_engine(database_url))) as client:
        yield client


@pytest.fixture(scope="module")
def origins(analysis_loaded) -> pd.DataFrame:
    """Small-area origins with their 2023 authorities (area_hierarchy, docs/rollups.md)."""
    return pd.read_sql(text("""
        SELECT s.code, s.population, s.imd_decile, h.ltla, h.utla, ST_X(s.origin) AS x, ST_Y(s.origin) AS y
        FROM analysis_small_areas s
        JOIN area_hierarchy h ON h.level = 'lsoa' AND h.code = s.code AND h.vintage = s.vintage"""),
        analysis_loaded)


@pytest.fixture(scope="module")
def statuses(analysis_loaded) -> pd.DataFrame:
    """Located libraries with their status in both years (None when place_years says nothing);
    a place without a location (a list row nobody locates) is in no small area."""
    return pd.read_sql(text("""
        SELECT p.id, ST_X(p.geom_27700) AS x, ST_Y(p.geom_27700) AS y,
               max(y.status) FILTER (WHERE y.year = :f) AS status_from,
               max(y.status) FILTER (WHERE y.year = :t) AS status_to
        FROM places p JOIN place_years y ON y.place_id = p.id AND y.year IN (:f, :t)
        WHERE p.category = 'library' AND p.geom IS NOT NULL GROUP BY p.id"""), analysis_loaded, params={"f": FROM, "t": TO})


def covered_by_hand(origin, places) -> bool:
    return any(math.hypot(origin.x - p.x, origin.y - p.y) <= RADIUS for p in places.itertuples())


@pytest.mark.parametrize("area", ["E06000017", "E07000218"])  # Rutland; North Warwickshire (one closure)
def test_small_authority_by_hand(client, origins, statuses, area):
    """Every small area of the authority, every library, Pythagoras: who was covered, who lost."""
    body = client.get("/closures", params={"area": area, "from": FROM, "to": TO}).json()
    mine = origins[(origins.ltla == area) | (origins.utla == area)]
    open_from = statuses[statuses.status_from == "open"]
    open_to = statuses[statuses.status_to == "open"]
    before = mine.apply(lambda o: covered_by_hand(o, open_from), axis=1)
    after = mine.apply(lambda o: covered_by_hand(o, open_to), axis=1)
    summary = body["summary"]
    assert summary["small_areas"] == len(mine) and summary["residents"] == mine.population.sum()
    assert summary["residents_covered_from"] == mine.population[before].sum()
    assert summary["residents_covered_to"] == mine.population[after].sum()
    assert summary["residents_lost_every_place"] == mine.population[before & ~after].sum()
    assert [row["code"] for row in body["by_ltla"]] == sorted(mine.ltla.unique())


@pytest.fixture(scope="module")
def england(client) -> dict:
    return client.get("/closures", params={"from": FROM, "to": TO, "radius": RADIUS}).json()


def test_england_by_imd_decile_matches_geopandas(england, origins, statuses):
    points = gpd.GeoDataFrame(origins, geometry=gpd.points_from_xy(origins.x, origins.y), crs=27700)

    def covered(places):
        places = gpd.GeoDataFrame(places, geometry=gpd.points_from_xy(places.x, places.y), crs=27700)
        near = gpd.sjoin(points[["code", "geometry"]], places[["geometry"]], predicate="dwithin",
                         distance=RADIUS)
        return points.code.isin(near.code)

    before = covered(statuses[statuses.status_from == "open"])
    after = covered(statuses[statuses.status_to == "open"])
    lost = points[before & ~after].groupby("imd_decile").population.sum()
    ours = {row["imd_decile"]: row for row in england["by_imd_decile"]}
    assert set(ours) == set(range(1, 11)) and len(points) > 32_000
    for decile, row in ours.items():
        assert row["residents_lost_every_place"] == lost.get(decile, 0)
        in_decile = points.imd_decile == decile
        assert row["residents_covered_from"] == points.population[in_decile & before].sum()
        assert row["residents_covered_to"] == points.population[in_decile & after].sum()
    assert england["summary"]["residents_lost_every_place"] == lost.sum()
    assert england["summary"]["residents"] == 57_106_398


def test_england_closed_places_are_those_open_then_closed(england, statuses):
    closed = statuses[(statuses.status_from == "open") & statuses.status_to.isin(["closed", "temporarily_closed"])]
    assert {f["id"] for f in england["features"]} == set(closed.id)
    assert england["summary"]["places_closed"] == len(closed)
    assert all(f["geometry"]["type"] == "Point" for f in england["features"])
    # every closed place's lost residents are among those it served
    assert all(0 <= f["properties"]["residents_lost_every_place"] <= f["properties"]["residents_within"]
               for f in england["features"])


def test_authorities_add_up_to_england(england):
    for key in ("residents", "residents_lost_every_place", "places_closed"):
        assert sum(row[key] for row in england["by_ltla"]) == england["summary"][key]
        assert sum(row[key] for row in england["by_utla"]) == england["summary"][key]


def test_the_wrapper_returns_what_the_route_serves(analysis_loaded, client):
    with analysis_loaded.connect() as conn:
        direct = closures(conn, ClosuresParams(("library",), FROM, TO, RADIUS, "E06000017"))
    assert client.get("/closures", params={"area": "E06000017", "from": FROM, "to": TO}).text == direct


@pytest.mark.parametrize("params, status, parameter", [
    ({"area": "E99999999"}, 404, "area"),
    ({"categories": "library,casino"}, 400, "categories"),
    ({"from": 2009}, 400, "from"),
    ({"to": 2031}, 400, "to"),
    ({"from": 2016, "to": 2016}, 400, "to"),
    ({"from": 2016, "to": 2010}, 400, "to"),
    ({"radius": "50"}, 400, "radius"),
    ({"radius": "20000"}, 400, "radius"),
    ({"radius": "far"}, 400, "radius"),
    ({"from": "2010.5"}, 400, "from"),
])
def test_bad_input_is_a_problem_naming_the_parameter(client, params, status, parameter):
    assert_problem(client.get("/closures", params=params), status, parameter)


def test_openapi_describes_every_parameter(client):
    operation = client.get("/openapi.json").json()["paths"]["/closures"]["get"]
    documented = {p["name"]: p for p in operation["parameters"]}
    assert set(documented) == {"area", "categories", "from", "to", "radius"}
    assert all(p.get("description") for p in documented.values())
    assert {"200", "400", "404"} <= set(operation["responses"])
