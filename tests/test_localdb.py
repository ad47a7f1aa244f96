"""The project-local cluster: initialised, started, stopped — also where postgres cannot reach."""
import os
import shutil

import psycopg
import pytest

from app import localdb
from app.settings import DatabaseSettings
from tests.conftest import free_port


@pytest.mark.skipif(os.geteuid() != 0, reason="the fallback concerns runs as root")
def test_cluster_lives_outside_a_folder_postgres_cannot_reach(tmp_path):
    private = tmp_path / "home"
    private.mkdir(mode=0o700)  # like a clone under /root: the postgres user cannot traverse it
    settings = DatabaseSettings(pg_dir=private / ".kindmap" / "pg", pg_port=free_port())
    try:
        localdb.start(settings)
        assert (private / ".kindmap" / "pg").is_symlink()
        assert localdb.data_dir(settings).is_relative_to("/var/tmp")
        with psycopg.connect(localdb.url(settings).replace("+psycopg", "")) as conn:
            assert conn.execute("SELECT postgis_lib_version()").fetchone()[0]
        assert localdb.running(settings)
        assert_converted_from_trust(settings)
    finally:
        localdb.stop(settings)
        outside = localdb.data_dir(settings).parent
        assert not localdb.running(settings)
        shutil.rmtree(outside, ignore_errors=True)


def assert_converted_from_trust(settings: DatabaseSettings) -> None:
    """A cluster made before kindmap used passwords (trusting every local connection) is switched
    to SCRAM by the next start, and keeps its data."""
    hba = localdb.data_dir(settings) / "pg_hba.conf"
    assert "trust" not in hba.read_text() and "scram-sha-256" in hba.read_text()
    hba.write_text("host all all 127.0.0.1/32 trust\n")
    localdb.stop(settings)
    localdb.start(settings)
    assert hba.read_text() == localdb.PG_HBA
