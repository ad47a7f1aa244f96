"""ONS lookups → area_lookups and areas.parent_codes; mySociety → authority_codes. Real files only."""
import csv

import pytest
from sqlalchemy import text

from store.errors import LoadError
from tests.conftest import SAMPLE, damaged_copy, scalar

LAD = SAMPLE / "lad_dec2023_uk_buc.topojson"


@pytest.fixture(scope="module")
def lookups(shared_data):
    return shared_data / "lookups"


def rows_of(path):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_ltla_to_utla_links_and_reload_noop(load, db, lookups):
    report = load("lookup", lookups / "ltla23_to_utla23_apr2023.csv")
    assert (report.rows_read, report.new, report.rejected) == (318, 318, 0)
    assert scalar(db, "SELECT count(*) FROM area_lookups WHERE lookup = 'ltla23_to_utla23_apr2023' "
                      "AND level = 'ltla' AND parent_level = 'utla'") == 318
    # Sevenoaks (district) lies in Kent (county); Trafford is its own upper tier.
    assert scalar(db, "SELECT parent_code FROM area_lookups WHERE code = 'E07000111'") == "E10000016"
    assert scalar(db, "SELECT parent_code FROM area_lookups WHERE code = 'E08000009'") == "E08000009"
    runs = scalar(db, "SELECT count(*) FROM import_runs")
    again = load("lookup", lookups / "ltla23_to_utla23_apr2023.csv")
    assert again.status.startswith("no-op") and (again.new, again.changed) == (0, 0)
    assert scalar(db, "SELECT count(*) FROM import_runs") == runs


def test_parent_codes_filled_for_loaded_areas_and_on_reload(load, db, lookups):
    load("boundaries", LAD, level="ltla", vintage="2023-12")
    report = load("lookup", lookups / "ltla23_to_utla23_apr2023.csv")
    # every one of the 318 LTLA23 (E&W) is among the 361 UK LAD Dec 2023 boundaries
    assert report.tables["areas"] == {"parent_codes filled": 318}
    assert scalar(db, "SELECT parent_codes->>'utla' FROM areas WHERE code = 'E07000111'") == "E10000016"
    assert scalar(db, "SELECT count(*) FROM areas WHERE parent_codes ? 'utla'") == 318
    assert load("lookup", lookups / "ltla23_to_utla23_apr2023.csv").status.startswith("no-op")
    # areas loaded after the lookup get their parents when the lookup is loaded again
    with db.begin() as conn:
        conn.execute(text("UPDATE areas SET parent_codes = '{}'"))
    again = load("lookup", lookups / "ltla23_to_utla23_apr2023.csv")
    assert again.status == "loaded" and again.new == 0 and again.changed == 318
    assert scalar(db, "SELECT count(*) FROM areas WHERE parent_codes ? 'utla'") == 318


def test_lsoa11_to_lsoa21_to_lad22_gives_two_links_per_row(load, db, lookups):
    path = lookups / "lsoa11_to_lsoa21_to_lad22.csv"
    rows = rows_of(path)
    report = load("lookup", path)
    assert report.rows_read == len(rows) == 34753 and report.rejected == 0
    links = "SELECT count(*) FROM area_lookups WHERE lookup = 'lsoa11_to_lsoa21_to_lad22' AND parent_level = "
    assert scalar(db, links + "'lsoa'") == 34753  # LSOA11 → LSOA21 (best fit)
    assert scalar(db, links + "'ltla'") == len({r["LSOA21CD"] for r in rows})  # LSOA21 → LAD22, once each
    sample = rows[1000]
    assert scalar(db, f"SELECT parent_code FROM area_lookups WHERE code = '{sample['LSOA21CD']}' "
                      "AND parent_level = 'ltla'") == sample["LAD22CD"]


def test_drkane_all_codes_levels_detected(load, db, lookups):
    load("lookup", lookups / "la_all_codes_drkane.csv")
    levels = "SELECT string_agg(DISTINCT parent_level, ',' ORDER BY parent_level) FROM area_lookups"
    assert scalar(db, levels) == "cauth,country,ltla,region,utla"
    # abolished Aylesbury Vale → Buckinghamshire (successor code), and Trafford → Greater Manchester CA
    assert scalar(db, "SELECT parent_code FROM area_lookups WHERE code = 'E07000004' "
                      "AND parent_level = 'ltla'") == "E06000060"
    assert scalar(db, "SELECT parent_code FROM area_lookups WHERE code = 'E08000009' "
                      "AND parent_level = 'cauth'") == "E47000001"
    load("lookup", lookups / "utla_all_codes_drkane.csv")
    assert scalar(db, "SELECT count(*) FROM area_lookups WHERE lookup = 'utla_all_codes_drkane' "
                      "AND parent_level = 'country'") == 218


def test_lookup_name_option(load, db, lookups):
    load("lookup", lookups / "ltla23_to_utla23_apr2023.csv", lookup="ltla_utla")
    assert scalar(db, "SELECT DISTINCT lookup FROM area_lookups") == "ltla_utla"


def test_mysociety_authority_codes(load, db, lookups):
    path = lookups / "uk_local_authorities_mysociety.csv"
    rows = rows_of(path)
    expected = {(r["ecode"], r["gss-code"]) for r in rows if r["ecode"]}
    report = load("lookup", path)
    assert report.source == "mysociety-la-codes" and report.rejected == 0
    former = {(r["ecode"], c.strip()) for r in rows if r["ecode"]
              for c in r["former-gss-codes"].split(",") if c.strip()}
    assert len(expected) == 354
    assert scalar(db, "SELECT count(*) FROM authority_codes") == len(expected | former)
    for ecode, gss in [("E4209", "E08000009"), ("E2402", "E06000017")]:  # Trafford, Rutland
        assert (ecode, gss) in expected
        assert scalar(db, f"SELECT gss_code FROM authority_codes WHERE ecode = '{ecode}' "
                          f"AND gss_code = '{gss}'") == gss
    assert scalar(db, "SELECT s.key FROM import_runs r JOIN sources s ON s.id = r.source_id") \
        == "mysociety-la-codes"
    assert load("lookup", path).status.startswith("no-op")


def test_bad_code_rejected_with_row_and_column(load, db, lookups, tmp_path):
    lines = (lookups / "ltla23_to_utla23_apr2023.csv").read_text(encoding="utf-8-sig").splitlines(True)
    lines[98] = lines[98].replace("E10000016", "E1000X016", 1)  # Sevenoaks → Kent
    bad = tmp_path / "ltla.csv"
    bad.write_text("".join(lines), encoding="utf-8")
    report = load("lookup", bad)
    assert report.rejected == 1 and report.new == 317
    assert report.rejections[0]["location"] == "row 99" and report.rejections[0]["column"] == "UTLA23CD"


@pytest.mark.parametrize("damage", ["not a lookup", "missing column", "empty", "header only", "truncated"])
def test_bad_file_changes_nothing(load, db, lookups, tmp_path, damage):
    good = lookups / "ltla23_to_utla23_apr2023.csv"
    load("lookup", good)
    before = scalar(db, "SELECT md5(string_agg(l::text, ',' ORDER BY id)) FROM area_lookups l")
    bad = (lookups.parent / "population" / "lsoa21_population_mid2022.csv" if damage == "not a lookup"
           else damaged_copy(good, damage, tmp_path, (b"UTLA23CD", b"UPPER")))
    with pytest.raises(LoadError) as error:
        load("lookup", bad)
    if damage == "truncated":
        assert error.value.location.startswith("row ")
    assert scalar(db, "SELECT md5(string_agg(l::text, ',' ORDER BY id)) FROM area_lookups l") == before
