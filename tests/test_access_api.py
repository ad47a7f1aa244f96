"""GET /gaps, GET /areas/{code}/summary, POST /areas/summary and POST /scenarios over HTTP, on the
real data: what a planner gets, and the problem+json each bad parameter earns."""
import json

import pytest
from fastapi.testclient import TestClient

from store.db import make_engine
from app.main import create_app
from tests.analysis_inputs import analysis_loaded  # noqa: F401 (the fixture)
from edits.validation import this_year
from tests.conftest import scalar
from tests.test_edits import bearer, library_in, make_key, patch
from tests.test_api import assert_problem

TRAFFORD, RUTLAND = "E08000009", "E06000017"


@pytest.fixture(scope="module")
def client(analysis_loaded, database_url):
    with TestClient(create_app(make_engine(database_url))) as client:
        yield client


def test_gaps_for_a_planner(client, engine, shared_data):
    response = client.get("/gaps", params={"area": TRAFFORD, "level": "lsoa", "radius": 1200, "year": 2016,
                                           "categories": "library,community_centre"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/geo+json"
    collection = response.json()
    boundaries = json.loads((shared_data / "boundaries" / "lsoa21_bgc_E08000009_trafford.geojson").read_text())
    assert {f["id"] for f in collection["features"]} == {f["properties"]["LSOA21CD"] for f in boundaries["features"]}
    assert collection["parameters"]["categories"] == ["library", "community_centre"]
    feature = collection["features"][0]
    assert feature["geometry"]["type"] == "MultiPolygon" and feature["properties"]["geometry_is"] == "boundary"
    properties = feature["properties"]
    assert {"code", "name", "population", "imd_decile", "nearest_m", "nearest_place", "count_within",
            "access", "gap"} <= set(properties)
    assert set(properties["access"]) == {"cumulative", "fca2", "e2sfca", "gravity"}
    assert sum(f["properties"]["population"] for f in collection["features"]) == 236_301
    nearest = [f["properties"]["nearest_m"] for f in collection["features"]]
    covered = [f for f in collection["features"] if f["properties"]["count_within"] > 0]
    assert all(f["properties"]["nearest_m"] <= 1200 for f in covered) and max(nearest) > 0


def test_gaps_carry_the_gap_index_that_priorities_ranks(client):
    """Each /gaps feature's `gap` is the gap index of /priorities for the same small area (computed
    there by its own query over the authority), and its score is the mean of its parts."""
    features = client.get("/gaps", params={"area": TRAFFORD, "year": 2016}).json()["features"]
    ranked = client.get("/priorities", params={"level": "lsoa", "authority": TRAFFORD, "year": 2016,
                                               "limit": 1000}).json()["features"]
    by_code = {f["properties"]["code"]: f["properties"] for f in ranked}
    assert len(features) == len(by_code) == 139
    for feature in features:
        gap, row = feature["properties"]["gap"], by_code[feature["properties"]["code"]]
        assert gap["score"] == pytest.approx(row["gap_score"], abs=1e-4) and gap["driver"] == row["driver"]
        assert gap["places_lost"] == row["lost"] and gap["loss_from"] == 2010
        parts = [gap[p] for p in ("need", "access", "loss", "spending") if gap[p] is not None]
        assert gap["score"] == pytest.approx(sum(parts) / len(parts), abs=1e-3)


@pytest.mark.parametrize("area", [TRAFFORD, RUTLAND])
def test_gaps_closures_and_summary_agree(client, area):
    """/gaps (access and the gap index's loss, per small area), /closures and the summary read one
    definition of access (access_ctes.sql) and one of loss (loss_ctes.sql): for the same places,
    years and radius their residents add up to the same figures, overall, per IMD decile and for
    the authority's row of /priorities."""
    places = {"categories": "library", "radius": 1200}
    features = [f["properties"] for f in client.get(
        "/gaps", params={"area": area, "year": 2016, **places}).json()["features"]]
    closures = client.get("/closures", params={"area": area, "from": 2010, "to": 2016, **places}).json()
    summary = client.get(f"/areas/{area}/summary", params={"year": 2016, **places}).json()
    [authority] = client.get("/priorities", params={"level": "authority", "authority": area, "year": 2016,
                                                    "loss_from": 2010, "category": "library",
                                                    "radius": 1200}).json()["features"]

    def residents(rows, where):
        return sum(r["population"] for r in rows if where(r))

    def covered_to(r):
        return r["count_within"] > 0

    def covered_from(r):
        return r["gap"]["places_before"] > 0

    def lost_every_place(r):
        return covered_from(r) and not covered_to(r)

    assert residents(features, covered_to) == summary["all"]["residents_within"] \
        == closures["summary"]["residents_covered_to"]
    assert residents(features, covered_from) == closures["summary"]["residents_covered_from"]
    assert residents(features, lost_every_place) == closures["summary"]["residents_lost_every_place"] \
        == authority["properties"]["residents_lost_every_place"]
    assert residents(features, lambda r: not covered_to(r)) == authority["properties"]["residents_without_place"]
    assert all(f["gap"]["places_lost"] <= f["gap"]["places_before"] for f in features)
    closures_by_decile = {d["imd_decile"]: d for d in closures["by_imd_decile"]}
    for decile in summary["by_imd_decile"]:
        in_decile = [f for f in features if f["imd_decile"] == decile["imd_decile"]]
        assert residents(in_decile, covered_to) == decile["residents_within"] \
            == closures_by_decile[decile["imd_decile"]]["residents_covered_to"]
        assert residents(in_decile, lost_every_place) \
            == closures_by_decile[decile["imd_decile"]]["residents_lost_every_place"]
    assert residents(features, lost_every_place) > 0 or area == RUTLAND


def test_gaps_where_no_boundary_is_loaded_are_points(client):
    features = client.get("/gaps", params={"area": "E06000018"}).json()["features"]  # Nottingham
    assert features and {f["geometry"]["type"] for f in features} == {"Point"}


@pytest.mark.parametrize("params, status, parameter", [
    ({"area": "E99999999"}, 404, "area"),
    ({"area": TRAFFORD, "categories": "library,casino"}, 400, "categories"),
    ({"area": TRAFFORD, "year": 1999}, 400, "year"),
    ({"area": TRAFFORD, "radius": 50}, 400, "radius"),
    ({"area": TRAFFORD, "radius": "far"}, 400, "radius"),
    ({"area": TRAFFORD, "level": "msoa"}, 400, "level"),
    ({"area": TRAFFORD, "steps": "800:1,400:0.5"}, 400, "steps"),
    ({"area": TRAFFORD, "supply": "staff"}, 400, "supply"),
    ({}, 400, "area"),
])
def test_gaps_refuses_bad_parameters(client, params, status, parameter):
    assert_problem(client.get("/gaps", params=params), status, parameter)


def test_summary_of_an_authority(client):
    response = client.get(f"/areas/{RUTLAND}/summary", params={"year": 2016})
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == RUTLAND and body["name"] == "Rutland"
    assert body["all"]["residents"] == sum(d["residents"] for d in body["by_imd_decile"])
    assert body["all"]["places"] == sum(d["places"] for d in body["by_imd_decile"])
    assert 0 <= body["all"]["share_within"] <= 1 and body["all"]["median_m"] <= body["all"]["p90_m"]
    assert_problem(client.get("/areas/E99999999/summary"), 404, "code")
    assert_problem(client.get(f"/areas/{RUTLAND}/summary", params={"radius": 20_000}), 400, "radius")


def test_summary_of_a_polygon_equals_that_of_its_small_areas(client, engine):
    outline = scalar(engine, "SELECT ST_AsGeoJSON(ST_Transform(ST_Buffer(ST_Collect(origin), 1), 4326)) "
                             "FROM analysis_small_areas WHERE utla = :u", u=RUTLAND)
    drawn = client.post("/areas/summary", json={"geometry": json.loads(outline)}).json()
    assert drawn["all"] == client.get(f"/areas/{RUTLAND}/summary").json()["all"]
    assert_problem(client.post("/areas/summary", json={"geometry": {"type": "Point", "coordinates": [0, 52]}}),
                   400, "geometry")


@pytest.mark.parametrize("geometry", [  # each was a 500 from PostGIS's GeoJSON reader, or an empty answer
    {"type": "Polygon"}, {"type": "Polygon", "coordinates": [[1]]}, {"type": "Polygon", "coordinates": ["x"]},
    {"type": "Polygon", "coordinates": []}, {"type": "Polygon", "coordinates": [[]]},
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}, {"type": "MultiPolygon", "coordinates": [[]]}])
def test_a_polygon_not_nested_as_the_document_says_is_a_400(client, geometry):
    assert_problem(client.post("/areas/summary", json={"geometry": geometry}), 400, "geometry")


def test_scenario_close_then_reopen(client, engine):
    place, lon, lat = [scalar(engine, f"SELECT {c} FROM places WHERE category = 'library' "
                                      "AND name ILIKE 'Oakham%' ORDER BY id LIMIT 1")
                       for c in ("id", "ST_X(geom)", "ST_Y(geom)")]
    # Oakham's library, and any other record of a library on the same spot
    here = scalar(engine, "SELECT array_agg(p.id) FROM places p JOIN places o ON o.id = :id "
                          "WHERE p.category = 'library' AND ST_DWithin(p.geom_27700, o.geom_27700, 300)", id=place)
    closed = client.post("/scenarios", json={"close": here}).json()
    assert closed["residents_losing"] > 0 and closed["fca2_after"] < closed["fca2_before"]
    assert closed["changed"] and closed["residents_gaining"] == 0
    again = client.post("/scenarios", json={"close": [place], "open": [[lon, lat]]}).json()
    assert again["residents_losing"] == again["residents_gaining"] == 0
    assert again["fca2_after"] == pytest.approx(again["fca2_before"], rel=1e-12)
    assert all(c["count_within_before"] == c["count_within_after"] for c in again["changed"])
    assert_problem(client.post("/scenarios", json={"close": [10**12]}), 404, "close")
    assert_problem(client.post("/scenarios", json={}), 400, "close")
    assert_problem(client.post("/scenarios", json={"open": [[500, 52]]}), 400, "open")


def test_openapi_documents_the_access_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    gaps = paths["/gaps"]["get"]
    assert {p["name"] for p in gaps["parameters"]} >= {"area", "level", "categories", "year", "radius", "steps"}
    assert all(p.get("description") for p in gaps["parameters"])
    assert {"400", "404"} <= set(gaps["responses"])
    assert "/areas/{code}/summary" in paths and "post" in paths["/scenarios"]


def test_gaps_and_priorities_say_which_kind_is_missing(client):
    """Rutland with libraries and OSM community centres: each /gaps feature's access part is the mean
    of its categories' parts, `access_any` that of the nearer; per category the nearest place, the
    count within and per 1,000 residents; /priorities' rows carry the same parts per category."""
    # 2022: the year of Rutland's OSM extract, where community centres are known (coverage)
    params = {"area": RUTLAND, "categories": "library,community_centre", "supply": "hours", "year": 2022}
    collection = client.get("/gaps", params=params).json()
    assert collection["parameters"]["supply"] == "hours"
    for feature in collection["features"]:
        p = feature["properties"]
        parts = p["gap"]["access_by_category"]
        assert list(p["by_category"]) == list(parts) == ["library", "community_centre"]
        assert p["gap"]["access"] == pytest.approx((parts["library"] + parts["community_centre"]) / 2, abs=1e-4)
        assert p["gap"]["access_any"] == pytest.approx(min(parts.values()), abs=1e-4)
        assert p["nearest_m"] == pytest.approx(min(c["nearest_m"] for c in p["by_category"].values()), abs=0.1)
        assert p["count_within"] == sum(c["count_within"] for c in p["by_category"].values())
        assert p["per_1000"] == pytest.approx(1000 * p["count_within"] / p["population"], abs=1e-3)
    gaps = {f["id"]: f["properties"]["gap"] for f in collection["features"]}
    assert any(g["access"] != g["access_any"] for g in gaps.values())  # the missing kind shows
    ranked = client.get("/priorities", params={"level": "lsoa", "authority": RUTLAND, "limit": 100, "supply": "hours",
                                               "category": "library,community_centre", "year": 2022}).json()["features"]
    assert len(ranked) == len(gaps) == 26
    for row in (f["properties"] for f in ranked):
        by = row["by_category"]
        assert row["access_part"] == pytest.approx(gaps[row["code"]]["access"], abs=1e-4)
        assert row["access_part"] == pytest.approx((by["library"]["access_part"] + by["community_centre"]["access_part"]) / 2,
                                                   abs=1e-4)
        assert "by category: " in row["why"]
    (unit,) = client.get("/priorities", params={"level": "authority", "authority": RUTLAND, "year": 2022,
                                                "category": "library,community_centre"}).json()["features"]
    by = unit["properties"]["by_category"]
    assert by["community_centre"]["places_within"] > 0 and by["library"]["per_1000"] == pytest.approx(
        1000 * by["library"]["places_within"] / unit["properties"]["population"], abs=1e-3)
    summary = client.get(f"/areas/{RUTLAND}/summary", params={"categories": "library,community_centre",
                                                               "year": 2022}).json()
    assert summary["all"]["by_category"]["community_centre"]["places_within"] == by["community_centre"]["places_within"]


def test_an_added_place_counts_from_its_opening_and_a_moved_one_keeps_its_history(client, analysis_loaded):
    """An added library used to count as open in every year 2010-2025 (no opening year, no
    country). Now: without opened_year it opened the year it was added, so /gaps for 2016 is as
    before; with opened_year 2018 it counts from 2018 on. A publisher's library moved 300 m keeps
    its years."""
    admin = make_key(analysis_loaded, "admin")
    gaps = {year: client.get(f"/gaps?area={RUTLAND}&year={year}").json()["features"] for year in (2016, 2022)}
    nearest = {year: {f["id"]: f["properties"]["nearest_m"] for f in gaps[year]} for year in gaps}
    farthest = max(nearest[2022], key=nearest[2022].get)  # the small area farthest from a library
    where = json.loads(scalar(analysis_loaded, "SELECT ST_AsGeoJSON(ST_Transform(origin, 4326)) FROM "
                                             "analysis_small_areas WHERE code = :c", c=farthest))["coordinates"]
    added = []
    for opened in (None, 2018):
        created = client.post("/collections/places/items", headers=bearer(admin), json={
            "type": "Feature", "geometry": {"type": "Point", "coordinates": where},
            "properties": {"name": f"History test {opened}", "category": "library", "opened_year": opened}})
        assert created.status_code == 201, created.text
        assert created.json()["properties"]["country"] == "E92000001"
        added.append(created.json())
    assert added[0]["properties"]["opened_year"] == this_year()
    assert scalar(analysis_loaded, "SELECT count(*) FROM place_years WHERE place_id = :i", i=added[0]["id"]) == 0
    after = {year: {f["id"]: f["properties"]["nearest_m"]
                    for f in client.get(f"/gaps?area={RUTLAND}&year={year}").json()["features"]} for year in gaps}
    assert after[2016] == nearest[2016]  # neither existed in 2016
    assert nearest[2022][farthest] > 1000 and after[2022][farthest] < 1  # the 2018 library counts in 2022 (2016 and 2022: the years libraries are known in Rutland)

    library = library_in(analysis_loaded, RUTLAND, "Oakham")
    years = "SELECT array_agg(year || ':' || status ORDER BY year) FROM place_years WHERE place_id = :i"
    history = scalar(analysis_loaded, years, i=library)
    feature = client.get(f"/collections/places/items/{library}")
    lon, lat = feature.json()["geometry"]["coordinates"]
    moved = patch(client, library, admin, {"geometry": {"type": "Point", "coordinates": [lon + 0.004, lat]}},
                  feature.headers["ETag"])
    assert moved.status_code == 200 and moved.json()["properties"]["country"] == "E92000001"
    assert history and scalar(analysis_loaded, years, i=library) == history
