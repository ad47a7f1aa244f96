"""GET /grants on Trafford's real 360Giving file: per-year figures against the file's own sums,
the population and HMT's deflators; null with a reason where no file covers an area; a
borough-level grant never on an LSOA."""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from store.db import make_engine
from tests.conftest import load_files
from tests.test_grants_load import TRAFFORD, financial_year, load_grant_inputs, rows

TRAFFORD_CODE, POPULATION = "E08000009", 236301  # ONS mid-2022 (SOURCES.md §4)


@pytest.fixture(scope="module")
def client(engine, shared_data, database_url):
    load_grant_inputs(engine)
    load_files(engine)("grants-360giving", shared_data / TRAFFORD)
    with TestClient(create_app(make_engine(database_url))) as client:
        yield client


@pytest.fixture(scope="module")
def published(shared_data) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    with (shared_data / TRAFFORD).open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            sums[financial_year(date.fromisoformat(row["Award Date"]))] += Decimal(row["Amount Awarded"])
    return sums


def test_trafford_per_head_per_year_nominal_and_real(client, engine, published):
    answer = client.get("/grants", params={"area": TRAFFORD_CODE, "from": "2013", "to": "2022"})
    assert answer.status_code == 200
    [area] = answer.json()["areas"]
    assert (area["covered"], area["covering_funders"], area["population"]) == (True, ["GB-LAE-TRF"], POPULATION)
    deflator = dict(rows(engine, "SELECT period, value FROM indicators WHERE indicator = 'gdp_deflator_2023_24'"))
    for year in area["years"]:
        amount = published.get(year["financial_year"], Decimal(0))
        assert year["amount_gbp"] == float(amount)
        assert year["per_head_gbp"] == round(float(amount) / POPULATION, 4)
        assert year["real_amount_gbp"] == round(float(amount) * 100 / deflator[year["financial_year"]], 2)
    total = sum(v for k, v in published.items() if "2013-14" <= k <= "2022-23")
    assert area["per_head_per_year_gbp"] == round(float(total) / 10 / POPULATION, 4)


def test_every_authority_answers_and_uncovered_areas_are_null_with_a_reason(client):
    areas = client.get("/grants", params={"level": "ltla"}).json()["areas"]
    assert len(areas) == 296  # England's 2023 LTLAs
    cornwall = next(a for a in areas if a["code"] == "E06000052")
    assert cornwall["covered"] is False and "no loaded grants file covers" in cornwall["coverage_reason"]
    assert cornwall["per_head_per_year_gbp"] is None and {y["amount_gbp"] for y in cornwall["years"]} == {None}
    assert [a["code"] for a in areas if a["covered"]] == [TRAFFORD_CODE]


def test_a_borough_level_grant_is_never_on_an_lsoa_unless_apportioned_and_marked(client, published):
    lsoas = client.get("/grants", params={"level": "lsoa", "area": TRAFFORD_CODE, "from": "2019",
                                          "to": "2019"}).json()["areas"]
    assert len(lsoas) == 139 and {a["years"][0]["amount_gbp"] for a in lsoas} == {0.0}
    assert {a["years"][0]["coarser_gbp"] for a in lsoas} == {float(published["2019-20"])}
    shared = client.get("/grants", params={"level": "lsoa", "area": TRAFFORD_CODE, "from": "2019", "to": "2019",
                                           "apportion": "population"}).json()["areas"]
    first = shared[0]
    assert first["years"][0]["apportioned"] is True and first["years"][0]["amount_gbp"] == 0.0
    assert first["years"][0]["apportioned_gbp"] == round(
        float(published["2019-20"]) * first["population"] / POPULATION, 2)


def test_csv_and_geojson(client):
    text_ = client.get("/grants", params={"area": TRAFFORD_CODE, "f": "csv", "from": "2013", "to": "2014"}).text
    table = list(csv.DictReader(io.StringIO(text_)))
    assert [r["financial_year"] for r in table] == ["2013-14", "2014-15"]
    collection = client.get("/grants", params={"area": TRAFFORD_CODE, "f": "geojson"}).json()
    [feature] = collection["features"]
    assert feature["id"] == TRAFFORD_CODE and feature["geometry"]["type"] == "MultiPolygon"


@pytest.mark.parametrize("params, parameter", [
    ({"level": "ward"}, "level"), ({"from": "2020", "to": "2019"}, "from"), ({"from": "20x"}, "from"),
    ({"apportion": "population", "level": "utla"}, "apportion"), ({"area": "E99999999"}, "area"),
])
def test_bad_parameters_are_problems_naming_the_parameter(client, params, parameter):
    answer = client.get("/grants", params=params)
    assert 400 <= answer.status_code < 500 and answer.headers["content-type"].startswith("application/problem+json")
    assert parameter in answer.text
