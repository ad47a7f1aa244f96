"""Least privilege: the cluster asks every connection for a password, and the API's role reads
everything but writes only what models/privileges.py lists (the served API runs as that role)."""
from __future__ import annotations

import os

import httpx
import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from store import localdb, migrate
from store.privileges import grant_statement
from models.privileges import API_WRITES


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def api(sample_loaded, api_database_url):
    with psycopg.connect(libpq(api_database_url)) as conn:
        yield conn


def test_a_connection_without_a_password_is_refused(database_url, tmp_path):
    url = make_url(database_url)
    empty = tmp_path / "pgpass"
    empty.write_text("")
    empty.chmod(0o600)
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database,
                        passfile=str(empty), connect_timeout=5)
    assert localdb.passfile().stat().st_mode & 0o077 == 0  # the passwords are the user's alone


@pytest.mark.skipif(bool(os.environ.get("KINDMAP_TEST_DATABASE_URL")), reason="the local cluster's roles")
def test_the_owner_is_no_superuser_and_owns_the_database(engine, sample_loaded):
    """Migrations and loads (this module's sample) ran as `kindmap`, which owns the database and
    its tables but is no superuser: kindmap_admin, used only to create roles, databases and
    extensions, is."""
    with engine.connect() as conn:
        assert conn.execute(text("""
            SELECT r.rolname, r.rolsuper, r.rolbypassrls, pg_get_userbyid(d.datdba), pg_get_userbyid(c.relowner)
            FROM pg_roles r, pg_database d, pg_class c
            WHERE r.rolname = current_user AND d.datname = current_database() AND c.oid = 'places'::regclass
            """)).one() == ("kindmap", False, False, "kindmap", "kindmap")
        assert conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = :admin"),
                            {"admin": localdb.ADMIN}).scalar_one() is True


@pytest.mark.parametrize("statement", [
    "DELETE FROM places",                       # edits withdraw places by status, never delete
    "UPDATE areas SET name = name",
    "DELETE FROM spending",
    "INSERT INTO areas (code) VALUES ('E06000001')",
    "TRUNCATE indicators",
    "UPDATE api_keys SET scopes = '{admin}'",   # a key's own row, but not the column the API stamps
    "CREATE TABLE public.mine (id int)",
])
def test_the_api_role_cannot_write_data(api, statement):
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
        api.execute(statement)


def test_the_api_role_reads_everything_and_writes_what_api_writes_lists(api, engine):
    tables = [t for (t,) in api.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
    assert all(api.execute("SELECT has_table_privilege(%s, 'SELECT')", (t,)).fetchone()[0] for t in tables)
    assert api.execute("UPDATE api_keys SET last_used_at = now()").rowcount == 0  # allowed, nothing to stamp
    listed = {target.split()[1] for target in API_WRITES if target.startswith("TABLE ")}
    assert listed <= set(tables)
    written = api.execute("""
        SELECT DISTINCT table_name FROM information_schema.role_table_grants
        WHERE grantee = current_user AND privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')
        UNION SELECT DISTINCT table_name FROM information_schema.role_column_grants
        WHERE grantee = current_user AND privilege_type IN ('INSERT', 'UPDATE')""").fetchall()
    assert {t for (t,) in written} == listed


@pytest.mark.parametrize("target, privileges, granted", [
    ("TABLE api_keys", "UPDATE (last_used_at)", 'GRANT UPDATE (last_used_at) ON TABLE api_keys TO "r"'),
    ("TABLE audit", "INSERT, UPDATE (a, b)", 'GRANT INSERT, UPDATE (a, b) ON TABLE audit TO "r"'),
    ("SEQUENCE audit_id_seq", "USAGE", 'GRANT USAGE ON SEQUENCE audit_id_seq TO "r"'),
    ("TABLE places; DROP TABLE areas", "INSERT", None),
    ("TABLE places", "INSERT; DROP TABLE areas", None),
    ("TABLE places", "INSRT", None),
])
def test_api_writes_entries_become_grants_or_are_refused(engine, target, privileges, granted):
    with engine.connect() as conn:
        if granted is None:
            with pytest.raises(ValueError, match="API_WRITES"):
                grant_statement(conn, target, privileges, '"r"')
        else:
            assert grant_statement(conn, target, privileges, '"r"') == granted


def test_a_table_added_later_is_granted_by_the_next_migrate(api, database_url, api_database_url, engine):
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE later_table (id int)"))
    try:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            api.execute("SELECT * FROM later_table")
        api.rollback()
        migrate.upgrade(database_url, api_role=make_url(api_database_url).username)
        assert api.execute("SELECT count(*) FROM later_table").fetchone()[0] == 0
        api.rollback()
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE later_table"))


def test_the_served_api_runs_as_the_api_role(server, engine, api_database_url):
    assert httpx.get(f"{server}/collections/places/items?limit=1").status_code == 200
    with engine.connect() as conn:  # its pool keeps the connection the request used
        pooled = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE usename = :role"),
                              {"role": make_url(api_database_url).username}).scalar()
    assert pooled >= 1


