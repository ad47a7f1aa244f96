"""Refresh steps: fresh planner statistics for the tables the on-request analysis queries read
(access, spending, gap index). Without them, right after a load, PostgreSQL guesses that few
places have a category and sorts them all for every small area instead of walking the spatial
index (33 s, not 0.3 s). One step per table, so a refresh analyses only the tables that changed."""
from sqlalchemy import Connection

from analysis import step
from models.table_statistics import analyse_if_changed

TABLES = ("places", "place_years", "spending", "indicators", "area_hierarchy", "area_lookups")
# The columns the analysis plans filter and join on, where that is fewer than the table's: the
# refresh after a library load spent ~130 ms of ~200 analysing every column of places (names,
# sources, attributes, both geometries); these three take ~40 ms. The row count (reltuples) is
# refreshed either way.
COLUMNS = {"places": ("id", "category", "geom_27700")}


def _analyse(table: str):
    def run(conn: Connection) -> int:
        # Skipped when whoever last wrote the table analysed it after (a load does: its merge, and
        # place_years after it is resolved) and nothing since changed what the statistics describe.
        analyse_if_changed(conn, table, COLUMNS.get(table, ()))
        return 0
    return run


for _table in TABLES:
    step(f"statistics.{_table}", (_table,))(_analyse(_table))
