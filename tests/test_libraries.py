"""Library loaders on the real files: the 2023 basic dataset matched to the 2016 list, OS buildings.

Figures asserted here were measured on the published files (see SOURCES.md §5) and cross-checked
by independent pandas computations in the tests themselves.
"""
import re

import pandas as pd
import pytest
from sqlalchemy import text

from loaders.errors import LoadError
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

def test_basic_matched_to_2016_list(load, db, basic):
    load("libraries-taskforce", TASKFORCE)
    report = load("libraries-basic", basic)
    assert (report.rows_read, report.rejected) == (3487, 0)
    rec = report.reconciliation
    assert rec["static libraries (matchable)"] == 3272
    assert rec["not matched: not a static library (mobile, prison, archive…)"] == 215
    assert rec["matched by postcode"] == 2902
    assert rec["matched by postcode district + name"] == 228
    assert rec["static libraries that could not be located"] == 142  # 3272 − 3130
    assert any("142 static libraries could not be located" in n and "row " in n for n in report.notes)
    assert report.tables["places"]["matched"] == 3130
    # one-to-one: 3130 distinct 2016 places, each linked to one basic row
    assert scalar(db, "SELECT count(*) FROM places WHERE attributes ? 'basic_2023'") == 3130
    assert scalar(db, "SELECT count(DISTINCT attributes -> 'basic_2023' ->> 'row') FROM places "
                      "WHERE attributes ? 'basic_2023'") == 3130
    assert scalar(db, "SELECT count(DISTINCT place_id) FROM place_status") == 3130

    # Independent check (pandas, no loader code): rows whose postcode and exact name (case and
    # spacing aside) equal exactly one 2016 row's are a lower bound, and each must be our match.
    b = pd.read_csv(basic, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    t = pd.read_csv(TASKFORCE, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    b = b[b["type"].str.strip().str.lower().isin({"static library", "static local history library"})]
    b = b.assign(key=b["postcode"].map(_pc) + "|" + b["name"].str.lower().str.split().str.join(" "),
                 row=b.index + 2)
    t = t.assign(key=t["postcode"].map(_pc) + "|" + t["name"].str.lower().str.split().str.join(" "))
    exact = b.drop_duplicates("key", keep=False).merge(t.drop_duplicates("key", keep=False), on="key")
    assert 2000 < len(exact) <= 3130
    with db.connect() as conn:
        linked = dict(conn.execute(text(
            "SELECT source_ref, CAST(attributes -> 'basic_2023' ->> 'row' AS int) FROM places "
            "WHERE attributes ? 'basic_2023'")).all())
    wrong = [(r.id, r.row) for r in exact.itertuples() if linked.get(r.id) != r.row]
    assert wrong == []
    # Postcode pairs at all (any name) bound the postcode tier from above.
    assert rec["matched by postcode"] <= b.assign(pc=b["postcode"].map(_pc))["pc"].isin(
        set(t["postcode"].map(_pc))).sum()


def test_statuses_per_year(load, db, basic):
    load("libraries-taskforce", TASKFORCE)
    load("libraries-basic", basic)
    with db.connect() as conn:
        counts = {(y, s): n for y, s, n in conn.execute(text(
            "SELECT year, status, count(*) FROM place_status GROUP BY 1, 2")).all()}
    assert counts == {
        (2016, "open"): 2953, (2016, "closed"): 164, (2016, "temporarily_closed"): 13,
        (2019, "open"): 2866, (2019, "closed"): 248, (2019, "temporarily_closed"): 5,
        (2021, "open"): 2835, (2021, "closed"): 277, (2021, "temporarily_closed"): 8,
        (2022, "open"): 2816, (2022, "closed"): 292, (2022, "temporarily_closed"): 12,
        (2023, "open"): 2799, (2023, "closed"): 303, (2023, "temporarily_closed"): 19}
    # 2016 comes from the Taskforce list itself; it agrees with the basic dataset's 2016 column
    # for 3092 of the 3122 matched rows stating one (the rest disagree in the published files).
    assert scalar(db, "SELECT count(*) FROM place_status ps JOIN places p ON p.id = ps.place_id "
                      "WHERE ps.year = 2016 AND ps.status <> CASE WHEN coalesce(p.attributes ->> 'closed', '') "
                      "= '' THEN 'open' WHEN p.attributes ->> 'closed' = 'XLT' THEN 'temporarily_closed' "
                      "ELSE 'closed' END") == 0
    # current status of matched places = their latest stated year
    assert scalar(db, """
        SELECT count(*) FROM places p JOIN LATERAL (
            SELECT status FROM place_status ps WHERE ps.place_id = p.id ORDER BY year DESC LIMIT 1) l ON true
        WHERE p.status <> l.status""") == 0
    assert scalar(db, "SELECT count(*) FROM places WHERE source = 'dcms-libraries-2016' AND status = 'closed'") == 376


def test_library_closed_after_2016_has_its_history(load, db, basic):
    """East Barnet (Barnet): open and council-run in the 2016 list, closed in 2019 per the 2023 file."""
    row = pd.read_csv(basic, dtype=str, keep_default_na=False, encoding="utf-8-sig").iloc[19 - 2]
    assert (row["name"], row["postcode"], row["operation_16"], row["operation_19"], row["operation_23"],
            row["closed"]) == ("East Barnet", "EN4 8SG", "LA", "Closed", "Closed", "2019")
    load("libraries-taskforce", TASKFORCE)
    assert scalar(db, "SELECT status FROM places WHERE source_ref = '17'") == "open"
    load("libraries-basic", basic)
    with db.connect() as conn:
        place = conn.execute(text("SELECT id, name, status, operator_type, closed_year, attributes "
                                  "FROM places WHERE source = 'dcms-libraries-2016' AND source_ref = '17'")).one()
        history = conn.execute(text("SELECT year, status, operator_type FROM place_status "
                                    "WHERE place_id = :id ORDER BY year"), {"id": place.id}).all()
    assert place.name == "East Barnet"
    assert (place.status, place.operator_type, place.closed_year) == ("closed", "council", 2019)
    assert [tuple(h) for h in history] == [
        (2016, "open", "council"), (2019, "closed", "unknown"), (2021, "closed", "unknown"),
        (2022, "closed", "unknown"), (2023, "closed", "unknown")]
    link = place.attributes["basic_2023"]
    assert (link["row"], link["match"], link["previous"]["status"]) == (19, "postcode", "open")


def test_basic_reload_is_a_noop_and_2016_reload_keeps_it(load, db, basic):
    load("libraries-taskforce", TASKFORCE)
    first = load("libraries-basic", basic)
    before = fingerprint(db)
    again = load("libraries-basic", basic)
    assert (again.new, again.changed) == (0, 0) and again.status.startswith("no-op")
    assert again.unchanged == first.new == 15610
    # reloading the 2016 list neither reverts the 2023 status nor drops the link
    tf = load("libraries-taskforce", TASKFORCE)
    assert (tf.new, tf.changed) == (0, 0) and tf.status.startswith("no-op")
    assert fingerprint(db) == before


def test_basic_without_located_libraries_matches_nothing(load, db, basic):
    report = load("libraries-basic", basic)
    assert report.tables["places"]["matched"] == 0
    assert report.reconciliation["static libraries that could not be located"] == 3272
    assert scalar(db, "SELECT count(*) FROM place_status") == 0


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
    # Which library each building houses is the identity engine's (loaders/identity.py): every
    # building is either in the place of a 2016 library within 150 m, or a place of its own.
    rec = report.reconciliation
    merged = scalar(db, "SELECT count(*) FROM places WHERE source = 'os-openmap-local' AND merged_into IS NOT NULL")
    assert rec["records in places with other sources' records (merged)"] == merged > 2000
    assert merged + rec["records that are a place of their own (new)"] == 3469
    with db.connect() as conn:
        into, furthest = conn.execute(text("""
            SELECT array_agg(DISTINCT p.source), max(ST_Distance(o.geom_27700, p.geom_27700))
            FROM places o JOIN places p ON p.id = o.merged_into
            WHERE o.source = 'os-openmap-local'""")).one()
    assert into == ["dcms-libraries-2016"] and furthest <= 150
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
