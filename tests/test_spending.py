"""GET /spending on the real workbooks: real terms recomputed from the HMT table itself, published
England totals reproduced, one authority checked by hand, boundary changes accounted for."""
import io

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from analysis.reorganisations import REORGANISATIONS
from analysis.spending import ENGLAND
from store.db import make_engine
from app.main import create_app
from tests.conftest import AUTHORITIES_AND_POPULATION, load_in_order, scalar

DEFLATORS = "deflators/hmt_gdp_deflators_oct2024_socialvalueadjuster.xlsx"
RO3 = "spending/ro3"
LOADS = [  # what /spending reads, in the order the manifest loads it
    ("boundaries", "boundaries/rgn_dec2023_en_buc.topojson", {"level": "region", "vintage": "2023-12"}),
    *AUTHORITIES_AND_POPULATION,
    ("imd", "deprivation/iod2025_lad24_summaries.csv", {}),
    ("revenue-outturn", "spending/raw/RS_2016-17_data_by_LA.xlsx", {}),
    ("revenue-outturn", "spending/raw/RS_2013-14_by_LA_revised_28-Jan-2015.xls", {}),
    ("public-health-detail", f"{RO3}/RO3_2022-23_data_by_LA.ods", {}),
    ("public-health-detail", f"{RO3}/RA_2019-20_by_LA.xlsx", {}),
    ("public-health-detail", f"{RO3}/RA_2016-17_by_LA.xlsx", {}),
    ("public-health-detail", f"{RO3}/RA_2015-16_by_LA.xls", {}),
    ("public-health-detail", f"{RO3}/RO3_2013-14_by_LA.xls", {}),
    ("deflators", DEFLATORS, {"sheet": "30102024 deflator update"}),
]


@pytest.fixture(scope="module")
def loaded(engine, shared_data):
    load_in_order(engine, shared_data, LOADS)
    return engine


@pytest.fixture(scope="module")
def client(loaded, database_url):
    with TestClient(create_app(make_engine(database_url))) as client:
        yield client


@pytest.fixture(scope="module")
def deflator(shared_data) -> dict[str, float]:
    """Financial year → index, read straight from HMT's October 2024 sheet (2023-24 = 100)."""
    sheet = pd.read_excel(shared_data / DEFLATORS, sheet_name="30102024 deflator update",
                          header=None, engine="calamine")
    header = sheet.index[sheet[2].astype(str).str.strip() == "2023-24 = 100"][0]
    rows = sheet.iloc[header + 1:, [1, 2]].dropna()
    return {str(y): float(v) for y, v in rows.itertuples(index=False)
            if str(y)[:4].isdigit() and len(str(y)) == 7}


@pytest.fixture(scope="module")
def population(shared_data) -> pd.Series:
    """Mid-2022 population per 2023 UTLA, summed by pandas from the ONS files."""
    people = pd.read_csv(shared_data / "population/lsoa21_population_mid2022.csv", encoding="utf-8-sig")
    lookup = pd.read_csv(shared_data / "lookups/lsoa21_to_utla23.csv", encoding="utf-8-sig")
    joined = lookup.merge(people, left_on="LSOA21CD", right_on=people.columns[0])
    return joined.groupby("UTLA23CD")[people.columns[-1]].sum()


def unit(client, **params) -> dict:
    response = client.get("/spending", params=params)
    assert response.status_code == 200, response.text
    (only,) = response.json()["units"]
    return only


def years(unit_document: dict) -> dict[str, dict]:
    return {y["financial_year"]: y for y in unit_document["years"]}


def test_real_terms_recomputed_from_the_deflator_table(client, deflator):
    document = client.get("/spending", params={"area": "E08000009", "from": 2013, "to": 2022}).json()
    assert document["prices"]["deflator"] == "gdp_deflator_2023_24"
    assert document["prices"]["prices_of"] == "2023-24"  # the newest year of the newest table
    rows = years(document["units"][0])
    for year, row in rows.items():
        assert row["real_amount_gbp"] == pytest.approx(row["amount_gbp"] * 100 / deflator[year], rel=1e-12)
    # Re-based to 2022-23 prices: divide by the 2022-23 index instead of 100.
    rebased = years(unit(client, area="E08000009", prices="2022-23"))
    for year, row in rebased.items():
        assert row["real_amount_gbp"] == pytest.approx(
            row["amount_gbp"] * deflator["2022-23"] / deflator[year], rel=1e-12)
    nominal = years(unit(client, area="E08000009", real="false"))
    assert "real_amount_gbp" not in nominal["2013-14"]


