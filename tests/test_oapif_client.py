"""A real, independent OGC API Features client (GDAL's OAPIF driver) reads the running server."""
import pyogrio
import pytest

from tests.conftest import scalar


@pytest.fixture(scope="module")
def with_indicators(sample_loaded, shared_data):
    """The sample plus one published table of area statistics, for a non-spatial collection."""
    from loaders import KINDS
    from loaders.pipeline import run

    spec = KINDS["imd"]
    run(sample_loaded, "imd", spec.load, spec.source, shared_data / "deprivation" / "iod2019_lad19_summaries.csv", {})
    return sample_loaded


@pytest.fixture(scope="module")
def served(with_indicators):
    """The server (tests/conftest.py) serves the sample with the indicators."""
    return with_indicators


def test_gdal_lists_the_collections(server):
    layers = {name for name, _ in pyogrio.list_layers(f"OAPIF:{server}")}
    assert layers == {"places", "areas", "spending", "indicators", "small_areas"}


@pytest.mark.parametrize("layer, table", [("areas", "areas"), ("indicators", "indicators")])
def test_gdal_pages_through_every_feature(server, with_indicators, layer, table):
    frame = pyogrio.read_dataframe(f"OAPIF:{server}", layer=layer)
    assert len(frame) == scalar(with_indicators, f"SELECT count(*) FROM {table}") > 0
    info = pyogrio.read_info(f"OAPIF:{server}", layer=layer, force_feature_count=True)
    assert info["features"] == len(frame)  # numberMatched agrees with what paging found


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
