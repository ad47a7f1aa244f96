"""OpenStreetMap loader: the Rutland extract (PBF) against an independent GeoJSON export of it."""
import json
from collections import Counter

import pyogrio
import pytest
from shapely.geometry import Point
from sqlalchemy import text

from store.errors import LoadError
from loaders.osm import TAG_MAP, classify, osm_config
from tests.conftest import scalar

CATEGORY_COUNTS = "SELECT category, count(*) FROM places WHERE source = 'osm' GROUP BY 1"


@pytest.fixture
def pbf(shared_data):
    return shared_data / "osm" / "rutland-latest.osm.pbf"


@pytest.fixture
def export(shared_data):
    return shared_data / "osm" / "rutland_osm_third_places.geojson"


def rows(db, sql, **params):
    with db.connect() as conn:
        return conn.execute(text(sql), params).all()


def export_features(export):
    """The GeoJSON export read with json alone: an independent count of the same extract."""
    return [f["properties"] for f in json.loads(export.read_text(encoding="utf-8"))["features"]]


def test_export_really_contains_what_sources_md_says(export):
    features = export_features(export)
    amenity = Counter(p.get("amenity") for p in features)
    assert len(features) == 582
    assert (amenity["community_centre"], amenity["library"]) == (28, 4)
    # 16 community centres are nodes and 12 are ways (areas); libraries 2 and 2.
    by_type = Counter((p.get("amenity"), p["osm_type"]) for p in features)
    assert by_type[("community_centre", "node")] == 16 and by_type[("community_centre", "way")] == 12
    assert by_type[("library", "node")] == 2 and by_type[("library", "way")] == 2


def test_pbf_yields_rutland_community_centres_and_libraries(load, db, pbf, export):
    report = load("osm", pbf)
    assert report.rejected == 0 and report.new == scalar(db, "SELECT count(*) FROM places")
    counts = dict(rows(db, CATEGORY_COUNTS))
    # amenity=community_centre: 28, as in the export; 8 carry community_centre=village_hall.
    assert counts["community_centre"] + counts["village_hall"] == 28
    assert counts["village_hall"] == 8
    assert counts["library"] == 4
    expected_ids = {f"{p['osm_type']}/{p['osm_id']}" for p in export_features(export)
                    if p.get("amenity") in ("community_centre", "library")}
    loaded = {r[0] for r in rows(db, "SELECT source_ref FROM places WHERE category IN "
                                 "('community_centre', 'village_hall', 'library')")}
    assert loaded == expected_ids
    # Nodes stay nodes, ways are ways: both kinds are present.
    assert scalar(db, "SELECT count(*) FROM places WHERE category = 'library' AND source_ref LIKE 'node/%'") == 2
    assert scalar(db, "SELECT count(*) FROM places WHERE category = 'library' AND source_ref LIKE 'way/%'") == 2
    # Every loaded place is a third place by TAG_MAP, with all its tags kept.
    for attributes, category in rows(db, "SELECT attributes, category FROM places"):
        assert classify(attributes)[0] == category


def test_named_library_id_tags_and_point_on_surface(load, db, pbf):
    load("osm", pbf)
    ref, name, status, operator, attributes, lon, lat = rows(db, """
        SELECT source_ref, name, status, operator_type, attributes, ST_X(geom), ST_Y(geom)
        FROM places WHERE name = 'Rutland County Library'""")[0]
    assert (ref, status) == ("way/101326490", "open")
    assert attributes["operator"] == "Rutland County Council"
    assert attributes["addr:postcode"] == "LE15 6HW" and attributes["building"] == "yes"
    # Its building, read straight from the PBF with GDAL's default configuration.
    building = pyogrio.read_dataframe(pbf, layer="multipolygons", where="osm_way_id = '101326490'")
    assert len(building) == 1
    assert building.geometry.iloc[0].contains(Point(lon, lat))
    # Every area became a point inside its own polygon (point on surface, not centroid).
    assert scalar(db, "SELECT count(*) FROM places WHERE GeometryType(geom) <> 'POINT'") == 0


def test_lifecycle_and_excluded_tags(load, db, pbf):
    load("osm", pbf)
    closed = rows(db, "SELECT source_ref, category FROM places WHERE status = 'closed' ORDER BY 1")
    # Two chapels tagged disused:amenity=place_of_worship.
    assert closed == [("node/862236725", "place_of_worship"), ("way/870761509", "place_of_worship")]
    # Care homes (social_facility=assisted_living…) are not third places; Rutland has 9 and no others.
    assert scalar(db, "SELECT count(*) FROM places WHERE category = 'social_facility'") == 0
    # A public bookcase in a disused telephone box is not a third place either.
    assert scalar(db, "SELECT count(*) FROM places WHERE attributes->>'amenity' = 'public_bookcase'") == 0


