"""The 360Giving loader: Trafford's real file (totals to the penny, where grants land, coverage),
the other published forms on GENERATED files (bench/generated_grants.py), and refusals."""
from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from bench.generated_grants import grant_rows, write_csv, write_json, write_xlsx
from store.errors import LoadError
from tests.analysis_inputs import analysis_entries
from tests.conftest import DATA_TABLES, load_files

TRAFFORD = "grants/trafford_council_voluntary_sector_grants_360giving.csv"
# What the grants tests need of the shared manifest: areas, the lookups that carry codes to 2023
# authorities, the mySociety names (council funders), population and the deflators.
GRANT_INPUTS = {
    "rgn_dec2023_en_buc.topojson", "ctyua_dec2023_uk_buc.topojson", "lad_dec2023_uk_bgc.topojson",
    "lsoa21_bgc_E06000017_rutland.geojson", "lsoa21_bgc_E08000009_trafford.geojson",
    "uk_local_authorities_mysociety.csv", "ltla23_to_utla23_apr2023.csv", "lsoa21_to_utla23.csv",
    "lsoa11_to_lsoa21_to_lad22.csv", "la_all_codes_drkane.csv", "utla_all_codes_drkane.csv",
    "lsoa21_population_mid2022.csv", "hmt_gdp_deflators_oct2024_socialvalueadjuster.xlsx",
}


def load_grant_inputs(engine) -> None:
    from loaders import KINDS
    from loaders.pipeline import run

    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE"))
    for e in analysis_entries(GRANT_INPUTS):
        run(engine, e.kind, KINDS[e.kind].load, KINDS[e.kind].source, e.path, e.options, strict=e.strict)


@pytest.fixture(scope="module")
def inputs(engine, shared_data):
    load_grant_inputs(engine)
    return engine


@pytest.fixture(scope="module")
def trafford(inputs, shared_data):
    report = load_files(inputs)("grants-360giving", shared_data / TRAFFORD)
    return inputs, report


