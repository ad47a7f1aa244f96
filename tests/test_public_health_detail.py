"""public-health-detail: RO3 outturn and RA budget workbooks → spending, by public health line.

Expected figures are the workbooks' own, as recorded in shared/data/SOURCES.md §10.
"""
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import text

from store.errors import LoadError
from models.public_health_lines import LINES, MEMO, ROLLUP, TOTAL
from tests.conftest import scalar

TRAFFORD, RUTLAND, BIRMINGHAM = "E08000009", "E06000017", "E08000025"

# SOURCES.md §10: England TOTAL PUBLIC HEALTH of each RA budget workbook, £ thousand.
RA_ENGLAND_TOTALS = {
    "RA_2013-14_by_LA.xls": 2_699_221,
    "RA_2014-15_by_LA_revised_22-Oct-2014.xls": 2_848_658,
    "RA_2015-16_by_LA.xls": 3_321_248,
    "RA_2016-17_by_LA.xlsx": 3_495_777,
    "RA_2017-18_by_LA.xlsx": 3_410_420,
    "RA_2018-19_by_LA.xlsx": 3_314_041,
    "RA_2019-20_by_LA.xlsx": 3_241_543,
    "RA_2020-21_by_LA.xlsx": 3_312_509,
    "RA_2021-22_by_LA.xlsx": 3_680_465,
}
# The earliest workbook printing ONS codes: loading it first records E-code ↔ ONS code pairs.
SEED = "RA_2017-18_by_LA.xlsx"


@pytest.fixture
def ro3(shared_data):
    return shared_data / "spending" / "ro3"


@pytest.fixture
def seeded(load, ro3):
    """authority_codes filled from a real workbook that prints both codes."""
    return load("public-health-detail", ro3 / SEED)


def total_public_health(db, area, dataset, year):
    return scalar(db, "SELECT amount_gbp FROM spending WHERE service = :s AND area_code = :a "
                      "AND dataset = :d AND financial_year = :y", s=TOTAL, a=area, d=dataset, y=year)


def england(report, service=TOTAL) -> dict:
    return report.reconciliation[f"England {service} £"]


def thousands(pounds: Decimal) -> int:
    return int((pounds / 1000).to_integral_value())


def test_ro3_2013_14_outturn(load, db, ro3, seeded):
    report = load("public-health-detail", ro3 / "RO3_2013-14_by_LA.xls")
    assert report.rejected == 0 and report.status == "loaded"
    assert england(report) == {"published": Decimal("2507832000.00"),
                               "sum of authorities": Decimal("2507832000.00"),
                               "difference": Decimal("0.00")}
    assert total_public_health(db, TRAFFORD, "RO3", "2013-14") == Decimal("10171000.00")
    assert total_public_health(db, RUTLAND, "RO3", "2013-14") == Decimal("940000.00")
    assert scalar(db, "SELECT DISTINCT basis FROM spending WHERE dataset = 'RO3'") == "outturn"
    assert scalar(db, "SELECT source_line FROM spending WHERE dataset = 'RO3' AND service = :s LIMIT 1",
                  s=TOTAL) == "TOTAL PUBLIC HEALTH SERVICES"
    # 18 lines + total + 4 memo lines, all from sheet (3) (C7 net current expenditure).
    assert scalar(db, "SELECT count(DISTINCT service) FROM spending WHERE dataset = 'RO3'") == 23
    assert any("'RO3 LA Data 2013-14 (3)'" in note for note in report.notes)


def test_ro3_2022_23_returns_not_received_are_null(load, db, ro3):
    report = load("public-health-detail", ro3 / "RO3_2022-23_data_by_LA.ods")
    assert report.rejected == 0
    published = england(report)["published"]
    assert thousands(published) == 3_850_864
    # England is imputed for the 23 returns not received, so authority rows fall short of it.
    assert england(report)["sum of authorities"] < published
    assert any("do not add up" in note and "23 authorities without a total" in note for note in report.notes)
    assert total_public_health(db, TRAFFORD, "RO3", "2022-23") == Decimal("13161000.00")
    assert total_public_health(db, RUTLAND, "RO3", "2022-23") == Decimal("1457000.00")
    # Birmingham's return was not received ([x]): every line stored, as NULL, not zero.
    assert scalar(db, "SELECT count(*) FROM spending WHERE area_code = :a AND amount_gbp IS NULL",
                  a=BIRMINGHAM) == 31
    assert scalar(db, "SELECT count(*) FROM spending WHERE area_code = :a AND amount_gbp IS NOT NULL",
                  a=BIRMINGHAM) == 0
    not_available = report.reconciliation["amounts not available (stored as NULL)"]
    assert not_available["markers"]["[x]"] == "return not received"
    assert not_available["cells"] == scalar(db, "SELECT count(*) FROM spending WHERE amount_gbp IS NULL")
    # the ODS prints the ONS codes, so they are recorded for older workbooks to use
    assert scalar(db, "SELECT gss_code FROM authority_codes WHERE ecode = 'E4209'") == TRAFFORD


@pytest.mark.parametrize("workbook", list(RA_ENGLAND_TOTALS))
def test_every_ra_budget_layout(load, db, ro3, seeded, workbook):
    report = load("public-health-detail", ro3 / workbook)
    assert thousands(england(report)["published"]) == RA_ENGLAND_TOTALS[workbook]
    assert report.rejected == 0
    year = workbook[3:10]
    assert scalar(db, "SELECT DISTINCT basis FROM spending WHERE dataset = 'RA' AND financial_year = :y",
                  y=year) == "budget"
    if year == "2021-22":
        assert total_public_health(db, TRAFFORD, "RA", year) == Decimal("13047000.00")
        assert total_public_health(db, RUTLAND, "RA", year) == Decimal("2233000.00")


