"""The HTTP API: OGC API Features over real PostGIS, GeoJSON checked against independent sources."""
import json

import geopandas as gpd
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point, shape

from store.db import make_engine
from app.collections import COLLECTIONS
from app.dependencies import PROPERTY_FILTERS
from app.main import create_app
from tests.conftest import SAMPLE

LIBRARIES = SAMPLE / "libraries_england_taskforce_2016_geocoded.csv"


@pytest.fixture(scope="module")
def client(sample_loaded, database_url):
    with TestClient(create_app(make_engine(database_url))) as client:
        yield client


def assert_problem(response, status, parameter=None):
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["detail"]
    if parameter:
        assert body["parameter"] == parameter
    return body


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.json()["database"] == "ok"


def test_health_database_down_is_503_not_a_hang():
    down = make_engine("postgresql+psycopg://kindmap@127.0.0.1:9/nowhere")  # port 9: nothing listens
    with TestClient(create_app(down)) as client:
        assert_problem(client.get("/health"), 503)
        assert_problem(client.get("/collections/places/items"), 503)


def test_landing_conformance_collections(client):
    links = {l["rel"] for l in client.get("/").json()["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= links
    assert any(c.endswith("/conf/geojson") for c in client.get("/conformance").json()["conformsTo"])
    collections = {c["id"]: c for c in client.get("/collections").json()["collections"]}
    assert set(collections) == {"places", "areas", "spending", "indicators", "small_areas", "grants"}
    minx, miny, maxx, maxy = collections["places"]["extent"]["spatial"]["bbox"][0]
    frame = pd.read_csv(LIBRARIES)
    assert minx == pytest.approx(frame.lng.min(), abs=1e-3) and maxy == pytest.approx(frame.lat.max(), abs=1e-3)


def test_places_are_real_libraries_as_geojson(client):
    # the sample's 2016 libraries (it also holds Rutland's OpenStreetMap places)
    response = client.get("/collections/places/items", params={"limit": 5000, "source": "dcms-libraries-2016"})
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection" and body["numberReturned"] == 3238
    assert body["numberMatched"] == len(pd.read_csv(LIBRARIES))  # one page: counted without COUNT(*)
    published = pd.read_csv(LIBRARIES).set_index("id")
    for feature in body["features"][:200]:
        assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
        row = published.loc[int(feature["properties"]["source_ref"])]
        lon, lat = feature["geometry"]["coordinates"]
        assert (lon, lat) == (pytest.approx(row.lng, abs=1e-6), pytest.approx(row.lat, abs=1e-6))
        assert feature["properties"]["name"] == row["name"].strip()


def test_paging_links_walk_every_feature_once(client):
    seen, url = [], "/collections/places/items?limit=1000&status=closed,temporarily_closed"
    while url:
        body = client.get(url).json()
        seen += [f["id"] for f in body["features"]]
        url = next((l["href"] for l in body["links"] if l["rel"] == "next"), None)
    assert len(seen) == len(set(seen)) == 252


def test_bbox_matches_geopandas(client):
    box = (-2.5, 53.3, -2.0, 53.6)  # Greater Manchester
    body = client.get("/collections/places/items",
                      params={"bbox": ",".join(map(str, box)), "limit": 5000}).json()
    frame = pd.read_csv(LIBRARIES)
    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame.lng, frame.lat), crs=4326)
    expected = set(points.cx[box[0]:box[2], box[1]:box[3]]["id"].astype(str))
    assert {f["properties"]["source_ref"] for f in body["features"]} == expected


def test_areas_filter_and_point_in_polygon(client):
    body = client.get("/collections/areas/items",
                      params={"level": "ltla", "bbox": "-0.75,52.66,-0.72,52.68"}).json()
    codes = {f["properties"]["code"]: f for f in body["features"]}
    assert "E06000017" in codes  # Rutland
    rutland = shape(codes["E06000017"]["geometry"])
    assert rutland.geom_type == "MultiPolygon" and rutland.contains(Point(-0.7285, 52.6697))
    counts = {level: client.get("/collections/areas/items", params={"level": level, "limit": 1000})
              .json()["numberReturned"] for level in ("ltla", "utla")}
    assert counts == {"ltla": 361, "utla": 218}


