"""The place core's SQL, ``places/sql/<name>.sql``, read by the one reader (store/sql.py); edits
include its fragments (a place as a Feature, a publisher's record hashed) and place_years."""
from store.sql import SqlFiles

SQL = SqlFiles.beside(__file__)
