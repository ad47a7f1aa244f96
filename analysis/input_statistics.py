"""A refresh step: planner statistics for the tables the on-request queries read, so the first
request after a load is planned on what the load wrote (analysis/sql/input_statistics.sql)."""
from sqlalchemy import Connection

from analysis import step
from analysis.sql import sql


@step("input_statistics")
def analyse_inputs(conn: Connection) -> int:
    conn.execute(sql("input_statistics"))
    return 0
