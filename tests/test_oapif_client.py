"""A real, independent OGC API Features client (GDAL's OAPIF driver) reads the running server."""
import pyogrio
import pytest


def test_gdal_lists_the_collections(server):
    layers = {name for name, _ in pyogrio.list_layers(f"OAPIF:{server}")}
    assert {"places", "areas"} <= layers


def test_gdal_reads_every_library_by_paging(server):
    frame = pyogrio.read_dataframe(f"OAPIF:{server}", layer="places")
    assert len(frame) == 3238 and frame.crs.to_epsg() == 4326
    assert (frame["category"] == "library").all()
    assert (frame["status"] != "open").sum() == 252


def test_gdal_bbox_filter(server):
    frame = pyogrio.read_dataframe(f"OAPIF:{server}", layer="areas", bbox=(-0.75, 52.66, -0.72, 52.68))
    assert "E06000017" in set(frame["code"])
