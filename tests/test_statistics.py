"""Population, deprivation and centroids from the published files; figures checked independently."""
import csv

import pytest

from store.errors import LoadError
from tests.conftest import damaged_copy, scalar


@pytest.fixture(scope="module")
def files(shared_data):
    return {
        "population": shared_data / "population" / "lsoa21_population_mid2022.csv",
        "imd": shared_data / "deprivation" / "imd2019_lsoa11_file1.csv",
        "lad19": shared_data / "deprivation" / "iod2019_lad19_summaries.csv",
        "lad25": shared_data / "deprivation" / "iod2025_lad24_summaries.csv",
        "centroids": shared_data / "deprivation" / "lsoa11_population_weighted_centroids_dec2011.csv",
        "lsoa_utla": shared_data / "lookups" / "lsoa21_to_utla23.csv",
    }


def rows_of(path):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_population_published_totals(load, db, files):
    report = load("population", files["population"])
    assert (report.rows_read, report.new, report.rejected) == (35672, 35672, 0)
    total = "SELECT sum(value)::bigint FROM indicators WHERE indicator = 'population' AND period = '2022'"
    assert scalar(db, total + " AND area_code LIKE 'E01%'") == 57_106_398  # England, mid-2022
    assert scalar(db, total) == 60_238_038  # England and Wales
    load("lookup", files["lsoa_utla"])
    assert scalar(db, total + " AND area_code IN (SELECT code FROM area_lookups WHERE "
                              "lookup = 'lsoa21_to_utla23' AND parent_code = 'E08000009')") == 236_301
    assert load("population", files["population"]).status.startswith("no-op")


def test_population_period_option_and_bad_value(load, db, files, tmp_path):
    lines = files["population"].read_text(encoding="utf-8-sig").splitlines(True)
    lines[2] = lines[2].split(",")[0] + ",lots\n"
    lines[3] = "E0101195X," + lines[3].split(",")[1]
    bad = tmp_path / "pop.csv"
    bad.write_text("".join(lines), encoding="utf-8")
    report = load("population", bad, period="2022")
    assert report.rejected == 2 and report.new == 35670
    assert [(r["location"], r["column"]) for r in report.rejections] == [
        ("row 4", "lsoacd"), ("row 3", "population")]


def test_imd_file1_lsoa_ranks_and_deciles(load, db, files):
    rows = rows_of(files["imd"])
    rank, decile = "Index of Multiple Deprivation (IMD) Rank", "Index of Multiple Deprivation (IMD) Decile"
    report = load("imd", files["imd"])
    assert report.rows_read == len(rows) == 32844 and report.rejected == 0
    count = "SELECT count(*) FROM indicators WHERE period = '2019' AND indicator = "
    assert scalar(db, count + "'imd_rank'") == 32844
    assert scalar(db, count + "'imd_rank' AND area_code LIKE 'E01%'") == 32844
    assert scalar(db, count + "'imd_decile' AND value = 1") == sum(r[decile] == "1" for r in rows)
    assert scalar(db, "SELECT min(value)::int || '-' || max(value)::int FROM indicators "
                      "WHERE indicator = 'imd_rank'") == "1-32844"
    printed = next(r for r in rows if "," in r[rank])  # e.g. "29,199"
    assert scalar(db, f"SELECT value FROM indicators WHERE indicator = 'imd_rank' "
                      f"AND area_code = '{printed['LSOA code (2011)']}'") == int(printed[rank].replace(",", ""))
    assert load("imd", files["imd"]).status.startswith("no-op")


