"""What a load raises when an input file cannot be used, and where exactly: a published file
(loaders/), a manifest, the place overrides (places/identity.py). Shown by `kindmap` as one line."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LoadError(Exception):
    """The whole file is refused; the database is left unchanged."""

    message: str
    file: str | None = None
    location: str | None = None  # "row 12", "feature 3", "sheet 'RS LA Data', row 9"
    column: str | None = None

    def __str__(self) -> str:
        where = ", ".join(p for p in (self.file, self.location,
                                      f"column {self.column!r}" if self.column else None) if p)
        return f"{where}: {self.message}" if where else self.message
