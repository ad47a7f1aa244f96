"""Loader errors a user meets: located, one line, a non-zero exit, the database unchanged.

Each damaged input is made from a real file of ../shared/data, and each goes through the pipeline
(LoadError with its location) and through the command line (`kindmap load …`: exit code, one
line on stderr).
"""
from __future__ import annotations

import json
import os

import geopandas as gpd
import pytest
from sqlalchemy import text

from store.errors import LoadError
from tests.conftest import damaged_copy, scalar
from tests.test_cli import kindmap

STATE = ("SELECT (SELECT count(*) FROM places) || '/' || (SELECT count(*) FROM areas) || '/' "
         "|| (SELECT count(*) FROM import_runs)")
PLACES = {"source": "test-list", "category": "library"}


@pytest.fixture
def files(shared_data):
    return {"csv": shared_data / "libraries/gm_libraries_trafford_datalab.csv",
            "places": shared_data / "community/trafford_libraries_2023.geojson",
            "regions": shared_data / "boundaries/rgn_dec2023_en_buc.geojson"}


def bng_without_crs(good, directory):
    """The real GeoJSON in British National Grid, written with no ``crs`` member (as many tools do)."""
    frame = gpd.read_file(good).to_crs(27700)
    document = json.loads(frame.to_json())
    document.pop("crs", None)
    bad = directory / f"bng_{good.name}"
    bad.write_text(json.dumps(document))
    return bad


def with_nul(good, directory, line):
    lines = good.read_bytes().splitlines(True)
    lines[line - 1] = lines[line - 1].replace(b",", b",\x00", 1)
    bad = directory / "nul.csv"
    bad.write_bytes(b"".join(lines))
    return bad


def unreadable(tmp_path):
    if os.geteuid() == 0:  # root reads any mode: a file the kernel refuses to read instead
        return "/proc/self/mem"
    bad = tmp_path / "unreadable.csv"
    bad.write_text("name,lat,lon\n")
    bad.chmod(0)
    return bad


# (case, kind, options, make(files, tmp_path) → path, message, location)
CASES = [
    ("header only", "places-csv", PLACES,
     lambda f, t: damaged_copy(f["csv"], "header only", t), "header but no rows", None),
    ("NUL byte", "places-csv", PLACES, lambda f, t: with_nul(f["csv"], t, 7), "NUL byte", "row 7"),
    ("BNG GeoJSON, places", "places-geojson", PLACES,
     lambda f, t: bng_without_crs(f["places"], t), "--crs EPSG:27700", "feature 1"),
    ("BNG GeoJSON, boundaries", "boundaries", {"level": "region", "vintage": "2023-12"},
     lambda f, t: bng_without_crs(f["regions"], t), "--crs EPSG:27700", "feature 1"),
    ("directory", "places-csv", PLACES, lambda f, t: t, "is a directory", None),
    ("unreadable", "places-csv", PLACES, lambda f, t: unreadable(t), "cannot read", None),
]


@pytest.mark.parametrize("case, kind, options, make, message, location", CASES, ids=[c[0] for c in CASES])
def test_pipeline_refuses_with_a_located_error(load, db, files, tmp_path, case, kind, options, make,
                                               message, location):
    load("places-csv", files["csv"], **PLACES)
    before = scalar(db, STATE)
    bad = make(files, tmp_path)
    with pytest.raises(LoadError) as error:
        load(kind, bad, **options)
    assert message in str(error.value) and str(bad) in str(error.value)
    assert error.value.location == location
    assert "\n" not in str(error.value)
    assert scalar(db, STATE) == before


@pytest.mark.parametrize("case, kind, options, make, message, location", CASES, ids=[c[0] for c in CASES])
def test_command_line_exits_with_one_line(db, database_url, files, tmp_path, case, kind, options,
                                          make, message, location):
    bad = make(files, tmp_path)
    args = [f"--{k.replace('_', '-')}={v}" for k, v in options.items()]
    result = kindmap("load", kind, str(bad), *args, database_url=database_url, check=False)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode != 0
    assert len(errors) == 1 and message in errors[0] and (location or "") in errors[0]
    assert "Traceback" not in result.stderr
    assert scalar(db, "SELECT count(*) FROM import_runs") == 0


def test_bng_geojson_loads_with_the_crs_option(load, db, files, tmp_path):
    """The hint works: --crs EPSG:27700 loads the same places and regions as the WGS84 originals."""
    load("places-geojson", bng_without_crs(files["places"], tmp_path), crs="EPSG:27700",
         **{**PLACES, "source": "bng"})
    load("places-geojson", files["places"], **PLACES)
    worst = scalar(db, """SELECT max(ST_Distance(a.geom_27700, b.geom_27700)) FROM places a
                          JOIN places b ON a.name = b.name AND a.source = 'bng'
                          AND b.source = 'test-list'""")
    assert worst is not None and worst < 1
    load("boundaries", bng_without_crs(files["regions"], tmp_path), level="region", vintage="2023-12",
         crs="EPSG:27700")
    load("boundaries", files["regions"], level="custom", vintage="2023-12")
    with db.connect() as conn:
        ratios = conn.execute(text("""SELECT ST_Area(a.geom_27700) / ST_Area(b.geom_27700) FROM areas a
            JOIN areas b ON a.code = b.code AND a.level = 'region' AND b.level = 'custom'""")).scalars().all()
    assert len(ratios) == 9 and all(abs(r - 1) < 1e-3 for r in ratios)
