"""The licence and attribution owed for what is loaded: each table's import runs → their files'
SHA-256 → the catalog's dataset (its licence and attribution line); a file the catalog does not
know (a user's own list, the sample's ultra-generalised boundaries) is credited from its source's
publisher and licence as the import run recorded them."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from datasets.catalog import Catalog, Licence, catalog
from models.base import Base  # (the package imports every table into its metadata)
from store.sql import SqlFiles

SOURCES_OF = SqlFiles.beside(__file__).text("sources_of")


@dataclass(frozen=True)
class Credit:
    """What an answer built from some tables must carry: attribution lines and licences."""

    lines: tuple[str, ...] = ()
    licences: tuple[Licence, ...] = ()

    @property
    def text(self) -> str | None:
        return " · ".join(self.lines) or None


def run_tables(tables) -> list[str]:
    """Those of ``tables`` whose rows name their import run."""
    return sorted(t for t in set(tables) if t in Base.metadata.tables
                  and "import_run_id" in Base.metadata.tables[t].c)


def credit(conn: Connection, tables, known: Catalog | None = None) -> Credit:
    """The credit for rows of ``tables`` as loaded now."""
    names = run_tables(tables)
    if not names:
        return Credit()
    statement = " UNION ".join(f"({SOURCES_OF.format(table=name)})" for name in names)
    return credit_of(conn.execute(text(statement)).all(), known or catalog())


def credit_of(runs, known: Catalog) -> Credit:
    """``runs``: (file SHA-256, source key, publisher, licence, url) of each import run."""
    by_sha = known.by_sha256()
    datasets, others = {}, {}
    for sha, _key, publisher, licence, _url in runs:
        if sha in by_sha:
            dataset = by_sha[sha].dataset
            datasets[dataset.key] = dataset
        else:
            match = _licence_named(licence, known)
            name = match.name if match else licence
            others[(publisher, name)] = match
    ordered = [d for d in known.datasets.values() if d.key in datasets]
    lines = [d.attribution for d in ordered]
    # a source's own record only where no catalog line already credits its publisher
    lines += [f"{publisher} ({name})" for publisher, name in sorted(others)
              if publisher != "unknown" and not any(publisher in line for line in lines)]
    # a line another one contains whole (the ONS line within drkane's) says nothing more
    lines = [line for line in dict.fromkeys(lines) if not any(line != other and line in other for other in lines)]
    licences = [d.licence for d in ordered] + [m for m in others.values() if m]
    return Credit(tuple(lines), tuple(dict.fromkeys(licences)))


def _licence_named(text_: str, known: Catalog) -> Licence | None:
    """The catalog's licence a source's licence text names (e.g. "Open Database License 1.0")."""
    words = text_.lower()
    for licence in known.licences.values():
        if licence.name.lower() in words or words in licence.name.lower():
            return licence
    return None