def test_published_england_totals(client, shared_data):
    ra = pd.read_excel(shared_data / RO3 / "RA_2019-20_by_LA.xlsx", sheet_name="RA LA Data 2019-20",
                       header=None, engine="calamine")
    england_row = ra.index[ra.apply(lambda r: r.astype(str).str.strip().eq("ENGLAND").any(), axis=1)][0]
    total_column = next(j for j in ra.columns
                        if ra.iloc[:10, j].astype(str).str.upper().str.contains("TOTAL PUBLIC HEALTH").any())
    published = float(ra.iat[england_row, total_column]) * 1000
    england = years(unit(client, area=ENGLAND, basis="budget", **{"from": 2019, "to": 2019}))
    assert england["2019-20"]["amount_gbp"] == pytest.approx(published, abs=0.5)  # £3,241,543k
    # RO3 2013-14 outturn: every return received, so authority rows add up to ENGLAND's £2,507,832k.
    assert years(unit(client, area=ENGLAND, to=2013))["2013-14"]["amount_gbp"] == 2_507_832_000


def test_england_is_every_unit_plus_the_unattributed(client, loaded):
    """Nothing dropped silently: the units and the authorities no unit holds add up to England."""
    document = client.get("/spending", params={"service": "cultural", "from": 2013, "to": 2013}).json()
    by_unit = {u["unit"]: u["years"][0] for u in document["units"]}
    england = by_unit.pop(ENGLAND)
    unattributed = scalar(loaded, "SELECT sum(amount_gbp) FROM spending WHERE dataset = 'RS' AND "
                                  "financial_year = '2013-14' AND service = 'cultural_related' AND "
                                  "area_code = ANY(:codes)", codes=england["authorities"])
    assert all(code[:3] in {"E12", "E26", "E47", "E23", "E31"} for code in england["authorities"])
    assert sum(u["amount_gbp"] for u in by_unit.values()) + float(unattributed) == pytest.approx(
        england["amount_gbp"], abs=0.01)
    assert len(by_unit) == 150  # 153 English UTLAs, three pairs compared as one unit


def test_hand_check_rutland(client, population):
    rutland = unit(client, area="E06000017")
    people = population["E06000017"]
    assert rutland["population"] == people
    rows = years(rutland)
    # SOURCES.md sanity values, £k: RO3 2013-14 940, RO3 2022-23 1,457.
    assert rows["2013-14"]["amount_gbp"] == 940_000 and rows["2022-23"]["amount_gbp"] == 1_457_000
    assert rows["2022-23"]["per_head_gbp"] == pytest.approx(1_457_000 / people)
    assert rows["2022-23"]["change_per_head_pct"] == pytest.approx((1457 - 940) / 940 * 100)


def test_reorganised_authorities_are_one_comparable_unit(client, population, shared_data):
    for code in ("E10000006", "E06000063", "E06000064", "E07000026"):  # Cumbria, successors, Allerdale
        cumbria = unit(client, area=code, to=2013)
        assert cumbria["unit"] == "E06000063+E06000064" and cumbria["predecessors"] == ["E10000006"]
    assert cumbria["population"] == population["E06000063"] + population["E06000064"]
    assert "E10000006" in years(cumbria)["2013-14"]["authorities"]
    # The table agrees with mySociety's register (end-date, replaced-by) of the abolished councils.
    register = pd.read_csv(shared_data / "lookups/uk_local_authorities_mysociety.csv")
    gss = dict(zip(register["local-authority-code"], register["gss-code"]))
    for r in REORGANISATIONS:
        for code in r.predecessors:
            row = register[register["gss-code"] == code].iloc[0]
            assert row["end-date"][:4] == r.took_effect[:4]
            successors = {gss[c] for c in row["replaced-by"].split(",")}
            assert successors <= set(r.successors)


def test_october_2015_transfer_flagged_and_excluded_series(client, loaded):
    document = client.get("/spending", params={"area": "E08000009", "basis": "budget",
                                               "from": 2013, "to": 2021}).json()
    assert "1 October 2015" in document["service"]["series_break"]
    rows = years(document["units"][0])
    assert set(rows) == {"2015-16", "2016-17", "2019-20"}  # the RA budgets loaded here
    assert rows["2015-16"]["series_break"] and rows["2016-17"]["series_break"]
    assert rows["2019-20"]["series_break"] is None
    assert not rows["2019-20"]["comparable_with_from"]  # from 2013-14: across the transfer
    assert years(unit(client, area="E08000009", basis="budget", **{"from": 2016}))["2019-20"][
        "comparable_with_from"]
    excluded = years(unit(client, area="E08000009", service="public_health_excl_0_5", **{"from": 2022}))
    with loaded.connect() as conn:
        by_line = dict(conn.execute(text(
            "SELECT service, amount_gbp FROM spending WHERE dataset = 'RO3' AND "
            "financial_year = '2022-23' AND area_code = 'E08000009'")).all())
    assert excluded["2022-23"]["amount_gbp"] == float(
        by_line["public_health"] - by_line["ph_children_0_5_mandated"] - by_line["ph_children_0_5_other"])
    assert excluded["2022-23"]["series_break"] is None