def rows(engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def financial_year(day: date) -> str:
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def test_trafford_totals_per_year_equal_the_files_own_sums_to_the_penny(trafford, shared_data):
    engine, report = trafford
    expected: dict[str, Decimal] = defaultdict(Decimal)
    with (shared_data / TRAFFORD).open(encoding="utf-8-sig", newline="") as handle:
        published = list(csv.DictReader(handle))
    for row in published:
        expected[financial_year(date.fromisoformat(row["Award Date"]))] += Decimal(row["Amount Awarded"])
    stored = {fy: total for fy, total in rows(engine, """
        SELECT CASE WHEN extract(month FROM award_date) >= 4 THEN extract(year FROM award_date)::int
                    ELSE extract(year FROM award_date)::int - 1 END AS y, sum(amount_awarded)
        FROM grants GROUP BY 1""")}
    assert {f"{y}-{(y + 1) % 100:02d}": t for y, t in stored.items()} == expected
    assert round(sum(expected.values())) == 1291437  # SOURCES.md: "£1,291,437 awarded in total"
    assert report.tables["grants"]["new"] == len(published) == 555


def test_trafford_grants_land_on_the_borough_and_keep_their_provenance(trafford):
    engine, _ = trafford
    landed = rows(engine, """SELECT area_code, area_level, located_by, recipient_address_only, ltla, utla,
                                    region, count(*) FROM grants GROUP BY 1, 2, 3, 4, 5, 6, 7""")
    # The file states the borough only (Beneficiary Location E08000009, type MD): no grant is
    # placed on a small area.
    assert landed == [("E08000009", "ltla", "beneficiary", False, "E08000009", "E08000009", "E12000002", 555)]
    grant = rows(engine, """SELECT g.amount_awarded, g.award_date, g.recipient_name, g.recipient_charity_number,
                                   g.funder_id, g.programme_title, r.file_name
                            FROM grants g JOIN import_runs r ON r.id = g.import_run_id
                            WHERE g.identifier = '360G-traffordmbc-VSG1342'""")
    assert grant == [(Decimal("2266.00"), date(2013, 1, 18), "Altrincham Children's Choir", None,
                      "GB-LAE-TRF", "Voluntary Sector Grants",
                      "trafford_council_voluntary_sector_grants_360giving.csv")]
    # A council funder covers its own authority (matched by name in the mySociety codes).
    assert rows(engine, "SELECT funder_id, area_code, basis FROM grant_coverage") == [
        ("GB-LAE-TRF", "E08000009", "council")]


def test_a_reload_is_a_no_op(trafford, shared_data):
    engine, _ = trafford
    again = load_files(engine)("grants-360giving", shared_data / TRAFFORD)
    assert again.status.startswith("no-op") and again.new == again.changed == 0


LOCATED = [  # (beneficiary codes and types, recipient location code, postcode) → where it must land
    ([("E01006074", "LSOA")], None, None, ("E01006074", "lsoa", "beneficiary", False, "E08000009")),
    # an LSOA 2011 code is carried to its LSOA 2021 successor (Barking and Dagenham)
    ([("E01000010", "LSOA")], None, None, ("E01034474", "lsoa", "beneficiary", False, "E09000002")),
    # Aylesbury Vale (abolished 2020) → Buckinghamshire
    ([("E07000004", "NMD")], None, None, ("E06000060", "ltla", "beneficiary", False, "E06000060")),
    # two LSOAs of one borough land on the borough, never on one of them
    ([("E01006074", "LSOA"), ("E01006075", "LSOA")], None, None,
     ("E08000009", "ltla", "beneficiary", False, "E08000009")),
    # the finest of nested levels: the LSOA, not its borough
    ([("E08000009", "MD"), ("E01006075", "LSOA")], None, None,
     ("E01006075", "lsoa", "beneficiary", False, "E08000009")),
    # beneficiary wins over the recipient's own location (a London-registered national charity)
    ([("E06000017", "UA")], "E09000001", None, ("E06000017", "ltla", "beneficiary", False, "E06000017")),
    ([], "E09000001", None, ("E09000001", "ltla", "recipient_code", True, "E09000001")),
    ([], None, "M16 7GX", ("M16 7", "postcode_sector", "recipient_postcode", True, None)),
    ([("E12000002", "RGN/GOR")], None, None, ("E12000002", "region", "beneficiary", False, None)),
]


def located_rows() -> list[dict]:
    out = []
    for n, (beneficiaries, recipient_code, postcode, _) in enumerate(LOCATED):
        row = grant_rows(1, [], prefix=f"360G-GENERATED-LOC-{n}-")[0]
        for i, (code, code_type) in enumerate(beneficiaries):
            row[f"Beneficiary Location:{i}:Geographic Code"] = code
            row[f"Beneficiary Location:{i}:Geographic Code Type"] = code_type
        row["Recipient Org:Location:0:Geographic Code"] = recipient_code or ""
        row["Recipient Org:Postal Code"] = postcode or ""
        out.append(row)
    return out


def test_hand_checked_locations_land_where_they_should(inputs, tmp_path):
    columns = sorted({k for r in located_rows() for k in r} - {"Beneficiary Location:Name",
                     "Beneficiary Location:Geographic Code", "Beneficiary Location:Geographic Code Type"})
    path = write_csv(tmp_path / "located.csv", located_rows(), columns)
    load_files(inputs)("grants-360giving", path)
    got = dict((r[0], r[1:]) for r in rows(inputs, """
        SELECT identifier, area_code, area_level, located_by, recipient_address_only, ltla FROM grants
        WHERE identifier LIKE '360G-GENERATED-LOC-%'"""))
    for n, (*_, expected) in enumerate(LOCATED):
        assert got[f"360G-GENERATED-LOC-{n}-0000000"] == expected, LOCATED[n]


def test_xlsx_and_json_forms_load_and_one_identifier_is_one_grant(inputs, tmp_path):
    codes = [("E08000009", "MD"), ("E06000017", "UA")]
    first = grant_rows(40, codes, seed=1, prefix="360G-GENERATED-FORMS-")
    load = load_files(inputs)
    report = load("grants-360giving", write_xlsx(tmp_path / "grants.xlsx", first[:30]))
    assert report.tables["grants"]["new"] == 30
    # the JSON package republishes 10 of them unchanged and adds 10
    report = load("grants-360giving", write_json(tmp_path / "grants.json", first[20:]))
    assert (report.tables["grants"]["new"], report.tables["grants"]["unchanged"]) == (10, 10)
    stored = rows(inputs, "SELECT count(*), sum(amount_awarded) FROM grants WHERE identifier LIKE "
                          "'360G-GENERATED-FORMS-%'")[0]
    assert stored == (40, sum(Decimal(r["Amount Awarded"]) for r in first))


def bad_file(tmp_path, damage: str):
    rows_ = grant_rows(3, [("E08000009", "MD")], prefix="360G-GENERATED-BAD-")
    columns = None
    if damage == "missing Amount Awarded":
        columns = [c for c in rows_[0] if c != "Amount Awarded"]
    elif damage == "text amount":
        rows_[1]["Amount Awarded"] = "£2,000"
    elif damage == "future date":
        rows_[2]["Award Date"] = (date.today() + timedelta(days=30)).isoformat()
    elif damage == "unknown code":
        rows_[1]["Beneficiary Location:Geographic Code"] = "E05999999"
        rows_[1]["Beneficiary Location:Geographic Code Type"] = "WD"
    elif damage == "wrong code type":
        rows_[1]["Beneficiary Location:Geographic Code Type"] = "LSOA"
    elif damage == "empty":
        (tmp_path / "empty.csv").write_bytes(b"")
        return tmp_path / "empty.csv"
    elif damage == "directory":
        return tmp_path
    return write_csv(tmp_path / "bad.csv", rows_, *(columns and [columns] or []))


@pytest.mark.parametrize("damage, message, location, column", [
    ("missing Amount Awarded", "missing column 'Amount Awarded'", None, "Amount Awarded"),
    ("text amount", "'£2,000' is not of type 'number'", "row 3", "Amount Awarded"),
    ("future date", "is in the future", "row 4", "Award Date"),
    ("unknown code", "1 geographic codes match no loaded area or lookup (1 grants): E05999999 (1)", None,
     "Beneficiary Location:Geographic Code"),
    ("wrong code type", "'E08000009' is not a LSOA code", "row 3", "Beneficiary Location:Geographic Code"),
    ("empty", "file is empty", None, None),
    ("directory", "is a directory", None, None),
])
def test_bad_files_are_refused_with_a_located_error_and_load_nothing(inputs, tmp_path, damage, message,
                                                                     location, column):
    before = rows(inputs, "SELECT count(*) FROM grants")[0][0]
    with pytest.raises(LoadError) as refused:
        load_files(inputs)("grants-360giving", bad_file(tmp_path, damage))
    assert message in refused.value.message
    assert (refused.value.location, refused.value.column) == (location, column)
    assert "\n" not in str(refused.value)
    assert rows(inputs, "SELECT count(*) FROM grants")[0][0] == before
