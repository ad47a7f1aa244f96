"""The small-area layer (collection `small_areas`): its items, tiles and downloads carry the figures
GET /gaps and GET /areas/{code}/summary give for the same parameters, GDAL reads them back, and
each bad parameter earns a 400 naming it."""
import json

import morecantile
import pyogrio
import pytest
from fastapi.testclient import TestClient

from store.db import make_engine
from app.main import create_app
from tests.analysis_inputs import analysis_loaded  # noqa: F401 (the fixture)
from tests.conftest import scalar
from tests.test_api import assert_problem

TRAFFORD, RUTLAND = "E08000009", "E06000017"
TMS = morecantile.tms.get("WebMercatorQuad")
PARAMS = {"categories": "library,community_centre", "year": 2016, "radius": 1500}
ITEMS = "/collections/small_areas/items"
TILES = "/collections/small_areas/tiles/WebMercatorQuad"


@pytest.fixture(scope="module")
def client(analysis_loaded, database_url):
    with TestClient(create_app(make_engine(database_url))) as client:
        yield client


@pytest.fixture(scope="module")
def gaps(client):
    """GET /gaps for Trafford with PARAMS, by small-area code."""
    response = client.get("/gaps", params={"area": TRAFFORD, **PARAMS})
    assert response.status_code == 200
    return {f["id"]: f["properties"] for f in response.json()["features"]}


def assert_same_figures(layer: dict, gap: dict):
    """One small area's flat layer properties against its /gaps feature (a tile leaves out the
    properties that are null, GDAL reads them as NaN or not at all)."""
    layer = {k: None if v != v else v for k, v in layer.items()}
    layer = {k: layer.get(k) for k in ("nearest_m", "count_within", "nearest_place_id", "cumulative", "fca2",
                                       "e2sfca", "gravity", "gap_score", "gap_driver", "gap_need", "gap_access",
                                       "gap_loss", "gap_spending", "places_lost")}
    assert layer["nearest_m"] == gap["nearest_m"] and layer["count_within"] == gap["count_within"]
    assert layer["nearest_place_id"] == (gap["nearest_place"] or {}).get("id")
    for measure in ("cumulative", "fca2", "e2sfca", "gravity"):
        assert layer[measure] == pytest.approx(gap["access"][measure], rel=1e-9)
    assert layer["gap_score"] == gap["gap"]["score"] and layer["gap_driver"] == gap["gap"]["driver"]
    for part in ("need", "access", "loss", "spending"):
        assert layer[f"gap_{part}"] == gap["gap"][part]
    assert layer["places_lost"] == gap["gap"]["places_lost"]


def test_items_carry_the_figures_of_gaps(client, gaps):
    response = client.get(ITEMS, params={"utla": TRAFFORD, "limit": 1000, **PARAMS})
    assert response.status_code == 200 and response.headers["content-type"] == "application/geo+json"
    page = response.json()
    assert page["numberMatched"] == page["numberReturned"] == len(gaps) == 139
    for feature in page["features"]:
        assert feature["geometry"]["type"] == "MultiPolygon"  # Trafford's 2021 LSOAs are loaded
        assert_same_figures(feature["properties"], gaps[feature["id"]])
    one = client.get(f"{ITEMS}/{page['features'][0]['id']}", params=PARAMS).json()
    assert one["properties"] == page["features"][0]["properties"]
    assert_problem(client.get(f"{ITEMS}/E99999999", params=PARAMS), 404, "code")


def test_a_tile_carries_the_figures_of_gaps(client, gaps, tmp_path):
    tile = TMS.tile(-2.33, 53.43, 10)  # central Trafford
    figures = ("code,utla,nearest_m,count_within,nearest_place_id,cumulative,fca2,e2sfca,gravity,gap_score,"
               "gap_driver,gap_need,gap_access,gap_loss,gap_spending,places_lost")
    response = client.get(f"{TILES}/10/{tile.x}/{tile.y}", params={**PARAMS, "properties": figures})
    assert response.status_code == 200 and response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    path = tmp_path / "10" / str(tile.x) / f"{tile.y}.pbf"
    path.parent.mkdir(parents=True)
    path.write_bytes(response.content)
    frame = pyogrio.read_dataframe(path, layer="small_areas")
    inside = frame[frame["utla"] == TRAFFORD]
    assert len(inside) > 20 and set(inside.geom_type) <= {"Polygon", "MultiPolygon"}
    assert set(frame.geom_type) - {"Polygon", "MultiPolygon"} == {"Point"}  # Manchester's 2011 origins
    for row in inside.to_dict("records"):
        assert_same_figures(row, gaps[row["code"]])
    # the map asks only for what it shades
    slim = client.get(f"{TILES}/10/{tile.x}/{tile.y}", params={**PARAMS, "properties": "code,gap_score"})
    assert 0 < len(slim.content) < len(response.content)


