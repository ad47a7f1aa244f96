"""libraries-uk: the Libraries Hacked UK library list (2025): every row kept, linked to the located
2016 libraries where it names one, with its country.

Figures asserted here were measured on the published files (SOURCES.md §5) and cross-checked by
independent pandas computations in the tests themselves (exact postcode + name pairs; each row's
nation from the mySociety local-authority lookup).
"""
import re

import pandas as pd
import pytest
from sqlalchemy import text

from store.errors import LoadError
from tests.conftest import SAMPLE, damaged_copy, scalar

TASKFORCE = SAMPLE / "libraries_england_taskforce_2016_geocoded.csv"
# Rows linked to the 2016 list (measured; checked below against exact postcode + name pairs).
LINKED_BY_POSTCODE, LINKED_BY_DISTRICT = 3035, 161
LINKED = LINKED_BY_POSTCODE + LINKED_BY_DISTRICT


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
    """What the data says, by source refs (ids and import runs differ between orders)."""
    ref = "(SELECT r.source || ':' || r.source_ref FROM places r WHERE r.id = {})"
    return (scalar(db, f"""SELECT md5(string_agg(concat_ws('|', source, source_ref, name, status, operator_type,
                opened_year, closed_year, country, attributes, {ref.format('p.merged_into')}), ','
                ORDER BY source, source_ref)) FROM places p"""),
            scalar(db, f"""SELECT md5(string_agg(row, ',' ORDER BY row)) FROM (
                SELECT concat_ws('|', {ref.format('s.place_id')}, year, status, operator_type) AS row
                FROM place_status s) x"""),
            scalar(db, f"""SELECT md5(string_agg(row, ',' ORDER BY row)) FROM (
                SELECT concat_ws('|', {ref.format('y.place_id')}, year, status) AS row FROM place_years y) x"""))


def fingerprint(db) -> tuple:
    return (scalar(db, "SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM places p"),
            scalar(db, "SELECT md5(string_agg(s::text, ',' ORDER BY place_id, year)) FROM place_status s"),
            scalar(db, "SELECT count(*) FROM import_runs"))


UK = "librarieshacked-libraries-uk-2025"


def linked_rows(db) -> dict[str, int]:
    """2016-list id → the UK-list row linked to it (merged into its place)."""
    with db.connect() as conn:
        return {t: int(u) for t, u in conn.execute(text(
            "SELECT t.source_ref, u.source_ref FROM places u JOIN places t ON t.id = u.merged_into "
            "WHERE u.source = :uk AND t.source = 'dcms-libraries-2016'"), {"uk": UK}).all()}


def test_uk_list_matched_to_2016_list(load, db, uk, shared_data):
    # the UK's 2023 counties and unitary authorities: each library authority's country
    load("boundaries", shared_data / "boundaries" / "ctyua_dec2023_uk_buc.topojson", level="utla", vintage="2023-12")
    load("libraries-taskforce", TASKFORCE)
    report = load("libraries-uk", uk)
    assert (report.rows_read, report.rejected) == (4231, 0)
    rec = report.reconciliation
    assert rec["rows linked by postcode"] == LINKED_BY_POSTCODE
    assert rec["rows linked by postcode district"] == LINKED_BY_DISTRICT
    assert rec["records that are a place of their own (new)"] == 4231 - LINKED
    assert any(f"{4231 - LINKED} rows match no located library" in n and "row 2 'Aberdeen Central Library'" in n
               for n in report.notes)
    # one-to-one: distinct 2016 places, each linked to one row
    links = linked_rows(db)
    assert len(links) == len(set(links.values())) == LINKED

    frame = read(uk).assign(row=lambda f: f.index + 2)
    # Independent check 1: each row's nation, from the mySociety lookup of authority names. The
    # 2016 list is England's, so nothing outside England is linked; and each row's stored country
    # (its place's boundary where linked, else its authority's) is that nation's.
    lookup = read(shared_data / "lookups" / "uk_local_authorities_mysociety.csv")
    nation = {**dict(zip(lookup["official-name"], lookup["nation"])), "Northern Ireland": "Northern Ireland"}
    frame["nation"] = frame["Local authority"].map(nation)
    frame["linked"] = frame["row"].isin(set(links.values()))
    assert frame.groupby("nation")["linked"].agg(["size", "sum"]).to_dict("index") == {
        "England": {"size": 3384, "sum": LINKED}, "Northern Ireland": {"size": 98, "sum": 0},
        "Scotland": {"size": 484, "sum": 0}, "Wales": {"size": 265, "sum": 0}}
    codes = {"England": "E92000001", "Wales": "W92000004", "Scotland": "S92000003", "Northern Ireland": "N92000002"}
    with db.connect() as conn:
        stored = dict(conn.execute(text("SELECT CAST(source_ref AS int), country FROM places WHERE source = :uk"),
                                   {"uk": UK}).all())
    assert {r: stored[r] for r in frame["row"]} == dict(zip(frame["row"], frame["nation"].map(codes)))
    # Independent check 2: rows whose postcode and exact name (case and spacing aside) equal exactly
    # one 2016 row's are a lower bound, and each must be our match.
    t = read(TASKFORCE)
    frame["key"] = frame["Postcode"].map(_pc) + "|" + frame["Library name"].str.lower().str.split().str.join(" ")
    t["key"] = t["postcode"].map(_pc) + "|" + t["name"].str.lower().str.split().str.join(" ")
    exact = frame.drop_duplicates("key", keep=False).merge(t.drop_duplicates("key", keep=False), on="key")
    assert len(exact) == 2494
    assert [(r.id, r.row) for r in exact.itertuples() if links.get(r.id) != r.row] == []
    # Postcode pairs at all (any name) bound the postcode tier from above.
    assert rec["rows linked by postcode"] <= frame["Postcode"].map(_pc).isin(set(t["postcode"].map(_pc))).sum()


