"""The pipeline's promises: one transaction, idempotent reloads, provenance, clear errors."""
import hashlib

import pytest
from sqlalchemy import text

from store.errors import LoadError
from tests.conftest import SAMPLE, damaged_copy, scalar

LIBRARIES = SAMPLE / "libraries_england_taskforce_2016_geocoded.csv"
LAD = SAMPLE / "lad_dec2023_uk_buc.topojson"


def test_libraries_2016_published_counts(load, db):
    report = load("libraries-taskforce", LIBRARIES)
    assert (report.rows_read, report.new, report.rejected) == (3238, 3238, 0)
    assert scalar(db, "SELECT count(*) FROM places WHERE category = 'library'") == 3238
    # 252 libraries carry a closure code (XL, XLR or XLT) in the published list.
    assert scalar(db, "SELECT count(*) FROM places WHERE status <> 'open'") == 252
    assert scalar(db, "SELECT count(*) FROM places WHERE status = 'temporarily_closed'") == 15


def test_reload_is_a_noop(load, db):
    first = load("libraries-taskforce", LIBRARIES)
    runs = scalar(db, "SELECT count(*) FROM import_runs")
    second = load("libraries-taskforce", LIBRARIES)
    assert (second.new, second.changed, second.unchanged) == (0, 0, first.new)
    assert second.status.startswith("no-op")
    assert scalar(db, "SELECT count(*) FROM import_runs") == runs


def test_every_row_knows_its_import_run(load, db):
    load("libraries-taskforce", LIBRARIES)
    with db.connect() as conn:
        row = conn.execute(text("""
            SELECT r.file_sha256, r.rows_read, r.rows_new, s.publisher, s.licence, r.started_at
            FROM places p JOIN import_runs r ON r.id = p.import_run_id JOIN sources s ON s.id = r.source_id
            LIMIT 1""")).one()
    assert row.file_sha256 == hashlib.sha256(LIBRARIES.read_bytes()).hexdigest()
    assert (row.rows_read, row.rows_new) == (3238, 3238)
    assert "Open Government Licence" in row.licence and row.started_at is not None


def test_changed_row_is_updated_not_duplicated(load, db, tmp_path):
    load("libraries-taskforce", LIBRARIES)
    edited = tmp_path / "libraries.csv"
    text = LIBRARIES.read_text(encoding="utf-8")
    edited.write_text(text.replace("Barking,1,1,", "Barking Library,1,1,", 1), encoding="utf-8")
    report = load("libraries-taskforce", edited)
    assert (report.new, report.changed) == (0, 1)
    assert scalar(db, "SELECT name FROM places WHERE source_ref = '1'") == "Barking Library"
    assert scalar(db, "SELECT count(*) FROM places") == 3238


def test_dry_run_writes_nothing(load, db):
    report = load("libraries-taskforce", LIBRARIES, dry_run=True)
    assert report.new == 3238 and report.status.startswith("dry-run")
    assert scalar(db, "SELECT count(*) FROM places") == 0
    assert scalar(db, "SELECT count(*) FROM import_runs") == 0


def test_bad_row_rejected_with_location(load, db, tmp_path):
    lines = LIBRARIES.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace(",51.", ",not-a-latitude", 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("".join(lines), encoding="utf-8")
    report = load("libraries-taskforce", bad)
    assert report.rejected == 1 and report.new == 3237
    assert report.rejections[0]["location"] == "row 4"
    with pytest.raises(LoadError, match="--strict"):
        load("libraries-taskforce", bad, strict=True)


@pytest.mark.parametrize("damage", ["missing column", "empty", "truncated", "binary"])
def test_bad_file_changes_nothing(load, db, tmp_path, damage):
    load("libraries-taskforce", LIBRARIES)
    before = scalar(db, "SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM places p")
    bad = damaged_copy(LIBRARIES, damage, tmp_path, (b"name,id,authority_id", b"title,id,authority_id"))
    with pytest.raises(LoadError) as error:
        load("libraries-taskforce", bad)
    assert str(bad) in str(error.value)
    if damage == "truncated":
        assert error.value.location.startswith("row ")
    after = scalar(db, "SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM places p")
    assert after == before


def test_boundaries_repairs_and_multipolygons(load, db):
    report = load("boundaries", LAD, level="ltla", vintage="2023-12")
    assert report.new == 361
    assert report.repairs == {"invalid geometries made valid (ST_MakeValid)": 8}
    assert scalar(db, "SELECT count(*) FROM areas WHERE NOT ST_IsValid(geom)") == 0
    assert scalar(db, "SELECT DISTINCT GeometryType(geom) FROM areas") == "MULTIPOLYGON"
    # a point in Oakham falls in Rutland (E06000017)
    assert scalar(db, "SELECT code FROM areas WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint(-0.7285, 52.6697), 4326))") == "E06000017"


def test_boundaries_wrong_kind_of_file(load, db, tmp_path):
    with pytest.raises(LoadError):
        load("boundaries", LIBRARIES, level="ltla", vintage="2023-12")
    with pytest.raises(LoadError, match="level"):
        load("boundaries", LAD, level="county", vintage="2023-12")
    assert scalar(db, "SELECT count(*) FROM areas") == 0
