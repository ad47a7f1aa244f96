"""The analysis room's SQL lives in ``analysis/sql/<name>.sql``; this is the one way to read it.

A file may include another's text with ``{{other}}`` (shared CTEs, e.g. spending_units.sql), so
a relation several queries need is written once.
"""
import re
from functools import cache
from pathlib import Path

from sqlalchemy import TextClause, text

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
