"""Faults, on a throwaway cluster of the test's own (it is stopped, made read-only, filled up):
PostgreSQL stopped and restarted under load, a load killed with SIGKILL, a read-only database and
a full disk each give a clear error and leave the data exactly as it was."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from store import keys, localdb, migrate
from store.db import LOAD_LOCK_ID, make_engine
from app.main import create_app
from store.settings import ApiSettings, DatabaseSettings
from loaders.manifest import SAMPLE_MANIFEST
from tests.conftest import ROOT, free_port, load_manifest, serving
from tests.test_api import assert_problem

# A real published file whose load takes seconds (32,844 rows staged and merged): long enough to
# be killed mid-way and to overflow a 1 MB disk.
BIG_LOAD = ("lookup", ROOT.parent / "shared" / "data" / "lookups" / "lsoa11_to_lsoa21_to_lad22.csv")


@dataclass
class Cluster:
    settings: DatabaseSettings
    url: str       # the owner's
    api_url: str
    engine: Engine


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A local cluster of this module's own, migrated and holding the demo sample."""
    if os.environ.get("KINDMAP_TEST_DATABASE_URL"):
        pytest.skip("the fault tests need a local cluster they may stop")
    settings = DatabaseSettings(pg_dir=tmp_path_factory.mktemp("faults") / ".kindmap" / "pg",
                                pg_port=free_port(), pg_database="kindmap_faults")
    localdb.start(settings)
    url, api_url = localdb.url(settings), localdb.api_url(settings)
    migrate.upgrade(url, api_role=localdb.API_ROLE)
    engine = make_engine(url)
    load_manifest(engine, SAMPLE_MANIFEST)
    try:
        yield Cluster(settings, url, api_url, engine)
    finally:
        engine.dispose()
        localdb.stop(settings)
        shutil.rmtree(localdb.data_dir(settings).parent, ignore_errors=True)  # (/var/tmp/kindmap-… as root)


def checksums(engine: Engine) -> dict[str, tuple[int, int]]:
    """Every table's row count and an order-free hash of its rows (sequences are not compared:
    PostgreSQL never rolls them back)."""
    with engine.connect() as conn:
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
        return {t: tuple(conn.execute(text(
            f'SELECT count(*), coalesce(sum(hashtext(r::text)::bigint), 0) FROM "{t}" r')).one())
            for t in tables}


