"""A real, independent OGC API Features client (GDAL's OAPIF driver) reads the running server."""
import warnings

import httpx
import pandas as pd
import pyogrio
import pytest

from app.collections import COLLECTIONS
from tests.conftest import scalar
from tests.test_api import assert_problem


@pytest.fixture(scope="module")
def with_indicators(sample_loaded, shared_data):
    """The sample plus published tables of area statistics and spending (the non-spatial collections),
    and its small areas computed: every collection has features."""
    import analysis
    from loaders import KINDS
    from loaders.pipeline import run

    for kind, path in [("imd", "deprivation/iod2019_lad19_summaries.csv"),
                       ("revenue-outturn", "spending/raw/RS_2016-17_data_by_LA.xlsx")]:
        spec = KINDS[kind]
        run(sample_loaded, kind, spec.load, spec.source, shared_data / path, {})
    with sample_loaded.begin() as conn:
        analysis.refresh(conn)  # the sample's Rutland small areas, for `small_areas`
    return sample_loaded


@pytest.fixture(scope="module")
def served(with_indicators):
    """The server (tests/conftest.py) serves the sample with the indicators."""
    return with_indicators


def test_gdal_lists_the_collections(server):
    layers = {name for name, _ in pyogrio.list_layers(f"OAPIF:{server}")}
    assert layers == {"places", "areas", "spending", "indicators", "small_areas", "grants"}


@pytest.mark.parametrize("layer, table", [("areas", "areas"), ("indicators", "indicators")])
def test_gdal_pages_through_every_feature(server, with_indicators, layer, table):
    frame = pyogrio.read_dataframe(f"OAPIF:{server}", layer=layer)
    assert len(frame) == scalar(with_indicators, f"SELECT count(*) FROM {table}") > 0
    info = pyogrio.read_info(f"OAPIF:{server}", layer=layer, force_feature_count=True)
    assert info["features"] == len(frame)  # numberMatched agrees with what paging found


def test_gdal_types_numbers_from_the_schema(server, with_indicators):
    # The first page of indicators holds whole numbers only; without the `describedby` schema GDAL
    # typed `value` a 32-bit integer and truncated every fraction after it, warning per feature.
    info = pyogrio.read_info(f"OAPIF:{server}", layer="indicators")
    assert dict(zip(info["fields"], info["dtypes"]))["value"] == "float64"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a lossy conversion is a RuntimeWarning: it fails the read
        frame = pyogrio.read_dataframe(f"OAPIF:{server}", layer="indicators")
    keys = ["area_code", "indicator", "period"]
    stored = pd.read_sql("SELECT area_code, indicator, period, value::float8 AS value FROM indicators",
                         with_indicators).sort_values(keys, ignore_index=True)
    served = frame[keys + ["value"]].sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(served, stored, check_dtype=False)
    assert (served["value"] % 1 != 0).any()  # there were fractions to lose


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_schema_names_every_property_a_feature_carries(server, collection):
    described = httpx.get(f"{server}/collections/{collection}").json()
    [link] = [link for link in described["links"] if link["rel"] == "describedby"]
    assert link["type"] == "application/schema+json"
    response = httpx.get(link["href"])
    assert response.headers["content-type"] == "application/schema+json"
    schema = response.json()["properties"]["properties"]["properties"]
    [feature] = httpx.get(f"{server}/collections/{collection}/items?limit=1").json()["features"]
    assert list(schema) == list(feature["properties"])
    assert {name: p["type"] for name, p in schema.items()} == {
        name: p.type for name, p in COLLECTIONS[collection].properties.items()}


def test_schema_of_an_unknown_collection_is_404(server):
    assert_problem(httpx.get(f"{server}/collections/nowhere/schema"), 404, "collectionId")


def test_gdal_attribute_filter(server, with_indicators):
    # GDAL 3.12 sends the part it can express (`status`) as filter=…&filter-lang=cql-text, the rest it
    # evaluates itself; either way the count must be the database's.
    frame = pyogrio.read_dataframe(f"OAPIF:{server}", layer="places",
                                   where="status = 'closed' AND closed_year >= 2014")
    assert len(frame) == scalar(with_indicators, "SELECT count(*) FROM places WHERE status = 'closed' "
                                                 "AND closed_year >= 2014") > 0


def test_gdal_reads_every_place_by_paging(server, with_indicators):
    frame = pyogrio.read_dataframe(f"OAPIF:{server}", layer="places")
    # the sample: the 2016 list's 3,238 libraries and Rutland's OSM places, one feature per place
    assert len(frame) == scalar(with_indicators, "SELECT count(*) FROM places WHERE merged_into IS NULL") > 3238
    assert frame.crs.equals("OGC:CRS84")  # storageCrs, longitude first
    libraries = frame[frame["source"] == "dcms-libraries-2016"]
    assert len(libraries) == 3238 and (libraries["status"] != "open").sum() == 252


def test_gdal_bbox_filter(server):
    frame = pyogrio.read_dataframe(f"OAPIF:{server}", layer="areas", bbox=(-0.75, 52.66, -0.72, 52.68))
    assert "E06000017" in set(frame["code"])
