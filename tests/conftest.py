"""Every test runs against a real PostGIS: a fresh, migrated database in the local cluster.

KINDMAP_TEST_DATABASE_URL points the tests at another PostGIS instead (it is dropped and
re-migrated, so never point it at data you want to keep), KINDMAP_TEST_API_DATABASE_URL at the API's
role there (without it the served API runs as the owner). KINDMAP_TEST_DB names the database
in the local cluster (default kindmap_test), so parallel runs can keep apart; under pytest-xdist
(`make test` runs two workers, one a core) each worker gets its own database, suffixed with its id.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

# FastAPI's TestClient sends `Host: testserver`; the API serves only allowed hosts.
os.environ.setdefault("KINDMAP_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from store import localdb, migrate
from store.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
SAMPLE = ROOT / "data" / "sample"
DATA_TABLES = ["api_keys", "analysis_answers", "grant_coverage", "grants", "area_hierarchy", "analysis_small_areas", "place_years", "place_status", "places", "areas",
               "spending", "indicators", "area_lookups",
               "authority_codes", "centroids", "import_runs", "sources", "analysis_coverage"]
TEST_DB = os.environ.get("KINDMAP_TEST_DB", "kindmap_test") + (
    f"_{os.environ['PYTEST_XDIST_WORKER']}" if "PYTEST_XDIST_WORKER" in os.environ else "")


@pytest.fixture(scope="session")
def database_url(api_database_url) -> str:
    """The owner's URL of a fresh, migrated test database (the API role granted its rights)."""
    url = os.environ.get("KINDMAP_TEST_DATABASE_URL")
    if not url:
        localdb.start()
        localdb.drop_database(TEST_DB)
        localdb.ensure_database(database=TEST_DB)
        url = localdb.url(database=TEST_DB)
    else:
        migrate.downgrade(url, "base")
    migrate.upgrade(url, api_role=make_url(api_database_url).username)
    return url


def served_api_url() -> str:
    """The URL the served API connects with: the API role, which reads and writes only API_WRITES."""
    if os.environ.get("KINDMAP_TEST_DATABASE_URL"):
        return os.environ.get("KINDMAP_TEST_API_DATABASE_URL", os.environ["KINDMAP_TEST_DATABASE_URL"])
    return localdb.api_url(database=TEST_DB)


@pytest.fixture(scope="session")
def api_database_url() -> str:
    return served_api_url()


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


def load_manifest(engine, manifest: Path, cache: Path | None = None) -> list:
    """Every entry of a manifest through the real pipeline, as `kindmap load manifest` does (files
    missing under its base read from ``cache``, default the data cache)."""
    from loaders import KINDS
    from loaders.manifest import read_manifest
    from loaders.pipeline import run

    return [run(engine, e.kind, KINDS[e.kind].load, KINDS[e.kind].source, e.path, e.options,
                strict=e.strict) for e in read_manifest(manifest, cache)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(sample_loaded):
    """What `server` serves: the demo sample (a test module may override this fixture)."""
    return sample_loaded


@pytest.fixture(scope="module")
def server(served, database_url, api_database_url, tmp_path_factory):
    """`kindmap serve` on a free port over the demo sample, for real HTTP clients (GDAL, schemathesis),
    connected as the API's role, so a route needing a right the role lacks fails here."""
    with serving(database_url, api_database_url, tmp_path_factory.mktemp("server") / "server.log") as (url, _):
        yield url


@contextmanager
def serving(database_url: str, api_database_url: str, log: Path, **settings):
    """(url, process) of `kindmap serve` on a free port; ``settings`` become KINDMAP_* variables.
    Its log goes to a file: a pipe nobody reads fills up and stalls the server."""
    port = free_port()
    env = {**os.environ, "KINDMAP_DATABASE_URL": database_url, "KINDMAP_API_DATABASE_URL": api_database_url,
           "KINDMAP_PORT": str(port), **{f"KINDMAP_{k.upper()}": str(v) for k, v in settings.items()}}
    process = subprocess.Popen([sys.executable, "-m", "cli", "serve"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=log.open("w"))
    url = f"http://127.0.0.1:{port}"
    # Generous: a busy 2-core machine can take a minute to import the app; a server that exits
    # fails at once with its log.
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"server did not start: {log.read_text()[-2000:]}")
    try:
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=10)


def load_in_order(engine, root: Path, loads: list[tuple[str, str, dict]]) -> None:
    """(kind, path under root, options) loaded one after another into an emptied database."""
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE"))
    load = load_files(engine)
    for kind, path, options in loads:
        load(kind, root / path, **options)


# The 2023 authorities, the lookups area_hierarchy needs to place every LSOA in them, and the
# mid-2022 population: what per-head and per-authority figures stand on (manifest order).
AUTHORITIES_AND_POPULATION = [
    ("boundaries", "boundaries/ctyua_dec2023_uk_buc.topojson", {"level": "utla", "vintage": "2023-12"}),
    ("boundaries", "boundaries/lad_dec2023_uk_buc.topojson", {"level": "ltla", "vintage": "2023-12"}),
    ("lookup", "lookups/uk_local_authorities_mysociety.csv", {}),
    ("lookup", "lookups/ltla23_to_utla23_apr2023.csv", {}),
    ("lookup", "lookups/lsoa21_to_utla23.csv", {}),
    ("lookup", "lookups/lsoa11_to_lsoa21_to_lad22.csv", {}),
    ("lookup", "lookups/la_all_codes_drkane.csv", {}),
    ("lookup", "lookups/utla_all_codes_drkane.csv", {}),
    ("population", "population/lsoa21_population_mid2022.csv", {}),
]


@pytest.fixture(scope="module")
def chromium():
    """Debian's headless Chromium through Playwright, for the page tests (tests/browser.py)."""
    from tests import browser

    with browser.chromium() as launched:
        yield launched


@pytest.fixture
def visit(chromium, server):
    """visit(path) → tests.browser.Visit: `server`'s page in a fresh browser context, every
    request to another host aborted and counted, console errors collected."""
    from tests import browser

    opened = []

    def _visit(path: str):
        opened.append(browser.open_page(chromium, server, path))
        return opened[-1]

    yield _visit
    for page in opened:
        page.page.context.close()
