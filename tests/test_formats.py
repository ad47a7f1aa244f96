"""Downloads read back by GDAL (pyogrio): CSV, GeoJSON-Seq and GeoPackage hold every feature with
its published coordinates; `f=` and `Accept` choose alike."""
import json

import pandas as pd
import pyogrio
import pytest

from tests.test_api import LIBRARIES, assert_problem, client  # noqa: F401  (client: fixture)


@pytest.fixture(scope="module")
def published():
    return pd.read_csv(LIBRARIES).set_index("id")


def saved(client, tmp_path, name, headers=None, **params):
    """A download of the 2016 list's records (the sample also holds Rutland's OSM places)."""
    params = {"source": "dcms-libraries-2016", **params}
    response = client.get("/collections/places/items", params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    path = tmp_path / name
    path.write_bytes(response.content)
    return response, path


def assert_same_places(frame, published):
    assert len(frame) == len(published)
    frame = frame.set_index(frame["source_ref"].astype(int))
    for ref in published.index[::97]:
        point = frame.loc[ref].geometry
        assert (point.x, point.y) == (pytest.approx(published.loc[ref].lng, abs=1e-6),
                                      pytest.approx(published.loc[ref].lat, abs=1e-6))
        assert frame.loc[ref]["name"] == published.loc[ref]["name"].strip()


def test_csv_download_read_by_gdal(client, tmp_path, published):
    response, path = saved(client, tmp_path, "places.csv", f="csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="places.csv"' in response.headers["content-disposition"]
    assert_same_places(pyogrio.read_dataframe(path), published)


def test_geojsonseq_download_read_by_gdal(client, tmp_path, published):
    response, path = saved(client, tmp_path, "places.geojsonl", f="geojsonseq")
    lines = response.text.splitlines()
    assert len(lines) == len(published) and json.loads(lines[0])["type"] == "Feature"
    assert_same_places(pyogrio.read_dataframe(path, driver="GeoJSONSeq"), published)


def test_geopackage_download_read_by_gdal(client, tmp_path, published):
    _, path = saved(client, tmp_path, "places.gpkg", f="gpkg")
    frame = pyogrio.read_dataframe(path, layer="places")
    assert frame.crs.to_epsg() == 4326
    assert_same_places(frame, published)
    _, bng = saved(client, tmp_path, "bng.gpkg", f="gpkg", crs="EPSG:27700", status="closed")
    closed = pyogrio.read_dataframe(bng)
    assert closed.crs.to_epsg() == 27700 and len(closed) == published.closed.isin(["XL", "XLR"]).sum()
    assert closed.geometry.x.min() > 0  # eastings


def test_accept_header_chooses_like_f(client):
    as_csv = client.get("/collections/places/items", params={"limit": 3}, headers={"Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv") and len(as_csv.text.splitlines()) == 4
    preferred = client.get("/collections/places/items", params={"limit": 3},
                           headers={"Accept": "text/csv;q=0.5, application/geo+json"})
    assert preferred.headers["content-type"] == "application/geo+json"
    assert client.get("/collections/places/items?limit=1",
                      headers={"Accept": "text/html"}).headers["content-type"] == "application/geo+json"


def test_non_spatial_collection_downloads(client, tmp_path):
    response = client.get("/collections/indicators/items", params={"f": "csv", "limit": 5})
    assert response.text.splitlines()[0] == "id,area_code,indicator,period,value"
    body = client.get("/collections/spending/items").json()
    assert body["type"] == "FeatureCollection" and body["numberMatched"] == 0


def test_bad_format_is_400(client):
    assert_problem(client.get("/collections/places/items?f=shp"), 400, "f")
    assert_problem(client.get("/collections/places/items?f=csv&properties=colour"), 400, "properties")
