"""Planner edits over HTTP on the demo sample: scoped keys, If-Match, audit, history, place_years,
validation, and the reload rule with the real loader (docs/edits.md)."""
from __future__ import annotations

import csv
import json

import pytest
from structlog.testing import capture_logs
from fastapi.testclient import TestClient
from sqlalchemy import text

from store import keys
from store.db import make_engine
from app.main import create_app
from store.settings import ApiSettings
from edits.validation import this_year
from tests.conftest import SAMPLE, load_files, scalar
from tests.test_api import assert_problem
from tests.test_place_years import derived_of_place, served_of_place, unbuilt_properties

TRAFFORD, MANCHESTER = "E08000009", "E08000003"
LIBRARIES = SAMPLE / "libraries_england_taskforce_2016_geocoded.csv"
FEATURE = "application/geo+json"


def make_key(engine, *scopes, authorities=()) -> str:
    with engine.begin() as conn:
        return keys.create(conn, "test", list(scopes), list(authorities))[1]


def bearer(token: str, **headers) -> dict:
    return {"Authorization": f"Bearer {token}", **headers}


def library_in(engine, authority: str, name: str) -> int:
    return scalar(engine, "SELECT p.id FROM places p JOIN areas a ON a.code = :a AND ST_Intersects(a.geom, p.geom) "
                  "WHERE p.name = :n AND p.merged_into IS NULL", a=authority, n=name)


@pytest.fixture(scope="module")
def client(sample_loaded, database_url):
    with TestClient(create_app(make_engine(database_url), ApiSettings(allowed_hosts="*"))) as client:
        yield client


@pytest.fixture(scope="module")
def trafford_key(sample_loaded):
    return make_key(sample_loaded, "write:places", authorities=[TRAFFORD])


def patch(client, place: int, token: str, body: dict, etag: str | None):
    headers = bearer(token, **{"Content-Type": "application/merge-patch+json"})
    if etag:
        headers["If-Match"] = etag
    return client.patch(f"/collections/places/items/{place}", content=json.dumps(body), headers=headers)


def test_a_planner_edit_is_a_record_of_its_own_with_if_match_audit_and_history(client, sample_loaded, trafford_key):
    place = library_in(sample_loaded, TRAFFORD, "Coppice")
    published = scalar(sample_loaded, "SELECT row(p.*)::text FROM places p WHERE id = :i", i=place)
    etag = client.get(f"/collections/places/items/{place}").headers["ETag"]

    assert_problem(patch(client, place, trafford_key, {"properties": {"name": "x"}}, None), 428, "If-Match")
    changed = patch(client, place, trafford_key,
                    {"properties": {"operator_type": "community", "name": "Coppice Community Library"}}, etag)
    assert changed.status_code == 200 and changed.headers["content-type"] == FEATURE
    served = client.get(f"/collections/places/items/{place}")
    assert served.json()["properties"]["name"] == "Coppice Community Library"
    assert served.headers["ETag"] == changed.headers["ETag"] != etag
    assert {"source": "edits", "source_ref": f"place/{place}", "name": "Coppice Community Library",
            "status": "open"} in served.json()["properties"]["sources"]
    # the stale ETag is refused; the publisher's record is as published
    assert_problem(patch(client, place, trafford_key, {"properties": {"name": "y"}}, etag), 412, "If-Match")
    assert scalar(sample_loaded, "SELECT row(p.*)::text FROM places p WHERE id = :i", i=place) == published

    # a closure with its year: a dated statement of the edit record, and place_years follow at once
    closed = patch(client, place, trafford_key, {"properties": {"status": "closed", "closed_year": 2020}},
                   changed.headers["ETag"])
    assert closed.json()["properties"]["status"] == "closed"
    years = dict(sample_loaded.connect().execute(text(
        "SELECT year, status FROM place_years WHERE place_id = :i"), {"i": place}).all())
    assert years[2016] == "open" and years[2019] == "open" and all(years[y] == "closed" for y in range(2020, 2026))
    assert scalar(sample_loaded, "SELECT s.status FROM place_status s JOIN places e ON e.id = s.place_id "
                  "WHERE e.source = 'edits' AND e.merged_into = :i", i=place) == "closed"

    history = client.get(f"/collections/places/items/{place}/history").json()["history"]
    assert [h["action"] for h in history] == ["update", "update"]
    assert history[0]["before"]["properties"]["name"] == "Coppice"
    assert history[0]["after"]["properties"]["name"] == "Coppice Community Library"
    assert history[1]["after"]["properties"]["closed_year"] == 2020
    assert {h["key_id"] for h in history} == {scalar(sample_loaded, "SELECT max(id) FROM api_keys "
                                                     "WHERE 'write:places' = ANY(scopes)")}

    # DELETE withdraws: the place is closed (this year when no year is known), its history stays
    reopened = patch(client, place, trafford_key, {"properties": {"status": "open"}}, closed.headers["ETag"])
    assert reopened.json()["properties"]["closed_year"] is None
    deleted = client.delete(f"/collections/places/items/{place}",
                            headers=bearer(trafford_key, **{"If-Match": reopened.headers["ETag"]}))
    assert deleted.status_code == 200 and deleted.json()["properties"]["status"] == "closed"
    assert client.get(f"/collections/places/items/{place}").status_code == 200
    assert [h["action"] for h in client.get(f"/collections/places/items/{place}/history").json()["history"]] \
        == ["update", "update", "update", "delete"]


