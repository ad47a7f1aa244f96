"""The project-local cluster: initialised, started, stopped — also where postgres cannot reach."""
import os
import shutil

import psycopg
import pytest

from store import localdb
from store.settings import DatabaseSettings
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


def test_a_cluster_whose_owner_was_the_superuser_is_converted_by_the_next_start(tmp_path, monkeypatch):
    """Clusters made before kindmap_admin have `kindmap` as their (bootstrap) superuser. The next
    start renames that role kindmap_admin and makes a new `kindmap` without superuser that owns
    every database and what is in it (PostGIS stays the superuser's); the data is kept, and the
    owner still migrates and loads (it creates tables in its database)."""
    settings = DatabaseSettings(pg_dir=tmp_path / ".kindmap" / "pg", pg_port=free_port(), pg_database="kindmap_old")
    with monkeypatch.context() as old_kindmap:  # initdb -U kindmap, roles and databases not yet made
        old_kindmap.setattr(localdb, "ADMIN", localdb.OWNER)
        old_kindmap.setattr(localdb, "_secure", lambda settings: None)
        old_kindmap.setattr(localdb, "ensure_database", lambda settings: None)
        localdb.start(settings)
    try:
        as_old = dict(host="127.0.0.1", port=settings.pg_port, user="kindmap", autocommit=True,
                      passfile=str(localdb.passfile(settings)))
        with psycopg.connect(**as_old, dbname="postgres") as conn:
            conn.execute("CREATE DATABASE kindmap_old")
        with psycopg.connect(**as_old, dbname="kindmap_old") as conn:
            conn.execute("CREATE EXTENSION postgis")
            conn.execute("CREATE TYPE kind AS ENUM ('library')")
            conn.execute("CREATE TABLE spots (id serial PRIMARY KEY, kind kind, geom geometry(Point, 4326))")
            conn.execute("INSERT INTO spots (kind, geom) VALUES ('library', ST_MakePoint(-0.7, 52.7))")
            conn.execute("CREATE VIEW spot_kinds AS SELECT kind FROM spots")
            conn.execute("CREATE FUNCTION spot_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM spots'")
        localdb.start(settings)
        with psycopg.connect(localdb.url(settings, role=localdb.ADMIN).replace("+psycopg", "")) as conn:
            assert conn.execute("SELECT rolname, rolsuper FROM pg_roles WHERE rolname LIKE 'kindmap%%' "
                                "ORDER BY 1").fetchall() == [
                ("kindmap", False), ("kindmap_admin", True), ("kindmap_api", False)]
        with psycopg.connect(localdb.url(settings).replace("+psycopg", "")) as conn:
            owners = dict(conn.execute("""
                SELECT 'database', pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()
                UNION ALL SELECT relname, pg_get_userbyid(relowner) FROM pg_class
                WHERE relname IN ('spots', 'spots_id_seq', 'spot_kinds', 'spatial_ref_sys')
                UNION ALL SELECT proname, pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'spot_count'
                UNION ALL SELECT typname, pg_get_userbyid(typowner) FROM pg_type WHERE typname IN ('kind', 'geometry')
                """).fetchall())
            assert owners == {"database": "kindmap", "spots": "kindmap", "spots_id_seq": "kindmap",
                              "spot_kinds": "kindmap", "spot_count": "kindmap", "kind": "kindmap",
                              "spatial_ref_sys": "kindmap_admin", "geometry": "kindmap_admin"}
            assert conn.execute("SELECT spot_count()").fetchone()[0] == 1
            conn.execute("INSERT INTO spots (kind) VALUES ('library')")
            conn.execute("CREATE TABLE later (id int)")
        localdb.stop(settings)
        localdb.start(settings)  # a second start changes nothing
        with psycopg.connect(localdb.url(settings).replace("+psycopg", "")) as conn:
            assert conn.execute("SELECT count(*) FROM spots").fetchone()[0] == 2
    finally:
        localdb.stop(settings)
        shutil.rmtree(localdb.data_dir(settings).parent, ignore_errors=True)