def test_outturn_and_budget_are_separate_series(load, db, ro3, seeded):
    load("public-health-detail", ro3 / "RA_2013-14_by_LA.xls")
    load("public-health-detail", ro3 / "RO3_2013-14_by_LA.xls")
    assert total_public_health(db, RUTLAND, "RA", "2013-14") == Decimal("1097000.00")  # planned
    assert total_public_health(db, RUTLAND, "RO3", "2013-14") == Decimal("940000.00")  # spent
    assert scalar(db, "SELECT string_agg(dataset || ':' || basis, ',' ORDER BY dataset) FROM spending "
                      "WHERE area_code = :a AND financial_year = '2013-14' AND service = :s",
                  a=TRAFFORD, s=TOTAL) == "RA:budget,RO3:outturn"


def test_lines_partition_the_total_at_every_granularity(load, db, ro3, seeded):
    """Fine lines (memo lines aside) add up to TOTAL, so every line is mapped and none twice.

    The publisher rounds each line to £1k on its own, so sums may be a few £k off.
    """
    for workbook in ("RO3_2013-14_by_LA.xls", "RA_2015-16_by_LA.xls", "RO3_2022-23_data_by_LA.ods"):
        load("public-health-detail", ro3 / workbook)
    with db.connect() as conn:
        stored = set(conn.execute(text("SELECT DISTINCT service FROM spending")).scalars())
    assert stored <= set(LINES.values()) | {"ph_misc_other"}
    assert not set(ROLLUP.values()) & set(ROLLUP)  # one level: coarse keys are not split again
    lines = sorted(stored - MEMO - {TOTAL})
    worst = scalar(db, """
        SELECT max(abs(lines - total)) FROM (
            SELECT dataset, financial_year, area_code,
                   sum(amount_gbp) FILTER (WHERE service = ANY(:lines)) AS lines,
                   max(amount_gbp) FILTER (WHERE service = :total) AS total
            FROM spending GROUP BY 1, 2, 3) t
        WHERE total IS NOT NULL""", lines=lines, total=TOTAL)
    assert worst <= Decimal(5000)
    # RA 2015-16 publishes the remainder of "miscellaneous" beside the 0-5 lines
    assert scalar(db, "SELECT count(*) FROM spending WHERE service = 'ph_misc' AND financial_year "
                      "= '2015-16'") == 0


def test_reload_is_a_noop(load, db, ro3):
    load("public-health-detail", ro3 / "RO3_2022-23_data_by_LA.ods")
    runs = scalar(db, "SELECT count(*) FROM import_runs")
    again = load("public-health-detail", ro3 / "RO3_2022-23_data_by_LA.ods")
    assert again.status.startswith("no-op") and (again.new, again.changed) == (0, 0)
    assert scalar(db, "SELECT count(*) FROM import_runs") == runs


def test_unmappable_authorities_rejected_with_location(load, db, ro3):
    report = load("public-health-detail", ro3 / "RO3_2013-14_by_LA.xls")  # no codes known yet
    assert report.rejected > 150 and report.new == 0 and report.status.startswith("no-op")
    first = report.rejections[0]
    assert first["location"].startswith("sheet 'RO3 LA Data 2013-14 (3)', row ")
    assert "load a workbook that prints ONS codes" in first["reason"]


def edited(source, tmp_path, row, column, value):
    """A copy of an .xlsx workbook with one cell (1-based Excel row/column) changed."""
    book = openpyxl.load_workbook(source)
    sheet = next(ws for ws in book.worksheets if "Data" in ws.title)
    sheet.cell(row=row, column=column, value=value)
    copy = tmp_path / source.name
    book.save(copy)
    return copy


@pytest.mark.parametrize("damage", ["truncated", "wrong kind (RS)", "csv", "unknown line", "missing column"])
def test_bad_files_change_nothing(load, db, ro3, shared_data, tmp_path, damage):
    load("public-health-detail", ro3 / "RO3_2022-23_data_by_LA.ods")
    fingerprint = ("SELECT md5(string_agg(s::text, ',' ORDER BY id)) || (SELECT count(*) FROM import_runs)"
                   " || (SELECT count(*) FROM authority_codes) FROM spending s")
    before = scalar(db, fingerprint)
    ra_2016 = ro3 / "RA_2016-17_by_LA.xlsx"
    if damage == "truncated":
        bad = tmp_path / ra_2016.name
        bad.write_bytes(ra_2016.read_bytes()[:400_000])
        match = "truncated or corrupt|not a readable"
    elif damage == "wrong kind (RS)":
        bad, match = shared_data / "spending" / "raw" / "RS_2016-17_data_by_LA.xlsx", "not an RO3 or RA"
    elif damage == "csv":
        bad, match = shared_data / "lookups" / "uk_local_authorities_mysociety.csv", "not a spreadsheet"
    elif damage == "unknown line":  # row 7, column BZ: "Public mental health"
        bad, match = edited(ra_2016, tmp_path, 7, 78, "Public happiness"), "unknown public health line"
    else:
        bad, match = edited(ra_2016, tmp_path, 7, 2, "Council"), "lacks the column"
    with pytest.raises(LoadError, match=match) as error:
        load("public-health-detail", bad)
    assert str(bad) in str(error.value)
    if damage == "unknown line":
        assert (error.value.location, error.value.column) == ("sheet 'RA LA Data 2016-17', row 7", "BZ")
    assert scalar(db, fingerprint) == before

