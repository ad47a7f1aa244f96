"""The analysis room's SQL lives in ``analysis/sql/<name>.sql``, read by the one reader
(store/sql.py): ``source(name)`` its text, ``sql(name)`` the statement to execute.

A file may include another's text with ``{{other}}`` (shared CTEs, e.g. spending_units.sql), so
a relation several queries need is written once.
"""
from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, TextClause

from store.sql import SqlFiles

SQL = SqlFiles.beside(__file__)
source = SQL.text
sql = SQL.statement


def binary_rows(conn: Connection, statement: TextClause, params: dict) -> list:
    """Every row of ``statement`` as named tuples, fetched in PostgreSQL's binary format, in the
    current transaction of ``conn``. For many rows of numbers: the text format spends more time
    printing floats in the server and parsing them back here than the query takes to aggregate
    them (England's access rows: ~60 ms of ~0.5 s); binary values are the same doubles, unrounded."""
    compiled = statement.compile(dialect=conn.dialect)
    with conn.connection.driver_connection.cursor(binary=True, row_factory=namedtuple_row) as cursor:
        cursor.execute(str(compiled), compiled.construct_params(params))
        return cursor.fetchall()