def test_writes_need_a_key_scoped_to_the_places_authority(client, sample_loaded, trafford_key):
    with capture_logs() as logged:
        tokens = [trafford_key, *_writes_need_a_key_scoped_to_the_places_authority(client, sample_loaded, trafford_key)]
    assert any(event.get("method") == "PATCH" for event in logged)  # the requests were logged, the keys not
    assert not any(token in str(event) for event in logged for token in tokens)


def _writes_need_a_key_scoped_to_the_places_authority(client, sample_loaded, trafford_key) -> list[str]:
    """(The test's body; returns the keys it made.)"""
    manchester = library_in(sample_loaded, MANCHESTER, "Avenue Library and Learning Centre")
    etag = client.get(f"/collections/places/items/{manchester}").headers["ETag"]
    body = {"properties": {"name": "Avenue"}}
    assert_problem(patch(client, manchester, trafford_key, body, etag), 403, "Authorization")
    reader = make_key(sample_loaded, "read", "moderate")
    assert_problem(patch(client, manchester, reader, body, etag), 403, "Authorization")
    missing = client.patch(f"/collections/places/items/{manchester}", json=body, headers={"If-Match": etag})
    assert_problem(missing, 401, "Authorization") and missing.headers["www-authenticate"] == "Bearer"
    assert_problem(patch(client, manchester, "km_0000_nope", body, etag), 401, "Authorization")
    # a Trafford key cannot move a Trafford place into Manchester, nor add one there
    coppice = library_in(sample_loaded, TRAFFORD, "Davyhulme")
    etag = client.get(f"/collections/places/items/{coppice}").headers["ETag"]
    assert_problem(patch(client, coppice, trafford_key, {"geometry": {"type": "Point", "coordinates": [-2.2374, 53.4808]}},
                         etag), 403, "Authorization")
    new = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-2.2374, 53.4808]},
           "properties": {"name": "Hub", "category": "community_centre"}}
    assert_problem(client.post("/collections/places/items", json=new, headers=bearer(trafford_key)), 403)
    admin = make_key(sample_loaded, "admin")
    created = client.post("/collections/places/items", json=new, headers=bearer(admin))
    assert created.status_code == 201 and created.headers["ETag"]
    got = client.get(created.headers["Location"])
    assert got.json()["properties"] | {"sources": None} == {
        "name": "Hub", "category": "community_centre", "status": "open", "opened_year": this_year(),
        "closed_year": None, "operator_type": "unknown", "source": "edits",
        "source_ref": got.json()["properties"]["source_ref"], "attributes": {}, "sources": None,
        "country": "E92000001"}  # from its point (Manchester); opened: the year it was added
    assert [h["action"] for h in client.get(created.headers["Location"] + "/history").json()["history"]] == ["create"]
    return [reader, admin]


@pytest.mark.parametrize("body, field", [
    ({"geometry": {"type": "Point", "coordinates": [2.35, 48.85]}}, "geometry"),  # Paris
    # beyond the British National Grid's projection domain: its transform raised, a 500 (schemathesis)
    ({"geometry": {"type": "Point", "coordinates": [-95.67, -1e-05]}}, "geometry"),
    ({"geometry": {"type": "Point", "coordinates": [-2.3, "53"]}}, "geometry"),
    ({"properties": {"category": "castle"}}, "properties.category"),
    ({"properties": {"status": "demolished"}}, "properties.status"),
    ({"properties": {"opened_year": 1066}}, "properties.opened_year"),
    ({"properties": {"opened_year": 9999}}, "properties.opened_year"),
    ({"properties": {"closed_year": 2020}}, "properties.closed_year"),  # not closed
    ({"properties": {"status": "closed", "opened_year": 2019, "closed_year": 2018}}, "properties.closed_year"),
    ({"properties": {"name": "a\u0001b"}}, "properties.name"),  # (NUL: 422, test_http_hardening)
    ({"properties": {"colour": "red"}}, "properties.colour"),
    ({"type": "FeatureCollection"}, "type"),
])
def test_a_bad_place_is_refused_naming_the_field(client, sample_loaded, body, field):
    admin = make_key(sample_loaded, "admin")
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-2.35, 53.39]},
               "properties": {"category": "library"}}
    feature = {**feature, **body, "properties": {**feature["properties"], **body.get("properties", {})}}
    assert_problem(client.post("/collections/places/items", json=feature, headers=bearer(admin)), 400, field)


