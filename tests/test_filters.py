"""Selecting features: CQL2 (text and JSON), plain filters, datetime, sortby, properties,
numberMatched and queryables — every answer checked against the published CSV with pandas and
geopandas, never against the API itself."""
import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely import wkt

from tests.conftest import scalar
from tests.test_api import LIBRARIES, assert_problem, client  # noqa: F401  (client: fixture)

RUTLAND_ISH = "POLYGON((-0.9 52.5, -0.4 52.5, -0.4 52.8, -0.9 52.8, -0.9 52.5))"


@pytest.fixture(scope="module")
def published():
    frame = pd.read_csv(LIBRARIES)
    frame["ref"] = frame["id"].astype(str)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame.lng, frame.lat), crs=4326)


def refs(client, **params) -> set[str]:
    """The 2016 list's records the API selects (the sample also holds Rutland's OSM places)."""
    params = {"limit": 10000, "source": "dcms-libraries-2016", **params}
    body = client.get("/collections/places/items", params=params).json()
    assert body["numberMatched"] == body["numberReturned"] == len(body["features"]), body.get("detail")
    return {f["properties"]["source_ref"] for f in body["features"]}


def expected(frame) -> set[str]:
    return set(frame["ref"])


def test_cql2_text_comparison_logic_between_and_null(client, published):
    p = published
    assert refs(client, filter="closed_year >= 2012 AND closed_year < 2014") == \
        expected(p[(p.closed_year >= 2012) & (p.closed_year < 2014)])
    assert refs(client, filter="opened_year BETWEEN 2010 AND 2013 OR closed_year = 2016") == \
        expected(p[p.opened_year.between(2010, 2013) | (p.closed_year == 2016)])
    assert refs(client, filter="closed_year IS NOT NULL AND NOT (closed_year > 2011)") == \
        expected(p[p.closed_year <= 2011])
    assert len(refs(client, filter="opened_year IS NULL")) == p.opened_year.isna().sum()


def test_cql2_in_and_like(client, published):
    p = published
    assert refs(client, filter="operator_type IN ('community', 'independent_community')") == \
        expected(p[p["type"].isin(["CL", "ICL"])])
    assert refs(client, filter="name LIKE 'Barking%'") == \
        expected(p[p.name.str.strip().str.startswith("Barking")])
    assert refs(client, filter="CASEI(name) LIKE CASEI('%BARKING%')") == \
        expected(p[p.name.str.strip().str.lower().str.contains("barking")])


def test_cql2_spatial_with_wkt_matches_geopandas(client, published):
    inside = published[published.within(wkt.loads(RUTLAND_ISH))]
    assert len(inside) > 5
    assert refs(client, filter=f"S_INTERSECTS(geometry, {RUTLAND_ISH})") == expected(inside)
    assert refs(client, filter=f"S_WITHIN(geometry, {RUTLAND_ISH}) AND status = 'open'") == \
        expected(inside[inside.closed.isna()])


def test_cql2_json_equals_cql2_text(client):
    as_json = {"op": "and", "args": [
        {"op": "=", "args": [{"property": "status"}, "closed"]},
        {"op": "s_intersects", "args": [{"property": "geometry"}, {
            "type": "Polygon", "coordinates": [[[-3, 51], [1, 51], [1, 54], [-3, 54], [-3, 51]]]}]}]}
    text = "status = 'closed' AND S_INTERSECTS(geometry, POLYGON((-3 51, 1 51, 1 54, -3 54, -3 51)))"
    from_json = refs(client, filter=json.dumps(as_json), **{"filter-lang": "cql2-json"})
    assert from_json == refs(client, filter=text) and len(from_json) > 50


def test_cql2_on_areas(client):
    body = client.get("/collections/areas/items", params={
        "filter": "level = 'ltla' AND code LIKE 'E06%'", "limit": 1000}).json()
    codes = {f["properties"]["code"] for f in body["features"]}
    assert body["numberMatched"] == len(codes) == scalar(
        client.app.state.engine, "SELECT count(*) FROM areas WHERE level = 'ltla' AND code LIKE 'E06%'")
    assert "E06000017" in codes


@pytest.mark.parametrize("params", [
    {"filter": "name = "},                                   # does not parse
    {"filter": "colour = 'red'"},                            # not a queryable
    {"filter": "attributes = 'x'"},                          # not a queryable (an object)
    {"filter": "opened_year = 'soon'"},                      # wrong type: never reaches SQL
    {"filter": "name = 1"},
    {"filter": "name LIKE 3"},
    {"filter": "name = 'x'; DROP TABLE places"},             # not CQL2
    {"filter": "T_AFTER(opened_year, TIMESTAMP('2010-01-01T00:00:00Z'))"},  # not supported
    {"filter": "S_INTERSECTS(name, POINT(0 0))"},
    {"filter": "{\"op\": \"=\"", "filter-lang": "cql2-json"},
    {"filter": "S_INTERSECTS(geometry, POINT(0 0))", "filter-crs": "EPSG:3857"},
])
def test_bad_filters_are_400_naming_the_parameter(client, params):
    parameter = "filter-crs" if "filter-crs" in params else "filter"
    before = scalar(client.app.state.engine, "SELECT count(*) FROM places")
    assert_problem(client.get("/collections/places/items", params=params), 400, parameter)
    assert scalar(client.app.state.engine, "SELECT count(*) FROM places") == before