def test_single_feature(client):
    first = client.get("/collections/places/items", params={"limit": 1}).json()["features"][0]
    again = client.get(f"/collections/places/items/{first['id']}")
    one = json.loads(again.text)
    # one place also carries the grants tied to it (analysis/grant_places.py): none in the sample
    assert again.status_code == 200 and one.pop("grants") == {"linked": [], "candidates": []} and one == first
    assert_problem(client.get("/collections/places/items/999999999"), 404)


@pytest.mark.parametrize("query, parameter", [
    ("bbox=1,2,3", "bbox"), ("bbox=a,b,c,d", "bbox"), ("bbox=10,60,5,50", "bbox"),
    ("bbox=0,0,0,200", "bbox"), ("limit=0", "limit"), ("limit=100001", "limit"), ("limit=ten", "limit"),
    ("offset=-1", "offset"), ("category=casino", "category"), ("status=gone", "status"),
    ("level=county", None), ("colour=red", "colour"), ("f=xml", "f"),
])
def test_bad_parameters_are_400_problems(client, query, parameter):
    body = assert_problem(client.get(f"/collections/places/items?{query}"), 400, parameter)
    assert "Traceback" not in json.dumps(body)


def test_unknown_collection_is_404(client):
    assert_problem(client.get("/collections/pubs/items"), 404, "collectionId")


def test_openapi_describes_every_parameter(client):
    spec = client.get("/openapi.json").json()
    for collection in COLLECTIONS:  # one items path per collection, each with its own filters
        operation = spec["paths"][f"/collections/{collection}/items"]["get"]
        for parameter in operation["parameters"]:
            assert parameter.get("description"), parameter["name"]
        filters = {p["name"] for p in operation["parameters"]} & set(PROPERTY_FILTERS)
        assert filters == set(COLLECTIONS[collection].filters), collection
    assert "/collections/{collectionId}/items" not in spec["paths"]


def test_answers_name_the_licences_and_attribution_of_what_is_loaded(client):
    """Attribution travels with the data, derived from what is loaded (import runs → sources →
    the catalog's dataset by file SHA-256): the sample's 2016 libraries (in the catalog), Rutland's
    OpenStreetMap places (an extract the catalog does not pin: credited from its source's record)
    and ONS boundaries."""
    libraries = ("Contains public sector information licensed under the Open Government Licence v3.0 "
                 "(DCMS Libraries Taskforce); geocoded by Libraries Hacked")
    osm = "OpenStreetMap contributors (Open Data Commons Open Database License 1.0)"
    ogl = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    odbl = "https://opendatacommons.org/licenses/odbl/1-0/"

    def licences(links):
        return {link["href"] for link in links if link["rel"] == "license"}

    landing = client.get("/").json()
    assert licences(landing["links"]) == {ogl, odbl} and osm in landing["attribution"]
    places = client.get("/collections/places").json()
    assert places["attribution"].startswith(libraries) and places["attribution"].endswith(osm)
    assert licences(places["links"]) == {ogl, odbl}
    areas = client.get("/collections/areas").json()
    assert "Source: Office for National Statistics" in areas["attribution"] and licences(areas["links"]) == {ogl}
    tilejson = client.get("/collections/places/tiles/WebMercatorQuad/tilejson.json").json()
    assert tilejson["attribution"] == places["attribution"]
    page = client.get("/collections/places/items", params={"limit": 1}).json()
    assert page["attribution"] == places["attribution"] and licences(page["links"]) == {ogl, odbl}
    csv = client.get("/collections/places/items", params={"f": "csv", "limit": 1})
    assert csv.headers["content-disposition"] == 'attachment; filename="places.csv"'
    assert f'<{odbl}>; rel="license"' in csv.headers["link"]
    assert '/collections/places/attribution>; rel="related"; type="text/plain"' in csv.headers["link"]
    sidecar = client.get("/collections/places/attribution")
    assert sidecar.headers["content-type"].startswith("text/plain")
    assert f"- {osm}\n" in sidecar.text and f"- Open Database License" not in sidecar.text
    assert f"Open Data Commons Open Database License 1.0: {odbl}" in sidecar.text