def test_service_line_sums_its_later_finer_lines(client, loaded):
    drugs = years(unit(client, area="E08000009", service="ph_substance_misuse_drugs_adults"))
    stored = scalar(loaded, "SELECT sum(amount_gbp) FROM spending WHERE dataset = 'RO3' AND "
                            "financial_year = '2022-23' AND area_code = 'E08000009' AND service LIKE "
                            "'ph_substance_misuse_drugs_adults_%'")
    assert drugs["2022-23"]["amount_gbp"] == float(stored) and drugs["2013-14"]["dataset"] == "RO3"


def test_missing_return_is_null_not_zero(client):
    birmingham = years(unit(client, area="E08000025"))["2022-23"]  # RO3 2022-23: [x]
    assert birmingham["amount_gbp"] is None and birmingham["missing_returns"] == ["E08000025"]


def test_authorities_in_tenths_by_deprivation(client, shared_data):
    iod = pd.read_csv(shared_data / "deprivation/iod2025_lad24_summaries.csv")
    iod = iod[iod["index_domain"] == "Index of Multiple Deprivation"].set_index("area_code")
    blackpool = unit(client, area="E06000009", to=2013)["deprivation"]  # a unitary: its own score
    assert blackpool["imd_score"] == pytest.approx(iod.at["E06000009", "average_score"])
    assert blackpool["imd_tenth"] == 1
    document = client.get("/spending", params={"group": "imd_tenth", "to": 2013}).json()
    tenths = document["tenths"]
    assert [t["imd_tenth"] for t in tenths] == list(range(1, 11))
    assert sum(t["years"][0]["units"] for t in tenths) == 150
    assert all(a["imd_score_min"] >= b["imd_score_max"] for a, b in zip(tenths, tenths[1:]))
    units = client.get("/spending", params={"to": 2013}).json()["units"]
    assert sum(t["years"][0]["amount_gbp"] for t in tenths) == pytest.approx(
        sum(u["years"][0]["amount_gbp"] for u in units if u["unit"] != ENGLAND))
    frame = pd.read_csv(io.StringIO(client.get("/spending", params={
        "group": "imd_tenth", "f": "csv", "to": 2013}).text))
    assert len(frame) == 10 and frame["per_head_gbp"].notna().all()


