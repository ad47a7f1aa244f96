"""A real, independent OGC API Features client (GDAL's OAPIF driver) reads the running server."""
import os
import socket
import subprocess
import sys
import time

import httpx
import pyogrio
import pytest

from tests.conftest import ROOT, scalar


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def with_indicators(sample_loaded, shared_data):
    """The sample plus one published table of area statistics, for a non-spatial collection."""
    from loaders import KINDS
    from loaders.pipeline import run

    spec = KINDS["imd"]
    run(sample_loaded, "imd", spec.load, spec.source, shared_data / "deprivation" / "iod2019_lad19_summaries.csv", {})
    return sample_loaded


@pytest.fixture(scope="module")
def running(with_indicators, database_url, tmp_path_factory):
    """The API served by `kindmap serve` on a free port: its URL and its log (access lines too)."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {**os.environ, "KINDMAP_DATABASE_URL": database_url, "KINDMAP_PORT": str(port)}
    with log.open("wb") as handle:
        process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve"], cwd=ROOT, env=env,
                                   stdout=handle, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"server did not start: {log.read_text()[-2000:]}")
    yield url, log
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(running) -> str:
    return running[0]


def test_gdal_lists_the_collections(server):
    layers = {name for name, _ in pyogrio.list_layers(f"OAPIF:{server}")}
    assert layers == {"places", "areas", "spending", "indicators"}


@pytest.mark.parametrize("layer, table", [("areas", "areas"), ("indicators", "indicators")])
def test_gdal_pages_through_every_feature(server, with_indicators, layer, table):
    frame = pyogrio.read_dataframe(f"OAPIF:{server}", layer=layer)
    assert len(frame) == scalar(with_indicators, f"SELECT count(*) FROM {table}") > 0
    info = pyogrio.read_info(f"OAPIF:{server}", layer=layer, force_feature_count=True)
    assert info["features"] == len(frame)  # numberMatched agrees with what paging found


def test_gdal_attribute_filter_goes_to_the_server_as_cql2(running, with_indicators):
    url, log = running
    frame = pyogrio.read_dataframe(f"OAPIF:{url}", layer="places",
                                   where="status = 'closed' AND closed_year >= 2014")
    assert len(frame) == scalar(with_indicators, "SELECT count(*) FROM places WHERE status = 'closed' "
                                                 "AND closed_year >= 2014") > 0
    # GDAL 3.12 finds `filter-lang` (its draft name `cql-text`) and the plain filters among the
    # items parameters of the OpenAPI document and sends the part it can as a CQL filter (the
    # `status` comparison); it evaluates the rest (`closed_year`) itself.
    assert "filter=status%20%3D%20'closed'&filter-lang=cql-text" in log.read_text()


def test_gdal_reads_every_library_by_paging(server):
    frame = pyogrio.read_dataframe(f"OAPIF:{server}", layer="places")
    assert len(frame) == 3238 and frame.crs.equals("OGC:CRS84")  # storageCrs, longitude first
    assert (frame["category"] == "library").all()
    assert (frame["status"] != "open").sum() == 252


def test_gdal_bbox_filter(server):
    frame = pyogrio.read_dataframe(f"OAPIF:{server}", layer="areas", bbox=(-0.75, 52.66, -0.72, 52.68))
    assert "E06000017" in set(frame["code"])
