"""Every test runs against a real PostGIS: a fresh, migrated database in the local cluster.

KINDMAP_TEST_DATABASE_URL points the tests at another PostGIS instead (it is dropped and
re-migrated, so never point it at data you want to keep). KINDMAP_TEST_DB names the database
in the local cluster (default kindmap_test), so parallel runs can keep apart.
"""
from __future__ import annotations

import os
from pathlib import Path

# FastAPI's TestClient sends `Host: testserver`; the API serves only allowed hosts.
os.environ.setdefault("KINDMAP_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")

import pytest
from sqlalchemy import text

from app import localdb, migrate
from app.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
SAMPLE = ROOT / "data" / "sample"
DATA_TABLES = ["area_hierarchy", "analysis_small_areas", "place_years", "place_status", "places", "areas", "spending", "indicators", "area_lookups",
               "authority_codes", "centroids", "import_runs", "sources"]


@pytest.fixture(scope="session")
def database_url() -> str:
    url = os.environ.get("KINDMAP_TEST_DATABASE_URL")
    if not url:
        name = os.environ.get("KINDMAP_TEST_DB", "kindmap_test")
        localdb.start()
        localdb.drop_database(name)
        localdb.ensure_database(database=name)
        url = localdb.url(database=name)
    else:
        migrate.downgrade(url, "base")
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine):
    """An empty database (all data tables truncated) for one test."""
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE"))
    return engine


@pytest.fixture
def load(db):
    """load(kind, path, **options) → LoadReport, through the real pipeline."""
    return load_files(db)


def load_files(engine):
    """load(kind, path, **options) → LoadReport into ``engine`` (for module-scoped fixtures)."""
    from loaders import KINDS
    from loaders.pipeline import run

    def _load(kind: str, path, dry_run: bool = False, strict: bool = False, **options):
        spec = KINDS[kind]
        return run(engine, kind, spec.load, spec.source, Path(path), options, dry_run=dry_run, strict=strict)

    return _load


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present beside the repository")
    return SHARED_DATA


def damaged_copy(good: Path, damage: str, directory: Path, column: tuple[bytes, bytes] = (b"", b"")) -> Path:
    """A copy of a real published file with one kind of damage, for the refusal tests:
    empty, header only, truncated (cut mid-row), binary, or missing column (``column`` renamed)."""
    data = good.read_bytes()
    damaged = {
        "empty": lambda: b"",
        "header only": lambda: data.splitlines(True)[0],
        "truncated": lambda: data[: len(data) // 2],
        "binary": lambda: bytes(range(256)) * 100,
        "missing column": lambda: data.replace(column[0], column[1], 1),
    }[damage]()
    bad = directory / f"damaged{good.suffix}"
    bad.write_bytes(damaged)
    return bad


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


@pytest.fixture(scope="module")
def sample_loaded(engine):
    """The bundled demo sample (data/sample/manifest.toml) in a clean database."""
    from loaders.manifest import SAMPLE_MANIFEST

    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE"))
    load_manifest(engine, SAMPLE_MANIFEST)
    return engine


def load_manifest(engine, manifest: Path) -> list:
    """Every entry of a manifest through the real pipeline, as `kindmap load manifest` does."""
    from loaders import KINDS
    from loaders.manifest import read_manifest
    from loaders.pipeline import run

    return [run(engine, e.kind, KINDS[e.kind].load, KINDS[e.kind].source, e.path, e.options,
                strict=e.strict) for e in read_manifest(manifest)]


def load_in_order(engine, root: Path, loads: list[tuple[str, str, dict]]) -> None:
    """(kind, path under root, options) loaded one after another into an emptied database."""
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE"))
    load = load_files(engine)
    for kind, path, options in loads:
        load(kind, root / path, **options)
