"""The room's SQL, read from ``edits/sql``; ``{name}`` fragments (a Feature, a record's
published hash) are filled in from their own files, so each is written once."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from sqlalchemy import TextClause, text

SQL = Path(__file__).resolve().parent / "sql"
PLACE_YEARS = Path(__file__).resolve().parent.parent / "places" / "sql" / "place_years.sql"


def _read(name: str) -> str:
    return (SQL / f"{name}.sql").read_text()


def fragment(name: str, row: str) -> str:
    """A fragment file (comment lines dropped) over the row alias ``row``."""
    body = "\n".join(line for line in _read(name).splitlines() if not line.startswith("--"))
    return body.replace("{r}", row)


@cache
def statement(name: str) -> TextClause:
    return text(_read(name).format(
        feature=fragment("feature_json", "f"),
        published_hash=fragment("published_hash", "a"),
        edit_feature=fragment("feature_json", "e"),
        publisher_feature=fragment("feature_json", "a"),
        place_years=PLACE_YEARS.read_text().rstrip().rstrip(";"),
    ))
