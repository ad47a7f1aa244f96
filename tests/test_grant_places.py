"""Places that receive grants, on Trafford's real 360Giving file and Trafford's real place lists:
a recipient's charity number in a place's attributes (here added by a planner's edit) links its
grants to the place; a similar name near where a grant lands is only a candidate, never linked;
/collections/places/items/{id} shows both, and its ETag follows them."""
from __future__ import annotations

import csv
import json

import pytest
from fastapi.testclient import TestClient

import analysis
from analysis.grant_places import refresh_grant_places
from app.main import create_app
from store.db import make_engine
from store.settings import ApiSettings
from tests.analysis_inputs import analysis_entries
from tests.conftest import load_files, scalar
from tests.test_edits import make_key, patch
from tests.test_grants_load import TRAFFORD, load_grant_inputs, rows

TRAFFORD_CODE = "E08000009"
PLACE_LISTS = {"trafford_places_of_worship_os_openmap_local.geojson", "gm_food_banks_2018.geojson",
               "trafford_childrens_centres_2019.csv", "gm_libraries_trafford_datalab.csv"}
BAPTISTS = "1130343"  # Altrincham Baptist Church's charity number, as the file gives it


@pytest.fixture(scope="module")
def loaded(engine, shared_data):
    from loaders import KINDS
    from loaders.pipeline import run

    load_grant_inputs(engine)
    for e in analysis_entries(PLACE_LISTS):
        run(engine, e.kind, KINDS[e.kind].load, KINDS[e.kind].source, e.path, e.options, strict=e.strict)
    load_files(engine)("grants-360giving", shared_data / TRAFFORD)
    with engine.begin() as conn:
        refresh_grant_places(conn)
    return engine


@pytest.fixture(scope="module")
def client(loaded, database_url):
    with TestClient(create_app(make_engine(database_url), ApiSettings(allowed_hosts="*"))) as client:
        yield client


@pytest.fixture(scope="module")
def published(shared_data) -> list[dict]:
    with (shared_data / TRAFFORD).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def place_named(engine, name: str, source: str) -> int:
    return scalar(engine, "SELECT id FROM place_features WHERE name = :n AND source = :s", n=name, s=source)


def grants_of(client, place: int) -> dict:
    answer = client.get(f"/collections/places/items/{place}")
    assert answer.status_code == 200
    return answer.json()["grants"]


def test_the_step_is_registered():
    assert "grant_places" in [s.name for s in analysis.STEPS]


def test_a_similar_name_nearby_is_a_candidate_never_a_link(client, loaded, published):
    church = place_named(loaded, "Gorse Hill Methodist Church", "os-openmap-local-worship-trafford")
    shown = grants_of(client, church)
    [grant] = [r for r in published if r["Recipient Org:Name"] == "Gorse Hill Methodist Church"]
    assert shown["linked"] == []
    [candidate] = [c for c in shown["candidates"] if c["identifier"] == grant["Identifier"]]
    assert candidate["basis"] == "name_distance" and candidate["name_score"] == 100
    assert candidate["distance_m"] == 0 and candidate["amount_awarded"] == float(grant["Amount Awarded"])
    # no name ever links: every link has a number behind it
    assert rows(loaded, "SELECT DISTINCT basis, state FROM analysis_grant_places ORDER BY 1") == [
        ("name_distance", "candidate")]
    # a name that agrees only in part ("Sale West Heritage" and "Sale Library") is no candidate
    sale = place_named(loaded, "Sale Library", "gm-libraries-2023")
    assert grants_of(client, sale) == {"linked": [], "candidates": []}


