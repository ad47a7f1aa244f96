"""Coverage in the analyses: which categories are known in each small area and year
(``analysis_coverage``, rebuilt by the refresh step ``coverage`` from the import runs' claims,
models/coverage.py), and the check an analysis runs before it computes anything: a request whose
categories are covered nowhere in its selection is refused (docs/analysis.md, "Coverage").

Every measure of a category is computed only for the small areas inside its coverage for the
year asked; outside it is null with the reason ``not_covered`` (access_ctes.sql ``counted``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection, text

from analysis import step
from analysis.sql import source, sql

TABLES = ("coverage", "analysis_small_areas", "areas", "analysis_coverage", "analysis_coverage_extents")


@step("coverage", TABLES)
def refresh_coverage(conn: Connection) -> int:
    """Resolve every coverage claim onto the small-area origins, and its extent into a map shape."""
    conn.execute(text("DELETE FROM analysis_coverage"))
    conn.execute(text("DELETE FROM analysis_coverage_extents"))
    first, everywhere = source("coverage_small_areas").split(";\n", 1)
    written = conn.execute(text(first)).rowcount
    conn.execute(text(everywhere))
    conn.execute(text("ANALYZE analysis_coverage"))
    conn.execute(sql("coverage_extents"))
    return written


@dataclass(frozen=True)
class Known:
    """What coverage says of a request: the categories covered somewhere in its selection in every
    year it needs, and, for each category asked, the years it is covered anywhere in England."""

    covered: tuple[str, ...]
    known_years: dict[str, list[int]]
    empty: bool = False  # the selection holds no small area: nothing to compute, nothing unknown

    def missing(self, categories: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(c for c in categories if c not in self.covered)

    def explain(self, categories: tuple[str, ...], years: tuple[int, ...], where: str) -> str:
        """Why nothing can be computed: where and when each category is known instead."""
        said = "/".join(str(y) for y in years)
        known = "; ".join(f"{c}: " + (_spans(self.known_years[c]) if self.known_years.get(c) else "nowhere")
                          for c in categories)
        return (f"categories {', '.join(categories)} not covered {where} in {said}: no source lists them "
                f"completely there then, so every figure would be unknown (not a gap). Covered "
                f"(years, somewhere in England) — {known}. GET /coverage lists the sources.")


def _spans(years: list[int]) -> str:
    runs, start = [], None
    for i, y in enumerate(years):
        if start is None:
            start = y
        if i + 1 == len(years) or years[i + 1] != y + 1:
            runs.append(str(start) if start == y else f"{start}–{y}")
            start = None
    return ", ".join(runs)


def known(conn: Connection, categories: tuple[str, ...], years: tuple[int, ...], scope: dict) -> Known:
    """The categories covered in at least one small area of ``scope`` (access_scope.sql's binds)
    in every one of ``years``; one indexed read of analysis_coverage."""
    row = conn.execute(sql("coverage_known"), {"utlas": None, "regions": None} | scope | {
        "categories": list(categories), "years": list(years)}).one()
    return Known(tuple(row.covered or ()), json.loads(row.known_years or "{}"), not row.any_small_area)


class NotCovered(Exception):
    """No category asked is known anywhere in the selection in the years asked: nothing to compute
    (the API answers 400 naming ``parameter``, with where and when each category is known)."""

    def __init__(self, detail: str, parameter: str, known_years: dict[str, list[int]]):
        super().__init__(detail)
        self.detail, self.parameter, self.known_years = detail, parameter, known_years


def require(conn: Connection, categories: tuple[str, ...], years: tuple[int, ...], scope: dict,
            where: str, parameter: str = "categories") -> Known:
    """``known`` for the request, or NotCovered when none of its categories is covered in scope
    (a scope without small areas is answered as before: empty, not unknown)."""
    found = known(conn, categories, years, scope)
    if not found.covered and not found.empty:
        raise NotCovered(found.explain(categories, years, where), parameter, found.known_years)
    return found


def listing(conn: Connection, category: str | None, year: int | None, geojson: bool) -> str:
    """Every claim of ``category`` covering ``year`` (None: any) as JSON or GeoJSON text (GET /coverage)."""
    return conn.execute(sql("coverage_list"), {"category": category, "year": year, "geojson": geojson}).scalar()