def test_closures_and_2025_status(load, db, uk):
    load("libraries-taskforce", TASKFORCE)
    report = load("libraries-uk", uk)
    assert report.reconciliation["closed (Year closed, not reopened)"] == 472
    assert report.repairs == {"'Year closed' 1900 read as closed, year not known": 6,
                              "'Year opened' after 'Year closed' read as reopened (open)": 6}
    with db.connect() as conn:
        counts = dict(((y, s), n) for y, s, n in conn.execute(text(
            "SELECT year, status, count(*) FROM place_status WHERE year = 2025 GROUP BY 1, 2")).all())
    # every row has its 2025 row: 472 closed
    assert (counts[(2025, "open")], counts[(2025, "closed")]) == (4231 - 472, 472)
    # each record: closed as the file says, with its years as published (1900: year not known)
    frame = read(uk).assign(row=lambda f: f.index + 2).set_index("row")
    with db.connect() as conn:
        records = conn.execute(text("SELECT CAST(source_ref AS int) AS row, status, closed_year, opened_year "
                                    "FROM places WHERE source = :uk"), {"uk": UK}).all()
    opened = pd.to_numeric(frame["Year opened"], errors="coerce")
    closed = pd.to_numeric(frame["Year closed"], errors="coerce")
    expected_closed = closed.notna() & ~(opened > closed)
    assert all((r.status == "closed") == expected_closed[r.row] for r in records)
    assert all(r.closed_year == (None if pd.isna(closed[r.row]) or closed[r.row] == 1900 else int(closed[r.row]))
               for r in records)
    assert all(r.opened_year == int(opened[r.row]) for r in records if pd.notna(opened[r.row]))
    # closed in a year the UK list does not give (1900): the 2016 list's year (Newhaven's old library, 897: 2015)
    assert scalar(db, "SELECT closed_year FROM place_features WHERE source = 'dcms-libraries-2016' "
                      "AND source_ref = '897'") == 2015


def test_library_closed_after_2016(load, db, uk):
    """East Barnet (Barnet): open in the 2016 list, closed in 2019 per the UK list."""
    frame = read(uk)
    row = frame.loc[2035 - 2]  # record 2035 (row 1 is the header; some records span lines)
    assert (row["Library name"], row["Postcode"], row["Year closed"], row["Type of library"]) == (
        "East Barnet", "EN4 8SG", "2019", "LAL")
    load("libraries-taskforce", TASKFORCE)
    load("libraries-uk", uk)
    assert linked_rows(db)["17"] == 2035
    with db.connect() as conn:
        place = conn.execute(text("SELECT id, current_status FROM place_features "
                                  "WHERE source = 'dcms-libraries-2016' AND source_ref = '17'")).one()
        history = conn.execute(text("SELECT s.year, s.status, s.operator_type FROM place_status s JOIN places p "
                                    "ON p.id = s.place_id WHERE p.source = :uk AND p.source_ref = '2035' "
                                    "ORDER BY s.year"), {"uk": UK}).all()
    assert place.current_status == "closed"
    assert [tuple(h) for h in history] == [(2019, "closed", "unknown"), (2025, "closed", "unknown")]


def test_three_lists_any_order_and_reloads_are_noops(load, db, uk, basic):
    load("libraries-taskforce", TASKFORCE)
    load("libraries-basic", basic)
    load("libraries-uk", uk)
    forward = content(db)
    before = fingerprint(db)
    for kind, path in [("libraries-uk", uk), ("libraries-basic", basic), ("libraries-taskforce", TASKFORCE),
                       ("libraries-uk", uk)]:
        report = load(kind, path)
        assert (report.new, report.changed) == (0, 0) and report.status.startswith("no-op"), kind
    assert fingerprint(db) == before
    # Where both state a year, the list dated nearer to it wins (East Barnet: 2019 is the basic
    # dataset's, 2025 the UK list's).
    assert scalar(db, """SELECT string_agg(y.year || ' ' || y.status, ', ' ORDER BY y.year) FROM place_years y
                         JOIN places p ON p.id = y.place_id WHERE p.source = 'dcms-libraries-2016'
                         AND p.source_ref = '17' AND y.year IN (2016, 2019, 2025)""") == (
        "2016 open, 2019 closed, 2025 closed")

    # Another order gives the same data: a statement list before the 2016 list, one after
    # (all of them in reverse, statement lists first: tests/test_place_identity.py).
    with db.begin() as conn:
        conn.execute(text("TRUNCATE place_years, place_status, places, import_runs, sources RESTART IDENTITY CASCADE"))
    for kind, path in [("libraries-basic", basic), ("libraries-taskforce", TASKFORCE), ("libraries-uk", uk)]:
        load(kind, path)
    assert content(db) == forward


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