def test_csv(client):
    response = client.get("/spending", params={"service": "cultural", "f": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.StringIO(response.text))
    assert set(frame["financial_year"]) == {"2013-14", "2016-17"}  # the RS years loaded here
    assert len(frame) == 151 * 2 and frame["unit"].str.startswith("E").all()
    # a download with a name, naming the licence of the workbooks it sums (OGL, from the catalog)
    assert response.headers["content-disposition"] == 'attachment; filename="spending.csv"'
    assert response.headers["link"].startswith(
        "<https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/>; rel=\"license\"")


@pytest.mark.parametrize("params, status, parameter", [
    ({"area": "E99999999"}, 404, "area"),
    ({"service": "libraries"}, 400, "service"),
    ({"from": "2013-15"}, 400, "from"),
    ({"to": "twenty"}, 400, "to"),
    ({"from": 2020, "to": 2014}, 400, "from"),
    ({"service": "cultural", "basis": "budget"}, 400, "basis"),
    ({"basis": "planned"}, 400, "basis"),
    ({"prices": "1900-01"}, 400, "prices"),
    ({"real": "perhaps"}, 400, "real"),
    ({"from": 2030, "to": 2031}, 404, "from"),
    ({"group": "imd_tenth", "area": "E08000009"}, 400, "group"),
    ({"group": "region"}, 400, "group"),
])
def test_bad_parameters_are_problems_naming_them(client, params, status, parameter):
    response = client.get("/spending", params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["parameter"] == parameter


def test_openapi_describes_spending(client):
    operation = client.get("/openapi.json").json()["paths"]["/spending"]["get"]
    described = {p["name"]: p.get("description") for p in operation["parameters"]}
    assert set(described) == {"area", "service", "basis", "from", "to", "real", "prices", "group",
                              "f"}
    assert all(described.values())
    assert {"200", "400", "404"} <= set(operation["responses"])


# -- England and regions as areas; the sector's service groups ---------------------------------

def stored_sum(loaded, dataset: str, year: str, services, codes=None) -> float:
    """The stored lines summed straight from the table (NULLs, missing returns, left out)."""
    return float(scalar(loaded, "SELECT sum(amount_gbp) FROM spending WHERE dataset = :d AND "
                                "financial_year = :y AND service = ANY(:s) AND basis IN ('outturn', 'budget') "
                                "AND (CAST(:c AS text[]) IS NULL OR area_code = ANY(:c))",
                        d=dataset, y=year, s=list(services), c=codes))


def test_drug_and_alcohol_group_sums_each_vintages_lines(client, loaded):
    """The group's England figure each year is the sum of the loaded lines under both namings
    (three coarse lines to 2015-16, five finer from 2016-17), and of the per-line amounts it shows."""
    document = client.get("/spending", params={"area": ENGLAND, "service": "drug_and_alcohol",
                                               "basis": "budget", "from": 2015, "to": 2019,
                                               "prices": "2015-16"}).json()
    assert document["service"]["group_of"] == ["ph_substance_misuse_drugs_adults",
                                               "ph_substance_misuse_alcohol_adults",
                                               "ph_substance_misuse_youth"]
    keys = set(document["service"]["stored_lines"])
    assert {"ph_substance_misuse_drugs_adults", "ph_substance_misuse_drugs_adults_treatment",
            "ph_substance_misuse_alcohol_adults_prevention", "ph_substance_misuse_youth"} <= keys
    rows = years(document["units"][0])
    assert set(rows) == {"2015-16", "2016-17", "2019-20"}  # the RA budgets loaded here
    for year, row in rows.items():
        assert row["amount_gbp"] == pytest.approx(stored_sum(loaded, "RA", year, keys), abs=0.01)
        assert row["amount_gbp"] == pytest.approx(sum(v["amount_gbp"] for v in row["lines"].values()))
        assert row["change_gbp"] == pytest.approx(row["amount_gbp"] - rows["2015-16"]["amount_gbp"])
    finer = stored_sum(loaded, "RA", "2016-17", [k for k in keys if k.endswith(("_treatment", "_prevention"))])
    assert finer > 0 and stored_sum(loaded, "RA", "2015-16", ["ph_substance_misuse_drugs_adults"]) > 0
    # Real terms in 2015-16 prices: that year's real amount is its cash amount.
    assert rows["2015-16"]["real_amount_gbp"] == pytest.approx(rows["2015-16"]["amount_gbp"])


def test_every_group_is_its_lines(client, loaded):
    from analysis.spending_services import GROUPS, services

    for key, (_, members) in GROUPS.items():
        group = services()[key]
        assert set(group.terms) == {t for m in members for t in services()[m].terms}
        row = years(unit(client, area="E08000009", service=key, **{"from": 2022}))["2022-23"]
        assert row["amount_gbp"] == pytest.approx(stored_sum(loaded, "RO3", "2022-23", group.terms, ["E08000009"]))


def test_a_region_sums_its_authorities_and_names_the_missing(client, loaded):
    london = unit(client, area="E12000007", to=2022)
    assert london["name"] == "London" and len(london["utlas"]) == 33
    rows = years(london)
    codes = scalar(loaded, "SELECT array_agg(DISTINCT area_code) FROM spending WHERE area_code LIKE 'E09%' "
                           "OR area_code = 'E12000007'")
    for year in ("2013-14", "2022-23"):
        assert rows[year]["amount_gbp"] == pytest.approx(stored_sum(loaded, "RO3", year, ["public_health"], codes))
    # West Midlands 2022-23: Birmingham's return was not received; the region sums the others
    # and names it, the per-head figure still over the whole region's population.
    west = years(unit(client, area="E12000005"))["2022-23"]
    assert "E08000025" in west["missing_returns"]
    units = client.get("/spending", params={"to": 2013}).json()["units"]
    north_east = [u for u in units if u["unit"] != ENGLAND and u["utlas"][0] in set(
        unit(client, area="E12000001", to=2013)["utlas"])]
    assert unit(client, area="E12000001", to=2013)["years"][0]["amount_gbp"] == pytest.approx(
        sum(u["years"][0]["amount_gbp"] for u in north_east))