def test_a_charity_number_in_a_places_attributes_links_its_grants(client, loaded, published):
    church = place_named(loaded, "Altrincham Baptist Church", "os-openmap-local-worship-trafford")
    before = client.get(f"/collections/places/items/{church}")
    assert before.json()["grants"]["linked"] == []
    key = make_key(loaded, "write:places", authorities=[TRAFFORD_CODE])
    attributes = before.json()["properties"].get("attributes") or {}
    edited = patch(client, church, key, {"properties": {"attributes": {**attributes, "charity_number": f" 0{BAPTISTS}"}}},
                   before.headers["ETag"])
    assert edited.status_code == 200, edited.text
    with loaded.begin() as conn:
        refresh_grant_places(conn)  # as `kindmap analyse` does after an edit
    after = client.get(f"/collections/places/items/{church}")
    assert after.headers["ETag"] != edited.headers["ETag"]  # its grants changed, not the place
    linked = after.json()["grants"]["linked"]
    expected = {r["Identifier"] for r in published if r["Recipient Org:Charity Number"] == BAPTISTS}
    assert len(expected) == 7 and {g["identifier"] for g in linked} == expected
    assert {(g["basis"], g["matched"]) for g in linked} == {("charity_number", BAPTISTS)}
    assert [g["award_date"] for g in linked] == sorted((g["award_date"] for g in linked), reverse=True)
    # a grant linked by number is nobody's candidate
    assert not expected & {c["identifier"] for c in after.json()["grants"]["candidates"]}
    # the ETag revalidates while nothing changes
    assert client.get(f"/collections/places/items/{church}",
                      headers={"If-None-Match": after.headers["ETag"]}).status_code == 304
    assert json.loads(after.text)["id"] == church


def test_a_reviewer_accepts_or_rejects_a_candidate_and_refreshes_keep_it(client, loaded):
    from tests.test_api import assert_problem
    from tests.test_edits import bearer

    gorse = place_named(loaded, "Gorse Hill Methodist Church", "os-openmap-local-worship-trafford")
    sale = place_named(loaded, "Sale United Reformed Church", "os-openmap-local-worship-trafford")
    [candidate] = grants_of(client, gorse)["candidates"]
    listed = client.get("/collections/places/grant-candidates", params={"area": TRAFFORD_CODE}).json()["candidates"]
    assert {"place_id": gorse, "grant": candidate} in [{k: c[k] for k in ("place_id", "grant")} for c in listed]
    assert client.get("/collections/places/grant-candidates", params={"area": "E06000052"}).json()["candidates"] == []
    [other] = [c for c in grants_of(client, sale)["candidates"] if c["recipient_name"] == "Sale United Reformed Church"]
    url = "/collections/places/items/{}/grants/{}/{}"
    key = make_key(loaded, "write:places", authorities=[TRAFFORD_CODE])
    elsewhere = make_key(loaded, "write:places", authorities=["E08000003"])  # Manchester's
    assert_problem(client.post(url.format(gorse, candidate["identifier"], "accept")), 401, "Authorization")
    assert_problem(client.post(url.format(gorse, candidate["identifier"], "accept"), headers=bearer(elsewhere)),
                   403, "Authorization")
    assert_problem(client.post(url.format(gorse, "360G-nothing", "accept"), headers=bearer(key)), 404, "grantId")
    assert_problem(client.post(url.format(sale, candidate["identifier"], "accept"), headers=bearer(key)), 404, "grantId")
    accepted = client.post(url.format(gorse, candidate["identifier"], "accept"), params={"reason": "same church"},
                           headers=bearer(key))
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    assert client.post(url.format(sale, other["identifier"], "reject"), headers=bearer(key)).status_code == 200
    for refreshed in (False, True):
        if refreshed:
            with loaded.begin() as conn:
                refresh_grant_places(conn)
        shown = grants_of(client, gorse)
        assert shown["candidates"] == [] and [g["identifier"] for g in shown["linked"]] == [candidate["identifier"]]
        assert shown["linked"][0]["basis"] == "name_distance" and shown["linked"][0]["review"]["reason"] == "same church"
        assert other["identifier"] not in {g["identifier"] for k in ("linked", "candidates")
                                           for g in grants_of(client, sale)[k]}
        decided = {c["grant"]["identifier"] for c in client.get("/collections/places/grant-candidates").json()["candidates"]}
        assert not {candidate["identifier"], other["identifier"]} & decided  # the list holds undecided ones only