def test_bad_filter_language_is_400(client):
    assert_problem(client.get("/collections/places/items",
                              params={"filter": "x = 1", "filter-lang": "sql"}), 400, "filter-lang")


def test_plain_filters_come_from_the_registry(client, published):
    assert refs(client, operator_type="council") == expected(published[published["type"] == "LAL"])
    assert_problem(client.get("/collections/places/items?operator_type=pirate"), 400, "operator_type")
    assert_problem(client.get("/collections/areas/items?category=library"), 400, "category")


def test_datetime_selects_places_open_in_those_years(client, published):
    """datetime on places is the status by year (place_years, docs/places.md): for the 2016 list's
    records (refs), by its rules computed here with pandas: open in year Y when opened by Y (or in
    no stated year) and either open in 2016 or closed in a year after Y."""
    p = published

    def open_in(year):
        return p[(p.opened_year.isna() | (p.opened_year <= year))
                 & (p.closed.isna() | (p.closed_year > year))]
    assert refs(client, datetime="2014") == expected(open_in(2014))
    assert refs(client, datetime="2014-06-30") == expected(open_in(2014))
    assert refs(client, datetime="2011/2013") == expected(pd.concat([open_in(y) for y in (2011, 2012, 2013)]))
    assert refs(client, datetime="../2003") == set()  # no status is known before 2010
    # to 2025 (the 2016 statuses carried forward): Bishopston, listed open, opened in 2017
    assert refs(client, datetime="2016/..") == expected(pd.concat([open_in(y) for y in range(2016, 2026)]))
    for bad in ("2014-13-01", "tomorrow", "2016/2014", "1/2/3"):
        assert_problem(client.get("/collections/places/items", params={"datetime": bad}), 400, "datetime")
    assert_problem(client.get("/collections/areas/items", params={"datetime": "2014"}), 400, "datetime")


def test_numbermatched_is_exact_on_every_page(client, published):
    only_2016 = {"source": "dcms-libraries-2016"}
    page = client.get("/collections/places/items", params={"limit": 100, "offset": 200, **only_2016}).json()
    assert page["numberMatched"] == len(published) and page["numberReturned"] == 100
    closed = client.get("/collections/places/items", params={"limit": 10, "status": "closed", **only_2016}).json()
    assert closed["numberMatched"] == published.closed.isin(["XL", "XLR"]).sum()  # XLT: temporarily


def test_sortby_and_stable_paging(client, published):
    body = client.get("/collections/places/items", params={
        "sortby": "-closed_year,name", "filter": "closed_year IS NOT NULL", "limit": 1000}).json()
    years = [f["properties"]["closed_year"] for f in body["features"]]
    assert years == sorted(years, reverse=True) and years[0] == published.closed_year.max()
    names_2016 = [f["properties"]["name"] for f in body["features"] if f["properties"]["closed_year"] == 2016]
    assert names_2016 == sorted(names_2016)
    for bad in ("colour", "attributes"):
        assert_problem(client.get("/collections/places/items", params={"sortby": bad}), 400, "sortby")


def test_properties_selection(client):
    feature = client.get("/collections/places/items", params={"properties": "name,status", "limit": 1}).json()
    assert set(feature["features"][0]["properties"]) == {"name", "status"}
    empty = client.get("/collections/places/items", params={"properties": "", "limit": 1}).json()
    assert empty["features"][0]["properties"] == {}
    assert_problem(client.get("/collections/places/items", params={"properties": "name,colour"}), 400, "properties")


def test_queryables_are_json_schema_from_the_registry(client):
    response = client.get("/collections/places/queryables")
    assert response.headers["content-type"] == "application/schema+json"
    schema = response.json()
    assert schema["additionalProperties"] is False
    assert schema["properties"]["opened_year"]["type"] == "integer"
    assert "library" in schema["properties"]["category"]["enum"]
    assert schema["properties"]["geometry"]["format"] == "geometry-point"
    assert "attributes" not in schema["properties"]
    assert "geometry" not in client.get("/collections/indicators/queryables").json()["properties"]


def test_a_filter_value_is_normalised_by_the_registry(client):
    as_year = client.get("/collections/areas/items", params={"vintage": "2023", "level": "region"}).json()
    assert as_year["numberMatched"] == 9 and {f["properties"]["vintage"] for f in as_year["features"]} == {"2023-12"}
    assert_problem(client.get("/collections/areas/items", params={"vintage": "2023-13"}), 400, "vintage")


def test_cql_text_is_read_as_cql2_text(client):
    """GDAL's OAPIF driver sends `filter-lang=cql-text` (the draft's name)."""
    assert refs(client, filter="status = 'closed'", **{"filter-lang": "cql-text"}) == \
        refs(client, filter="status = 'closed'")
