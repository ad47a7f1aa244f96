"""Which features a request selects — bbox, plain filters, datetime, CQL2 — as ONE SQL WHERE clause.

Items, counts, downloads and tiles all call ``where``, so a filter means the same everywhere.
Identifiers come from the registry; every value is a bound parameter.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Depends

from app import cql, crs as crs_
from app import dependencies as dep
from app.collections import Collection
from app.errors import ApiError


@dataclass(frozen=True)
class Selection:
    bbox: dep.BBox | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)
    datetime: dep.YearSpan | None = None
    filter: dep.Filter | None = None
    bound: dict = field(default_factory=dict)  # what a computed collection's query binds (its parameters)

    @property
    def everything(self) -> bool:
        return not (self.bbox or self.filters or self.datetime or self.filter)


async def selection(bbox: dep.BBox | None = Depends(dep.bbox),
              filters: dict[str, list[str]] = Depends(dep.property_filters),
              datetime: dep.YearSpan | None = Depends(dep.datetime),
              filter: dep.Filter | None = Depends(dep.filter_)) -> Selection:
    return Selection(bbox, filters, datetime, filter)


def where(collection: Collection, chosen: Selection) -> tuple[str, dict]:
    """SQL over the alias ``t`` and its bound parameters; 400 naming the parameter at fault."""
    clauses, params = ["true"], dict(chosen.bound)
    if chosen.bbox:
        if collection.geometry is None:
            raise ApiError(400, f"bbox: {collection.id} has no geometry", "bbox")
        box = chosen.bbox
        stored, envelope = crs_.matching(
            collection, box.crs, f"ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, {box.crs.srid})")
        # A point meets a box drawn in its own CRS exactly when it is within the box's bounds, which
        # `&&` tests on the index alone; ST_Intersects is costed so high per row that the planner
        # sent a page of 100 places to parallel workers (30 ms to start them, 1 ms to answer).
        rectangle = not envelope.startswith("ST_Transform")
        clauses.append(f"{stored} && {envelope}" if collection.geometry.type == "Point" and rectangle
                       else f"ST_Intersects({stored}, {envelope})")
        params.update(minx=box.minx, miny=box.miny, maxx=box.maxx, maxy=box.maxy)
    for name, values in chosen.filters.items():
        prop = collection.filters.get(name)
        if prop is None:
            raise ApiError(400, f"{name!r} is not a filter of {collection.id}; filters: "
                           f"{', '.join(collection.filters) or 'none'}", name)
        if prop.normalise:
            try:
                values = [prop.normalise(v) for v in values]
            except ValueError as error:
                raise ApiError(400, f"{name}: {error}", name) from None
        unknown = [v for v in values if prop.enum and v not in prop.enum]
        if unknown or not values:
            allowed = f"; allowed: {', '.join(prop.enum)}" if prop.enum else ""
            raise ApiError(400, f"{name} {unknown or 'empty'!r} unknown{allowed}", name)
        clauses.append(f"{prop.sql} = ANY(:f_{name})")
        params[f"f_{name}"] = values
    if chosen.datetime:
        span = collection.temporal
        if span is None:
            raise ApiError(400, f"datetime: {collection.id} has no time span", "datetime")
        if span.within:
            clauses.append(span.within)
            params["dt_start"] = span.bounds[0] if chosen.datetime.start is None else chosen.datetime.start
            params["dt_end"] = span.bounds[1] if chosen.datetime.end is None else chosen.datetime.end
        else:
            if chosen.datetime.end is not None:
                clauses.append(f"({span.start} IS NULL OR {span.start} <= :dt_end)")
                params["dt_end"] = chosen.datetime.end
            if chosen.datetime.start is not None:
                clauses.append(f"({span.end} IS NULL OR {span.end} >= :dt_start)")
                params["dt_start"] = chosen.datetime.start
    if chosen.filter:
        compiler = cql.Compiler(collection, chosen.filter.crs)
        clauses.append(compiler.sql(chosen.filter.tree))
        params.update(compiler.params)
    return " AND ".join(clauses), params
