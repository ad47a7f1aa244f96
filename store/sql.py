"""The one reader of ``.sql`` files: every package keeps its SQL in ``<package>/sql/<name>.sql``
beside the thin Python that runs it, and reads it through a ``SqlFiles`` of that directory.

A file may include another's text with ``{{other}}`` (a CTE or fragment several statements
share, written once); ``{{other(alias)}}`` fills the fragment's ``{r}`` with ``alias`` (a row of
the enclosing query). An include is looked up in the file's own directory, then in the
directories the reader was given to search (a lower room's: edits include places' place_years).
Included text loses its comment lines and final semicolon, so it can sit inside a statement.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from sqlalchemy import TextClause, text

INCLUDE = re.compile(r"\{\{(\w+)(?:\((\w+)\))?\}\}")
STATEMENT_END = re.compile(r";\s*$", re.MULTILINE)


def without_comments(sql: str) -> str:
    """``sql`` without its whole-line comments (they may name placeholders a template fills)."""
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))


class SqlFiles:
    """The ``.sql`` files of one directory; ``searched``: further readers includes may name."""

    def __init__(self, directory: Path, *searched: SqlFiles):
        self.directory = directory
        self.searched = searched

    @classmethod
    def beside(cls, module_file: str, *searched: SqlFiles) -> SqlFiles:
        """The ``sql/`` directory beside the module ``module_file`` (pass ``__file__``)."""
        return cls(Path(module_file).resolve().parent / "sql", *searched)

    def path(self, name: str) -> Path:
        return self.directory / f"{name}.sql"

    def _owner(self, name: str) -> SqlFiles:
        if self.path(name).is_file():
            return self
        for other in self.searched:
            if other.path(name).is_file():
                return other
        raise FileNotFoundError(f"no {name}.sql in {self.directory} or the directories it searches")

    @cache
    def text(self, name: str) -> str:
        """The text of ``<name>.sql`` with every ``{{include}}`` replaced by its file's text."""
        return INCLUDE.sub(self._included, self.path(name).read_text())

    def _included(self, match: re.Match) -> str:
        body = without_comments(self._owner(match[1]).text(match[1])).strip().rstrip(";").rstrip()
        return body.replace("{r}", match[2]) if match[2] else body

    @cache
    def statement(self, name: str) -> TextClause:
        """The statement in ``<name>.sql``, ready to execute with bound parameters."""
        return text(self.text(name))

    @cache
    def template(self, name: str) -> str:
        """``<name>.sql`` without its comment lines: a template whose ``{placeholders}`` the
        caller fills with SQL the registry fixes (never a request's text)."""
        return without_comments(self.text(name))

    def statements(self, name: str) -> list[str]:
        """The file's statements, in order (each ends with a semicolon at the end of a line)."""
        return [s for s in (part.strip() for part in STATEMENT_END.split(self.text(name)))
                if s and without_comments(s).strip()]