def test_boundaries_reaching_into_a_tile_are_in_it(client, engine, tmp_path):
    """At z14 a tile is ~2 km wide and LSOAs about 1 km: every Trafford boundary meeting the tile
    is drawn in it, its origin inside the tile or not."""
    z = 14
    tile = TMS.tile(-2.33, 53.43, z)
    response = client.get(f"{TILES}/{z}/{tile.x}/{tile.y}", params={**PARAMS, "properties": "code"})
    path = tmp_path / str(z) / str(tile.x) / f"{tile.y}.pbf"
    path.parent.mkdir(parents=True)
    path.write_bytes(response.content)
    drawn = set(pyogrio.read_dataframe(path, layer="small_areas")["code"])
    meeting = set(scalar(engine, "SELECT array_agg(s.code) FROM analysis_small_areas s JOIN areas a ON a.id = s.area_id "
                                 "WHERE ST_Intersects(a.geom_3857, ST_TileEnvelope(:z, :x, :y))",
                         z=z, x=tile.x, y=tile.y))
    assert len(meeting) > 5 and meeting <= drawn


def test_a_rollup_of_the_items_is_the_summary(client):
    """Residents, residents within the radius, the mean 2SFCA and the median distance of Rutland's
    small areas from the layer equal GET /areas/{code}/summary's."""
    areas = [f["properties"] for f in client.get(ITEMS, params={"utla": RUTLAND, "limit": 1000, **PARAMS}).json()["features"]]
    summary = client.get(f"/areas/{RUTLAND}/summary", params=PARAMS).json()["all"]
    residents = sum(a["population"] for a in areas)
    assert summary["small_areas"] == len(areas) and summary["residents"] == residents
    assert summary["residents_within"] == sum(a["population"] for a in areas if a["count_within"] > 0)
    assert summary["fca2"] == pytest.approx(sum(a["fca2"] * a["population"] for a in areas) / residents, rel=1e-9)
    nearer, median = 0, None
    for a in sorted(areas, key=lambda a: (a["nearest_m"], a["code"])):
        nearer += a["population"]
        if nearer >= residents / 2:
            median = a["nearest_m"]
            break
    assert summary["median_m"] == pytest.approx(median, abs=0.051)


def test_downloads_and_bbox(client, tmp_path):
    """A bbox across Rutland's edge (its 2021 polygons, its neighbours' 2011 points) as GeoJSON,
    CSV and GeoPackage: GDAL reads back the same small areas."""
    bbox = {"bbox": "-0.6,52.6,-0.3,52.7", **PARAMS}
    page = client.get(ITEMS, params={**bbox, "limit": 1000}).json()
    codes = {f["id"] for f in page["features"]}
    assert {f["geometry"]["type"] for f in page["features"]} == {"MultiPolygon", "Point"}
    for fmt in ("csv", "gpkg"):
        path = tmp_path / f"layer.{fmt}"
        path.write_bytes(client.get(ITEMS, params={**bbox, "f": fmt}).content)
        frame = pyogrio.read_dataframe(path)
        assert set(frame["code"]) == codes
    bng = client.get(ITEMS, params={"bbox": "480000,300000,500000,320000", "bbox-crs": "EPSG:27700",
                                    "limit": 1000, **PARAMS}).json()
    assert bng["numberReturned"] > 0


def test_tilejson_keeps_the_parameters(client):
    document = client.get(f"{TILES}/tilejson.json", params=PARAMS).json()
    assert document["tiles"][0].endswith("/{z}/{x}/{y}?categories=library%2Ccommunity_centre&year=2016&radius=1500")
    assert {"code", "gap_score", "nearest_m", "count_within", "fca2"} <= set(document["vector_layers"][0]["fields"])
    assert "small_areas" in {c["id"] for c in client.get("/collections").json()["collections"]}
    slim = client.get(f"{TILES}/tilejson.json", params={**PARAMS, "properties": "code,gap_score"}).json()
    # (its origin points are thinned to one per pixel at low zooms: point_count says how many)
    assert slim["vector_layers"][0]["fields"] == {"code": "string", "gap_score": "number", "point_count": "number"}


@pytest.mark.parametrize("path, params, parameter", [
    (ITEMS, {"year": 1999}, "year"),
    (ITEMS, {"radius": 50}, "radius"),
    (ITEMS, {"categories": "library,casino"}, "categories"),
    (ITEMS, {"nearest": 1}, "nearest"),
    (ITEMS, {"sortby": "geom"}, "sortby"),
    (f"{TILES}/8/126/82", {"year": "2016.5"}, "year"),
    (f"{TILES}/8/126/82", {"radius": "far"}, "radius"),
    (f"{TILES}/8/126/82", {"properties": "code,secret"}, "properties"),
    (f"{TILES}/8/999/82", {}, "x"),
    (f"{TILES}/tilejson.json", {"categories": ""}, "categories"),
    (f"{TILES}/tilejson.json", {"properties": "secret"}, "properties"),
    (f"{ITEMS}/E01006074", {"steps": "x"}, "steps"),
])
def test_bad_parameters_are_named(client, path, params, parameter):
    assert_problem(client.get(path, params=params), 400, parameter)


def test_openapi_documents_the_layer(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (ITEMS, f"{TILES.rsplit('/', 1)[0]}/{{tileMatrixSetId}}/{{z}}/{{x}}/{{y}}"):
        names = {p["name"] for p in paths[path]["get"]["parameters"]}
        assert {"categories", "year", "radius"} <= names
    assert json.dumps(paths[ITEMS]["get"]["responses"]["400"])
