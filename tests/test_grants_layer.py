"""The grants layer (collection `grants`) on Trafford's real 360Giving file: its items and vector
tiles carry the figures GET /grants gives for the same areas and years, null with a reason where
no file covers an area; a borough's grants reach its LSOAs only apportioned and flagged."""
from __future__ import annotations

import morecantile
import pyogrio
import pytest

from tests.test_api import assert_problem
from tests.test_grants_api import POPULATION, TRAFFORD_CODE, client  # noqa: F401 (the fixture)

TMS = morecantile.tms.get("WebMercatorQuad")
ITEMS = "/collections/grants/items"
TILES = "/collections/grants/tiles/WebMercatorQuad"
YEARS = {"from": "2013", "to": "2022"}
CORNWALL, MANCHESTER = "E06000052", "E08000003"
FIGURES = ("amount_gbp", "per_head_per_year_gbp", "real_per_head_per_year_gbp")


@pytest.fixture(scope="module")
def grants(client):  # noqa: F811
    """GET /grants for every LTLA over YEARS, by code."""
    answer = client.get("/grants", params={"level": "ltla", **YEARS})
    assert answer.status_code == 200
    return {a["code"]: a for a in answer.json()["areas"]}


def test_items_carry_the_figures_of_grants_for_every_authority(client, grants):  # noqa: F811
    page = client.get(ITEMS, params={**YEARS, "limit": 1000})
    assert page.status_code == 200 and page.headers["content-type"] == "application/geo+json"
    features = {f["id"]: f for f in page.json()["features"]}
    assert page.json()["numberMatched"] == len(features) == len(grants) == 296  # England's 2023 LTLAs
    for code, area in grants.items():
        properties = features[code]["properties"]
        assert properties["level"] == "ltla" and properties["covered"] is area["covered"]
        assert [properties[k] for k in FIGURES] == [area[k] for k in FIGURES]
    trafford = features[TRAFFORD_CODE]
    assert trafford["geometry"]["type"] == "MultiPolygon"
    assert trafford["properties"]["population"] == POPULATION
    assert trafford["properties"]["covering_funders"] == ["GB-LAE-TRF"]
    assert trafford["properties"]["per_head_per_year_gbp"] > 0
    assert trafford["properties"]["grants"] == sum(y["grants"] for y in grants[TRAFFORD_CODE]["years"])
    assert trafford["properties"]["apportioned"] is False
    cornwall = features[CORNWALL]["properties"]
    assert cornwall["covered"] is False and "no loaded grants file covers" in cornwall["coverage_reason"]
    assert [cornwall[k] for k in FIGURES] == [None, None, None]


def test_one_area_and_a_filter_compute_only_it(client):  # noqa: F811
    page = client.get(ITEMS, params={**YEARS, "code": TRAFFORD_CODE}).json()
    [feature] = page["features"]
    one = client.get(f"{ITEMS}/{TRAFFORD_CODE}", params=YEARS)
    assert one.status_code == 200 and one.json()["properties"] == feature["properties"]
    assert_problem(client.get(f"{ITEMS}/E99999999"), 404, "code")


def test_other_years_and_levels_as_grants(client):  # noqa: F811
    for params in ({"from": "2019", "to": "2019"}, {"level": "utla", "from": "2016", "to": "2023", "real": "false"}):
        area = client.get("/grants", params={**params, "area": TRAFFORD_CODE}).json()["areas"][0]
        [feature] = client.get(ITEMS, params={**params, "code": TRAFFORD_CODE}).json()["features"]
        assert [feature["properties"][k] for k in FIGURES] == [area[k] for k in FIGURES]
    assert feature["properties"]["real_per_head_per_year_gbp"] is None  # real=false


def test_a_boroughs_grants_reach_its_lsoas_only_apportioned_and_flagged(client):  # noqa: F811
    params = {"level": "lsoa", "utla": TRAFFORD_CODE, "from": "2019", "to": "2019", "limit": 1000}
    located = client.get(ITEMS, params=params).json()["features"]
    assert len(located) == 139
    assert {(f["properties"]["amount_gbp"], f["properties"]["apportioned"]) for f in located} == {(0.0, False)}
    shared = client.get(ITEMS, params={**params, "apportion": "population"}).json()["features"]
    asked = client.get("/grants", params={"level": "lsoa", "area": TRAFFORD_CODE, "from": "2019", "to": "2019",
                                          "apportion": "population"}).json()["areas"]
    apportioned = {a["code"]: a["years"][0]["apportioned_gbp"] for a in asked}
    for feature in shared:
        properties = feature["properties"]
        assert properties["apportioned"] is True and properties["amount_gbp"] == 0.0
        assert properties["apportioned_gbp"] == apportioned[feature["id"]]
    assert sum(apportioned.values()) == pytest.approx(shared[0]["properties"]["coarser_gbp"], abs=0.01 * 139)


def test_a_tile_decodes_with_the_figures_of_grants(client, grants, tmp_path):  # noqa: F811
    tile = TMS.tile(-2.33, 53.43, 8)  # Greater Manchester
    response = client.get(f"{TILES}/8/{tile.x}/{tile.y}", params={**YEARS, "properties": "code," + ",".join(FIGURES)})
    assert response.status_code == 200 and response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    path = tmp_path / "8" / str(tile.x) / f"{tile.y}.pbf"
    path.parent.mkdir(parents=True)
    path.write_bytes(response.content)
    frame = pyogrio.read_dataframe(path, layer="grants").set_index("code")
    assert {TRAFFORD_CODE, MANCHESTER} <= set(frame.index) and CORNWALL not in frame.index
    assert set(frame.geom_type) <= {"Polygon", "MultiPolygon"}
    for k in FIGURES:
        assert frame.loc[TRAFFORD_CODE, k] == grants[TRAFFORD_CODE][k]
        assert frame.loc[MANCHESTER, k] != frame.loc[MANCHESTER, k]  # null (uncovered): NaN in GDAL
    # LSOAs: a tile computes only the areas it shows (Trafford's loaded 2021 boundaries here)
    z10 = TMS.tile(-2.33, 53.43, 10)
    small = client.get(f"{TILES}/10/{z10.x}/{z10.y}", params={**YEARS, "level": "lsoa", "properties": "code,utla,coarser_gbp"})
    path = tmp_path / "lsoa.pbf"
    path.write_bytes(small.content)
    lsoas = pyogrio.read_dataframe(path, layer="grants")
    assert len(lsoas) > 20 and set(lsoas["utla"]) == {TRAFFORD_CODE} and (lsoas["coarser_gbp"] > 0).all()
    default = client.get(f"{TILES}/8/{tile.x}/{tile.y}", params=YEARS)
    assert default.status_code == 200 and default.content != response.content
    tilejson = client.get(f"{TILES}/tilejson.json", params=YEARS).json()
    assert "from=2013" in tilejson["tiles"][0] and "per_head_per_year_gbp" in tilejson["vector_layers"][0]["fields"]


@pytest.mark.parametrize("params, parameter", [
    ({"level": "ward"}, "level"), ({"from": "2020", "to": "2019"}, "from"), ({"apportion": "population"}, "apportion"),
    ({"prices": "1900"}, "prices"), ({"year": "2019"}, "year"),
])
def test_bad_parameters_are_problems_naming_the_parameter(client, params, parameter):  # noqa: F811
    for url in (ITEMS, f"{TILES}/8/126/82"):
        answer = client.get(url, params=params)
        assert 400 <= answer.status_code < 500 and answer.headers["content-type"].startswith("application/problem+json")
        assert parameter in answer.text