def test_bodies_are_bounded_typed_and_json(client, sample_loaded):
    admin = make_key(sample_loaded, "admin")
    big = b'{"type": "Feature", "properties": {"name": "' + b"x" * 20000 + b'"}}'
    assert_problem(client.post("/collections/places/items", content=big,
                               headers=bearer(admin, **{"Content-Type": FEATURE})), 413, "body")
    assert_problem(client.post("/collections/places/items", content=b"{}",
                               headers=bearer(admin, **{"Content-Type": "text/plain"})), 415, "Content-Type")
    assert_problem(client.post("/collections/places/items", content=b"{not json",
                               headers=bearer(admin, **{"Content-Type": FEATURE})), 400, "body")
    read_only = client.post("/collections/areas/items", content=b"{}", headers=bearer(admin, **{"Content-Type": "x/y"}))
    assert_problem(read_only, 405, "collectionId") and read_only.headers["allow"] == "GET, HEAD, OPTIONS"
    assert client.options("/collections/small_areas/items").headers["allow"] == "GET, HEAD, OPTIONS"  # as served
    assert_problem(client.patch("/collections/places/items/999999999", json={"properties": {"name": "x"}},
                                headers=bearer(admin, **{"If-Match": "*"})), 404, "featureId")


def test_a_reload_keeps_an_edit_until_the_publisher_changes_the_record(client, sample_loaded, trafford_key, tmp_path):
    load = load_files(sample_loaded)
    place = library_in(sample_loaded, TRAFFORD, "Altrincham")
    etag = client.get(f"/collections/places/items/{place}").headers["ETag"]
    assert patch(client, place, trafford_key, {"properties": {"name": "Altrincham Library and Hub"}},
                 etag).status_code == 200
    assert load("libraries-taskforce", LIBRARIES).status.startswith("no-op")
    assert client.get(f"/collections/places/items/{place}").json()["properties"]["name"] == "Altrincham Library and Hub"

    # the publisher's record changes (its file now names the library otherwise): the edit is superseded, said
    rows = list(csv.DictReader(LIBRARIES.open(encoding="utf-8")))
    ref = scalar(sample_loaded, "SELECT source_ref FROM places WHERE id = :i", i=place)
    for row in rows:
        if row["id"] == ref:
            row["name"] = "Altrincham Town Library"
    changed = tmp_path / LIBRARIES.name
    with changed.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = load("libraries-taskforce", changed)
    assert report.reconciliation["planner edits superseded (the publisher changed the record they amend)"] == 1
    assert any(str(place) in note for note in report.notes)
    served = client.get(f"/collections/places/items/{place}").json()["properties"]
    assert served["name"] == "Altrincham Town Library"
    last = client.get(f"/collections/places/items/{place}/history").json()["history"][-1]
    assert last["action"] == "superseded" and last["key_id"] is None
    assert last["before"]["properties"]["name"] == "Altrincham Library and Hub"
    assert last["import_run_id"] == report.import_run_id
    # the planner re-applies the edit on the new version: it wins again
    etag = client.get(f"/collections/places/items/{place}").headers["ETag"]
    assert patch(client, place, trafford_key, {"properties": {"name": "Altrincham Library and Hub"}},
                 etag).json()["properties"]["name"] == "Altrincham Library and Hub"
    load("libraries-taskforce", LIBRARIES)  # as published again