def test_reload_is_a_noop(load, db, pbf):
    first = load("osm", pbf)
    runs = scalar(db, "SELECT count(*) FROM import_runs")
    second = load("osm", pbf)
    assert (second.new, second.changed, second.unchanged) == (0, 0, first.new)
    assert second.status.startswith("no-op")
    assert scalar(db, "SELECT count(*) FROM import_runs") == runs


def test_geojson_export_gives_the_same_ids(load, db, pbf, export):
    load("osm", export)
    from_export = dict(rows(db, "SELECT source_ref, category FROM places"))
    libraries = {r for r, c in from_export.items() if c == "library"}
    assert libraries == {"node/18352760", "node/6157577257", "way/101326490", "way/482732349"}
    export_points = dict(rows(db, "SELECT source_ref, geom FROM places"))
    load("osm", pbf)
    from_pbf = dict(rows(db, "SELECT source_ref, category FROM places"))
    # The export was filtered on live tags only: the PBF adds the 2 disused chapels, nothing else.
    assert {r: c for r, c in from_pbf.items() if r not in from_export} == {
        "node/862236725": "place_of_worship", "way/870761509": "place_of_worship"}
    assert all(from_pbf[r] == c for r, c in from_export.items())
    # Nodes are where the export put them; areas' points lie within 100 m of the export's point.
    far = scalar(db, """SELECT count(*) FROM places p JOIN (VALUES {}) e(ref, geom) ON e.ref = p.source_ref
                        WHERE ST_Distance(p.geom::geography, ST_GeomFromEWKB(decode(e.geom, 'hex'))::geography)
                              > CASE WHEN p.source_ref LIKE 'node/%' THEN 0.01 ELSE 100 END""".format(
        ", ".join(f"('{r}', '{g}')" for r, g in export_points.items())))
    assert far == 0


@pytest.mark.parametrize("damage", ["csv", "truncated pbf", "geojson without osm ids", "binary"])
def test_wrong_file_changes_nothing(load, db, pbf, shared_data, tmp_path, damage):
    load("osm", pbf)
    before = scalar(db, "SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM places p")
    runs = scalar(db, "SELECT count(*) FROM import_runs")
    if damage == "csv":
        bad = shared_data / "community" / "trafford_childrens_centres_2019.csv"
    elif damage == "truncated pbf":
        bad = tmp_path / "cut.osm.pbf"
        bad.write_bytes(pbf.read_bytes()[: len(pbf.read_bytes()) // 2])
    elif damage == "geojson without osm ids":
        bad = shared_data / "community" / "gm_food_banks_2018.geojson"
    else:
        bad = tmp_path / "bad.osm.pbf"
        bad.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(LoadError):
        load("osm", bad)
    assert scalar(db, "SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM places p") == before
    assert scalar(db, "SELECT count(*) FROM import_runs") == runs


def test_mapping_rules():
    assert classify({"amenity": "community_centre", "community_centre": "youth_centre"}) == ("youth_centre", "open")
    assert classify({"amenity": "youth_centre"}) == ("youth_centre", "open")
    assert classify({"amenity": "village_hall"}) == ("village_hall", "open")
    assert classify({"amenity": "social_facility", "social_facility": "food_bank"}) == ("food_bank", "open")
    assert classify({"amenity": "townhall", "townhall:type": "community"}) == ("community_centre", "open")
    assert classify({"amenity": "townhall"}) == ("town_hall", "open")
    assert classify({"amenity": "library", "disused": "yes"}) == ("library", "closed")
    assert classify({"abandoned:amenity": "library"}) == ("library", "closed")
    assert classify({"amenity": "library;cafe"}) == ("library", "open")
    assert classify({"amenity": "social_facility", "social_facility": "assisted_living;group_home"}) is None
    assert classify({"amenity": "pub"}) is None and classify({"building": "community_centre"}) is None
    assert "all_tags=yes" in osm_config() and len(TAG_MAP) > 10


def test_tags_are_complete(load, db, pbf):
    """attributes hold every tag: compare one feature with GDAL's default other_tags reading."""
    load("osm", pbf)
    attributes = scalar(db, "SELECT attributes FROM places WHERE source_ref = 'node/18352760'")
    node = pyogrio.read_dataframe(pbf, layer="points", where="osm_id = '18352760'")
    assert attributes["name"] == node["name"].iloc[0] == "Uppingham Library"
    assert '"wikidata"=>"Q55183940"' in node["other_tags"].iloc[0]
    assert attributes == {"amenity": "library", "name": "Uppingham Library", "wikidata": "Q55183940"}
