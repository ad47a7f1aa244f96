"""The room's SQL, read from ``edits/sql`` by the one reader (store/sql.py); ``{{fragment(row)}}``
includes (a Feature, a record's published hash, place_years) come from places/sql, so each is
written once."""
from __future__ import annotations

from places.sql import SQL as PLACES_SQL
from store.sql import SqlFiles

SQL = SqlFiles.beside(__file__, PLACES_SQL)
statement = SQL.statement
