"""The real files the analysis reads, loaded once per test module through the real pipeline.

They are the entries of ``data/manifests/shared-data.toml`` that the small-area base and the
access measures need (boundaries, the LSOA lookups, population, IMD, centroids, libraries, and
Rutland's OpenStreetMap places), so the tests load exactly what a user's full load would.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import DATA_TABLES, ROOT

SHARED_MANIFEST = ROOT / "data" / "manifests" / "shared-data.toml"
ANALYSIS_INPUTS = {
    "rgn_dec2023_en_buc.topojson", "ctyua_dec2023_uk_buc.topojson", "lad_dec2023_uk_bgc.topojson",
    "lsoa21_bgc_E06000017_rutland.geojson", "lsoa21_bgc_E08000009_trafford.geojson",
    "ltla23_to_utla23_apr2023.csv", "lsoa21_to_utla23.csv", "lsoa11_to_lsoa21_to_lad22.csv",
    "la_all_codes_drkane.csv", "utla_all_codes_drkane.csv",
    "lsoa21_population_mid2022.csv", "imd2019_lsoa11_file1.csv",
    "lsoa11_population_weighted_centroids_dec2011.csv",
    "libraries_england_taskforce_2016_geocoded.csv", "libraries_england_basic_dataset_2023.csv",
    "rutland-latest.osm.pbf",
}


def analysis_entries(names: set[str] = ANALYSIS_INPUTS) -> list:
    from loaders.manifest import read_manifest

    return [e for e in read_manifest(SHARED_MANIFEST) if Path(e.path).name in names]


def load_analysis_inputs(engine, names: set[str] = ANALYSIS_INPUTS) -> None:
    """A clean database holding the named shared files, then ``analysis.refresh``."""
    import analysis
    from loaders import KINDS
    from loaders.pipeline import run

    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE"))
    for e in analysis_entries(names):
        run(engine, e.kind, KINDS[e.kind].load, KINDS[e.kind].source, e.path, e.options, strict=e.strict)
    with engine.begin() as conn:
        analysis.refresh(conn)


@pytest.fixture(scope="module")
def analysis_loaded(engine, shared_data):
    """The database holding ANALYSIS_INPUTS, refreshed, for the tests of one module."""
    load_analysis_inputs(engine)
    return engine
