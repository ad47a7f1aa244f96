"""Library loaders on the real files: the 2023 basic dataset matched to the 2016 list, OS buildings.

Figures asserted here were measured on the published files (see SOURCES.md §5) and cross-checked
by independent pandas computations in the tests themselves.
"""
import re

import pandas as pd
import pytest
from sqlalchemy import text

from store.errors import LoadError
from tests.conftest import SAMPLE, scalar

TASKFORCE = SAMPLE / "libraries_england_taskforce_2016_geocoded.csv"
LAD = SAMPLE / "lad_dec2023_uk_buc.topojson"


@pytest.fixture
def lib(shared_data):
    return shared_data / "libraries"


@pytest.fixture
def basic(lib):
    return lib / "libraries_england_basic_dataset_2023.csv"


@pytest.fixture
def buildings(lib):
    return lib / "os_openmap_local_library_buildings.csv"


def fingerprint(db) -> tuple:
    return (scalar(db, "SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM places p"),
            scalar(db, "SELECT md5(string_agg(s::text, ',' ORDER BY place_id, year)) FROM place_status s"),
            scalar(db, "SELECT count(*) FROM import_runs"))


def _pc(value: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", value.upper())


# -- libraries-basic -------------------------------------------------------------------------------

BASIC = "dcms-libraries-basic-2023"
STATIC = {"static library", "static local history library"}


def basic_links(db) -> dict[str, int]:
    """2016-list id → the basic-dataset row linked to it (merged into its place)."""
    with db.connect() as conn:
        return {t: int(b) for t, b in conn.execute(text(
            "SELECT t.source_ref, b.source_ref FROM places b JOIN places t ON t.id = b.merged_into "
            "WHERE b.source = :basic AND t.source = 'dcms-libraries-2016'"), {"basic": BASIC}).all()}


def test_basic_matched_to_2016_list(load, db, basic):
    load("libraries-taskforce", TASKFORCE)
    report = load("libraries-basic", basic)
    assert (report.rows_read, report.rejected) == (3487, 0)
    rec = report.reconciliation
    assert rec["static libraries (stored)"] == 3271
    assert rec["not stored: not a static library (mobile, prison, archive…)"] == 215
    assert rec["not stored: static, no status stated in any year"] == 1  # Stoke Climsland: [Unknown] throughout
    assert rec["rows linked by postcode"] == 2902
    assert rec["rows linked by postcode district"] == 228
    assert rec["records that are a place of their own (new)"] == 141  # 3271 − 3130
    assert any("141 rows match no located library" in n and "row " in n for n in report.notes)
    # one-to-one: 3130 distinct 2016 places, each linked to one basic row
    links = basic_links(db)
    assert len(links) == len(set(links.values())) == 3130
    # every row kept as published, without a location, in England (the list is England's)
    assert scalar(db, "SELECT count(*) FROM places WHERE source = :s AND geom IS NULL AND country = 'E92000001'",
                  s=BASIC) == 3271

    # Independent check (pandas, no loader code): rows whose postcode and exact name (case and
    # spacing aside) equal exactly one 2016 row's are a lower bound, and each must be our match.
    b = pd.read_csv(basic, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    t = pd.read_csv(TASKFORCE, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    b = b[b["type"].str.strip().str.lower().isin(STATIC)]
    b = b.assign(key=b["postcode"].map(_pc) + "|" + b["name"].str.lower().str.split().str.join(" "),
                 row=b.index + 2)
    t = t.assign(key=t["postcode"].map(_pc) + "|" + t["name"].str.lower().str.split().str.join(" "))
    exact = b.drop_duplicates("key", keep=False).merge(t.drop_duplicates("key", keep=False), on="key")
    assert 2000 < len(exact) <= 3130
    wrong = [(r.id, r.row) for r in exact.itertuples() if links.get(r.id) != r.row]
    assert wrong == []
    # Postcode pairs at all (any name) bound the postcode tier from above.
    assert rec["rows linked by postcode"] <= b.assign(pc=b["postcode"].map(_pc))["pc"].isin(
        set(t["postcode"].map(_pc))).sum()


def test_statuses_per_year(load, db, basic):
    load("libraries-taskforce", TASKFORCE)
    load("libraries-basic", basic)
    with db.connect() as conn:
        counts = {(y, s): n for y, s, n in conn.execute(text(
            "SELECT year, status, count(*) FROM place_status GROUP BY 1, 2")).all()}
    # Independent: every static row's stated years, counted from the file by pandas.
    b = pd.read_csv(basic, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    b = b[b["type"].str.strip().str.lower().isin(STATIC)]
    status = {"closed": "closed", "temporary closure": "temporarily_closed",
              **{code: "open" for code in ("la", "lau", "cr", "c", "icl")}}
    expected = {}
    for year in (2016, 2019, 2021, 2022, 2023):
        stated = b[f"operation_{year % 100}"].str.strip().str.lower().map(status).dropna()
        expected.update({(year, s): n for s, n in stated.value_counts().items()})
    assert counts == expected
    # 2016 comes from the Taskforce list itself where a place has its record (its vintage beats
    # the basic dataset's 2016 column, which disagrees for some rows in the published files)
    assert scalar(db, """
        SELECT count(*) FROM places t JOIN place_years y ON y.place_id = t.id AND y.year = 2016
        WHERE t.source = 'dcms-libraries-2016' AND y.status <> t.status""") == 0
    # a linked place's current status (the collection's) is its latest stated year
    assert scalar(db, """
        SELECT count(*) FROM place_features f JOIN places b ON b.merged_into = f.id AND b.source = :basic
        JOIN LATERAL (SELECT status FROM place_status ps WHERE ps.place_id = b.id
                      ORDER BY year DESC LIMIT 1) l ON true
        WHERE f.current_status <> l.status""", basic=BASIC) == 0
    # the 2016 records keep the 2016 list's statuses (237 + 15 closures), as published
    assert scalar(db, "SELECT count(*) FROM places WHERE source = 'dcms-libraries-2016' AND status <> 'open'") == 252


def test_library_closed_after_2016_has_its_history(load, db, basic):
    """East Barnet (Barnet): open and council-run in the 2016 list, closed in 2019 per the 2023 file."""
    row = pd.read_csv(basic, dtype=str, keep_default_na=False, encoding="utf-8-sig").iloc[19 - 2]
    assert (row["name"], row["postcode"], row["operation_16"], row["operation_19"], row["operation_23"],
            row["closed"]) == ("East Barnet", "EN4 8SG", "LA", "Closed", "Closed", "2019")
    load("libraries-taskforce", TASKFORCE)
    load("libraries-basic", basic)
    with db.connect() as conn:
        place = conn.execute(text("SELECT id, name, current_status FROM place_features "
                                  "WHERE source = 'dcms-libraries-2016' AND source_ref = '17'")).one()
        record = conn.execute(text("SELECT id, merged_into, status, closed_year FROM places "
                                   "WHERE source = :basic AND source_ref = '19'"), {"basic": BASIC}).one()
        history = conn.execute(text("SELECT year, status, operator_type FROM place_status "
                                    "WHERE place_id = :id ORDER BY year"), {"id": record.id}).all()
        years = dict(conn.execute(text("SELECT year, status FROM place_years WHERE place_id = :id"),
                                  {"id": place.id}).all())
    assert record.merged_into == place.id and (record.status, record.closed_year) == ("closed", 2019)
    assert scalar(db, "SELECT status FROM places WHERE source_ref = '17' AND source = 'dcms-libraries-2016'") == "open"
    assert (place.name, place.current_status) == ("East Barnet", "closed")
    assert [tuple(h) for h in history] == [
        (2016, "open", "council"), (2019, "closed", "unknown"), (2021, "closed", "unknown"),
        (2022, "closed", "unknown"), (2023, "closed", "unknown")]
    assert (years[2016], years[2018], years[2019], years[2025]) == ("open", "open", "closed", "closed")


def test_basic_reload_is_a_noop_and_2016_reload_keeps_it(load, db, basic):
    load("libraries-taskforce", TASKFORCE)
    first = load("libraries-basic", basic)
    before = fingerprint(db)
    again = load("libraries-basic", basic)
    assert (again.new, again.changed) == (0, 0) and again.status.startswith("no-op")
    assert again.unchanged == first.new == 3271 + 16202  # records + their stated years
    tf = load("libraries-taskforce", TASKFORCE)
    assert (tf.new, tf.changed) == (0, 0) and tf.status.startswith("no-op")
    assert fingerprint(db) == before


def test_basic_before_the_2016_list_links_when_it_arrives(load, db, basic):
    """Alone, every row is a place of its own without a location; the 2016 list loaded later links
    the same 3130 rows as loading it first does."""
    report = load("libraries-basic", basic)
    assert report.reconciliation["records that are a place of their own (new)"] == 3271
    assert scalar(db, "SELECT count(*) FROM place_status") == 16202
    assert scalar(db, "SELECT count(*) FROM place_features WHERE geom IS NULL") == 3271
    load("libraries-taskforce", TASKFORCE)
    assert len(basic_links(db)) == 3130


@pytest.mark.parametrize("damage", ["unknown code", "missing column", "truncated", "wrong file"])
def test_basic_bad_file_changes_nothing(load, db, basic, buildings, tmp_path, damage):
    load("libraries-taskforce", TASKFORCE)
    load("libraries-basic", basic)
    before = fingerprint(db)
    bad = tmp_path / "bad.csv"
    data = basic.read_bytes()
    if damage == "unknown code":  # row 3: Castle Green's operation_23 'Closed' → 'Shut'
        lines = data.decode("utf-8-sig").splitlines(keepends=True)
        lines[2] = lines[2].replace(",Closed,Closed,Closed,Closed,Closed,", ",Closed,Closed,Closed,Closed,Shut,", 1)
        bad.write_text("".join(lines), encoding="utf-8")
    elif damage == "missing column":
        bad.write_bytes(data.replace(b",operation_23,", b",operation23,", 1))
    elif damage == "truncated":  # cut mid-row (a cut inside a row's last field is not detectable)
        bad.write_bytes(data[: data.rfind(b",Yes,", 0, len(data) // 2) + 4])
    else:
        bad = buildings
    with pytest.raises(LoadError) as error:
        load("libraries-basic", bad)
    if damage == "unknown code":
        assert (error.value.location, error.value.column) == ("row 3", "operation_23")
        assert "Shut" in str(error.value)
    elif damage == "truncated":
        assert error.value.location.startswith("row ")
    assert fingerprint(db) == before


# -- os-buildings ----------------------------------------------------------------------------------

def test_os_buildings(load, db, buildings):
    load("libraries-taskforce", TASKFORCE)
    report = load("os-buildings", buildings)
    assert (report.rows_read, report.new, report.rejected) == (3469, 3469, 0)
    # Which library each building houses is the identity engine's (places/identity.py): every
    # building is either in the place of a 2016 library within 150 m, or a place of its own.
    rec = report.reconciliation
    # merged: in a place that holds another source's record (footprints of one building grouped
    # together without a library are a place of their own)
    merged = scalar(db, """
        WITH g AS (SELECT id, source, coalesce(merged_into, id) AS place FROM places)
        SELECT count(*) FROM g o WHERE o.source = 'os-openmap-local'
          AND EXISTS (SELECT 1 FROM g x WHERE x.place = o.place AND x.source <> o.source)""")
    assert rec["records in places with other sources' records (merged)"] == merged > 2000
    assert merged + rec["records that are a place of their own (new)"] == 3469
    with db.connect() as conn:
        into, furthest = conn.execute(text("""
            SELECT array_agg(DISTINCT p.source), max(ST_Distance(o.geom_27700, p.geom_27700))
            FROM places o JOIN places p ON p.id = o.merged_into
            WHERE o.source = 'os-openmap-local'""")).one()
    # a footprint's place is a 2016 library or another footprint of its building (docs/places.md, "parts")
    assert set(into) <= {"dcms-libraries-2016", "os-openmap-local"} and furthest <= 150
    # every point lies inside its own building, checked against the WKT as published
    frame = pd.read_csv(buildings, dtype=str, keep_default_na=False)
    with db.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE wkt (id text, wkt text)"))
        conn.execute(text("INSERT INTO wkt VALUES (:id, :wkt)"),
                     frame[["id", "WKT"]].rename(columns={"WKT": "wkt"}).to_dict("records"))
        inside = conn.execute(text("""
            SELECT count(*) FROM places p JOIN wkt w ON w.id = p.source_ref
            WHERE p.source = 'os-openmap-local'
              AND ST_Within(ST_Transform(p.geom, 27700), ST_GeomFromText(w.wkt, 27700))""")).scalar()
    assert inside == 3469
    # Great Britain and England: the ONS LAD boundaries (generalised, clipped to the coastline)
    load("boundaries", LAD, level="ltla", vintage="2023-12")
    with db.connect() as conn:
        by_country = dict(conn.execute(text("""
            SELECT coalesce(left(a.code, 1), 'none'), count(*) FROM places p
            LEFT JOIN areas a ON a.level = 'ltla' AND ST_Intersects(a.geom, p.geom)
            WHERE p.source = 'os-openmap-local' GROUP BY 1""")).all())
    assert sum(by_country.values()) == 3469  # none in two areas at once
    assert by_country.get("N", 0) == 0      # OS OpenMap Local is Great Britain only
    assert by_country == {"E": 2740, "S": 483, "W": 232, "none": 14}
    # the 14 outside every area are coastal: the ultra-generalised (BUC) coastline cuts them off
    assert scalar(db, """
        SELECT max(d) FROM (
            SELECT (SELECT min(ST_Distance(ST_Transform(a.geom, 27700), ST_Transform(p.geom, 27700)))
                    FROM areas a WHERE a.level = 'ltla') AS d
            FROM places p WHERE p.source = 'os-openmap-local'
              AND NOT EXISTS (SELECT 1 FROM areas a WHERE ST_Intersects(a.geom, p.geom))) x""") < 1000


def test_os_buildings_reload_noop_and_bad_wkt(load, db, buildings, tmp_path):
    load("libraries-taskforce", TASKFORCE)
    first = load("os-buildings", buildings)
    before = fingerprint(db)
    again = load("os-buildings", buildings)
    assert again.status.startswith("no-op") and again.unchanged == first.new
    assert fingerprint(db) == before
    # bad WKT (row 5: garbage, row 7: lon/lat, not BNG, row 9: blank) is rejected with its row;
    # the other rows load unchanged
    lines = buildings.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[4] = re.sub(r'^"POLYGON \(\(', '"POLYGON ((oops ', lines[4])
    lines[6] = re.sub(r'^"POLYGON[^"]*"', '"POLYGON ((-1.5 51.5,-1.4 51.5,-1.4 51.6,-1.5 51.5))"', lines[6])
    lines[8] = re.sub(r'^"POLYGON[^"]*"', '""', lines[8])
    bad = tmp_path / "bad.csv"
    bad.write_text("".join(lines), encoding="utf-8")
    report = load("os-buildings", bad)
    assert report.rejected == 3 and report.rows_read == 3469
    assert [(r["location"], r["column"]) for r in report.rejections] == [
        ("row 5", "WKT"), ("row 7", "WKT"), ("row 9", "WKT")]
    assert "unreadable WKT" in report.rejections[0]["reason"]
    assert "outside the British National Grid" in report.rejections[1]["reason"]
    assert (report.new, report.changed) == (0, 0) and report.status.startswith("no-op")
    with pytest.raises(LoadError, match="--strict"):
        load("os-buildings", bad, strict=True)
    assert fingerprint(db) == before


@pytest.mark.parametrize("damage", ["missing column", "truncated", "wrong file"])
def test_os_buildings_bad_file_changes_nothing(load, db, buildings, basic, tmp_path, damage):
    load("os-buildings", buildings)
    before = fingerprint(db)
    bad = tmp_path / "bad.csv"
    data = buildings.read_bytes()
    if damage == "missing column":
        bad.write_bytes(data.replace(b"WKT,fid,id", b"geometry,fid,id", 1))
    elif damage == "truncated":
        bad.write_bytes(data[: len(data) // 2])
    else:
        bad = basic
    with pytest.raises(LoadError):
        load("os-buildings", bad)
    assert fingerprint(db) == before
