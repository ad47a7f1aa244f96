"""HTTP caching and the API description: strong ETags that change when the data change, 304s,
gzip, and an OpenAPI document whose version, types and claims agree with the landing page."""
import pytest
from sqlalchemy import event, text

from tests.test_api import assert_problem, client  # noqa: F401  (client: fixture)


@pytest.mark.parametrize("path", ["/collections/places/items?limit=5", "/collections/places/items/1",
                                  "/collections/places", "/collections",
                                  "/collections/places/tiles/WebMercatorQuad/8/126/82"])
def test_etag_304_and_invalidation_by_a_write(client, path):
    first = client.get(path)
    tag = first.headers["etag"]
    assert first.status_code == 200 and not tag.startswith("W/") and "cache-control" in first.headers
    again = client.get(path, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    with client.app.state.engine.begin() as conn:  # a write, as a load or an edit would do (a place's
        conn.execute(text("UPDATE places SET updated_at = now() WHERE id = 1"))  # ETag is its own version)
    changed = client.get(path, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag


def test_a_tile_is_one_statement_and_its_revalidation_one_more_cheap_one(client):
    """The tile's statement also reads its ETag's data version (one round trip); a revalidation
    reads only the version and answers 304 without the tile query."""
    path, statements = "/collections/places/tiles/WebMercatorQuad/8/126/82", []
    engine = client.app.state.engine

    def seen(conn, cursor, statement, *args):
        statements.append(statement)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        tag = client.get(path).headers["etag"]
        assert len(statements) == 1 and "data_versions" in statements[0] and "ST_AsMVT" in statements[0]
        statements.clear()
        assert client.get(path, headers={"If-None-Match": tag}).status_code == 304
        assert len(statements) == 1 and "ST_AsMVT" not in statements[0]
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_etag_differs_by_representation(client):
    geojson = client.get("/collections/places/items?limit=5").headers["etag"]
    csv = client.get("/collections/places/items?limit=5", headers={"Accept": "text/csv"}).headers["etag"]
    assert geojson != csv


def test_gzip(client):
    response = client.get("/collections/places/items?limit=500", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip" and response.json()["numberReturned"] == 500
    revalidated = client.get("/collections/places/items?limit=500",
                             headers={"Accept-Encoding": "gzip", "If-None-Match": response.headers["etag"]})
    assert revalidated.status_code == 304
    for answer in (response, revalidated):  # each name once, the 304 as the 200
        names = [name.strip() for name in answer.headers["vary"].split(",")]
        assert len(names) == len(set(names)) and {"Accept", "Accept-Encoding"} <= set(names)


def test_openapi_version_matches_landing_and_conformance(client):
    spec = client.get("/openapi.json").json()
    desc = next(l for l in client.get("/").json()["links"] if l["rel"] == "service-desc")
    assert spec["openapi"].startswith("3.1") and desc["type"].endswith("version=3.1")
    assert not any(c.endswith("/oas30") for c in client.get("/conformance").json()["conformsTo"])


def test_openapi_parameters_have_real_types(client):
    spec = client.get("/openapi.json").json()
    # one items path per collection, each with its own filters (tests/test_fuzz.py)
    parameters = {p["name"]: p for p in spec["paths"]["/collections/places/items"]["get"]["parameters"]}
    assert {"filter", "filter-lang", "crs", "bbox-crs", "sortby", "properties", "datetime", "category",
            "status"} <= set(parameters)
    assert not {"level", "area_code"} & set(parameters)  # areas' and spending's filters, not places'
    assert parameters["category"]["schema"]["pattern"].startswith("^ *(library|")
    assert all(p.get("description") for p in parameters.values())
    bbox = parameters["bbox"]["schema"]["anyOf"][0]
    assert bbox["pattern"].startswith("^") and parameters["limit"]["schema"]["anyOf"][0]["type"] == "integer"
    assert parameters["filter-lang"]["schema"]["enum"] == ["cql2-text", "cql2-json", "cql-text"]
    assert_problem(client.get("/collections/places/items?bbox=__main__"), 400, "bbox")
    tile = spec["paths"]["/collections/places/tiles/{tileMatrixSetId}/{z}/{x}/{y}"]["get"]
    assert {p["name"] for p in tile["parameters"]} >= {"z", "x", "y", "filter", "category"}
