"""One FastAPI dependency per query parameter: parsed, validated, described for OpenAPI."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BeforeValidator

from app.errors import ApiError
from app.settings import api_settings
from models import AREA_LEVELS
from models.categories import CATEGORIES, STATUSES
from models.vintages import normalise_vintage


INTEGER = re.compile(r"-?[0-9]{1,18}")
NUMBER = re.compile(r"[-+]?[0-9]{1,20}(\.[0-9]{0,20})?([eE][-+]?[0-9]{1,3})?")


def _ascii_integer(value):
    """Plain ASCII digits only: Python and pydantic also read '1_000', ' 12 ', '+5', '12.0' and
    other scripts' digits as numbers, which no client means to send."""
    if isinstance(value, str) and not INTEGER.fullmatch(value):
        raise ValueError(f"not a whole number: {value!r}")
    return value


# The type of every integer query parameter: strict grammar, so PostgreSQL always holds it.
Integer = Annotated[int, BeforeValidator(_ascii_integer)]


def number(name: str, raw: str) -> float:
    """A decimal number in plain ASCII (optionally with an exponent), else 400 naming ``name``."""
    if not NUMBER.fullmatch(raw.strip()):
        raise ApiError(400, f"{name}: not a number: {raw!r}", name)
    return float(raw)


@dataclass(frozen=True)
class BBox:
    minx: float
    miny: float
    maxx: float
    maxy: float


def bbox(
    bbox: Annotated[str | None, Query(
        description="Only features intersecting this box: `minLon,minLat,maxLon,maxLat` in WGS84 "
                    "(CRS84), e.g. `-0.9,52.5,-0.4,52.8`.")] = None,
) -> BBox | None:
    if bbox is None:
        return None
    values = [number("bbox", p) for p in bbox.split(",")]
    if len(values) != 4:
        raise ApiError(400, f"bbox must have 4 numbers (2D), got {len(values)}", "bbox")
    minx, miny, maxx, maxy = values
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90):
        raise ApiError(400, "bbox is outside longitude -180..180 / latitude -90..90", "bbox")
    if minx > maxx or miny > maxy:
        raise ApiError(400, "bbox minimum must not exceed its maximum", "bbox")
    return BBox(minx, miny, maxx, maxy)


def limit(
    limit: Annotated[Integer | None, Query(
        ge=1, le=api_settings().max_limit,
        description="Features per page (1 to KINDMAP_MAX_LIMIT, default KINDMAP_DEFAULT_LIMIT).")] = None,
) -> int:
    return api_settings().default_limit if limit is None else limit


def offset(
    offset: Annotated[Integer, Query(ge=0, le=api_settings().max_offset,
                                     description="Features to skip before the first returned (paging).")] = 0,
) -> int:
    return offset


def _list(raw: str | None) -> list[str] | None:
    """A comma-separated parameter as its non-blank values (None when absent)."""
    return [v.strip() for v in raw.split(",") if v.strip()] if raw else None


def _choices(name: str, raw: str | None, allowed) -> list[str] | None:
    if raw is None:
        return None
    values = _list(raw) or []
    unknown = [v for v in values if v not in allowed]
    if unknown or not values:
        raise ApiError(400, f"{name} {unknown or raw!r} unknown; allowed: {', '.join(allowed)}", name)
    return values


def category(
    category: Annotated[str | None, Query(
        description="Places: one or more categories, comma-separated: " + ", ".join(CATEGORIES))] = None,
) -> list[str] | None:
    return _choices("category", category, CATEGORIES)


def status(
    status: Annotated[str | None, Query(
        description="Places: one or more statuses, comma-separated: " + ", ".join(STATUSES))] = None,
) -> list[str] | None:
    return _choices("status", status, STATUSES)


def source(
    source: Annotated[str | None, Query(
        description="Places: one or more source keys, comma-separated (e.g. dcms-libraries-2016, osm).")] = None,
) -> list[str] | None:
    return _list(source)


def level(
    level: Annotated[str | None, Query(
        description="Areas: one or more levels, comma-separated: " + ", ".join(AREA_LEVELS))] = None,
) -> list[str] | None:
    return _choices("level", level, AREA_LEVELS)


def vintage(
    vintage: Annotated[str | None, Query(
        description="Areas: boundary vintage YYYY-MM, e.g. 2023-12; a bare year means December "
                    "(2021 = 2021-12).")] = None,
) -> list[str] | None:
    if not vintage:
        return None
    try:
        return [normalise_vintage(vintage)]
    except ValueError as error:
        raise ApiError(400, str(error), "vintage")


def code(
    code: Annotated[str | None, Query(description="Areas: one or more GSS codes, comma-separated.")] = None,
) -> list[str] | None:
    return _list(code)


def output_format(
    f: Annotated[Literal["json", "geojson"] | None, Query(
        description="Output format: json (the default; GeoJSON for items).")] = None,
) -> str:
    return "json"
