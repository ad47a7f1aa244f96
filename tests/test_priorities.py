"""The gap index and GET /priorities on real data: need from the IMD file, nearest distances from
geopandas, the spending part from /spending, scores recomputed from the returned parts."""
import io
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import shape
from sqlalchemy import text

from analysis import gap_index, refresh
from store.db import make_engine
from app.main import create_app
from tests.conftest import AUTHORITIES_AND_POPULATION, load_in_order

RUTLAND, TRAFFORD = "E06000017", "E08000009"
IMD = "deprivation/imd2019_lsoa11_file1.csv"
LOADS = [
    ("boundaries", "boundaries/rgn_dec2023_en_buc.topojson", {"level": "region", "vintage": "2023-12"}),
    *AUTHORITIES_AND_POPULATION,
    ("boundaries", "boundaries/lsoa21_bgc_E08000009_trafford.geojson", {"level": "lsoa", "vintage": "2021-12"}),
    ("imd", IMD, {}),
    ("imd", "deprivation/iod2025_lad24_summaries.csv", {}),
    ("centroids", "deprivation/lsoa11_population_weighted_centroids_dec2011.csv", {}),
    ("public-health-detail", "spending/ro3/RO3_2022-23_data_by_LA.ods", {}),
    ("public-health-detail", "spending/ro3/RO3_2013-14_by_LA.xls", {}),
    ("public-health-detail", "spending/ro3/RA_2021-22_by_LA.xlsx", {}),
    ("public-health-detail", "spending/ro3/RA_2013-14_by_LA.xls", {}),
    ("deflators", "deflators/hmt_gdp_deflators_oct2024_socialvalueadjuster.xlsx",
     {"sheet": "30102024 deflator update"}),
    ("libraries-taskforce", "libraries/libraries_england_taskforce_2016_geocoded.csv", {}),
]


@pytest.fixture(scope="module")
def loaded(engine, shared_data):
    load_in_order(engine, shared_data, LOADS)
    with engine.begin() as conn:
        refresh(conn)
    return engine


@pytest.fixture(scope="module")
def client(loaded, database_url):
    with TestClient(create_app(make_engine(database_url))) as client:
        yield client


@pytest.fixture(scope="module")
def served(loaded):
    """What `server` serves here (the page test): this module's load, England's small areas —
    the demo sample holds one authority, too few for the validation figure."""
    return loaded