def test_public_proposals_wait_for_a_moderator_and_are_rate_limited(sample_loaded, database_url):
    settings = ApiSettings(allowed_hosts="*", proposals_per_client=2, proposals_window_s=600)
    proposal = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-2.3481, 53.4244]},
                "properties": {"name": "Sale Food Club", "category": "food_bank"}}
    moderator = make_key(sample_loaded, "moderate", authorities=[TRAFFORD])
    elsewhere = make_key(sample_loaded, "moderate", authorities=[MANCHESTER])
    with TestClient(create_app(make_engine(database_url), settings)) as client:
        first = client.post("/collections/places/proposals", json=proposal)
        second = client.post("/collections/places/proposals", json={**proposal, "properties": {
            "name": "Sale Youth Hut", "category": "youth_centre"}})
        assert first.status_code == second.status_code == 202
        refused = assert_problem(client.post("/collections/places/proposals", json=proposal), 429)
        assert 0 < int(client.post("/collections/places/proposals", json=proposal).headers["Retry-After"]) <= 600
        assert "2 proposals" in refused["detail"]
        # nothing is served before a moderator accepts it
        names = {f["properties"]["name"] for f in client.get(
            "/collections/places/items", params={"limit": 10000}).json()["features"]}
        assert "Sale Food Club" not in names
        assert_problem(client.get("/collections/places/proposals"), 401)
        queued = client.get("/collections/places/proposals", headers=bearer(moderator)).json()["features"]
        assert [f["properties"]["name"] for f in queued][-2:] == ["Sale Food Club", "Sale Youth Hut"]
        first_id, second_id = first.json()["id"], second.json()["id"]
        assert_problem(client.post(f"/collections/places/proposals/{first_id}/accept", headers=bearer(elsewhere)),
                       403, "Authorization")
        accepted = client.post(f"/collections/places/proposals/{first_id}/accept", headers=bearer(moderator))
        assert accepted.status_code == 201
        place = client.get(accepted.headers["Location"]).json()
        assert place["properties"]["name"] == "Sale Food Club" and place["properties"]["source"] == "proposals"
        assert client.get(accepted.headers["Location"] + "/history").json()["history"][0]["action"] == "accept"
        assert_problem(client.post(f"/collections/places/proposals/{first_id}/reject", headers=bearer(moderator)),
                       409, "proposal_id")
        rejected = client.post(f"/collections/places/proposals/{second_id}/reject",
                               params={"reason": "not a youth centre"}, headers=bearer(moderator))
        assert rejected.json() == {"id": second_id, "state": "rejected"}
        assert scalar(sample_loaded, "SELECT count(*) FROM places WHERE name = 'Sale Youth Hut'") == 0
    # the address is kept only as a hash, to count
    assert scalar(sample_loaded, "SELECT count(*) FROM place_proposals WHERE client LIKE '%testclient%'") == 0



def test_put_replaces_every_settable_field_of_a_planners_own_place(client, sample_loaded):
    admin = make_key(sample_loaded, "admin")
    hub = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-2.3481, 53.4244]},
           "properties": {"name": "Sale Hub", "category": "community_centre", "opened_year": 2019,
                          "operator_type": "community", "attributes": {"website": "none"}}}
    created = client.post("/collections/places/items", json=hub, headers=bearer(admin))
    place = created.json()["id"]
    replaced = client.put(f"/collections/places/items/{place}", headers=bearer(admin, **{"If-Match": "*"}),
                          json={"type": "Feature", "geometry": {"type": "Point", "coordinates": [-2.3490, 53.4250]},
                                "properties": {"name": "Sale Library Hub", "category": "library"}})
    properties = replaced.json()["properties"]
    assert (properties["name"], properties["category"], properties["opened_year"], properties["operator_type"],
            properties["attributes"]) == ("Sale Library Hub", "library", None, "unknown", {})
    assert replaced.json()["geometry"]["coordinates"] == [-2.349, 53.425]
    # the planner's own record is rewritten (one record, two audit rows), not amended
    assert scalar(sample_loaded, "SELECT count(*) FROM places WHERE source = 'edits' AND name LIKE 'Sale%Hub'") == 1
    history = client.get(f"/collections/places/items/{place}/history").json()["history"]
    assert [h["action"] for h in history] == ["create", "replace"]
    assert history[1]["before"]["properties"]["opened_year"] == 2019


