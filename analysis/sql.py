"""The analysis room's SQL lives in ``analysis/sql/<name>.sql``; this is the one way to read it.

A file may include another's text with ``{{other}}`` (shared CTEs, e.g. spending_units.sql), so
a relation several queries need is written once.
"""
import re
from functools import cache
from pathlib import Path

from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, TextClause, text

SQL_DIR = Path(__file__).resolve().parent / "sql"
INCLUDE = re.compile(r"\{\{(\w+)\}\}")


@cache
def source(name: str) -> str:
    """The text of ``analysis/sql/<name>.sql`` with every ``{{other}}`` replaced by other.sql's."""
    return INCLUDE.sub(lambda m: source(m.group(1)), (SQL_DIR / f"{name}.sql").read_text())


@cache
def sql(name: str) -> TextClause:
    """The statement in ``analysis/sql/<name>.sql``, ready to execute with bound parameters."""
    return text(source(name))


def binary_rows(conn: Connection, statement: TextClause, params: dict) -> list:
    """Every row of ``statement`` as named tuples, fetched in PostgreSQL's binary format, in the
    current transaction of ``conn``. For many rows of numbers: the text format spends more time
    printing floats in the server and parsing them back here than the query takes to aggregate
    them (England's access rows: ~60 ms of ~0.5 s); binary values are the same doubles, unrounded."""
    compiled = statement.compile(dialect=conn.dialect)
    with conn.connection.driver_connection.cursor(binary=True, row_factory=namedtuple_row) as cursor:
        cursor.execute(str(compiled), compiled.construct_params(params))
        return cursor.fetchall()
