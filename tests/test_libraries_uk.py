"""libraries-uk: the Libraries Hacked UK library list (2025) matched to the located 2016 libraries.

Figures asserted here were measured on the published files (SOURCES.md §5) and cross-checked by
independent pandas computations in the tests themselves (exact postcode + name pairs; each row's
nation from the mySociety local-authority lookup).
"""
import re

import pandas as pd
import pytest
from sqlalchemy import text

from loaders.errors import LoadError
from tests.conftest import SAMPLE, damaged_copy, scalar

TASKFORCE = SAMPLE / "libraries_england_taskforce_2016_geocoded.csv"
YEARS = "2016, 2019, 2021, 2022, 2023"  # the basic dataset's years


@pytest.fixture
def uk(shared_data):
    return shared_data / "libraries" / "libraries_uk_librarieshacked_schema.csv"


@pytest.fixture
def basic(shared_data):
    return shared_data / "libraries" / "libraries_england_basic_dataset_2023.csv"


def read(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _pc(value: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", value.upper())


def content(db) -> tuple:
    """What the data says, without import-run ids and timestamps (which differ between orders)."""
    return (scalar(db, "SELECT md5(string_agg(concat_ws('|', id, name, status, operator_type, opened_year, "
                       "closed_year, attributes), ',' ORDER BY id)) FROM places"),
            scalar(db, "SELECT md5(string_agg(concat_ws('|', place_id, year, status, operator_type), ',' "
                       "ORDER BY place_id, year)) FROM place_status"))


def fingerprint(db) -> tuple:
    return (scalar(db, "SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM places p"),
            scalar(db, "SELECT md5(string_agg(s::text, ',' ORDER BY place_id, year)) FROM place_status s"),
            scalar(db, "SELECT count(*) FROM import_runs"))


def linked_rows(db) -> dict[str, int]:
    with db.connect() as conn:
        return dict(conn.execute(text(
            "SELECT source_ref, CAST(attributes #>> '{uk_2025,row}' AS int) FROM places "
            "WHERE attributes ? 'uk_2025'")).all())


def test_uk_list_matched_to_2016_list(load, db, uk, shared_data):
    load("libraries-taskforce", TASKFORCE)
    report = load("libraries-uk", uk)
    assert (report.rows_read, report.rejected) == (4231, 0)
    rec = report.reconciliation
    assert rec["matched by postcode"] == 3035
    assert rec["matched by postcode district + name"] == 161
    assert report.tables["places"]["matched"] == 3196
    assert rec["libraries that could not be located"] == 1035  # 4231 − 3196
    assert rec["of which Northern Ireland (BT postcodes)"] == 98
    assert rec["of which in a postcode district with no located library"] == 860
    assert any("1035 libraries could not be located" in n and "row 2 'Aberdeen Central Library'" in n
               for n in report.notes)
    # one-to-one: 3196 distinct 2016 places, each linked to one row
    links = linked_rows(db)
    assert len(links) == len(set(links.values())) == 3196

    frame = read(uk).assign(row=lambda f: f.index + 2)
    # Independent check 1: each row's nation, from the mySociety lookup of authority names. The
    # 2016 list is England's, so nothing outside England is matched; 3196 of 3384 English rows are.
    lookup = read(shared_data / "lookups" / "uk_local_authorities_mysociety.csv")
    nation = {**dict(zip(lookup["official-name"], lookup["nation"])), "Northern Ireland": "Northern Ireland"}
    frame["nation"] = frame["Local authority"].map(nation)
    frame["linked"] = frame["row"].isin(set(links.values()))
    assert frame.groupby("nation")["linked"].agg(["size", "sum"]).to_dict("index") == {
        "England": {"size": 3384, "sum": 3196}, "Northern Ireland": {"size": 98, "sum": 0},
        "Scotland": {"size": 484, "sum": 0}, "Wales": {"size": 265, "sum": 0}}
    # Independent check 2: rows whose postcode and exact name (case and spacing aside) equal exactly
    # one 2016 row's are a lower bound, and each must be our match.
    t = read(TASKFORCE)
    frame["key"] = frame["Postcode"].map(_pc) + "|" + frame["Library name"].str.lower().str.split().str.join(" ")
    t["key"] = t["postcode"].map(_pc) + "|" + t["name"].str.lower().str.split().str.join(" ")
    exact = frame.drop_duplicates("key", keep=False).merge(t.drop_duplicates("key", keep=False), on="key")
    assert len(exact) == 2494
    assert [(r.id, r.row) for r in exact.itertuples() if links.get(r.id) != r.row] == []
    # Postcode pairs at all (any name) bound the postcode tier from above.
    assert rec["matched by postcode"] <= frame["Postcode"].map(_pc).isin(set(t["postcode"].map(_pc))).sum()


def test_closures_and_2025_status(load, db, uk):
    load("libraries-taskforce", TASKFORCE)
    report = load("libraries-uk", uk)
    assert report.reconciliation["closed (Year closed, not reopened)"] == 472
    # 429: a row closed in an unknown year ('Year closed' 1900) no longer takes an open 2016
    # library from the open row at its postcode (Newhaven: the open row now matches 898)
    assert report.reconciliation["closed and matched"] == 429
    assert report.repairs == {"'Year closed' 1900 read as closed, year not known": 6,
                              "'Year opened' after 'Year closed' read as reopened (open)": 6}
    with db.connect() as conn:
        counts = dict(((y, s), n) for y, s, n in conn.execute(text(
            "SELECT year, status, count(*) FROM place_status WHERE year IN (2016, 2025) GROUP BY 1, 2")).all())
    # every matched library has its 2025 row; closed ones also a row for their closure year
    assert (counts[(2025, "open")], counts[(2025, "closed")]) == (2767, 429)
    assert scalar(db, "SELECT count(*) FROM place_status") == 3632
    # current status of each matched place is the UK list's, and so is its closure year
    frame = read(uk).assign(row=lambda f: f.index + 2).set_index("row")
    with db.connect() as conn:
        places = conn.execute(text(
            "SELECT CAST(attributes #>> '{uk_2025,row}' AS int) AS row, status, closed_year, opened_year "
            "FROM places WHERE attributes ? 'uk_2025'")).all()
    opened = pd.to_numeric(frame["Year opened"], errors="coerce")
    closed = pd.to_numeric(frame["Year closed"], errors="coerce")
    expected_closed = closed.notna() & ~(opened > closed)
    assert sum(p.status == "closed" for p in places) == 429
    assert all((p.status == "closed") == expected_closed[p.row] for p in places)
    # closed in a year the UK list does not give (1900): the 2016 list's year where it has one
    # (Newhaven's old library, 897: 2015)
    assert all(p.closed_year == int(closed[p.row]) for p in places if p.status == "closed" and closed[p.row] != 1900)
    assert scalar(db, "SELECT closed_year FROM places WHERE source_ref = '897'") == 2015
    assert all(p.opened_year == int(opened[p.row]) for p in places if pd.notna(opened[p.row]))


def test_library_closed_after_2016(load, db, uk):
    """East Barnet (Barnet): open in the 2016 list, closed in 2019 per the UK list."""
    frame = read(uk)
    row = frame.loc[2035 - 2]  # record 2035 (row 1 is the header; some records span lines)
    assert (row["Library name"], row["Postcode"], row["Year closed"], row["Type of library"]) == (
        "East Barnet", "EN4 8SG", "2019", "LAL")
    load("libraries-taskforce", TASKFORCE)
    load("libraries-uk", uk)
    with db.connect() as conn:
        place = conn.execute(text("SELECT id, status, operator_type, closed_year, attributes FROM places "
                                  "WHERE source = 'dcms-libraries-2016' AND source_ref = '17'")).one()
        history = conn.execute(text("SELECT year, status, operator_type FROM place_status "
                                    "WHERE place_id = :id ORDER BY year"), {"id": place.id}).all()
    assert (place.status, place.operator_type, place.closed_year) == ("closed", "council", 2019)
    assert [tuple(h) for h in history] == [(2019, "closed", "unknown"), (2025, "closed", "unknown")]
    link = place.attributes["uk_2025"]
    assert (link["row"], link["match"], link["previous"]["status"]) == (2035, "postcode", "open")


def test_three_lists_any_order_and_reloads_are_noops(load, db, uk, basic):
    load("libraries-taskforce", TASKFORCE)
    load("libraries-basic", basic)
    load("libraries-uk", uk)
    after_basic_then_uk = content(db)
    before = fingerprint(db)
    for kind, path in [("libraries-uk", uk), ("libraries-basic", basic), ("libraries-taskforce", TASKFORCE),
                       ("libraries-uk", uk)]:
        report = load(kind, path)
        assert (report.new, report.changed) == (0, 0) and report.status.startswith("no-op"), kind
    assert fingerprint(db) == before
    # Where both link a place, the newer list (2025) sets its current status; the 2023 rows stay.
    assert scalar(db, "SELECT count(*) FROM places WHERE attributes ? 'uk_2025' AND attributes ? 'basic_2023'") == 3117
    assert scalar(db, "SELECT count(*) FROM places WHERE attributes ? 'uk_2025' "
                      "AND status <> attributes #>> '{uk_2025,current,status}'") == 0
    assert scalar(db, "SELECT count(*) FROM places WHERE attributes ? 'uk_2025' AND attributes ? 'basic_2023' "
                      "AND attributes #>> '{uk_2025,current,status}' <> attributes #>> '{basic_2023,current,status}'") == 130
    # The basic dataset owns its five years for the places it links: the UK list writes 2025 and
    # closure years outside them there (e.g. East Barnet: 2019 comes from the basic dataset).
    assert scalar(db, f"""
        SELECT count(*) FROM place_status ps JOIN places p ON p.id = ps.place_id
        WHERE p.attributes ? 'basic_2023' AND ps.year NOT IN ({YEARS}) AND NOT p.attributes ? 'uk_2025'""") == 0
    # 15610 rows from the basic dataset, 3196 for 2025, 333 closure/reopening years it leaves to the UK list
    assert scalar(db, "SELECT count(*) FROM place_status") == 15610 + 3196 + 333

    # The other order gives the same data.
    with db.begin() as conn:
        conn.execute(text("TRUNCATE place_status, places, import_runs, sources RESTART IDENTITY CASCADE"))
    load("libraries-taskforce", TASKFORCE)
    load("libraries-uk", uk)
    load("libraries-basic", basic)
    assert content(db) == after_basic_then_uk
    before = fingerprint(db)
    for kind, path in [("libraries-taskforce", TASKFORCE), ("libraries-uk", uk), ("libraries-basic", basic)]:
        report = load(kind, path)
        assert (report.new, report.changed) == (0, 0) and report.status.startswith("no-op"), kind
    assert fingerprint(db) == before


def test_uk_without_located_libraries_matches_nothing(load, db, uk):
    report = load("libraries-uk", uk)
    assert report.tables["places"]["matched"] == 0
    assert report.reconciliation["libraries that could not be located"] == 4231
    assert scalar(db, "SELECT count(*) FROM place_status") == 0


@pytest.mark.parametrize("damage", ["unknown code", "not a year", "missing column", "empty", "truncated",
                                    "wrong file"])
def test_uk_bad_file_changes_nothing(load, db, uk, basic, tmp_path, damage):
    load("libraries-taskforce", TASKFORCE)
    load("libraries-uk", uk)
    before = fingerprint(db)
    lines = uk.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    bad = tmp_path / "bad.csv"
    if damage == "unknown code":  # row 3: Airyhall Library, Type of library LAL → XYZ
        lines[2] = lines[2].replace(",Yes,LAL,", ",Yes,XYZ,", 1)
        bad.write_text("".join(lines), encoding="utf-8")
    elif damage == "not a year":  # row 4: Bridge of Don Library, Year opened '' → '1970s'
        lines[3] = lines[3].replace(",Yes,LAL,,,", ",Yes,LAL,1970s,,", 1)
        bad.write_text("".join(lines), encoding="utf-8")
    elif damage == "wrong file":
        bad = basic
    else:
        bad = damaged_copy(uk, damage, tmp_path, (b",Type of library,", b",Library type,"))
    with pytest.raises(LoadError) as error:
        load("libraries-uk", bad)
    if damage == "unknown code":
        assert (error.value.location, error.value.column) == ("row 3", "Type of library")
        assert "XYZ" in str(error.value)
    elif damage == "not a year":
        assert (error.value.location, error.value.column) == ("row 4", "Year opened")
    elif damage == "missing column":
        assert "Type of library" in str(error.value)
    elif damage == "truncated":
        assert error.value.location.startswith("row ")
    assert fingerprint(db) == before
