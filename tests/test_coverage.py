"""Coverage: each places load records where, for which categories and years its source is complete,
and every analysis of a category computes its measures only inside that coverage (null with the
reason not_covered outside, never a gap). On real data: the shared analysis inputs (England's
libraries, Rutland's OpenStreetMap extract cut to Rutland) and Trafford's community hubs (2024)."""
from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime

import morecantile
import pyogrio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.main import create_app
from loaders.osm import start_year
from loaders.osm_pbf import header as read_header
from store.db import make_engine
from tests.analysis_inputs import ANALYSIS_INPUTS, load_analysis_inputs
from tests.conftest import SHARED_DATA, load_files, scalar
from tests.test_api import assert_problem

RUTLAND, TRAFFORD, BIRMINGHAM = "E06000017", "E08000009", "E08000025"
HUBS = "trafford_community_hubs_2024.geojson"
PBF = SHARED_DATA / "osm" / "rutland-latest.osm.pbf"


@pytest.fixture(scope="module")
def loaded(engine, shared_data):
    load_analysis_inputs(engine, ANALYSIS_INPUTS | {HUBS})
    return engine


@pytest.fixture(scope="module")
def client(loaded, database_url):
    app_engine = make_engine(database_url)
    with TestClient(create_app(app_engine)) as c:
        yield c
    app_engine.dispose()


def small_areas_of(engine, ltla: str) -> set[str]:
    return set(scalar(engine, "SELECT array_agg(code) FROM analysis_small_areas WHERE ltla = :l", l=ltla))


def test_the_pbf_header_gives_the_box_and_date_osmium_reads(shared_data):
    """The header reader against `osmium fileinfo` (Debian's osmium-tool) on the same file."""
    header = read_header(PBF)
    if shutil.which("osmium"):
        info = json.loads(subprocess.run(["osmium", "fileinfo", "-j", str(PBF)], capture_output=True,
                                         check=True, text=True).stdout)["header"]
        assert [round(v, 6) for v in header.box] == info["boxes"][0]
    assert [round(v, 6) for v in header.box] == [-0.822934, 52.52355, -0.427654, 52.76109]
    assert header.year == 2022 and header.timestamp.startswith("2022-07-20")


def test_start_date_gives_the_opening_year():
    assert [start_year({"start_date": d}) for d in ("1887", "1887-05-01", "~1890", "C19", "")] == \
           [1887, 1887, 1890, None, None]


def test_every_load_records_its_claim(loaded):
    claims = {source: (cats, first, last, codes) for source, cats, first, last, codes in loaded.connect().execute(
        text("SELECT source, categories, first_year, last_year, area_codes FROM coverage"))}
    assert claims["dcms-libraries-2016"] == (["library"], 2010, 2016, ["E92000001"])
    assert claims["dcms-libraries-basic-2023"] == (["library"], 2016, 2023, ["E92000001"])
    assert claims["trafford-community-hubs-2024"] == (["community_centre"], 2024, 2024, [TRAFFORD])
    osm = claims["osm"]  # the extract's date, cut to Rutland (the manifest's --coverage)
    assert osm[1:] == (2022, 2022, [RUTLAND]) and {"community_centre", "library", "village_hall"} <= set(osm[0])


def test_a_reload_records_no_second_claim_and_a_new_claim_is_a_change(loaded, tmp_path):
    load = load_files(loaded)
    hubs = SHARED_DATA / "community" / HUBS
    options = {"source": "trafford-community-hubs-2024", "category": "community_centre",
               "name_field": "community_hub", "coverage": TRAFFORD}
    assert load("places-geojson", hubs, **options).status.startswith("no-op")
    report = load("places-geojson", hubs, dry_run=True, **options, years="2023-2024")
    assert report.tables["coverage"] == {"new": 1}  # a different claim is recorded (not here: dry run)
    assert scalar(loaded, "SELECT count(*) FROM coverage WHERE source = 'trafford-community-hubs-2024'") == 1


