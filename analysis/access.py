"""Access per small area to places of some categories as at a year (``analysis/sql/access.sql``).

Parameters in, rows out. Definitions and parameters follow pysal ``access`` so results compare
(docs/analysis.md): ``cumulative`` is its ``weighted_catchment``, ``fca2`` its ``two_stage_fca``,
``e2sfca`` its ``enhanced_two_stage_fca`` with step weights, ``gravity`` its
``weighted_catchment`` with a ``weights.gravity`` function.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import Connection, text

from analysis.defaults import RADIUS_M
from analysis.sql import binary_rows, sql, source

# pysal's default E2SFCA weights (access.enhanced_two_stage_fca: 1, 0.68, 0.22 at 10/20/30
# minutes), at a third, two thirds and all of the radius.
DEFAULT_STEP_WEIGHTS = (1.0, 0.68, 0.22)
DEFAULT_GRAVITY_ALPHA = -1.0
DEFAULT_GRAVITY_MIN_M = 100.0  # distances below count as 100 m: no infinite pull at 0 m
# A what-if is evaluated for the small areas within this distance of the places it changes: the
# 2SFCA, E2SFCA, gravity and count change only within the catchment, the nearest place of a
# small area further away than this changes only if its nearest place was further still.
SCENARIO_NEAR_M = 15_000.0
# From how many small areas in scope the nearest place is found set-based (Voronoi cells of the
# open places, ~0.15 s for all of England) rather than by one KNN probe per small area (~40 µs
# each: 1.4 s for England, a few ms for one authority). Measured in docs/benchmarks.md.
NEAREST_BY_CELLS_FROM = 1000
# What a place supplies in 2SFCA, E2SFCA, gravity and cumulative, beside its category's weight
# (access_ctes.sql).
Supply = Literal["places", "hours"]
SUPPLY_DESCRIPTION = (
    "What a place supplies in 2SFCA, E2SFCA, gravity and cumulative, times its category's weight: "
    "`places` (default), 1 each; `hours`, its weekly opening hours where a source states them, over "
    "the median week of its category's open places that do (1 where unknown). docs/analysis.md.")


@dataclass(frozen=True)
class AccessParams:
    """What to measure: which places, in which year, with which distances (metres)."""

    categories: tuple[str, ...]
    year: int
    # The weight of each category, beside `categories` (its supply in 2SFCA, E2SFCA, gravity and
    # cumulative, and its share of the gap index's access part); None: 1 each.
    category_weights: tuple[float, ...] | None = None
    supply: Supply = "places"  # what a place supplies beside its category's weight (SUPPLY_DESCRIPTION)
    radius_m: float = RADIUS_M
    catchment_m: float | None = None  # 2SFCA and cumulative catchment; default the radius
    steps: tuple[tuple[float, float], ...] | None = None  # E2SFCA (distance, weight); default above
    gravity_scale_m: float | None = None  # default the radius
    gravity_alpha: float = DEFAULT_GRAVITY_ALPHA
    gravity_min_m: float = DEFAULT_GRAVITY_MIN_M
    gravity_max_m: float | None = None  # default the catchment

    @property
    def weights(self) -> tuple[float, ...]:
        return self.category_weights or tuple(1.0 for _ in self.categories)

    @property
    def catchment(self) -> float:
        return self.catchment_m or self.radius_m

    @property
    def step_weights(self) -> tuple[tuple[float, float], ...]:
        if self.steps:
            return self.steps
        return tuple((self.catchment * (k + 1) / len(DEFAULT_STEP_WEIGHTS), w)
                     for k, w in enumerate(DEFAULT_STEP_WEIGHTS))

    def bind(self) -> dict:
        steps = sorted(self.step_weights)  # ascending: access_ctes.sql looks W(d) up by width_bucket
        return {
            "categories": list(self.categories), "year": self.year, "radius_m": self.radius_m,
            "category_weights": [float(w) for w in self.weights], "supply": self.supply,
            "catchment_m": self.catchment, "step_m": [m for m, _ in steps], "step_w": [w for _, w in steps],
            "gravity_scale_m": self.gravity_scale_m or self.radius_m, "gravity_alpha": self.gravity_alpha,
            "gravity_min_m": self.gravity_min_m, "gravity_max_m": self.gravity_max_m or self.catchment,
            "cells_from": NEAREST_BY_CELLS_FROM,
        }


@dataclass(frozen=True)
class Scope:
    """Which small areas: those whose code or parent is ``code``, inside loaded area
    ``area_id``, or inside a GeoJSON polygon (lon/lat); nothing set = every small area."""

    code: str | None = None
    area_id: int | None = None
    geojson: str | None = None

    def bind(self) -> dict:
        return {"scope_code": self.code, "scope_area_id": self.area_id, "scope_geojson": self.geojson}


@dataclass(frozen=True)
class WhatIf:
    """A scenario applied on the fly: places closed (ids) and places opened at (lon, lat) points."""

    closed_ids: tuple[int, ...] = ()
    opened: tuple[tuple[float, float], ...] = field(default_factory=tuple)

    def bind(self) -> dict:
        return {"closed_ids": list(self.closed_ids), "opened_lon": [p[0] for p in self.opened],
                "opened_lat": [p[1] for p in self.opened]}


ENGLAND = Scope()
AS_STORED = WhatIf()


ENGLAND_CODE = "E92000001"


def scope_of(conn: Connection, code: str) -> Scope | None:
    """The small areas of ``code``: England (E92000001: every one), an LSOA, LTLA, UTLA or region
    code they carry, else any loaded area (newest vintage) containing their origins; None when
    kindmap knows no such area."""
    if code == ENGLAND_CODE:
        return ENGLAND
    carried = conn.execute(text(
        "SELECT 1 FROM analysis_small_areas WHERE :code IN (code, ltla, utla, region) LIMIT 1"),
        {"code": code}).first()
    if carried:
        return Scope(code=code)
    area_id = conn.execute(text(
        "SELECT id FROM areas WHERE code = :code ORDER BY vintage DESC LIMIT 1"), {"code": code}).scalar()
    return Scope(area_id=area_id) if area_id is not None else None


def access_rows(conn: Connection, params: AccessParams, scope: Scope = ENGLAND,
                what_if: WhatIf = AS_STORED) -> list:
    """One row per small area in scope: its code, nearest place and the access scores (access.sql),
    as named tuples (fetched in binary: England's 32,848 rows carry five floats each)."""
    return binary_rows(conn, sql("access"), params.bind() | scope.bind() | what_if.bind())


def gap_features(conn: Connection, params: AccessParams, scope: Scope, gap: dict,
                 what_if: WhatIf = AS_STORED) -> str:
    """The GeoJSON Features (comma-separated text, built by PostGIS) of the small areas in scope;
    ``gap`` binds the gap index's own parameters (analysis.gap_index.score_parameters)."""
    return conn.execute(sql("gaps"), gap | params.bind() | scope.bind() | what_if.bind()).scalar()


def layer_parameters(params: AccessParams, scope: Scope, gap: dict) -> dict:
    """What small_area_layer.sql (the collection ``small_areas`` in app/collections.py) binds:
    the access parameters, the scope and the gap index's (analysis.gap_index.score_parameters)."""
    return gap | params.bind() | scope.bind() | AS_STORED.bind()


def summary(conn: Connection, params: AccessParams, scope: Scope, what_if: WhatIf = AS_STORED) -> str:
    """Roll-ups of the small areas in scope, all and per IMD decile, as JSON text."""
    return conn.execute(sql("summary"), params.bind() | scope.bind() | what_if.bind()).scalar()


def scenario(conn: Connection, params: AccessParams, what_if: WhatIf, scope: Scope | None = None) -> str:
    """The effect of ``what_if`` on the small areas in ``scope`` (default: those within
    SCENARIO_NEAR_M of the changed places), as JSON text. Only temporary tables are written."""
    if scope is None:
        near = conn.execute(sql("scenario_reach"), what_if.bind() | {"near_m": SCENARIO_NEAR_M}).scalar()
        scope = Scope(geojson=near)
    for table, applied in (("scenario_before", AS_STORED), ("scenario_after", what_if)):
        conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        conn.execute(text(f"CREATE TEMPORARY TABLE {table} ON COMMIT DROP AS {source('access')}"),
                     params.bind() | scope.bind() | applied.bind())
    return conn.execute(sql("scenario_effect")).scalar()
