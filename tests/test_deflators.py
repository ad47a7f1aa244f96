"""HM Treasury GDP deflators: only HMT's own tables are read, only outturn index levels stored."""
import openpyxl
import pytest
from sqlalchemy import text

from store.errors import LoadError
from tests.conftest import damaged_copy, scalar

OCT_2024, MAR_2024 = "30102024 deflator update", "28032024 deflator update"
# SOURCES.md §9, read from the workbook's HMT sheets (column C).
OCT_2024_VALUES = {"2010-11": 71.8147, "2011-12": 73.0844, "2012-13": 74.4335, "2013-14": 75.8566,
                   "2014-15": 76.7835, "2015-16": 77.3347, "2016-17": 79.0813, "2017-18": 80.3254,
                   "2018-19": 82.0171, "2019-20": 83.9605, "2020-21": 88.4655, "2021-22": 87.9486,
                   "2022-23": 94.2175, "2023-24": 100.0}
MAR_2024_VALUES = {"2013-14": 80.9374, "2014-15": 81.9219, "2015-16": 82.5113, "2016-17": 84.3881,
                   "2017-18": 85.7096, "2018-19": 87.5176, "2019-20": 89.5839, "2022-23": 100.0}


@pytest.fixture(scope="module")
def workbook(shared_data):
    return shared_data / "deflators" / "hmt_gdp_deflators_oct2024_socialvalueadjuster.xlsx"


def values(db, indicator):
    with db.connect() as conn:
        return dict(conn.execute(text("SELECT period, value FROM indicators WHERE area_code = "
                                      "'K02000001' AND indicator = :i"), {"i": indicator}).all())


def state(db):
    return (scalar(db, "SELECT count(*) FROM indicators"), scalar(db, "SELECT count(*) FROM import_runs"),
            scalar(db, "SELECT coalesce(sum(value), 0) FROM indicators"))


def edited_copy(workbook, tmp_path, edit):
    """A copy of the workbook with cells changed through openpyxl (``edit(book)``)."""
    book = openpyxl.load_workbook(workbook)
    edit(book)
    path = tmp_path / "edited.xlsx"
    book.save(path)
    return path


def test_october_2024_outturn_index_is_the_default(load, db, workbook):
    report = load("deflators", workbook)
    assert report.status == "loaded" and (report.rows_read, report.new, report.rejected) == (75, 69, 0)
    stored = values(db, "gdp_deflator_2023_24")
    assert len(stored) == 69 and min(stored) == "1955-56" and max(stored) == "2023-24"
    assert {y: stored[y] for y in OCT_2024_VALUES} == OCT_2024_VALUES
    assert stored["1955-56"] == 3.3016
    # No forecast year is stored as a level (HMT prints '-' for 2024-25 … 2029-30).
    assert scalar(db, "SELECT count(*) FROM indicators WHERE period >= '2024-25'") == 0
    assert scalar(db, "SELECT count(DISTINCT indicator) FROM indicators") == 1  # the newest only
    assert any("6 forecast years not stored" in n for n in report.notes)
    assert scalar(db, "SELECT s.publisher FROM import_runs r JOIN sources s ON s.id = r.source_id") \
        == "HM Treasury"
    assert load("deflators", workbook).status.startswith("no-op")


def test_march_2024_table_by_sheet_has_its_own_base(load, db, workbook):
    load("deflators", workbook)
    report = load("deflators", workbook, sheet=MAR_2024)
    assert (report.rows_read, report.new, report.changed) == (74, 68, 0)
    stored = values(db, "gdp_deflator_2022_23")
    assert len(stored) == 68 and max(stored) == "2022-23"
    assert {y: stored[y] for y in MAR_2024_VALUES} == MAR_2024_VALUES
    assert values(db, "gdp_deflator_2023_24")["2013-14"] == 75.8566  # the Oct 2024 table untouched
    assert load("deflators", workbook, sheet=MAR_2024).status.startswith("no-op")


def test_the_app_authors_own_sheet_is_never_read(load, db, workbook, tmp_path):
    load("deflators", workbook)
    before = values(db, "gdp_deflator_2023_24")
    # The author's 'deflators' sheet compounds forecasts into levels (2024-25 = 102.3747).
    assert scalar(db, "SELECT count(*) FROM indicators WHERE round(value::numeric, 4) = 102.3747") == 0
    with pytest.raises(LoadError, match="not an HM Treasury GDP deflator table"):
        load("deflators", workbook, sheet="deflators")

    def scramble(book):
        sheet = book["deflators"]
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                cell.value = 999.0 if cell.column > 1 else cell.value
        sheet["D2"] = "2000-01 = 100"

    db_before = state(db)
    scrambled = edited_copy(workbook, tmp_path, scramble)
    report = load("deflators", scrambled)
    assert report.new == 0 and report.changed == 0 and state(db) == db_before
    assert values(db, "gdp_deflator_2023_24") == before


def test_wrong_files_are_refused_and_nothing_is_written(load, db, workbook, shared_data, tmp_path):
    load("deflators", workbook)
    before = state(db)
    ra = shared_data / "spending" / "ro3" / "RA_2019-20_by_LA.xlsx"
    with pytest.raises(LoadError, match="not an HM Treasury GDP deflator workbook"):
        load("deflators", ra)
    with pytest.raises(LoadError, match="not a spreadsheet"):
        load("deflators", shared_data / "libraries" / "library_authorities_england_2016.csv")
    with pytest.raises(LoadError, match="truncated or corrupt|not a readable .xlsx workbook"):
        load("deflators", damaged_copy(workbook, "truncated", tmp_path))
    with pytest.raises(LoadError, match="no such sheet"):
        load("deflators", workbook, sheet="31122099 deflator update")
    assert state(db) == before


def test_base_year_not_100_is_refused(load, db, workbook, tmp_path):
    def rebase(book):
        book[OCT_2024]["C76"] = 99.5  # 2023-24, the base year

    with pytest.raises(LoadError, match="base year 2023-24 should read 100") as error:
        load("deflators", edited_copy(workbook, tmp_path, rebase))
    assert error.value.location == f"sheet {OCT_2024!r}"
    assert state(db) == (0, 0, 0)


def test_outturn_year_without_a_level_is_rejected_with_its_row(load, db, workbook, tmp_path):
    def blank(book):
        book[OCT_2024]["C66"] = "-"  # 2013-14

    report = load("deflators", edited_copy(workbook, tmp_path, blank))
    assert report.rejected == 1 and report.new == 68
    assert (report.rejections[0]["location"], report.rejections[0]["column"]) == (
        f"sheet {OCT_2024!r}, row 66", "2023-24 = 100")
    assert "2013-14" not in values(db, "gdp_deflator_2023_24")