def test_a_snapshot_speaks_for_its_own_year_only(loaded):
    """Rutland's OSM places (July 2022) have a status in 2022 only — no longer 'open 2010–2025' —
    and a feature OSM says is disused is closed in 2022, not 'closed 2010–2025'."""
    years = scalar(loaded, """
        SELECT array_agg(DISTINCT y.year) FROM place_years y JOIN places p ON p.id = y.place_id
        WHERE p.source = 'osm' AND p.category = 'community_centre'
          AND NOT EXISTS (SELECT 1 FROM places o WHERE o.merged_into = p.id)""")
    assert years == [2022]
    closed = scalar(loaded, """SELECT array_agg(DISTINCT y.year || ':' || y.status) FROM place_years y
                               JOIN places p ON p.id = y.place_id WHERE p.source = 'osm' AND p.status = 'closed'""")
    assert closed in (None, ["2022:closed"])
    # a library record of the 2016 list with the OSM node of the same library keeps the list's years
    assert scalar(loaded, """SELECT count(*) FROM place_years y JOIN places p ON p.id = y.place_id
                             WHERE p.source = 'dcms-libraries-2016' AND y.year = 2012
                               AND EXISTS (SELECT 1 FROM places o WHERE o.merged_into = p.id AND o.source = 'osm')""") > 0


def test_coverage_resolves_onto_the_small_areas(loaded):
    rutland, trafford = small_areas_of(loaded, RUTLAND), small_areas_of(loaded, TRAFFORD)
    rows = loaded.connect().execute(text(
        "SELECT category, code, lower(years) AS first, upper(years) - 1 AS last FROM analysis_coverage "
        "WHERE category IN ('community_centre', 'library') AND code <> '*'")).all()
    community = {r.code: (r.first, r.last) for r in rows if r.category == "community_centre"}
    assert set(community) == rutland | trafford
    assert {community[c] for c in rutland} == {(2022, 2022)} and {community[c] for c in trafford} == {(2024, 2024)}
    libraries = {r.code: (r.first, r.last) for r in rows if r.category == "library"}
    assert len(libraries) == scalar(loaded, "SELECT count(*) FROM analysis_small_areas") > 30000
    assert set(libraries.values()) == {(2010, 2023)}
    # '*': the years a category is known in every small area (what an analysis reads first)
    everywhere = dict(loaded.connect().execute(text(
        "SELECT category, years::text FROM analysis_coverage WHERE code = '*'")).all())
    assert everywhere == {"library": "{[2010,2024)}"}


def test_gaps_are_null_not_gaps_outside_coverage(client, loaded):
    inside = client.get("/gaps", params={"area": TRAFFORD, "categories": "community_centre", "year": 2024}).json()
    assert {f["properties"]["coverage"] for f in inside["features"]} == {"covered"}
    assert all(f["properties"]["nearest_m"] is not None and f["properties"]["gap"] for f in inside["features"])
    assert inside["parameters"]["coverage"] == {"covered": ["community_centre"], "not_covered": []}
    # a mixed request in 2016: community centres are known nowhere then, libraries everywhere
    mixed = client.get("/gaps", params={"area": TRAFFORD, "categories": "library,community_centre",
                                        "year": 2016}).json()
    assert {f["properties"]["coverage"] for f in mixed["features"]} == {"partial"}
    assert {tuple(f["properties"]["categories_counted"]) for f in mixed["features"]} == {("library",)}
    assert {tuple(f["properties"]["gap"]["categories_counted"]) for f in mixed["features"]} == {("library",)}
    # Birmingham: no source lists its community centres: a clear 400 naming the parameter, at once
    refused = client.get("/gaps", params={"area": BIRMINGHAM, "categories": "community_centre", "year": 2024})
    assert_problem(refused, 400, "categories")
    assert refused.json()["known_years"] == {"community_centre": [2022, 2024]}


