"""revenue-outturn: MHCLG RS workbooks → spending, checked against the workbooks' own totals."""
import shutil
from decimal import Decimal

import pytest

from store.errors import LoadError
from tests.conftest import scalar

RS = {"2013-14": "RS_2013-14_by_LA_revised_28-Jan-2015.xls",
      "2014-15": "RS_2014-15_by_LA_02-Feb-2016.xls",
      "2015-16": "RS_2015-16_data_by_LA_revision.xlsx",
      "2016-17": "RS_2016-17_data_by_LA.xlsx"}
# England public health net current expenditure, £m, as the workbooks' ENGLAND rows print it.
PUBLIC_HEALTH_ENGLAND_M = {"2013-14": 2508, "2014-15": 2737, "2015-16": 3152, "2016-17": 3480}
MILLION = Decimal(1_000_000)


def rs(shared_data, year):
    return shared_data / "spending" / "raw" / RS[year]


def millions(amount) -> int:
    return int((Decimal(amount) / MILLION).quantize(Decimal(1)))


def db_total(db, year, service) -> Decimal:
    return scalar(db, "SELECT sum(amount_gbp) FROM spending WHERE financial_year = :y AND service = :s",
                  y=year, s=service)


def fingerprint(db) -> str:
    return scalar(db, "SELECT md5(coalesce(string_agg(s::text, ',' ORDER BY id), '')) || "
                      "(SELECT count(*) FROM authority_codes) || (SELECT count(*) FROM import_runs) "
                      "FROM spending s")


def test_every_year_matches_the_england_row(load, db, shared_data):
    # Later years first: they print the ONS codes the 2013-14 workbook lacks.
    reports = {year: load("revenue-outturn", rs(shared_data, year)) for year in reversed(RS)}
    for year, report in reports.items():
        england = report.reconciliation["England public_health £"]
        assert millions(england["published"]) == PUBLIC_HEALTH_ENGLAND_M[year], year
        assert millions(england["sum of authorities"]) == PUBLIC_HEALTH_ENGLAND_M[year], year
        assert millions(db_total(db, year, "public_health")) == PUBLIC_HEALTH_ENGLAND_M[year], year
    culture = reports["2013-14"].reconciliation["England cultural_related £"]
    assert culture["published"] == culture["sum of authorities"] == Decimal("2830920000.00")
    # Lee Valley Regional Park and four ITAs have no ONS code in any workbook: not loaded, but
    # what they carry is reported, so the loaded rows plus it make the published total.
    assert db_total(db, "2013-14", "cultural_related") + culture["not loaded"] == culture["published"]
    assert reports["2013-14"].rejected == 5


def test_reconciliation_differences_are_zero_or_explained(load, shared_data):
    for year in ("2014-15", "2015-16"):
        report = load("revenue-outturn", rs(shared_data, year))
        assert len(report.reconciliation) == 14 * 7  # lines × (England + six classes)
        assert all(entry["difference"] == 0 for entry in report.reconciliation.values()), year
    report = load("revenue-outturn", rs(shared_data, "2016-17"))
    differing = {k: v for k, v in report.reconciliation.items() if v["difference"]}
    # The Isles of Scilly and Dorset Police print "…"; ENGLAND and their class totals include them.
    assert differing and all(v["no figure printed for"] for v in differing.values())
    assert any("(explained: no figure printed)" in note for note in report.notes)
    assert not any("unexplained" in note for note in report.notes)


def test_amounts_are_exact_pounds(load, db, shared_data):
    load("revenue-outturn", rs(shared_data, "2015-16"))
    # Bath & NE Somerset highways: 8168.730153777793 (£ thousand) in the workbook.
    assert scalar(db, "SELECT amount_gbp FROM spending WHERE area_code = 'E06000022' "
                      "AND service = 'highways_transport'") == Decimal("8168730.15")
    assert scalar(db, "SELECT source_line FROM spending WHERE service = 'public_health' LIMIT 1") \
        == "390 Public Health"
    assert scalar(db, "SELECT count(DISTINCT service) FROM spending") == 14


