"""docker-compose.yml: the app migrates and loads as the owner and serves as the API role, and the
database's one-time set-up (docker/db-roles.sh) makes those roles. Docker itself is not run here:
the compose file is read, and the set-up script is run against the local cluster's superuser with
role and database names of its own, then migrated as the app would be."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import psycopg
import pytest
import yaml
from sqlalchemy.engine import make_url

from store import localdb, migrate
from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DEFAULT = re.compile(r"\$\{\w+:-([^}]*)\}")  # what compose substitutes when the variable is unset


def env(service: str) -> dict[str, str]:
    return {k: DEFAULT.sub(r"\1", str(v)) for k, v in COMPOSE["services"][service]["environment"].items()}


def test_the_app_serves_as_the_api_role_and_migrates_as_the_owner():
    db, app = env("db"), env("app")
    owner, api = make_url(app["KINDMAP_DATABASE_URL"]), make_url(app["KINDMAP_API_DATABASE_URL"])
    assert (owner.username, owner.password, owner.database) == (
        db["KINDMAP_OWNER"], db["KINDMAP_OWNER_PASSWORD"], db["KINDMAP_DATABASE"])
    assert (api.username, api.password, api.database) == (
        db["KINDMAP_API_ROLE"], db["KINDMAP_API_PASSWORD"], db["KINDMAP_DATABASE"])
    assert db["POSTGRES_USER"] not in (owner.username, api.username)  # the superuser is the set-up's alone
    assert "./docker/db-roles.sh:/docker-entrypoint-initdb.d/20_kindmap_roles.sh:ro" in COMPOSE["services"]["db"]["volumes"]
    assert os.access(ROOT / "docker" / "db-roles.sh", os.X_OK)


@pytest.fixture
def composed(database_url):
    """docker/db-roles.sh run as the local superuser, as the postgis image runs it."""
    names = {"KINDMAP_OWNER": "compose_owner", "KINDMAP_OWNER_PASSWORD": "owner pw 'quoted'",
             "KINDMAP_API_ROLE": "compose_api", "KINDMAP_API_PASSWORD": "api-pw",
             "KINDMAP_DATABASE": "kindmap_compose"}
    admin = make_url(localdb.url(role=localdb.ADMIN))
    subprocess.run([str(ROOT / "docker" / "db-roles.sh")], check=True, capture_output=True, env={
        **os.environ, **names, "POSTGRES_USER": admin.username, "PGHOST": admin.host, "PGPORT": str(admin.port),
        "PGPASSFILE": admin.query["passfile"]})
    try:
        yield names
    finally:
        with psycopg.connect(localdb.url(role=localdb.ADMIN).replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS kindmap_compose WITH (FORCE)")
            conn.execute("DROP ROLE IF EXISTS compose_owner")
            conn.execute("DROP ROLE IF EXISTS compose_api")


def test_the_database_set_up_makes_an_owner_without_superuser_and_an_api_role(composed):
    port = localdb.database_settings().pg_port
    owner = f"postgresql+psycopg://compose_owner@127.0.0.1:{port}/kindmap_compose"
    with psycopg.connect(make_url(owner).set(drivername="postgresql").render_as_string(False),
                         password=composed["KINDMAP_OWNER_PASSWORD"]) as conn:
        assert conn.execute("SELECT rolsuper, pg_get_userbyid(datdba) FROM pg_roles, pg_database "
                            "WHERE rolname = current_user AND datname = current_database()").fetchone() == (
            False, "compose_owner")
    password = Path(os.environ.get("TMPDIR", "/tmp")) / "kindmap-compose-pgpass"
    password.write_text(f"*:*:*:compose_owner:{composed['KINDMAP_OWNER_PASSWORD']}\n"
                        f"*:*:*:compose_api:{composed['KINDMAP_API_PASSWORD']}\n")
    password.chmod(0o600)
    try:
        migrate.upgrade(f"{owner}?passfile={password}", api_role="compose_api")  # what `kindmap demo` runs first
        with psycopg.connect(host="127.0.0.1", port=port, user="compose_api", dbname="kindmap_compose",
                             passfile=str(password)) as api:
            assert api.execute("SELECT count(*) FROM places").fetchone() == (0,)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                api.execute("UPDATE areas SET name = name")
    finally:
        password.unlink()