def test_iod_lad_summaries_2019_and_2025(load, db, files):
    r19 = load("imd", files["lad19"])
    r25 = load("imd", files["lad25"])
    assert (r19.rows_read, r19.new, r19.rejected) == (3170, 3170 * 6, 0)
    assert (r25.rows_read, r25.new, r25.rejected) == (2960, 2960 * 6, 0)
    areas = "SELECT count(DISTINCT area_code) FROM indicators WHERE period = "
    assert scalar(db, areas + "'2019'") == 317 and scalar(db, areas + "'2025'") == 296
    names = "SELECT count(DISTINCT indicator) FROM indicators WHERE period = "
    assert scalar(db, names + "'2019'") == 60 and scalar(db, names + "'2025'") == 60  # 10 domains × 6
    domains = ("SELECT string_agg(DISTINCT replace(indicator, '_average_score', ''), ',') FROM indicators "
               "WHERE indicator LIKE '%average_score' AND indicator NOT LIKE '%rank_average_score' "
               "AND period = ")
    expected = "barriers,crime,education,employment,health,idaci,idaopi,imd,income,living_environment"
    assert scalar(db, domains + "'2019'") == expected == scalar(db, domains + "'2025'")
    value = "SELECT value FROM indicators WHERE area_code = 'E06000001' AND indicator = '{}' AND period = '{}'"
    # Hartlepool, as printed in the files
    assert scalar(db, value.format("imd_rank_average_score", 2019)) == 10
    assert scalar(db, value.format("imd_average_score", 2019)) == pytest.approx(35.037)
    assert scalar(db, value.format("imd_rank_average_score", 2025)) == 6
    assert scalar(db, value.format("income_average_score", 2025)) == pytest.approx(0.357)
    assert scalar(db, value.format("income_proportion_bottom_decile", 2025)) == pytest.approx(0.4035)
    assert load("imd", files["lad25"]).status.startswith("no-op")


def test_centroids_points_and_bad_coordinates(load, db, files, tmp_path):
    rows = rows_of(files["centroids"])
    lines = files["centroids"].read_text(encoding="utf-8-sig").splitlines(True)
    lines[10] = "," + lines[10].split(",", 1)[1]  # row 11: X blank
    lines[20] = lines[20].replace(lines[20].split(",")[1], "95.5", 1)  # row 21: latitude off the UK
    bad = tmp_path / "centroids.csv"
    bad.write_text("".join(lines), encoding="utf-8")
    report = load("centroids", bad)
    assert report.rejected == 2 and report.new == len(rows) - 2
    assert [(r["location"], r["column"]) for r in report.rejections] == [("row 11", "X/Y"), ("row 21", "X/Y")]

    report = load("centroids", files["centroids"])
    assert (report.new, report.unchanged) == (2, len(rows) - 2) == (2, 34751)
    assert scalar(db, "SELECT count(*) FROM centroids WHERE kind = 'population_weighted' "
                      "AND vintage = '2011-12'") == 34753
    first = rows[0]
    assert scalar(db, f"SELECT ST_X(geom) || ' ' || ST_Y(geom) || ' ' || name FROM centroids "
                      f"WHERE code = '{first['lsoa11cd']}'") == \
        f"{float(first['X'])} {float(first['Y'])} {first['lsoa11nm']}"
    assert scalar(db, "SELECT DISTINCT ST_SRID(geom) FROM centroids") == 4326
    assert scalar(db, "SELECT count(*) FROM centroids WHERE geom_27700 IS NULL") == 0
    assert load("centroids", files["centroids"]).status.startswith("no-op")


@pytest.mark.parametrize("kind,damage", [
    ("population", "wrong file"), ("imd", "wrong file"), ("centroids", "wrong file"),
    ("imd", "missing column"), ("population", "empty"), ("centroids", "header only"),
    ("imd", "truncated"), ("centroids", "truncated")])
def test_bad_file_changes_nothing(load, db, files, tmp_path, kind, damage):
    good = {"population": files["population"], "imd": files["lad19"], "centroids": files["centroids"]}[kind]
    load("population", files["population"])
    state = ("SELECT (SELECT count(*) FROM indicators) || '/' || (SELECT count(*) FROM centroids) "
             "|| '/' || (SELECT count(*) FROM import_runs)")
    before = scalar(db, state)
    bad = (files["lsoa_utla"] if damage == "wrong file"
           else damaged_copy(good, damage, tmp_path, (b"index_domain", b"domain")))
    with pytest.raises(LoadError) as error:
        load(kind, bad)
    if damage == "truncated":
        assert error.value.location.startswith("row ")
    assert scalar(db, state) == before
