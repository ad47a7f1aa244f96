"""Closures over time: which places closed between two years, who lost every place within reach,
and how coverage changed per authority and per IMD decile (``analysis/sql/closures.sql``).

Computed on demand from ``place_years`` (docs/places.md#status-by-year-place_years) and the
small-area base (docs/analysis.md#the-small-area-base-analysis_small_areas): the inputs
(categories, two years, radius, area) are free, so nothing is materialised.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection, text

from analysis import prepare
from analysis.defaults import RADIUS_M
from analysis.sql import sql

ENGLAND = "E92000001"


@dataclass(frozen=True)
class ClosuresParams:
    categories: tuple[str, ...]
    from_year: int
    to_year: int
    radius_m: float = RADIUS_M
    area: str | None = None  # an LSOA, LTLA, UTLA or region code of the base; None = England


def area_known(conn: Connection, area: str) -> bool:
    """England, a small area of the base, or a 2023 LTLA, UTLA or region of area_hierarchy."""
    return area == ENGLAND or conn.execute(text("""
        SELECT 1 FROM analysis_small_areas WHERE code = :area
        UNION ALL SELECT 1 FROM area_hierarchy WHERE :area IN (ltla, utla, region) LIMIT 1"""),
        {"area": area}).first() is not None


def closures(conn: Connection, params: ClosuresParams) -> str:
    """The closed places as a GeoJSON FeatureCollection, with ``summary``, ``by_imd_decile``,
    ``by_ltla`` and ``by_utla`` coverage figures, as JSON text built by PostGIS. Runs in the
    caller's transaction."""
    prepare(conn)
    area = None if params.area == ENGLAND else params.area
    echo = {"area": area or ENGLAND, "categories": list(params.categories), "from": params.from_year,
            "to": params.to_year, "radius_m": params.radius_m}
    return conn.execute(sql("closures"), {
        "area": area, "categories": list(params.categories), "loss_from": params.from_year,
        "year": params.to_year, "radius_m": params.radius_m,
        "parameters": json.dumps(echo)}).scalar_one()