def test_north_yorkshire_code_corrected(load, db, shared_data):
    report = load("revenue-outturn", rs(shared_data, "2015-16"))
    assert any("E2721 from E10000022 to E10000023" in note for note in report.notes)
    assert scalar(db, "SELECT count(*) FROM spending WHERE area_code = 'E10000022'") == 0
    assert scalar(db, "SELECT string_agg(gss_code, ',') FROM authority_codes WHERE ecode = 'E2721'") \
        == "E10000023"


def test_reload_is_a_noop(load, db, shared_data):
    load("revenue-outturn", rs(shared_data, "2016-17"))
    before = fingerprint(db)
    again = load("revenue-outturn", rs(shared_data, "2016-17"))
    assert (again.new, again.changed) == (0, 0) and again.status.startswith("no-op")
    assert fingerprint(db) == before


def test_2013_14_needs_ons_codes_from_another_year(load, db, shared_data):
    alone = load("revenue-outturn", rs(shared_data, "2013-14"))
    assert alone.rejected == alone.rows_read == 444 and alone.new == 0
    assert "load first an RS workbook that prints it" in alone.rejections[0]["reason"]
    assert alone.rejections[0]["location"] == "sheet 'RS LA Data 2013-14 (1)', row 8"
    assert scalar(db, "SELECT count(*) FROM spending") == 0

    # 2015-16 prints the ONS codes of fire and police authorities too (2014-15 does not).
    load("revenue-outturn", rs(shared_data, "2015-16"))
    mapped = load("revenue-outturn", rs(shared_data, "2013-14"))
    assert mapped.rejected == 5  # four ITAs (2013-14 only) and Lee Valley Regional Park
    # Trafford (E4209) under its ONS code, with the 2013-14 figure (£ thousand 10,171 × 1000).
    assert scalar(db, "SELECT amount_gbp FROM spending WHERE area_code = 'E08000009' "
                      "AND financial_year = '2013-14' AND service = 'public_health'") \
        == Decimal("10171000.00")


def test_dry_run_writes_nothing(load, db, shared_data):
    report = load("revenue-outturn", rs(shared_data, "2014-15"), dry_run=True)
    assert report.new > 0 and report.status.startswith("dry-run")
    assert scalar(db, "SELECT count(*) FROM spending") == 0
    assert scalar(db, "SELECT count(*) FROM import_runs") == 0


@pytest.mark.parametrize("damage", ["truncated xlsx", "truncated xls", "csv", "RO3 workbook",
                                    "RA workbook"])
def test_bad_file_changes_nothing(load, db, shared_data, tmp_path, damage):
    load("revenue-outturn", rs(shared_data, "2016-17"))
    before = fingerprint(db)
    if damage.startswith("truncated"):
        source = rs(shared_data, "2016-17" if damage.endswith("xlsx") else "2014-15")
        bad = tmp_path / source.name
        bad.write_bytes(source.read_bytes()[:200_000])
    elif damage == "csv":
        bad = shared_data / "lookups" / "la_all_codes_drkane.csv"
    else:
        name = "RO3_2013-14_by_LA.xls" if damage.startswith("RO3") else "RA_2016-17_by_LA.xlsx"
        bad = tmp_path / name
        shutil.copy(shared_data / "spending" / "ro3" / name, bad)
    with pytest.raises(LoadError) as raised:
        load("revenue-outturn", bad)
    assert raised.value.file and bad.name in raised.value.file
    if damage.endswith("workbook"):
        assert "not a Revenue Outturn Summary (RS) workbook" in raised.value.message
    assert fingerprint(db) == before


def test_year_override_and_validation(load, db, shared_data):
    report = load("revenue-outturn", rs(shared_data, "2014-15"), year="2014-15", dry_run=True)
    assert not any("--year" in note for note in report.notes)
    with pytest.raises(LoadError, match="--year must look like 2014-15"):
        load("revenue-outturn", rs(shared_data, "2014-15"), year="2014")