def test_priorities_rank_only_where_the_category_is_known(client, loaded):
    rutland = small_areas_of(loaded, RUTLAND)
    ranked = client.get("/priorities", params={"level": "lsoa", "categories": "community_centre", "year": 2022,
                                               "limit": 50000}).json()
    assert {f["id"] for f in ranked["features"]} == rutland  # nowhere else is ranked
    assert all(f["properties"]["categories_counted"] == ["community_centre"] for f in ranked["features"])
    units = client.get("/priorities", params={"level": "authority", "categories": "community_centre",
                                              "year": 2022}).json()
    assert [f["id"] for f in units["features"]] == [RUTLAND]
    assert units["features"][0]["properties"]["small_areas"] == len(rutland)
    # libraries: every authority of England is ranked
    libraries = client.get("/priorities", params={"level": "authority", "categories": "library", "limit": 500})
    assert len(libraries.json()["features"]) == scalar(
        loaded, "SELECT count(DISTINCT coalesce(g.unit, s.utla)) FROM analysis_small_areas s "
                "LEFT JOIN analysis_gap_spending g ON g.code = s.utla")
    # a mixed request says per row which categories counted
    mixed = client.get("/priorities", params={"level": "lsoa", "categories": "library,community_centre",
                                              "year": 2022, "limit": 50000}).json()["features"]
    counted = {f["id"]: f["properties"]["categories_counted"] for f in mixed}
    assert len(counted) > 30000
    assert all(counted[c] == ["community_centre", "library"] for c in rutland)
    assert {tuple(v) for c, v in counted.items() if c not in rutland} == {("library",)}
    assert all("not counted): community_centre" in f["properties"]["why"] for f in mixed
               if f["id"] not in rutland)
    # a category no source lists anywhere: 400 naming it, not a 30 s table of 1s
    assert_problem(client.get("/priorities", params={"level": "authority", "categories": "youth_centre"}),
                   400, "categories")


def test_summary_and_closures_count_only_what_is_known(client):
    summary = client.get(f"/areas/{TRAFFORD}/summary",
                         params={"categories": "library,community_centre", "year": 2024}).json()
    # 2024: Trafford's hubs are known, libraries (the 2016 and 2023 lists) are not
    assert summary["categories_counted"] == ["community_centre"] and summary["not_covered"]["small_areas"] == 0
    assert summary["parameters"]["coverage"]["not_covered"] == ["library"]
    assert_problem(client.get("/closures", params={"area": RUTLAND, "categories": "community_centre",
                                                   "from": 2016, "to": 2022}), 400, "categories")
    closures = client.get("/closures", params={"area": RUTLAND, "from": 2010, "to": 2016}).json()
    assert closures["not_covered"] == {"small_areas": 0, "residents": 0}


def test_small_area_tiles_mark_what_is_not_covered(client, tmp_path):
    tms = morecantile.tms.get("WebMercatorQuad")
    tile = tms.tile(-0.65, 52.66, 9)  # Rutland and its neighbours
    response = client.get(f"/collections/small_areas/tiles/WebMercatorQuad/9/{tile.x}/{tile.y}",
                          params={"categories": "community_centre", "year": 2022,
                                  "properties": "code,ltla,coverage,gap_score,nearest_m"})
    path = tmp_path / "tile.pbf"
    path.write_bytes(response.content)
    frame = pyogrio.read_dataframe(path, layer="small_areas")
    inside, outside = frame[frame["ltla"] == RUTLAND], frame[frame["ltla"] != RUTLAND]
    assert len(inside) > 10 and len(outside) > 20
    assert set(inside["coverage"]) == {"covered"} and inside["gap_score"].notna().all()
    assert set(outside["coverage"]) == {"not_covered"} and outside["gap_score"].isna().all()
    assert outside["nearest_m"].isna().all()


def test_coverage_is_listed_as_json_and_geojson(client, loaded):
    claims = client.get("/coverage", params={"category": "community_centre"}).json()
    assert {c["source"] for c in claims} == {"osm", "trafford-community-hubs-2024"}
    osm = next(c for c in claims if c["source"] == "osm")
    assert osm["small_areas"] == len(small_areas_of(loaded, RUTLAND)) and osm["file"] == "rutland-latest.osm.pbf"
    in_2024 = client.get("/coverage", params={"category": "community_centre", "year": 2024, "f": "geojson"})
    assert in_2024.headers["content-type"] == "application/geo+json"
    features = in_2024.json()["features"]
    assert [f["properties"]["source"] for f in features] == ["trafford-community-hubs-2024"]
    assert features[0]["geometry"]["type"] == "MultiPolygon"
    assert_problem(client.get("/coverage", params={"category": "no_such_kind"}), 400, "category")
