"""A real, independent OGC API Features client (GDAL's OAPIF driver) reads the running server."""
import os
import socket
import subprocess
import sys
import time

import httpx
import pyogrio
import pytest

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(sample_loaded, database_url):
    port = free_port()
    env = {**os.environ, "KINDMAP_DATABASE_URL": database_url, "KINDMAP_PORT": str(port)}
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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
        pytest.fail(f"server did not start: {process.stderr.read().decode()[-2000:]}")
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_gdal_lists_the_collections(server):
    layers = {name for name, _ in pyogrio.list_layers(f"OAPIF:{server}")}
    assert {"places", "areas"} <= layers


def test_gdal_reads_every_library_by_paging(server):
    frame = pyogrio.read_dataframe(f"OAPIF:{server}", layer="places")
    assert len(frame) == 3238 and frame.crs.equals("OGC:CRS84")  # storageCrs, longitude first
    assert (frame["category"] == "library").all()
    assert (frame["status"] != "open").sum() == 252


def test_gdal_bbox_filter(server):
    frame = pyogrio.read_dataframe(f"OAPIF:{server}", layer="areas", bbox=(-0.75, 52.66, -0.72, 52.68))
    assert "E06000017" in set(frame["code"])
