"""Complete roll-ups: every English LSOA 2011/2021 reaches its 2023 LTLA, UTLA and region.

The rule, on the real data: mid-2022 population by LSOA 2021 rolled up through area_hierarchy to
LTLAs, UTLAs and regions sums to England's published 57,106,398 at every level (SOURCES.md §4),
and every 2023 authority has its region — whatever order the files are loaded in.
"""
from __future__ import annotations

import csv

import pytest
from sqlalchemy import text

from tests.conftest import DATA_TABLES, load_files, scalar

ENGLAND_MID_2022 = 57_106_398  # ONS mid-2022 estimate for England (SOURCES.md §4)

BOUNDARIES = [("boundaries/rgn_dec2023_en_buc.topojson", "region"),
              ("boundaries/ctyua_dec2023_uk_buc.topojson", "utla"),
              ("boundaries/lad_dec2023_uk_buc.topojson", "ltla")]
LOOKUPS = ["lookups/ltla23_to_utla23_apr2023.csv", "lookups/lsoa21_to_utla23.csv",
           "lookups/lsoa11_to_lsoa21_to_lad22.csv", "lookups/la_all_codes_drkane.csv",
           "lookups/utla_all_codes_drkane.csv"]


def load_geography(load, data, reverse=False):
    steps = [lambda p=p, lvl=lvl: load("boundaries", data / p, level=lvl, vintage="2023-12")
             for p, lvl in BOUNDARIES]
    steps += [lambda p=p: load("lookup", data / p) for p in LOOKUPS]
    steps += [lambda: load("population", data / "population/lsoa21_population_mid2022.csv"),
              lambda: load("centroids", data / "deprivation/lsoa11_population_weighted_centroids_dec2011.csv")]
    for step in reversed(steps) if reverse else steps:
        step()


def english_codes(path, column):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row[column] for row in csv.DictReader(handle) if row[column].startswith("E")}


@pytest.fixture(scope="module")
def hierarchy(engine, shared_data):
    """The geography of ../shared/data loaded once for the module, in manifest order."""
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE"))
    load_geography(load_files(engine), shared_data)
    return engine


def rollup(engine, column):
    with engine.connect() as conn:
        return dict(conn.execute(text(f"""
            SELECT h.{column}, sum(i.value) FROM indicators i
            JOIN area_hierarchy h ON h.level = 'lsoa' AND h.vintage = '2021-12' AND h.code = i.area_code
            WHERE i.indicator = 'population' AND i.period = '2022' GROUP BY 1""")).all())


@pytest.mark.parametrize("column", ["ltla", "utla", "region"])
def test_population_rolls_up_to_england_exactly(hierarchy, column):
    totals = rollup(hierarchy, column)
    assert None not in totals
    assert sum(totals.values()) == ENGLAND_MID_2022


def test_every_english_lsoa_of_both_censuses_is_placed(hierarchy, shared_data):
    lsoa21 = english_codes(shared_data / "lookups/lsoa21_to_utla23.csv", "LSOA21CD")
    lsoa11 = english_codes(shared_data / "deprivation/imd2019_lsoa11_file1.csv", "LSOA code (2011)")
    with hierarchy.connect() as conn:
        placed = {v: set(conn.execute(text(
            "SELECT code FROM area_hierarchy WHERE level = 'lsoa' AND vintage = :v "
            "AND ltla IS NOT NULL AND utla IS NOT NULL AND region IS NOT NULL"), {"v": v}).scalars())
            for v in ("2011-12", "2021-12")}
    assert placed["2021-12"] == lsoa21 and len(lsoa21) == 33_755
    assert placed["2011-12"] == lsoa11 and len(lsoa11) == 32_844


def test_every_2023_authority_has_its_region(hierarchy):
    missing = scalar(hierarchy, """
        SELECT count(*) FROM areas a WHERE a.level IN ('ltla', 'utla') AND a.vintage = '2023-12'
          AND a.code LIKE 'E%' AND (NOT a.parent_codes ? 'region' OR NOT EXISTS (
              SELECT 1 FROM area_hierarchy h WHERE (h.level, h.code) = (a.level, a.code)
                AND h.region = a.parent_codes->>'region'))""")
    assert missing == 0
    assert scalar(hierarchy, "SELECT count(*) FROM area_hierarchy WHERE vintage = '2023-12'") == 296 + 153