def features(client, **params) -> list[dict]:
    response = client.get("/priorities", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    return response.json()["features"]


def test_score_is_the_weighted_mean_of_the_parts_it_returns(client):
    for weights in ({}, {"w_need": 3, "w_access": 0.5, "w_loss": 0, "w_spending": 2}):
        rows = [f["properties"] for f in features(client, level="lsoa", authority=TRAFFORD,
                                                  limit=500, **weights)]
        w = {p: float(weights.get(f"w_{p}", 1)) for p in gap_index.PARTS}
        for row in rows:
            parts = {p: row[f"{p}_part"] for p in gap_index.PARTS if row[f"{p}_part"] is not None}
            expected = sum(w[p] * v for p, v in parts.items()) / sum(w[p] for p in parts)
            assert row["gap_score"] == pytest.approx(expected, rel=1e-12)
            assert row["driver"] == max(parts, key=lambda p: (w[p] * parts[p], -ord(p[0])))
            assert row["why"].startswith(f"rank {row['rank']}, score")
        scores = [r["gap_score"] for r in rows]
        assert scores == sorted(scores, reverse=True)
        assert [r["rank"] for r in rows][:1] == [1] and {r["utla"] for r in rows} == {TRAFFORD}


def test_need_is_the_imd_rank_rescaled(client, shared_data):
    imd = pd.read_csv(shared_data / IMD, encoding="utf-8-sig", thousands=",")
    rank = dict(zip(imd.iloc[:, 0], imd.iloc[:, 4]))
    rows = [f["properties"] for f in features(client, level="lsoa", authority=RUTLAND, limit=100)]
    assert len(rows) == (imd.iloc[:, 2] == RUTLAND).sum()  # Rutland's 23 LSOA11 (no boundaries loaded)
    for row in rows:
        assert row["imd_rank"] == rank[row["code"]]
        assert row["need_part"] == pytest.approx(1 - (rank[row["code"]] - 1) / (len(imd) - 1))


def test_nearest_library_matches_geopandas(client, loaded, shared_data):
    with loaded.connect() as conn:
        libraries = gpd.read_postgis(text(
            "SELECT p.id, p.geom_27700 FROM places p JOIN place_years y ON y.place_id = p.id "
            "WHERE y.year = 2016 AND y.status = 'open' AND p.category = 'library'"), conn,
            geom_col="geom_27700")
    centroids = pd.read_csv(shared_data / "deprivation/lsoa11_population_weighted_centroids_dec2011.csv",
                            encoding="utf-8-sig")
    rows = {f["properties"]["code"]: f["properties"] for f in features(
        client, level="lsoa", authority=RUTLAND, limit=100)}
    origins = centroids[centroids["lsoa11cd"].isin(rows)]
    origins = gpd.GeoDataFrame(origins, geometry=gpd.points_from_xy(origins.X, origins.Y),
                               crs=4326).to_crs(27700)
    nearest = gpd.sjoin_nearest(origins, libraries, distance_col="distance")
    for code, distance in zip(nearest["lsoa11cd"], nearest["distance"]):
        assert rows[code]["nearest_m"] == pytest.approx(distance, abs=1.0)
        assert rows[code]["access_part"] == pytest.approx(min(rows[code]["nearest_m"] / 2400, 1))
    within = {code: (libraries.distance(point) <= 1200).sum()
              for code, point in zip(origins["lsoa11cd"], origins.geometry)}
    assert {c: r["within_now"] for c, r in rows.items()} == within


def test_spending_part_ranks_the_real_cut_among_units(client):
    units = client.get("/spending", params={"service": "public_health_excl_0_5",
                                            "from": 2013, "to": 2022}).json()["units"]
    change = {u["unit"]: u["years"][-1]["real_change_per_head_pct"] for u in units
              if u["unit"] != "E92000001" and u["years"][-1]["real_change_per_head_pct"] is not None}
    rutland = next(f["properties"] for f in features(client, authority=RUTLAND))
    assert rutland["real_change_pct"] == pytest.approx(change[RUTLAND])
    larger = sum(c > change[RUTLAND] for c in change.values())  # units whose cut was smaller
    assert rutland["spending_part"] == pytest.approx(larger / (len(change) - 1))



def test_stored_spending_part_is_every_units_real_cut_ranked(client, loaded):
    """analysis_gap_spending (written at refresh) against /spending's series for every unit: the
    real change per head, and its percent rank recomputed here."""
    units = client.get("/spending", params={"service": "public_health_excl_0_5",
                                            "from": 2013, "to": 2022}).json()["units"]
    change = {u["unit"]: u["years"][-1]["real_change_per_head_pct"] for u in units
              if u["unit"] != "E92000001" and u["years"][-1]["real_change_per_head_pct"] is not None}
    with loaded.connect() as conn:
        stored = conn.execute(text("SELECT DISTINCT unit, real_change_pct, spending_part FROM "
                                   "analysis_gap_spending WHERE basis = 'outturn'")).all()
    assert len(stored) == len(change) > 100
    for unit, real_change_pct, spending_part in stored:
        assert real_change_pct == pytest.approx(change[unit])
        assert spending_part == pytest.approx(sum(c > change[unit] for c in change.values()) / (len(change) - 1))


def test_stored_spending_part_follows_the_spending(loaded):
    """A change to the stored spending re-runs the step: without the 2013-14 lines no unit has a
    change since then, so no authority has a spending part (rolled back)."""
    with loaded.connect() as conn:
        with conn.begin() as transaction:
            conn.execute(text("DELETE FROM spending WHERE financial_year = '2013-14'"))
            written = refresh(conn)
            parts = conn.execute(text("SELECT count(*), count(spending_part) FROM analysis_gap_spending")).one()
            transaction.rollback()
    assert written["gap_spending"] == parts[0] > 100 and parts[1] == 0


def test_a_missing_outturn_return_falls_back_to_the_budgets(client):
    """RO3 2022-23 has no return from Birmingham, Slough, Thurrock, Torbay: their spending part is
    the real change in *budgeted* spending per head 2013-14 → 2021-22 (RA), ranked among every
    unit's budget change over those years, and labelled so."""
    budgets = client.get("/spending", params={"service": "public_health_excl_0_5", "basis": "budget",
                                              "from": 2013, "to": 2021}).json()["units"]
    change = {u["unit"]: u["years"][-1]["real_change_per_head_pct"] for u in budgets
              if u["unit"] != "E92000001" and u["years"][-1]["real_change_per_head_pct"] is not None}
    rows = {f["id"]: f["properties"] for f in features(client, limit=200)}
    for code in ("E08000025", "E06000039", "E06000034", "E06000027"):
        row = rows[code]
        assert (row["spending_basis"], row["spending_from"], row["spending_to"]) == ("budget", "2013-14", "2021-22")
        assert row["real_change_pct"] == pytest.approx(change[code])
        assert row["spending_part"] == pytest.approx(
            sum(c > change[code] for c in change.values()) / (len(change) - 1))
        assert "(budgets: no outturn return for both years)" in row["why"]
    assert rows[RUTLAND]["spending_basis"] == "outturn" and rows[RUTLAND]["spending_to"] == "2022-23"


def test_england_and_regions_are_areas_of_the_summary(client, loaded):
    england = client.get("/areas/E92000001/summary").json()
    north_west = client.get("/areas/E12000002/summary").json()
    with loaded.connect() as conn:
        everyone, in_region = conn.execute(text(
            "SELECT sum(population), sum(population) FILTER (WHERE region = 'E12000002') "
            "FROM analysis_small_areas")).one()
    assert england["name"] == "England" and england["all"]["residents"] == everyone
    assert north_west["name"] == "North West" and north_west["all"]["residents"] == in_region
    with loaded.connect() as conn:
        assert england["all"]["small_areas"] == conn.execute(text(
            "SELECT count(*) FROM analysis_small_areas")).scalar()


def test_authorities_geojson_and_csv_agree(client):
    found = features(client, region="E12000002", limit=50)  # the North West
    assert found and all(re.fullmatch(r"E(06|08|09|10)\d{6}(\+E06\d{6})*", f["id"]) for f in found)
    assert all(shape(f["geometry"]).is_valid for f in found)
    assert TRAFFORD in {f["id"] for f in found}
    csv = client.get("/priorities", params={"region": "E12000002", "limit": 50, "f": "csv"})
    frame = pd.read_csv(io.StringIO(csv.text))
    assert list(frame["unit"]) == [f["id"] for f in found]
    # named, and naming its licences (OGL; ODbL wherever OpenStreetMap places are loaded)
    assert csv.headers["content-disposition"] == 'attachment; filename="priorities.csv"'
    assert '<https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/>; rel="license"' \
        in csv.headers["link"]
    assert list(frame["rank"]) == sorted(frame["rank"])


def test_gaps_hook_matches_priorities(client, loaded):
    query = gap_index.GapQuery(level="lsoa", utlas=(RUTLAND,))
    with loaded.connect() as conn:
        parts = gap_index.small_area_parts(conn, query)
    rows = {f["id"]: f["properties"] for f in features(client, level="lsoa", authority=RUTLAND)}
    assert {c: p["gap_score"] for c, p in parts.items()} == {c: r["gap_score"] for c, r in rows.items()}


@pytest.mark.parametrize("params, status, parameter", [
    ({"category": "casino"}, 400, "category"),
    ({"level": "ward"}, 400, "level"),
    ({"year": 2009}, 400, "year"),
    ({"loss_from": 2017}, 400, "loss_from"),
    ({"radius": 50}, 400, "radius"),
    ({"w_need": -1}, 400, "w_need"),
    ({"w_need": 0, "w_access": 0, "w_loss": 0, "w_spending": 0}, 400, "w_need"),
    ({"region": "North West"}, 400, "region"),
    ({"authority": "E99999999"}, 404, "authority"),
    ({"need": "indicator:no_such_thing"}, 400, "need"),  # not loaded: a bad parameter (issue 19), as /priorities/validation
    ({"need": "indicator:gdp_deflator_2023_24"}, 400, "need"),  # loaded, but for the UK only
    ({"need": "indicator:income_average_score*0"}, 400, "need"),
    ({"need": "imd,imd"}, 400, "need"),
    ({"need": "income"}, 400, "need"),
    ({"sensitivity": "1", "top": 0}, 400, "top"),
])
def test_bad_parameters_are_problems_naming_them(client, params, status, parameter):
    response = client.get("/priorities", params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert json.loads(response.text)["parameter"] == parameter


def test_openapi_describes_priorities(client):
    operation = client.get("/openapi.json").json()["paths"]["/priorities"]["get"]
    assert all(p.get("description") for p in operation["parameters"])
    assert {"level", "category", "year", "loss_from", "radius", "region", "authority", "w_need",
            "w_access", "w_loss", "w_spending", "limit", "f"} <= {p["name"] for p in operation["parameters"]}


# -- one figure, one definition; reasons that say what each part measures -----------------------

@pytest.mark.parametrize("code", [RUTLAND, "E08000025"])  # Rutland, Birmingham
def test_each_measure_is_one_figure_on_every_endpoint(client, code):
    row = next(f["properties"] for f in features(client, authority=code))
    summary = client.get(f"/areas/{code}/summary").json()["all"]
    assert row["median_nearest_m"] == summary["median_m"]
    assert row["population"] == summary["residents"]
    assert row["residents_without_place"] == summary["residents"] - summary["residents_within"]


def test_why_describes_the_part_it_explains(client):
    slough = next(f["properties"] for f in features(client, authority="E06000039"))
    said = dict(s.split(": ", 1) for s in slough["why"].split("; ") if s[:5] in ("loss ", "acces", "need "))
    loss = next(v for k, v in said.items() if k.startswith("loss"))
    assert loss.startswith(f"on average {slough['loss_part']:.0%} of the places (library) within 1,200 m")
    access = next(v for k, v in said.items() if k.startswith("access"))
    assert f"{slough['access_part'] * 2400:,.0f} m away on average, counted up to 2,400 m" in access
    assert f"median {slough['median_nearest_m']:,.0f} m" in access


# -- need the user chooses ---------------------------------------------------------------------

def percent_rank(values: pd.Series, high_is_need: bool = True) -> pd.Series:
    """PostgreSQL's percent_rank by hand: (rank - 1) / (n - 1), rank = 1 + how many are smaller."""
    ordered = values if high_is_need else -values
    return ordered.apply(lambda v: (ordered < v).sum()) / (len(ordered) - 1)


def test_need_from_an_indicator_ranks_as_by_hand(client, shared_data):
    """Lancashire's small areas take their district's IoD 2025 income score, percent-ranked among
    every district; with need alone weighted, the districts' order is the ranking."""
    iod = pd.read_csv(shared_data / "deprivation/iod2025_lad24_summaries.csv")
    income = iod[iod["index_domain"] == "Income Deprivation"].set_index("area_code")["average_score"]
    for direction, high in (("", True), (":low", False)):
        part = percent_rank(income, high)
        rows = [f["properties"] for f in features(
            client, level="lsoa", authority="E10000017", limit=1000, w_access=0, w_loss=0, w_spending=0,
            need=f"indicator:income_average_score{direction}")]
        assert len(rows) > 700
        for row in rows:
            assert row["need_part"] == pytest.approx(part[row["ltla"]])
            assert row["gap_score"] == pytest.approx(part[row["ltla"]])
        order = sorted({r["ltla"] for r in rows}, key=lambda d: -part[d])
        assert list(dict.fromkeys(r["ltla"] for r in rows)) == order
    # Two terms, weighted: Rutland's small areas, 2 × income (its own, a unitary) + 1 × IMD rank.
    imd = {f["id"]: f["properties"]["need_part"] for f in features(client, level="lsoa", authority=RUTLAND)}
    mixed = features(client, level="lsoa", authority=RUTLAND, need="indicator:income_average_score*2,imd")
    for f in mixed:
        expected = (2 * percent_rank(income)[RUTLAND] + imd[f["id"]]) / 3
        assert f["properties"]["need_part"] == pytest.approx(expected)
        assert "income_average_score (high = need) ×2" in f["properties"]["why"]


# -- sensitivity ---------------------------------------------------------------------------------

def test_sensitivity_ranges_and_summary(client, loaded):
    response = client.get("/priorities", params={"region": "E12000002", "sensitivity": 1, "top": 5, "limit": 50})
    document = response.json()
    summary = document["kindmap:parameters"]["sensitivity"]
    rows = [f["properties"] for f in document["features"]]
    assert summary["rows"] == len(rows) and summary["top_n"] == 5
    assert [s["scenario"] for s in summary["scenarios"]][:3] == ["base", "w_need ×0.5", "w_need ×1.5"]
    assert len(summary["scenarios"]) == 1 + 4 * 3 + 2
    assert summary["scenarios"][0]["kendall_tau"] == pytest.approx(1) and summary["scenarios"][0]["top_n_overlap"] == 1
    for row in rows:
        assert row["rank_min"] <= row["rank"] <= row["rank_max"]
        assert row["rank_range"] == row["rank_max"] - row["rank_min"]
        assert (row["top_n_share"] > 0) == (row["rank_min"] <= 5)
        if row["hangs_on"]:
            assert row["rank"] <= 5 and f"hangs on the {row['hangs_on']} part" in row["why"]
    # Leaving out spending is one scenario: its ranks are /priorities' own with w_spending=0.
    without = {f["id"]: f["properties"]["rank"] for f in features(client, region="E12000002", w_spending=0, limit=50)}
    assert all(r["rank_max"] >= without[r["unit"]] >= r["rank_min"] for r in rows)


def test_a_weight_independent_ordering_has_no_rank_range():
    """Rows ordered alike by every part (and at every radius) keep their rank in every scenario."""
    from analysis import sensitivity

    order = np.linspace(0.1, 0.9, 12)
    parts = np.column_stack([order, order ** 2, np.sqrt(order), order / 2])
    per_row, summary = sensitivity.analyse([f"r{i}" for i in range(12)], {f: parts for f in (0.5, 1.0, 1.5)},
                                           {"need": 1, "access": 2, "loss": 0.5, "spending": 1}, 3)
    assert {r["rank_range"] for r in per_row.values()} == {0}
    assert per_row["r11"]["rank_min"] == 1 and per_row["r11"]["top_n_share"] == 1
    assert summary["kendall_tau_min"] == pytest.approx(1) and summary["top_n_overlap_min"] == 1


# -- validation against independent measures ---------------------------------------------------

def test_validation_carries_districts_to_units_population_weighted(client, loaded, shared_data):
    """IoD 2025 (districts): Lancashire's value is its twelve districts' IMD score weighted by the
    mid-2022 population of their LSOAs, as pandas computes it; a unitary keeps its own."""
    from analysis import validation

    iod = pd.read_csv(shared_data / "deprivation/iod2025_lad24_summaries.csv")
    score = iod[iod["index_domain"] == "Index of Multiple Deprivation"].set_index("area_code")["average_score"]
    people = pd.read_csv(shared_data / "population/lsoa21_population_mid2022.csv", encoding="utf-8-sig")
    lsoas = pd.read_csv(shared_data / "lookups/lsoa21_to_utla23.csv", encoding="utf-8-sig")
    lsoas = lsoas[lsoas["UTLA23CD"] == "E10000017"].merge(people, left_on="LSOA21CD", right_on="lsoacd")
    # An LSOA's name is its district's and a number ("Chorley 008F"): the district by name.
    codes = dict(zip(iod["area_name"], iod["area_code"]))
    lsoas["district"] = lsoas["LSOA21NM"].str.rsplit(" ", n=1).str[0].map(codes)
    population = lsoas.groupby("district")["population"].sum()
    lancashire = list(population.index)
    assert len(lancashire) == 12
    with loaded.connect() as conn:
        measure = validation.from_indicator(conn, "imd_average_score", "2025")
        units = validation.units_of(conn, measure)
    expected = (score[lancashire] * population[lancashire]).sum() / population[lancashire].sum()
    assert units["E10000017"]["value"] == pytest.approx(expected) and units["E10000017"]["codes"] == 12
    assert units["E06000009"]["value"] == pytest.approx(score["E06000009"])  # Blackpool, a unitary
    document = client.get("/priorities/validation", params={"indicator": "imd_average_score", "period": "2025"}).json()
    assert document["units_compared"] == 150 == document["units_ranked"]
    need = document["compared"]["need_part"]["spearman"]
    assert need["rho"] > 0.9 and need["ci95"][0] < need["rho"] < need["ci95"][1]  # need is IMD: a check
    by_region = document["compared"]["gap_score"]["by_region"]
    assert set(by_region) == {f"E1200000{i}" for i in range(1, 10)}
    # Per region, ρ as scipy gives it and the top-decile overlap counted by hand from the points.
    from math import ceil, comb

    from scipy import stats

    counted = 0
    for region, found in by_region.items():
        points = [p for p in document["points"] if p["region"] == region]
        assert found["spearman"]["n"] == len(points) == found["top_decile"]["n"]
        rho = stats.spearmanr([p["gap_score"] for p in points], [p["value"] for p in points]).statistic
        assert found["spearman"]["rho"] == pytest.approx(rho)
        m = ceil(len(points) / 10)
        by_score = {p["unit"] for p in sorted(points, key=lambda p: -p["gap_score"])[:m]}
        by_need = {p["unit"] for p in sorted(points, key=lambda p: -p["value"])[:m]}
        top = found["top_decile"]
        if len(points) < 10:
            assert top["overlap"] is None
            continue
        counted += 1
        n, k = len(points), len(by_score & by_need)
        p_at_least = sum(comb(m, j) * comb(n - m, m - j) for j in range(k, m + 1)) / comb(n, m)
        assert (top["top"], top["overlap"]) == (m, k) and top["expected_by_chance"] == pytest.approx(m * m / n)
        assert top["p_at_least"] == pytest.approx(p_at_least)
    assert counted >= 5  # most regions hold ten units or more


def test_validation_of_a_generated_measure_of_known_correlation(client, loaded, tmp_path, database_url):
    """GENERATED files (labelled so, never real data): the gap score itself per UTLA (ρ = 1, the
    whole top decile shared), and the gap score plus seeded noise, whose ρ scipy computes here
    from the file itself — through the command line, with its figure."""
    from scipy import stats

    from tests.test_cli import kindmap

    rows = [f["properties"] for f in features(client, limit=200)]
    single = [r for r in rows if len(r["utlas"]) == 1 and r["gap_score"] is not None]
    exact = tmp_path / "GENERATED_gap_score_itself.csv"
    pd.DataFrame({"gss_code": [c for r in rows for c in r["utlas"]],
                  "generated_value": [r["gap_score"] for r in rows for _ in r["utlas"]]}).to_csv(exact, index=False)
    noise = np.random.default_rng(19).normal(0, 0.08, len(single))
    noisy = tmp_path / "GENERATED_gap_score_plus_noise.csv"
    pd.DataFrame({"gss_code": [r["unit"] for r in single],
                  "generated_value": [r["gap_score"] + e for r, e in zip(single, noise)]}).to_csv(noisy, index=False)
    plot = tmp_path / "validation.png"
    results = [json.loads(kindmap("validate", str(path), "--code-field", "gss_code", "--column", "generated_value",
                                  "--json", *extra, database_url=database_url).stdout)
               for path, extra in ((exact, []), (noisy, ["--plot", str(plot)]))]
    gap = results[0]["compared"]["gap_score"]
    assert gap["spearman"]["rho"] == pytest.approx(1) and gap["top_decile"]["overlap"] == gap["top_decile"]["top"]
    expected = stats.spearmanr([r["gap_score"] for r in single], [r["gap_score"] + e for r, e in zip(single, noise)])
    found = results[1]["compared"]["gap_score"]["spearman"]
    assert found["n"] == len(single) and found["rho"] == pytest.approx(expected.statistic)
    assert 0.5 < found["rho"] < 0.95 and found["ci95"][0] < found["rho"] < found["ci95"][1]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 20_000


def test_validation_carries_wards_through_an_lsoa_to_ward_lookup(client, loaded, shared_data, tmp_path):
    """Wards reach the units through a loaded LSOA → ward lookup, weighted by their LSOAs' people.
    No LSOA → ward lookup is in ../shared/data: the lookup here is GENERATED (real LSOA 2021 codes
    of six authorities grouped by the MSOA their name gives, "Trafford 001A" → "Trafford 001",
    under made-up E05 codes) and so are the ward values; pandas computes what each unit gets.
    Without the lookup the refusal names it."""
    from scipy import stats

    from analysis import validation
    from tests.conftest import load_files

    chosen = ["E08000009", "E06000017", "E06000001", "E10000017", "E06000009", "E06000014"]
    lsoas = pd.read_csv(shared_data / "lookups/lsoa21_to_utla23.csv", encoding="utf-8-sig")
    lsoas = lsoas[lsoas["UTLA23CD"].isin(chosen)].copy()
    people = pd.read_csv(shared_data / "population/lsoa21_population_mid2022.csv", encoding="utf-8-sig")
    lsoas = lsoas.merge(people, left_on="LSOA21CD", right_on="lsoacd")
    groups = lsoas["LSOA21NM"].str[:-1]
    lsoas["WD23CD"] = groups.map({g: f"E05{900000 + i:06d}" for i, g in enumerate(sorted(groups.unique()))})
    lsoas["WD23NM"] = "GENERATED " + groups
    wards = pd.DataFrame({"WD23CD": sorted(lsoas["WD23CD"].unique())})
    wards["value"] = np.random.default_rng(1905).uniform(0, 100, len(wards))
    measure = validation.Measure("GENERATED ward values", tuple(wards["WD23CD"]), tuple(wards["value"]))
    with loaded.connect() as conn, pytest.raises(validation.ValidationError) as refused:
        validation.validate(conn, measure)
    assert f"its codes are wards ({len(wards)} of {len(wards)}) and no LSOA → ward lookup" in refused.value.detail
    assert "LSOA21CD" in refused.value.detail and refused.value.parameter == "indicator"
    lookup = tmp_path / "GENERATED_lsoa21_to_ward.csv"
    lsoas[["LSOA21CD", "LSOA21NM", "WD23CD", "WD23NM"]].to_csv(lookup, index=False)
    load_files(loaded)("lookup", lookup)
    try:
        with loaded.connect() as conn:
            units = validation.units_of(conn, measure)
            result = validation.validate(conn, measure)
    finally:
        with loaded.begin() as conn:
            conn.execute(text("DELETE FROM area_lookups WHERE lookup = 'generated_lsoa21_to_ward'"))
    frame = lsoas.merge(wards, on="WD23CD")
    by_ward = frame.groupby(["UTLA23CD", "WD23CD"]).agg(value=("value", "first"), people=("population", "sum"))
    expected = by_ward.groupby(level=0).apply(lambda w: (w["value"] * w["people"]).sum() / w["people"].sum())
    assert {u: units[u]["value"] for u in units} == pytest.approx(expected.to_dict())
    assert units["E06000017"]["codes"] == by_ward.loc["E06000017"].shape[0] and units["E06000017"]["weighted"]
    assert result["units_compared"] == 6
    score = {p["unit"]: p["gap_score"] for p in result["points"]}
    rho = stats.spearmanr([score[u] for u in chosen], [expected[u] for u in chosen]).statistic
    assert result["compared"]["gap_score"]["spearman"]["rho"] == pytest.approx(rho)


def test_validation_at_lsoa_level_compares_the_small_areas(client, loaded, shared_data):
    """level=lsoa: the index per small area against the IMD 2019 rank of each LSOA (low = need):
    every point holds the file's rank, ρ is scipy's over the points, the need part (the IMD rank)
    agrees wholly; an LSOA 2021-keyed measure reaches an LSOA 2011 whose code changed through the
    published best-fit lookup."""
    from scipy import stats

    from analysis import validation

    imd = pd.read_csv(shared_data / IMD, encoding="utf-8-sig", thousands=",")
    ranks = dict(zip(imd["LSOA code (2011)"], imd["Index of Multiple Deprivation (IMD) Rank"].astype(float)))
    document = client.get("/priorities/validation", params={"indicator": "imd_rank", "direction": "low",
                                                            "level": "lsoa"}).json()
    lookup = pd.read_csv(shared_data / "lookups/lsoa11_to_lsoa21_to_lad22.csv", encoding="utf-8-sig")
    # Small areas the index holds by their 2021 code (Trafford's, from its LSOA 2021 boundaries)
    # take the rank of the first LSOA 2011 the lookup links them with.
    earlier = lookup.groupby("LSOA21CD")["LSOA11CD"].min()
    values = {p["unit"]: p["value"] for p in document["points"]}
    assert document["level"] == "lsoa" and len(values) == document["units_compared"] > 32_800
    assert values == {c: ranks[c] if c in ranks else ranks[earlier[c]] for c in values}
    pairs = [(p["gap_score"], -p["value"]) for p in document["points"] if p["gap_score"] is not None]
    gap = document["compared"]["gap_score"]
    assert gap["spearman"]["n"] == len(pairs)
    assert gap["spearman"]["rho"] == pytest.approx(stats.spearmanr(*zip(*pairs)).statistic)
    assert document["compared"]["need_part"]["spearman"]["rho"] == pytest.approx(1)
    people = pd.read_csv(shared_data / "population/lsoa21_population_mid2022.csv", encoding="utf-8-sig")
    people = dict(zip(people["lsoacd"], people["population"].astype(float)))
    changed = lookup[~lookup["LSOA11CD"].isin(people)].groupby("LSOA11CD")["LSOA21CD"].min()
    changed = changed[changed.index.isin(values)]  # the index's small areas
    assert len(changed) > 100
    with loaded.connect() as conn:
        measure = validation.from_indicator(conn, "population")
        found = validation.small_areas_of(conn, measure, [{"code": c, "region": None, "population": 1}
                                                          for c in changed.index])
    assert {c: found[c]["value"] for c in changed.index} == {c: people[c21] for c, c21 in changed.items()}
    refused = client.get("/priorities/validation", params={"indicator": "imd_average_score", "level": "lsoa"})
    assert refused.status_code == 400 and "only LSOA codes count" in refused.json()["detail"]


@pytest.mark.parametrize("params, parameter", [({"indicator": "no_such_thing"}, "indicator"),
                                               ({"indicator": "gdp_deflator_2023_24"}, "indicator"),
                                               ({"indicator": "imd_average_score", "period": "1999"}, "period")])
def test_validation_of_what_cannot_be_compared_is_a_problem(client, params, parameter):
    """A bad parameter — an indicator not loaded, one no unit has, a period it lacks — is a 400
    naming it (issue 19), as application/problem+json."""
    response = client.get("/priorities/validation", params=params)
    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"
    assert response.json()["parameter"] == parameter and response.json()["status"] == 400


def test_sensitivity_of_an_empty_selection_is_an_empty_answer(client):
    """No small area in the selection (a region code nothing lies in): no rows, no scenarios, no error."""
    document = client.get("/priorities", params={"region": "E12000099", "sensitivity": "true"}).json()
    assert document["features"] == [] and document["kindmap:parameters"]["sensitivity"]["rows"] == 0


def test_priorities_page_draws_the_validation_figure(visit, server):
    """With England's small areas loaded the priorities page draws its validation figure: one
    mark per compared column at the API's ρ, the table beside it with the same figures, the
    units counted as the API counts them; no request leaves the app, no console error.
    (tests/test_pages_profile.py's page test runs on the demo sample: the "needs four
    authorities" notice.)"""
    import httpx

    from analysis.validation import COMPARED
    from tests.test_pages_profile import drawn

    v = drawn(visit, f"/priorities?level=lsoa&authority={TRAFFORD}&limit=20")
    page = v.page
    page.wait_for_selector("#validation[data-drawn=true]", state="attached", timeout=180_000)
    answer = httpx.get(f"{server}/priorities/validation", params={"indicator": "imd_average_score",
                                                                  "direction": "high"}, timeout=180).json()
    assert v.external == [] and v.console_errors == []
    marks = page.locator("#validation .validation-figure circle")
    shown = [float(c.get_attribute("data-rho")) for c in marks.all()]
    assert shown == pytest.approx([answer["compared"][c]["spearman"]["rho"] for c in COMPARED])
    text = page.locator("#validation").inner_text()
    assert f"{answer['units_compared']} of {answer['units_ranked']} authorities compared" in text
    gap = answer["compared"]["gap_score"]
    low, high = (f"{x:+.2f}".replace("-", "−") for x in gap["spearman"]["ci95"])
    assert f"{gap['spearman']['rho']:+.2f} [{low}, {high}]".replace("-", "−") in text
    assert f"{gap['top_decile']['overlap']} of {gap['top_decile']['top']}" in text
    v.screenshot("priorities-validation")
