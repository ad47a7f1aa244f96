"""Coverage of sources: what each import run of places claims to list completely — an extent
(areas by GSS code, or a shape), categories and years (docs/places.md, "Coverage").

A loader states its claim (``Claim``) and ``record`` stores it with the run, once: a claim equal
to one the source already made is not stored again, so a reload stays a no-op. The analyses read
the claims resolved onto small areas (analysis/coverage.py); the API lists them (/coverage).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection

from models.coverage import EXTENT_KINDS
from models.places import STATUS_YEARS
from places.sql import SQL

# A GSS code: a letter for the country, two digits for the entity, six for the instance.
GSS_CODE = re.compile(r"^[EWSNK]\d{8}$")
ENGLAND = "E92000001"


@dataclass(frozen=True)
class Claim:
    """``categories`` are listed completely in the extent in ``first_year`` … ``last_year``.
    The extent is ``area_codes`` (GSS codes) or ``shape`` (EWKT or hex EWKB of a polygon or box,
    any SRID: stored in EPSG:27700); ``basis`` says why, in words."""

    categories: tuple[str, ...]
    first_year: int
    last_year: int
    basis: str
    area_codes: tuple[str, ...] | None = None
    shape: str | None = None
    extent_kind: str = "area"

    def __post_init__(self):
        if self.extent_kind not in EXTENT_KINDS:
            raise ValueError(f"extent_kind {self.extent_kind!r} is not one of {list(EXTENT_KINDS)}")
        if (self.area_codes is None) == (self.shape is None):
            raise ValueError("a claim's extent is area_codes or a shape, one of them")
        if not self.categories or self.first_year > self.last_year:
            raise ValueError("a claim needs categories and first_year <= last_year")

    def years_in_range(self) -> Claim:
        """The claim cut to the years place_years resolves (a 2008 list still says 2010 nothing)."""
        first, last = max(self.first_year, STATUS_YEARS[0]), min(self.last_year, STATUS_YEARS[-1])
        return Claim(self.categories, first, max(first, last), self.basis, self.area_codes,
                     self.shape, self.extent_kind)


def record(conn: Connection, run_id: int, source: str, claim: Claim) -> bool:
    """Store ``claim`` for import run ``run_id`` of ``source`` unless the source already made the
    same claim (same categories, years and extent); True when stored."""
    claim = claim.years_in_range()
    return conn.execute(SQL.statement("record_coverage"), {
        "run": run_id, "source": source, "categories": sorted(set(claim.categories)),
        "first_year": claim.first_year, "last_year": claim.last_year, "extent_kind": claim.extent_kind,
        "area_codes": list(claim.area_codes) if claim.area_codes is not None else None,
        "shape": claim.shape, "basis": claim.basis}).rowcount > 0


def years_of(source: str) -> tuple[int, int] | None:
    """The year a source key says it is of (``gm-food-banks-2018`` → 2018), as a one-year span."""
    found = re.search(r"-([12][0-9]{3})$", source)
    return (int(found.group(1)),) * 2 if found else None
