"""Refresh steps: fresh planner statistics for the tables the on-request analysis queries read
(access, spending, gap index). Without them, right after a load, PostgreSQL guesses that few
places have a category and sorts them all for every small area instead of walking the spatial
index (33 s, not 0.3 s). One step per table, so a refresh analyses only the tables that changed."""
from sqlalchemy import Connection, text

from analysis import step

TABLES = ("places", "place_years", "spending", "indicators", "area_hierarchy", "area_lookups")


def _analyse(table: str):
    def run(conn: Connection) -> int:
        conn.execute(text(f"ANALYZE {table}"))
        return 0
    return run


for _table in TABLES:
    step(f"statistics.{_table}", (_table,))(_analyse(_table))
