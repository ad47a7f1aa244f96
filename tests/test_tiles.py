"""Vector tiles: GDAL's MVT driver decodes what PostGIS built, with the features geopandas finds
in the tile (its 64-unit buffer included); filters select as in items; an empty tile is 204."""
import morecantile
import pyogrio
import pytest
from shapely.geometry import box

from app.tiles import BUFFER, EXTENT
from tests.conftest import scalar
from tests.test_api import assert_problem, client  # noqa: F401  (client: fixture)
from tests.test_filters import published  # noqa: F401  (fixture)

TMS = morecantile.tms.get("WebMercatorQuad")
MANCHESTER = (-2.2426, 53.4808)


def decoded(client, tmp_path, collection, z, x, y, **params):
    response = client.get(f"/collections/{collection}/tiles/WebMercatorQuad/{z}/{x}/{y}", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    path = tmp_path / str(z) / str(x) / f"{y}.pbf"  # z/x/y.pbf: GDAL georeferences the tile by its path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(response.content)
    return pyogrio.read_dataframe(path, layer=collection, CLIP="NO")  # keep the buffer GDAL would clip


def in_buffered_tile(published, z, x, y, buffer=BUFFER):
    left, bottom, right, top = TMS.xy_bounds(x, y, z)
    margin = (right - left) * buffer / EXTENT
    area = box(left - margin, bottom - margin, right + margin, top + margin)
    return published[published.to_crs(3857).within(area)]


def test_gdal_decodes_the_places_in_a_tile(client, published, tmp_path):
    tile = TMS.tile(*MANCHESTER, 12)
    frame = decoded(client, tmp_path, "places", 12, tile.x, tile.y, properties="source_ref")
    expected = in_buffered_tile(published, 12, tile.x, tile.y)
    assert len(expected) > 0 and set(frame["source_ref"]) == set(expected["ref"])
    assert set(frame.geom_type) == {"Point"}


def test_points_are_thinned_to_one_per_pixel_at_low_zooms(client, published, engine, tmp_path):
    """Up to z11 each screen pixel keeps one place, carrying how many it stands for; together
    they are every place of the tile (before: z0 carried each of them, with every property)."""
    tile = TMS.tile(*MANCHESTER, 8)
    frame = decoded(client, tmp_path, "places", 8, tile.x, tile.y, properties="source_ref")
    expected = in_buffered_tile(published, 8, tile.x, tile.y, buffer=0)  # a point is drawn by its own tile only
    assert 0 < len(frame) < len(expected) and frame["point_count"].sum() == len(expected)
    assert set(frame["source_ref"]) <= set(expected["ref"])
    world = decoded(client, tmp_path / "world", "places", 0, 0, 0)
    located = scalar(engine, "SELECT count(*) FROM place_features WHERE geom IS NOT NULL")
    assert len(world) < 100 < located == world["point_count"].sum()


def test_a_tile_carries_what_a_map_draws_unless_asked_for_more(client, tmp_path):
    tile = TMS.tile(*MANCHESTER, 12)
    frame = decoded(client, tmp_path, "places", 12, tile.x, tile.y)
    assert set(frame.columns) == {"mvt_id", "name", "category", "status", "geometry"}  # mvt_id: the place id
    tilejson = client.get("/collections/places/tiles/WebMercatorQuad/tilejson.json").json()
    assert set(tilejson["vector_layers"][0]["fields"]) == {"name", "category", "status", "point_count"}


@pytest.mark.parametrize("collection", ["places", "areas", "small_areas"])
def test_every_zoom_answers_and_deeper_than_22_is_400(client, collection):
    """A tile over Rutland at each zoom 0-22 (small_areas at z0-z2 was a 500: "Point outside of
    projection domain"), one far outside the data, and z23."""
    for z in range(23):
        tile = TMS.tile(-0.7285, 52.6697, z)
        response = client.get(f"/collections/{collection}/tiles/WebMercatorQuad/{z}/{tile.x}/{tile.y}")
        assert response.status_code in (200, 204), (z, response.text)
    far = TMS.tile(170.0, -45.0, 3)  # New Zealand
    assert client.get(f"/collections/{collection}/tiles/WebMercatorQuad/3/{far.x}/{far.y}").status_code == 204
    assert_problem(client.get(f"/collections/{collection}/tiles/WebMercatorQuad/23/0/0"), 400, "z")


def test_filters_and_cql2_apply_to_tiles(client, published, tmp_path):
    tile = TMS.tile(*MANCHESTER, 8)
    everything = in_buffered_tile(published, 8, tile.x, tile.y, buffer=0)  # thinned: its own points
    closed = decoded(client, tmp_path / "a", "places", 8, tile.x, tile.y, status="closed", properties="source_ref")
    assert_thinned(closed, everything[everything.closed.isin(["XL", "XLR"])])
    cql = decoded(client, tmp_path / "b", "places", 8, tile.x, tile.y, filter="closed_year >= 2014",
                  properties="source_ref")
    assert_thinned(cql, everything[everything.closed_year >= 2014])


def assert_thinned(frame, expected):
    """A z8 tile holds a place of each pixel, standing for the ``point_count`` places there (its
    own: the buffer's are drawn by their tiles)."""
    assert len(expected) and set(frame["source_ref"]) <= set(expected["ref"])
    assert frame["point_count"].sum() == len(expected)


def test_boundaries_tile_is_simplified_polygons(client, tmp_path):
    tile = TMS.tile(-0.7285, 52.6697, 5)  # Rutland
    frame = decoded(client, tmp_path, "areas", 5, tile.x, tile.y, level="ltla")
    assert "E06000017" in set(frame["code"]) and set(frame["level"]) == {"ltla"}
    assert set(frame.geom_type) <= {"Polygon", "MultiPolygon"}


def test_empty_tile_is_204(client):
    tile = TMS.tile(-30.0, 45.0, 8)  # mid-Atlantic
    assert client.get(f"/collections/places/tiles/WebMercatorQuad/8/{tile.x}/{tile.y}").status_code == 204


def test_tilejson_and_tile_matrix_sets(client):
    tilejson = client.get("/collections/places/tiles/WebMercatorQuad/tilejson.json",
                          params={"category": "library"}).json()
    assert tilejson["tiles"][0].endswith("/collections/places/tiles/WebMercatorQuad/{z}/{x}/{y}?category=library")
    assert tilejson["vector_layers"][0]["fields"]["category"] == "string"
    definition = client.get("/tileMatrixSets/WebMercatorQuad").json()
    assert definition["id"] == "WebMercatorQuad" and len(definition["tileMatrices"]) == 25
    assert client.get("/collections/places/tiles").json()["tilesets"][0]["dataType"] == "vector"


@pytest.mark.parametrize("path, status, parameter", [
    ("/collections/places/tiles/WebMercatorQuad/3/8/0", 400, "x"),
    ("/collections/places/tiles/WebMercatorQuad/3/0/8", 400, "y"),
    ("/collections/places/tiles/WebMercatorQuad/25/0/0", 400, "z"),
    ("/collections/places/tiles/WorldCRS84Quad/3/0/0", 404, "tileMatrixSetId"),
    ("/collections/spending/tiles/WebMercatorQuad/3/0/0", 404, "collectionId"),
    ("/collections/places/tiles/WebMercatorQuad/3/0/0?filter=colour%3D1", 400, "filter"),
])
def test_bad_tiles_are_problems(client, path, status, parameter):
    assert_problem(client.get(path), status, parameter)
