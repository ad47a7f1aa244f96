"""Coordinate reference systems (OGC API Features Part 2): output and bbox in CRS84, EPSG:4326
(latitude first) and EPSG:27700, checked against pyproj and geopandas."""
import pandas as pd
import pytest
from pyproj import Transformer

from tests.test_api import LIBRARIES, assert_problem, client  # noqa: F401  (client: fixture)
from tests.test_filters import published, refs  # noqa: F401  (fixture and helper)

BNG = "http://www.opengis.net/def/crs/EPSG/0/27700"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"


def by_ref(client, **params) -> dict:
    response = client.get("/collections/places/items", params={"limit": 10000, **params})
    assert response.status_code == 200, response.text
    return response, {f["properties"]["source_ref"]: f["geometry"]["coordinates"] for f in response.json()["features"]}


def test_british_national_grid_output_matches_pyproj(client):
    response, coordinates = by_ref(client, crs=BNG)
    assert response.headers["content-crs"] == f"<{BNG}>"
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    for row in pd.read_csv(LIBRARIES).head(300).itertuples():
        x, y = to_bng.transform(row.lng, row.lat)
        assert coordinates[str(row.id)] == [pytest.approx(x, abs=0.1), pytest.approx(y, abs=0.1)]


def test_epsg_4326_is_latitude_first(client):
    response, coordinates = by_ref(client, crs="EPSG:4326", limit=50)
    assert response.headers["content-crs"] == f"<{EPSG_4326}>"
    row = pd.read_csv(LIBRARIES).iloc[0]
    assert coordinates[str(row.id)] == [pytest.approx(row.lat, abs=1e-6), pytest.approx(row.lng, abs=1e-6)]
    one = client.get(f"/collections/places/items/1?crs={BNG}")
    assert one.headers["content-crs"] == f"<{BNG}>" and one.json()["geometry"]["coordinates"][0] > 1000


def test_bbox_in_each_crs_selects_the_same_as_geopandas(client, published):
    box = (-2.5, 53.3, -2.0, 53.6)
    expected = set(published.cx[box[0]:box[2], box[1]:box[3]]["ref"])
    assert refs(client, bbox=",".join(map(str, box))) == expected
    lat_first = (box[1], box[0], box[3], box[2])
    assert refs(client, bbox=",".join(map(str, lat_first)), **{"bbox-crs": EPSG_4326}) == expected
    in_bng = published.to_crs(27700)
    minx, miny, maxx, maxy = 380000, 390000, 400000, 410000
    assert refs(client, bbox=f"{minx},{miny},{maxx},{maxy}", **{"bbox-crs": "EPSG:27700"}) == \
        set(in_bng.cx[minx:maxx, miny:maxy]["ref"])
    assert refs(client, filter=f"S_INTERSECTS(geometry, POLYGON(({minx} {miny}, {maxx} {miny}, {maxx} {maxy}, "
                f"{minx} {maxy}, {minx} {miny})))", **{"filter-crs": BNG}) == set(in_bng.cx[minx:maxx, miny:maxy]["ref"])


def test_collections_list_their_crs(client):
    places = client.get("/collections/places").json()
    assert BNG in places["crs"] and places["storageCrs"].endswith("CRS84")
    assert "crs" not in client.get("/collections/spending").json()


@pytest.mark.parametrize("params, parameter", [
    ({"crs": "EPSG:3857"}, "crs"), ({"bbox-crs": "EPSG:2154", "bbox": "0,0,1,1"}, "bbox-crs"),
    ({"bbox": "53.3,-2.5,53.6,-2.0", "bbox-crs": "EPSG:4326", "crs": "urn:x"}, "crs"),
    ({"bbox": "200,0,210,1", "bbox-crs": "EPSG:4326"}, "bbox"),
])
def test_bad_crs_is_400_naming_it(client, params, parameter):
    assert_problem(client.get("/collections/places/items", params=params), 400, parameter)