def test_the_served_status_follows_every_edit_and_the_status_filter_reads_it(sample_loaded, api_database_url,
                                                                              trafford_key):
    """place_current (the stored status a status filter reads) is re-derived in the edit's
    transaction, by the API's own role: the filters answer what place_years and the records say."""
    def closed(api) -> set[int]:
        by_filter = api.get("/collections/places/items", params={"status": "closed", "limit": 1000}).json()
        by_cql = api.get("/collections/places/items",
                         params={"filter": "category = 'library' AND status = 'closed'", "limit": 1000}).json()
        assert by_filter["numberMatched"] == by_filter["numberReturned"]
        return {f["id"] for f in by_filter["features"]}, {f["id"] for f in by_cql["features"]}

    def derived_closed() -> tuple[set[int], set[int]]:
        derived = derived_of_place(sample_loaded)
        libraries = set(scalar_list(sample_loaded, "SELECT id FROM place_features WHERE category = 'library'"))
        every = {place for place, (status, _) in derived.items() if status == "closed"}
        return every, every & libraries

    with TestClient(create_app(make_engine(api_database_url), ApiSettings(allowed_hosts="*"))) as api:
        place = library_in(sample_loaded, TRAFFORD, "Hale")
        assert closed(api) == derived_closed() and place not in closed(api)[0]
        etag = api.get(f"/collections/places/items/{place}").headers["ETag"]
        shut = patch(api, place, trafford_key, {"properties": {"status": "closed", "closed_year": 2024}}, etag)
        assert shut.status_code == 200, shut.text
        assert served_of_place(sample_loaded) == derived_of_place(sample_loaded)
        assert unbuilt_properties(sample_loaded) == []
        assert place in closed(api)[0] and place in closed(api)[1] and closed(api) == derived_closed()
        assert patch(api, place, trafford_key, {"properties": {"status": "open"}},
                     shut.headers["ETag"]).status_code == 200
        assert served_of_place(sample_loaded) == derived_of_place(sample_loaded)
        assert place not in closed(api)[0] and closed(api) == derived_closed()
        created = api.post("/collections/places/items", headers=bearer(trafford_key), json={
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [-2.3481, 53.4244]},
            "properties": {"name": "Ashton Hub", "category": "community_centre"}})
        assert created.status_code == 201
        assert served_of_place(sample_loaded)[created.json()["id"]] == derived_of_place(sample_loaded)[created.json()["id"]]
        assert unbuilt_properties(sample_loaded) == []


def scalar_list(engine, sql: str) -> list:
    with engine.connect() as conn:
        return list(conn.execute(text(sql)).scalars())



RUTLAND, NORTH_NORTHAMPTONSHIRE = "E06000017", "E06000061"
# St Luke's, Rutland (a place of a full load), 100 m from the North Northamptonshire border; the
# county polygons (BUC) put it in North Northamptonshire, which let that council's key edit it.
INSIDE_RUTLAND = (-0.5685002, 52.5870937)


def test_a_key_reaches_exactly_its_authority_on_either_side_of_a_border(client, sample_loaded):
    """One point 100 m inside Rutland, one 60 m outside it across the same border (Rutland's
    2021 LSOA boundaries are loaded: its exact outline); each council's key edits its own only."""
    beyond = scalar(sample_loaded, """
        WITH p AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 27700) AS g),
             rim AS (SELECT ST_ClosestPoint(ST_Boundary(ST_Union(geom_27700)), p.g) AS b, p.g
                     FROM areas, p WHERE level = 'lsoa' GROUP BY p.g)
        SELECT json_build_array(ST_X(q), ST_Y(q)) FROM (
            SELECT ST_Transform(ST_Translate(b, (ST_X(b) - ST_X(g)) * 60 / ST_Distance(b, g),
                                             (ST_Y(b) - ST_Y(g)) * 60 / ST_Distance(b, g)), 4326) AS q,
                   ST_Distance(b, g) AS inside_m FROM rim) x WHERE inside_m < 200""",
                    lon=INSIDE_RUTLAND[0], lat=INSIDE_RUTLAND[1])
    assert beyond, "the point is not within 200 m of Rutland's border"
    admin, rutland = make_key(sample_loaded, "admin"), make_key(sample_loaded, "write:places", authorities=[RUTLAND])
    north = make_key(sample_loaded, "write:places", authorities=[NORTH_NORTHAMPTONSHIRE])
    places = {}
    for side, point in (("in", list(INSIDE_RUTLAND)), ("out", beyond)):
        created = client.post("/collections/places/items", headers=bearer(admin), json={
            "type": "Feature", "geometry": {"type": "Point", "coordinates": point},
            "properties": {"name": f"Border test {side}", "category": "community_centre"}})
        assert created.status_code == 201, created.text
        places[side] = created.json()["id"]

    def rename(side: str, token: str) -> int:
        etag = client.get(f"/collections/places/items/{places[side]}").headers["ETag"]
        return patch(client, places[side], token, {"properties": {"name": f"Renamed {side} {token[:11]}"}},
                     etag).status_code

    assert (rename("in", rutland), rename("in", north)) == (200, 403)
    assert (rename("out", north), rename("out", rutland)) == (200, 403)

