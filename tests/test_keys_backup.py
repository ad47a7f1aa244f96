"""API keys (hashed, scoped, revocable) guard reads when configured; backups round-trip everything."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from store import keys
from store.db import make_engine
from edits import places, proposals
from app.main import create_app
from store.settings import ApiSettings
from tests.conftest import scalar
from tests.test_api import assert_problem
from tests.test_cli import kindmap

KEY = re.compile(r"km_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


def create_key(database_url, *args) -> str:
    out = kindmap("keys", "create", "--name", "test holder", *args, database_url=database_url).stdout
    return KEY.search(out).group(0)


def test_keys_are_stored_hashed_and_revocable(sample_loaded, database_url):
    token = create_key(database_url, "--scope", "read")
    writer = create_key(database_url, "--scope", "write:places", "--authority", "E08000009")
    assert scalar(sample_loaded, "SELECT count(*) FROM api_keys WHERE secret_hash = :t OR prefix = :t "
                  "OR name = :t", t=token) == 0
    listed = kindmap("keys", "list", database_url=database_url).stdout
    assert token not in listed and token.split("_")[1] in listed and "E08000009" in listed

    settings = ApiSettings(allowed_hosts="*", reads_need_key=True)
    with TestClient(create_app(make_engine(database_url), settings)) as client:
        assert client.get("/health").status_code == 200  # liveness stays open
        missing = assert_problem(client.get("/collections"), 401, "Authorization")
        assert client.get("/collections").headers["www-authenticate"] == "Bearer"
        assert "Authorization" in missing["detail"] or "key" in missing["detail"]
        assert client.get("/collections", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert client.get("/collections", headers={"X-API-Key": token}).status_code == 200
        assert_problem(client.get("/collections", headers={"X-API-Key": token[:-1] + "x"}), 401)
        assert_problem(client.get("/collections", headers={"X-API-Key": writer}), 403, "Authorization")
        key_id = scalar(sample_loaded, "SELECT id FROM api_keys WHERE prefix = :p", p=token.split("_")[1])
        kindmap("keys", "revoke", str(key_id), database_url=database_url)
        assert_problem(client.get("/collections", headers={"X-API-Key": token}), 401)
    assert scalar(sample_loaded, "SELECT last_used_at IS NOT NULL FROM api_keys WHERE id = :i", i=key_id)
    assert kindmap("keys", "revoke", str(key_id), database_url=database_url, check=False).returncode != 0
    bad = kindmap("keys", "create", "--name", "x", "--scope", "root", database_url=database_url, check=False)
    assert bad.returncode != 0 and "root" in bad.stderr


def test_reads_are_public_by_default(sample_loaded, database_url):
    with TestClient(create_app(make_engine(database_url), ApiSettings(allowed_hosts="*"))) as client:
        assert client.get("/collections").status_code == 200


def test_backup_and_restore_round_trip(sample_loaded, database_url, api_database_url, tmp_path):
    create_key(database_url, "--scope", "admin")
    with sample_loaded.begin() as conn:  # an edit (its record, amendment and audit row) and a proposal
        write_edits(conn)
    counts = "SELECT (SELECT count(*) FROM places), (SELECT count(*) FROM areas), " \
             "(SELECT count(*) FROM import_runs), (SELECT count(*) FROM api_keys), " \
             "(SELECT md5(string_agg(ST_AsEWKB(geom)::text || name, ',' ORDER BY id)) FROM places), " \
             "(SELECT count(*) FROM place_edits), (SELECT count(*) FROM place_proposals), " \
             "(SELECT md5(string_agg(CAST(row(a.*) AS text), ',' ORDER BY id)) FROM place_audit a)"
    with sample_loaded.connect() as conn:
        before = tuple(conn.exec_driver_sql(counts).one())
    backup = tmp_path / "kindmap.dump"
    kindmap("db", "backup", str(backup), database_url=database_url)
    with sample_loaded.begin() as conn:
        conn.exec_driver_sql("TRUNCATE place_audit, place_edits, place_proposals; "
                             "DELETE FROM places WHERE mod(id, 2) = 0; DELETE FROM api_keys")
    kindmap("db", "restore", str(backup), database_url=database_url)
    # The restore recreated PostGIS (new type ids): pooled sessions keep PostGIS caches of the old
    # ones (ST_DWithin then fails with "no spatial operator found"), so later tests start afresh.
    sample_loaded.dispose()
    with sample_loaded.connect() as conn:
        assert tuple(conn.exec_driver_sql(counts).one()) == before and all(before)
    api = make_engine(api_database_url)  # the restore granted the API's role its rights again
    with api.connect() as conn:
        assert tuple(conn.exec_driver_sql(counts).one()) == before
    api.dispose()
    missing = kindmap("db", "restore", str(tmp_path / "nope.dump"), database_url=database_url, check=False)
    assert missing.returncode != 0 and "no such backup" in missing.stderr


def write_edits(conn) -> None:
    """A planner's change of a sample library and a public proposal, through edits/."""
    key = keys.create(conn, "planner", ["write:places"], [])[0]
    writer = places.Writer(key.id, (), "PATCH /collections/places/items/1")
    place = places.place(conn, 1)
    places.change(conn, writer, 1, f'"{place.state}"', {"name": "Renamed"}, False, "update")
    proposals.submit(conn, "192.0.2.1", place.values, proposals.Limit(1, 60))
