"""Alembic migrations run from code (the CLI, the demo, the tests)."""
from pathlib import Path

from alembic import command
from alembic.config import Config
from geoalchemy2 import alembic_helpers

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head", api_role: str | None = None) -> None:
    """Migrate, then grant the API's role (default: the configured one) what it may do."""
    command.upgrade(config(url), revision)
    grant(url, api_role)


def grant(url: str, api_role: str | None = None) -> None:
    """store/privileges.py's grants for ``api_role`` (default: the configured API role, if any)."""
    from store import db, privileges

    role = api_role or db.api_role()
    if not role:
        return
    engine = db.make_engine(url)
    try:
        with engine.begin() as conn:
            privileges.grant_api(conn, role)
    finally:
        engine.dispose()


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(config(url), revision)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """What autogenerate compares: our tables, not PostGIS's own (spatial_ref_sys…)."""
    if type_ == "table" and reflected and compare_to is None:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)