@pytest.mark.parametrize("code, region", [("E08000016", "E12000003"), ("E08000019", "E12000003")])
def test_barnsley_and_sheffield_keep_their_2023_codes_and_reach_yorkshire(hierarchy, code, region):
    # A lookup maps them to E08000038/E08000039 (2024 codes): followed for the region only.
    with hierarchy.connect() as conn:
        row = conn.execute(text("SELECT ltla, utla, region, country FROM area_hierarchy "
                                "WHERE level = 'ltla' AND code = :c"), {"c": code}).one()
        parents = conn.execute(text("SELECT parent_codes FROM areas WHERE level = 'ltla' "
                                    "AND vintage = '2023-12' AND code = :c"), {"c": code}).scalar()
    assert tuple(row) == (code, code, region, "E92000001")
    assert parents["region"] == region and parents["country"] == "E92000001"


@pytest.mark.parametrize("ltla, population", [
    ("E08000009", 236_301),  # Trafford: the ONS mid-2022 LA figure (SOURCES.md §4)
    # Reorganised in April 2023: their LSOAs reach the new unitaries through LAD22 → successor.
    ("E06000065", None), ("E06000063", None), ("E06000064", None), ("E06000066", None),
])
def test_authority_totals(hierarchy, shared_data, ltla, population):
    """An LTLA's roll-up equals the sum of its LSOAs by the complete LSOA21 → UTLA23 lookup
    (these are unitaries, so UTLA = LTLA) and, for Trafford, the published figure."""
    with (shared_data / "population/lsoa21_population_mid2022.csv").open(encoding="utf-8-sig") as handle:
        people = {r["lsoacd"]: int(r["population"]) for r in csv.DictReader(handle)}
    with (shared_data / "lookups/lsoa21_to_utla23.csv").open(encoding="utf-8-sig") as handle:
        independent = sum(people[r["LSOA21CD"]] for r in csv.DictReader(handle) if r["UTLA23CD"] == ltla)
    assert rollup(hierarchy, "ltla")[ltla] == independent == (population or independent)


def test_split_lsoas_in_two_tier_counties_reach_their_district(hierarchy, shared_data):
    """LSOAs created by splits are missing from the best-fit lookup; in a county their district
    comes from their ONS name ("Cherwell 019F"): check every one against its name."""
    with (shared_data / "lookups/lsoa11_to_lsoa21_to_lad22.csv").open(encoding="utf-8-sig") as handle:
        in_best_fit = {r["LSOA21CD"] for r in csv.DictReader(handle)}
    with (shared_data / "lookups/lsoa21_to_utla23.csv").open(encoding="utf-8-sig") as handle:
        split = {r["LSOA21CD"]: r["LSOA21NM"].rsplit(" ", 1)[0] for r in csv.DictReader(handle)
                 if r["UTLA23CD"].startswith("E10") and r["LSOA21CD"] not in in_best_fit}
    with hierarchy.connect() as conn:
        placed = dict(conn.execute(text("""
            SELECT h.code, a.name FROM area_hierarchy h
            JOIN areas a ON a.level = 'ltla' AND a.vintage = '2023-12' AND a.code = h.ltla
            WHERE h.level = 'lsoa' AND h.vintage = '2021-12' AND h.code = ANY(:codes)"""),
            {"codes": list(split)}).all())
    assert len(split) == 361 and placed == split


def test_reloading_a_lookup_is_a_no_op(hierarchy, shared_data):
    report = load_files(hierarchy)("lookup", shared_data / "lookups/lsoa21_to_utla23.csv")
    assert report.status.startswith("no-op")


def test_any_load_order_gives_the_same_hierarchy(engine, shared_data, hierarchy):
    query = "SELECT level, code, vintage, ltla, utla, region, country FROM area_hierarchy ORDER BY 1, 2, 3"
    with engine.connect() as conn:
        forward = conn.execute(text(query)).all()
        conn.execute(text(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE"))
        conn.commit()
    load_geography(load_files(engine), shared_data, reverse=True)
    with engine.connect() as conn:
        assert conn.execute(text(query)).all() == forward
