"""The Alembic migration goes down to nothing and back up, and matches the models exactly."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from store import migrate
from store.migrate import include_object
from models import Base

TABLES = {"api_keys", "areas", "places", "place_status", "place_years", "spending", "indicators", "area_lookups",
          "authority_codes", "centroids", "import_runs", "sources", "area_hierarchy", "analysis_small_areas"}


def test_downgrade_then_upgrade(engine, database_url):
    migrate.downgrade(database_url, "base")
    assert not TABLES & set(inspect(engine).get_table_names())
    migrate.upgrade(database_url, "head")
    assert TABLES <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        assert compare_metadata(context, Base.metadata) == []


def test_geometry_columns_are_indexed(engine):
    indexes = {i["name"] for t in ("areas", "places", "centroids") for i in inspect(engine).get_indexes(t)}
    assert {"ix_areas_geom", "ix_areas_geom_27700", "ix_places_geom", "ix_places_geom_27700"} <= indexes