def an_edit_record(api, source: str = "edits") -> str:
    return api.execute(
        "INSERT INTO places (name, category, source, source_ref, import_run_id, geom) "
        "VALUES ('Row security test', 'library', %s, 'row-security-test', (SELECT min(id) FROM import_runs), "
        "ST_SetSRID(ST_MakePoint(-0.72, 52.66), 4326)) RETURNING source", (source,)).fetchone()[0]


def test_the_api_role_updates_no_publishers_record(api):
    """Row-level security (migration 0014): an UPDATE of a publisher's record changes 0 rows, of
    its own (source edits) the row; the owner (loads) is not restricted."""
    assert api.execute("SELECT count(*) FROM places WHERE source = 'dcms-libraries-2016'").fetchone()[0] > 0
    assert api.execute("UPDATE places SET name = name WHERE source = 'dcms-libraries-2016'").rowcount == 0
    assert api.execute("UPDATE places SET name = name").rowcount == 0  # no edit records yet
    an_edit_record(api)
    assert api.execute("UPDATE places SET name = 'renamed' WHERE source_ref = 'row-security-test'").rowcount == 1
    api.rollback()


@pytest.mark.parametrize("statement, refusal", [
    (lambda api: an_edit_record(api, "dcms-libraries-2016"), psycopg.errors.InsufficientPrivilege),
    (lambda api: an_edit_record(api) and api.execute(  # an edit record made a publisher's
        "UPDATE places SET source = 'osm' WHERE source_ref = 'row-security-test'"),
     psycopg.errors.InsufficientPrivilege),
    (lambda api: api.execute("UPDATE places SET id = id"), psycopg.errors.InsufficientPrivilege),
])
def test_the_api_role_cannot_make_a_publishers_record(api, statement, refusal):
    with pytest.raises(refusal):
        statement(api)
    api.rollback()


def test_the_owner_still_writes_every_record(engine):
    with engine.connect() as conn:
        changed = conn.execute(text("UPDATE places SET name = name WHERE source = 'dcms-libraries-2016'")).rowcount
        conn.rollback()
    assert changed > 0


def test_the_api_role_cannot_rewrite_a_publishers_history_nor_write_audit_rows(api, engine, database_url,
                                                                               api_database_url):
    """Migration 0021: before it the API's role could UPDATE/DELETE every row of place_status,
    place_years and place_current and insert any audit row."""
    for statement in ("UPDATE place_status SET status = status", "UPDATE place_years SET status = status",
                      "DELETE FROM place_years", "UPDATE place_current SET status = status",
                      "DELETE FROM place_current"):
        assert api.execute(statement).rowcount == 0, statement  # every row there is a publisher's
    assert api.execute("SELECT count(*) FROM place_years").fetchone()[0] > 0  # …and reads stay open
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
        api.execute("INSERT INTO place_audit (place_id, record_id, action, import_run_id, after) "
                    "SELECT id, id, 'update', import_run_id, '{}' FROM places LIMIT 1")
    api.rollback()
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="no API write of this transaction"):
        api.execute("SELECT write_place_audit(id, id, 'update', import_run_id, NULL, '{}') FROM places LIMIT 1")
    api.rollback()
    # its own record's rows it writes (an edit re-resolves them)
    an_edit_record(api)
    assert api.execute("INSERT INTO place_years (year, place_id, status) SELECT 2020, id, 'open' FROM places "
                       "WHERE source_ref = 'row-security-test'").rowcount == 1
    api.rollback()
    # `kindmap db upgrade` grants the audit function again (a grant taken away by hand comes back)
    with engine.begin() as conn:
        conn.execute(text(f"REVOKE EXECUTE ON FUNCTION write_place_audit FROM {make_url(api_database_url).username}"))
    migrate.upgrade(database_url, api_role=make_url(api_database_url).username)
    assert api.execute("SELECT has_function_privilege('write_place_audit(bigint, bigint, text, bigint, jsonb, "
                       "jsonb)', 'EXECUTE')").fetchone()[0]