def kindmap(cluster: Cluster, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cli", *args], cwd=ROOT, text=True,
                            env={**os.environ, "KINDMAP_DATABASE_URL": cluster.url,
                                 "KINDMAP_API_DATABASE_URL": cluster.api_url, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def big_load(cluster: Cluster, **env: str) -> subprocess.Popen:
    kind, path = BIG_LOAD
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    return kindmap(cluster, "load", kind, str(path), **env)


def assert_one_line_refusal(proc: subprocess.Popen, *words: str) -> None:
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: ") and "nothing was loaded" in last, err
    assert all(w in last for w in words), last
    assert "Traceback" not in err


class Traffic:
    """Threads requesting the API without pause; every answer (or failure) is recorded."""

    def __init__(self, url: str, token: str, threads: int = 3):
        self.url, self.headers = url, {"Authorization": f"Bearer {token}"}
        self.answers: list[tuple[float, int, str, float]] = []  # (when, status, content type, seconds)
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for thread in self.threads:
            thread.start()

    def _run(self):
        with httpx.Client(base_url=self.url, headers=self.headers, timeout=15) as client:
            while not self.done.is_set():
                started = time.monotonic()
                try:
                    response = client.get("/collections/places/items?limit=5")
                    answer = (response.status_code, response.headers.get("content-type", ""))
                except httpx.HTTPError as error:
                    answer = (0, type(error).__name__)
                self.answers.append((started, *answer, time.monotonic() - started))

    def stop(self):
        self.done.set()
        for thread in self.threads:
            thread.join(timeout=20)


class Writer(threading.Thread):
    """Renames one place again and again through the edit route (PATCH with If-Match)."""

    def __init__(self, url: str, token: str, place: int):
        super().__init__(daemon=True)
        self.url, self.token, self.place = url, token, place
        self.statuses: list[int] = []
        self.done = threading.Event()
        self.start()

    def run(self):
        with httpx.Client(base_url=self.url, timeout=15, headers={"Authorization": f"Bearer {self.token}"}) as client:
            etag = None
            while not self.done.is_set():
                try:
                    if etag is None:
                        etag = client.get(f"/collections/places/items/{self.place}").headers.get("ETag")
                        continue
                    response = client.patch(f"/collections/places/items/{self.place}",
                                            content=f'{{"properties": {{"name": "Fault test {len(self.statuses)}"}}}}',
                                            headers={"Content-Type": "application/merge-patch+json", "If-Match": etag})
                    self.statuses.append(response.status_code)
                    etag = response.headers.get("ETag") if response.status_code == 200 else None
                except httpx.HTTPError:
                    self.statuses.append(0)
                    etag = None

    def stop(self):
        self.done.set()
        self.join(timeout=20)


def test_postgres_stopped_and_restarted_under_load(cluster, tmp_path):
    """Requests in flight when PostgreSQL stops get 503 problem+json; the API heals by itself."""
    with cluster.engine.begin() as conn:
        _, token = keys.create(conn, "fault test", ["read", "write:places"], [])
        place = conn.execute(text("SELECT min(id) FROM places WHERE merged_into IS NULL")).scalar()
    # Reads need a key here, so every request also writes (authenticating stamps last_used_at),
    # and a writer renames a place through the edit route all along.
    with serving(cluster.url, cluster.api_url, tmp_path / "server.log", reads_need_key="true") as (url, process):
        traffic = Traffic(url, token)
        writer = Writer(url, token, place)
        time.sleep(1)
        localdb.stop(cluster.settings)
        stopped = time.monotonic()
        time.sleep(2)
        restarting = time.monotonic()
        localdb.start(cluster.settings)
        restarted = time.monotonic()
        deadline = restarted + 10
        while time.monotonic() < deadline and not any(
                when > restarted and status == 200 for when, status, _, _ in traffic.answers):
            time.sleep(0.1)
        time.sleep(1)
        traffic.stop()
        writer.stop()
        served = httpx.get(f"{url}/collections/places/items/{place}",
                           headers={"Authorization": f"Bearer {token}"}).json()["properties"]["name"]
        assert process.poll() is None  # the same server, never restarted
    answers = traffic.answers
    assert {status for _, status, _, _ in answers} == {200, 503}, answers  # no 500, no dropped connection
    assert all(ctype == "application/problem+json" for _, status, ctype, _ in answers if status == 503)
    # Answers sent and received wholly inside the outage; a request still waiting for a pooled
    # connection when PostgreSQL came back may rightly succeed.
    during = [status for when, status, _, took in answers if stopped < when and when + took < restarting]
    assert during and set(during) == {503}
    healed = min(when for when, status, _, _ in answers if when > restarted and status == 200)
    assert healed - restarted < 5, f"first 200 {healed - restarted:.1f} s after the restart"
    assert max(seconds for *_, seconds in answers) < 10  # every request answered within its deadline
    with cluster.engine.connect() as conn:  # the write (the key's stamp) landed after the restart
        stamped = conn.execute(text("SELECT extract(epoch FROM now() - last_used_at) FROM api_keys")).scalar()
    assert stamped < time.monotonic() - restarted + 1
    # No write is half-applied: each edit is one import run, one audit row and the place as served
    # after it; a write refused during the outage left none of them.
    assert set(writer.statuses) <= {200, 503} and writer.statuses.count(200) >= 2, writer.statuses
    with cluster.engine.connect() as conn:
        audits = conn.execute(text("SELECT count(*), count(DISTINCT import_run_id) FROM place_audit "
                                   "WHERE place_id = :p"), {"p": place}).one()
        runs = conn.execute(text("SELECT count(*) FROM import_runs r JOIN sources s ON s.id = r.source_id "
                                 "WHERE s.key = 'edits'")).scalar()
        last = conn.execute(text("SELECT after FROM place_audit WHERE place_id = :p ORDER BY id DESC LIMIT 1"),
                            {"p": place}).scalar()
    assert audits[0] == audits[1] == runs
    assert writer.statuses.count(200) <= audits[0] <= writer.statuses.count(200) + writer.statuses.count(503)
    assert served in str(last)


def postgres_processes(cluster: Cluster) -> list[int]:
    """The cluster's postmaster and every backend (its children)."""
    postmaster = int((localdb.data_dir(cluster.settings) / "postmaster.pid").read_text().split()[0])
    children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout.split()
    return [postmaster, *map(int, children)]


def test_a_hung_database_answers_cheap_requests_within_10_s_by_default(cluster, tmp_path):
    """Every PostgreSQL process stopped (SIGSTOP: connections stay open, nothing answers — no
    statement timeout, no TCP timeout fires): a page, a tile and /health each answer 503 within
    10 s with the default settings (a page used to give no answer within 20 s), and the same
    server serves again once the database continues."""
    with serving(cluster.url, cluster.api_url, tmp_path / "server.log") as (url, process):
        cheap = ["/collections/places/items?limit=1", "/collections/places/tiles/WebMercatorQuad/6/31/20", "/health"]
        with httpx.Client(base_url=url, timeout=30) as client:
            assert [client.get(path).status_code for path in cheap] == [200, 200, 200]
            stopped = postgres_processes(cluster)
            for pid in stopped:
                os.kill(pid, signal.SIGSTOP)
            try:
                answers = []
                for path in cheap:
                    started = time.monotonic()
                    response = client.get(path)
                    answers.append((path, response.status_code, time.monotonic() - started))
                    assert response.headers["content-type"] == "application/problem+json"
            finally:
                for pid in stopped:
                    os.kill(pid, signal.SIGCONT)
            assert all(status == 503 and took < 10 for _, status, took in answers), answers
            deadline = time.monotonic() + 20
            while client.get(cheap[0]).status_code != 200:
                assert time.monotonic() < deadline, "the server did not heal"
                time.sleep(0.5)
        assert process.poll() is None


def test_a_load_killed_mid_way_leaves_the_database_as_it_was(cluster):
    before = checksums(cluster.engine)
    load = big_load(cluster)
    deadline = time.monotonic() + 60
    writing = None
    with cluster.engine.connect() as conn:
        while writing is None and time.monotonic() < deadline and load.poll() is None:
            # the load's transaction: it holds the loads' advisory lock and has written something
            writing = conn.execute(text("""
                SELECT a.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                WHERE l.locktype = 'advisory' AND a.backend_xid IS NOT NULL
                  AND a.datname = current_database()""")).scalar()
            conn.rollback()
            time.sleep(0.05)
        time.sleep(0.5)  # further into it
        assert writing and load.poll() is None, "the load finished before it could be killed"
        load.send_signal(signal.SIGKILL)
        assert load.wait(timeout=10) == -signal.SIGKILL
        while conn.execute(text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": writing}).first():
            conn.rollback()
            assert time.monotonic() < deadline, "the killed load's transaction is still open"
            time.sleep(0.1)
    assert checksums(cluster.engine) == before


# A client that takes the load lock and then sits in one long statement, as a load's biggest
# INSERT … SELECT does.
LOCK_AND_SLEEP = """
import sys
from sqlalchemy import text
from store.db import hold_load_lock, make_engine
with make_engine(sys.argv[1]).begin() as conn:
    hold_load_lock(conn)
    print("locked", flush=True)
    conn.execute(text("SELECT pg_sleep(600)"))
"""


def test_a_client_killed_mid_statement_releases_the_load_lock(cluster):
    """The backend notices its client is gone mid-statement (client_connection_check_interval),
    so the lock is not held for the rest of a statement nobody will read."""
    proc = subprocess.Popen([sys.executable, "-c", LOCK_AND_SLEEP, cluster.url], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().strip() == "locked", proc.stderr.read()
    held = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :id")
    with cluster.engine.connect() as conn:
        assert conn.execute(held, {"id": LOAD_LOCK_ID}).scalar() == 1
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 30  # the check runs every 5 s; pg_sleep had 600 s to go
        while conn.execute(held, {"id": LOAD_LOCK_ID}).scalar():
            conn.rollback()
            assert time.monotonic() < deadline, "the killed client's statement still holds the load lock"
            time.sleep(0.2)


def test_a_read_only_database_refuses_a_load_in_one_line_and_still_serves(cluster):
    with cluster.engine.begin() as conn:
        _, token = keys.create(conn, "read-only test", ["read"], [])
        conn.execute(text("ALTER DATABASE kindmap_faults SET default_transaction_read_only = on"))
    before = checksums(cluster.engine)
    try:
        assert_one_line_refusal(big_load(cluster), "read-only transaction", "25006")
        settings = ApiSettings(allowed_hosts="*", reads_need_key=True)
        api = make_engine(cluster.api_url)
        with TestClient(create_app(api, settings)) as client:  # a key holder still reads
            response = client.get("/collections/places/items?limit=1", headers={"X-API-Key": token})
        api.dispose()
        assert response.status_code == 200
    finally:
        with cluster.engine.begin() as conn:
            conn.execute(text("ALTER DATABASE kindmap_faults RESET default_transaction_read_only"))
    assert checksums(cluster.engine) == before


def test_a_write_refused_by_a_read_only_database_is_a_503_problem(cluster):
    app = create_app(make_engine(cluster.api_url), ApiSettings(allowed_hosts="*"))

    def write(request: Request):  # any write the API makes, on a read-only transaction
        with request.app.state.engine.begin() as conn:
            conn.execute(text("SET TRANSACTION READ ONLY"))
            conn.execute(text("UPDATE api_keys SET last_used_at = now()"))

    app.add_api_route("/write", write, methods=["POST"])
    with TestClient(app, raise_server_exceptions=False) as client:
        body = assert_problem(client.post("/write"), 503)
    assert "read-only" in body["detail"]


@pytest.fixture
def tiny_disk():
    """A 1 MB tmpfs the postgres user owns: a disk that fills at once (needs root to mount)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tiny disk needs root")
    mountpoint = Path(tempfile.mkdtemp(prefix="kindmap-tiny-", dir="/var/tmp"))
    mountpoint.chmod(0o755)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,uid=postgres,gid=postgres,mode=0700",
                              "tmpfs", str(mountpoint)], capture_output=True, text=True)
    if mounted.returncode != 0:
        mountpoint.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)
        mountpoint.rmdir()


def test_a_full_disk_refuses_a_load_in_one_line_and_changes_nothing(cluster, tiny_disk):
    """The load stages its rows in temporary tables on a tablespace whose disk is full (made by
    the cluster's superuser: the owner is none)."""
    admin = make_engine(localdb.url(cluster.settings, role=localdb.ADMIN))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE TABLESPACE kindmap_tiny LOCATION '{tiny_disk}'"))
        conn.execute(text(f"GRANT CREATE ON TABLESPACE kindmap_tiny TO {localdb.OWNER}"))
    try:
        before = checksums(cluster.engine)
        load = big_load(cluster, PGOPTIONS="-c temp_tablespaces=kindmap_tiny")
        assert_one_line_refusal(load, "No space left on device", "53100")
        assert checksums(cluster.engine) == before
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("DROP TABLESPACE kindmap_tiny"))  # fails unless the failed load left it empty
        admin.dispose()
