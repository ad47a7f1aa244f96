"""A newer OpenStreetMap extract: what is gone is closed, what changed is updated, once.

The newer extract is GENERATED inside the test from the real Rutland file (bench/osm_files.py):
two libraries removed, one community centre renamed (version + 1, a later timestamp), the
header's date 30 days on. Provenance (version, timestamp) is checked against pyosmium's own
reading of the file, and the PBF node decoder against pyosmium's node locations.
"""
import numpy as np
import osmium
import pytest

from bench.osm_files import newer
from loaders import osm_pbf
from tests.conftest import scalar

GONE = {"node/18352760", "way/482732349"}      # Uppingham Library, Ryhall Library
RENAMED = "way/95497629"                        # a community centre (docs/osm-tags.md)


@pytest.fixture(scope="module")
def pbf(shared_data):
    return shared_data / "osm" / "rutland-latest.osm.pbf"


@pytest.fixture(scope="module")
def later(pbf, tmp_path_factory):
    return newer(pbf, tmp_path_factory.mktemp("osm") / "rutland-newer-GENERATED.osm.pbf", drop=GONE,
                 retag={RENAMED: lambda tags: {**tags, "name": "Renamed Hall (GENERATED)"}})


def one(db, sql, **params):
    from sqlalchemy import text
    with db.connect() as conn:
        return conn.execute(text(sql), params).one()


def test_version_and_timestamp_are_the_files(load, db, pbf):
    load("osm", pbf)
    way = next((o.version, o.timestamp) for o in osmium.FileProcessor(str(pbf), osmium.osm.WAY) if o.id == 101326490)
    version, stamp = one(db, "SELECT source_version, source_timestamp FROM places WHERE source_ref = 'way/101326490'")
    assert (version, stamp) == way
    assert scalar(db, "SELECT count(*) FROM places WHERE source_version IS NULL OR source_timestamp IS NULL") == 0


def test_newer_extract_closes_updates_and_is_then_a_noop(load, db, pbf, later):
    first = load("osm", pbf)
    before = scalar(db, "SELECT source_version FROM places WHERE source_ref = :r", r=RENAMED)
    report = load("osm", later)
    assert report.tables["places"]["closed (gone from OSM)"] == 2
    assert report.tables["places"]["changed"] == 1 and report.new == 0
    gone = {tuple(r) for r in _rows(db, "SELECT source_ref, status, closed_year FROM places "
                                        "WHERE source_ref = ANY(:refs)", refs=sorted(GONE))}
    assert gone == {(ref, "closed", 2022) for ref in GONE}
    name, version = one(db, "SELECT name, source_version FROM places WHERE source_ref = :r", r=RENAMED)
    assert (name, version) == ("Renamed Hall (GENERATED)", before + 1)
    # every other record is as the first load left it, still open where it was
    assert scalar(db, "SELECT count(*) FROM places WHERE status = 'open'") == \
        sum(1 for _ in _rows(db, "SELECT 1 FROM places")) - 2 - 2  # the two chapels closed by their tags
    assert first.new == scalar(db, "SELECT count(*) FROM places")
    # the place of a closed record is closed in 2022, the extracts' year; an extract speaks only for
    # its own year (coverage), so 2021 has no status (place_years)
    years = dict(_rows(db, "SELECT y.year, y.status FROM place_years y JOIN places p ON p.id = y.place_id "
                           "WHERE p.source_ref = 'node/18352760' AND y.year IN (2021, 2022)"))
    assert years == {2022: "closed"}
    again = load("osm", later)
    assert again.status.startswith("no-op")


def test_node_decoder_agrees_with_pyosmium(pbf):
    nodes = {o.id: (o.location.lon, o.location.lat) for o in osmium.FileProcessor(str(pbf), osmium.osm.NODE)}
    wanted = np.array(sorted(nodes)[::97], dtype=np.int64)
    ids, lon, lat = osm_pbf.node_locations(pbf, wanted, lambda done: None)
    assert sorted(ids.tolist()) == wanted.tolist()
    assert all(abs(x - nodes[i][0]) < 1e-7 and abs(y - nodes[i][1]) < 1e-7
               for i, x, y in zip(ids.tolist(), lon.tolist(), lat.tolist()))


def _rows(db, sql, **params):
    from sqlalchemy import text
    with db.connect() as conn:
        return conn.execute(text(sql), params).all()


def test_optional_categories_only_when_asked(load, db, pbf):
    """--extras all keeps Rutland's pubs, cafés, sports centres, parks and playgrounds in their own
    categories, as many as pyosmium counts in the file; a load without it keeps none of them and
    leaves them open (it closes only the categories it reads)."""
    from loaders.osm_tags import EXTRA_TAG_MAP
    wanted = {(key, value): category for rule, category in EXTRA_TAG_MAP for key, value in rule.items()}
    counted: dict[str, set] = {c: set() for c in wanted.values()}
    for obj in osmium.FileProcessor(str(pbf)):
        for (key, value), category in wanted.items():
            found = {v.strip() for k in (key, *(f"{p}:{key}" for p in ("disused", "abandoned", "closed", "was")))
                     for v in obj.tags.get(k, "").split(";")}
            if value in found:  # as tagged, or with a lifecycle prefix (a closed pub)
                counted[category].add(f"{ {'n': 'node', 'w': 'way', 'r': 'relation'}[obj.type_str()]}/{obj.id}")
    load("osm", pbf)
    assert scalar(db, "SELECT count(*) FROM places WHERE category = ANY(:c)", c=list(counted)) == 0
    report = load("osm", pbf, extras="all")
    loaded = _rows(db, "SELECT category, source_ref FROM places WHERE category = ANY(:c)", c=list(counted))
    # every optional place is one pyosmium finds so tagged (unclosed ways are not read: fewer)
    assert {c for c, _ in loaded} == set(counted)
    assert all(ref in counted[c] for c, ref in loaded)
    assert report.rejected == 0
    closed = "SELECT count(*) FROM places WHERE category = ANY(:c) AND status = 'closed'"
    before = scalar(db, closed, c=list(counted))  # e.g. a disused:amenity=pub
    load("osm", pbf)  # without --extras: the optional places stay as they are
    assert scalar(db, closed, c=list(counted)) == before
    with pytest.raises(Exception, match="unknown"):
        load("osm", pbf, extras="nightclub")
