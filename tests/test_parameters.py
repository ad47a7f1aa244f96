"""The shared analysis parameters (app/parameters.py): one grammar, one default and one name on
every endpoint that takes them. Refusals happen before any analysis runs: no data is loaded."""
import json

import pytest
from fastapi.testclient import TestClient

from analysis import defaults
from app.errors import ApiError
from app.main import create_app
from app.parameters import category_weights
from store.db import make_engine

ANALYSIS = ("/gaps", "/areas/{code}/summary", "/closures", "/priorities", "/collections/small_areas/items")


@pytest.fixture(scope="module")
def client(database_url):
    with TestClient(create_app(make_engine(database_url))) as client:
        yield client


@pytest.fixture(scope="module")
def openapi(client):
    return client.get("/openapi.json").json()["paths"]


def test_categories_take_optional_weights():
    assert category_weights("library:1,community_centre:0.5") == {"library": 1.0, "community_centre": 0.5}
    assert category_weights(" library , village_hall:2 ") == {"library": 1.0, "village_hall": 2.0}
    assert list(category_weights("village_hall,library")) == ["village_hall", "library"]  # as given


@pytest.mark.parametrize("raw", ["casino", "library:0", "library:-1", "library:11", "library:x",
                                 "library:nan", "library,library:2", ",", ""])
def test_bad_categories_are_400s_naming_the_parameter(raw):
    for parameter in ("categories", "category"):
        with pytest.raises(ApiError) as refused:
            category_weights(raw, parameter)
        assert refused.value.status == 400 and refused.value.parameter == parameter


@pytest.mark.parametrize("path, params, parameter", [
    ("/gaps", {"area": "E06000017", "categories": "library:0"}, "categories"),
    ("/closures", {"categories": "library:x"}, "categories"),
    ("/priorities", {"categories": "casino"}, "categories"),
    ("/priorities", {"category": "casino"}, "category"),
    ("/priorities", {"radius": "50"}, "radius"),
    ("/closures", {"radius": "20000"}, "radius"),
    ("/gaps", {"area": "E06000017", "year": "1999"}, "year"),
    ("/priorities", {"year": "1999"}, "year"),
])
def test_every_endpoint_refuses_alike(client, path, params, parameter):
    response = client.get(path, params=params, headers={"Accept": "application/json"})
    assert response.status_code == 400, response.text
    assert json.loads(response.text)["parameter"] == parameter


def test_the_deprecated_category_is_read_only_without_categories(client):
    """As the document says: with both, categories is read (both given used to be a 400, which the
    document did not say); a blank one is the default, as a blank categories."""
    def chosen(**params):
        response = client.get("/priorities", params=params, headers={"Accept": "application/json"})
        assert response.status_code == 200, response.text
        return json.loads(response.text)["kindmap:parameters"]["categories"]

    assert chosen(categories="community_centre", category="library") == ["community_centre"]
    assert chosen(category="community_centre") == ["community_centre"]
    assert chosen(category="") == chosen() == ["library"]


def _parameters(openapi, path):
    operation = openapi[path]["get"]
    return {p["name"]: p for p in operation["parameters"]}


def test_one_name_one_default_on_every_analysis_endpoint(openapi):
    for path in ANALYSIS:
        given = _parameters(openapi, path)
        assert "categories" in given and "radius" in given, path
        assert given["radius"]["description"] == _parameters(openapi, "/gaps")["radius"]["description"]
        assert f"default {defaults.RADIUS_M:g}" in given["radius"]["description"]
    assert _parameters(openapi, "/gaps")["year"]["schema"].get("default") == defaults.YEAR
    assert _parameters(openapi, "/priorities")["year"]["schema"].get("default") == defaults.YEAR


def test_priorities_category_is_a_deprecated_alias(openapi):
    given = _parameters(openapi, "/priorities")
    assert given["category"].get("deprecated") is True
    assert not given["categories"].get("deprecated")
