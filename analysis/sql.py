"""The analysis room's SQL lives in ``analysis/sql/<name>.sql``; this is the one way to read it."""
from functools import cache
from pathlib import Path

from sqlalchemy import TextClause, text

SQL_DIR = Path(__file__).resolve().parent / "sql"


@cache
def sql(name: str) -> TextClause:
    """The statement in ``analysis/sql/<name>.sql``, ready to execute with bound parameters."""
    return text((SQL_DIR / f"{name}.sql").read_text())
