"""One FastAPI dependency per query parameter: parsed, validated, described for OpenAPI.

Values that depend on the collection (a property name, a filter's vocabulary, a CQL2 property)
are checked against the registry when the query is built (app/selection.py); here each parameter
gets its grammar and its real type in the OpenAPI document.

Every dependency that only parses is ``async def``: FastAPI runs it on the event loop, where a
plain ``def`` costs a hop through the thread pool and back — one per parameter, 16 per items
request, each queued behind every other request's under load (the tail of a wrk run). The
route itself, which waits on the database, stays ``def`` (one hop).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from fastapi import Depends, Query, Request
from pydantic import BeforeValidator

from app import cql
from app import crs as crs_
from app.collections import COLLECTIONS
from app.errors import ApiError
from store.settings import api_settings

INTEGER = re.compile(r"-?[0-9]{1,19}")
NUMBER = re.compile(r"[-+]?[0-9]{1,20}(\.[0-9]{0,20})?([eE][-+]?[0-9]{1,3})?")
_NUMBER = r"[-+]?[0-9]{1,20}(\.[0-9]{0,20})?([eE][-+]?[0-9]{1,2})?"  # NUMBER's, within a double
BBOX_PATTERN = rf"^{_NUMBER}(,{_NUMBER}){{3}}$"
NAME_LIST_PATTERN = r"^[+-]?[A-Za-z_][A-Za-z0-9_]*(,[+-]?[A-Za-z_][A-Za-z0-9_]*)*$"
YEAR = re.compile(r"([0-9]{4})(-[0-9]{2}(-[0-9]{2}([Tt ].*)?)?)?")
# What `datetime` takes, as the document says it: an instant (a year, a month, a day or an RFC 3339
# time) or an interval of two, either end open (`..` or empty). (That the day is a real one and that
# the interval does not end before it starts, a pattern does not say.)
_INSTANT = r"[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01])([Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?([Zz]|[+-][01][0-9]:[0-5][0-9])?)?)?)?"
DATETIME_PATTERN = rf"^{_INSTANT}$|^({_INSTANT}|\.\.|)/({_INSTANT}|\.\.|)$"
CRS_DESCRIPTION = "; ".join(crs_.SUPPORTED)
# What a CRS parameter takes, as the document says: the URIs and their short names (crs_.parse
# also reads a URI in <…> and the short names in any case).
CRS_VALUES = {"enum": [*crs_.SUPPORTED, *crs_.ALIASES]}


def _ascii_integer(value):
    """Plain ASCII digits only: Python and pydantic also read '1_000', ' 12 ', '+5', '12.0' and
    other scripts' digits as numbers, which no client means to send."""
    if isinstance(value, str) and not INTEGER.fullmatch(value):
        raise ValueError(f"not a whole number: {value!r}")
    return value


# The type of every integer query parameter: strict grammar, so PostgreSQL always holds it.
Integer = Annotated[int, BeforeValidator(_ascii_integer)]


def _ascii_number(value):
    """A decimal number in plain ASCII, as ``number`` reads it (no 'nan', 'inf', '1_000')."""
    if isinstance(value, str) and not NUMBER.fullmatch(value):
        raise ValueError(f"not a number: {value!r}")
    return value


# The type of every number query parameter, documented as a number with its bounds (``ge``/``le``
# on the Query), so the document says which values the server takes.
Number = Annotated[float, BeforeValidator(_ascii_number)]


def number(name: str, raw: str) -> float:
    """A decimal number in plain ASCII (optionally with an exponent), else 400 naming ``name``."""
    if not NUMBER.fullmatch(raw.strip()):
        raise ApiError(400, f"{name}: not a number: {raw!r}", name)
    value = float(raw)
    if not math.isfinite(value):  # 1e999
        raise ApiError(400, f"{name}: {raw!r} is beyond a double's range", name)
    return value


@dataclass(frozen=True)
class BBox:
    minx: float
    miny: float
    maxx: float
    maxy: float
    crs: crs_.Crs = crs_.CRS84     # the numbers are in this CRS, in its axis order


async def bbox_crs(
    bbox_crs: Annotated[str | None, Query(
        alias="bbox-crs", description=f"CRS of `bbox` (default CRS84): {CRS_DESCRIPTION}",
        json_schema_extra=CRS_VALUES)] = None,
) -> crs_.Crs:
    return crs_.parse("bbox-crs", bbox_crs)


async def bbox(
    bbox: Annotated[str | None, Query(
        pattern=BBOX_PATTERN,
        description="Only features intersecting this box: `minLon,minLat,maxLon,maxLat` in CRS84 "
                    "(e.g. `-0.9,52.5,-0.4,52.8`), or in `bbox-crs` in its axis order "
                    "(EPSG:4326: `minLat,minLon,maxLat,maxLon`; EPSG:27700: eastings, northings).",
        json_schema_extra={"example": "-0.9,52.5,-0.4,52.8"})] = None,
    crs: crs_.Crs = Depends(bbox_crs),
) -> BBox | None:
    if bbox is None:
        return None
    values = [number("bbox", p) for p in bbox.split(",")]
    if len(values) != 4:
        raise ApiError(400, f"bbox must have 4 numbers (2D), got {len(values)}", "bbox")
    minx, miny, maxx, maxy = values
    if crs.geographic:
        lon, lat = ((miny, maxy), (minx, maxx)) if crs.lat_first else ((minx, maxx), (miny, maxy))
        if not (all(-180 <= v <= 180 for v in lon) and all(-90 <= v <= 90 for v in lat)):
            raise ApiError(400, "bbox is outside longitude -180..180 / latitude -90..90", "bbox")
    if minx > maxx or miny > maxy:
        raise ApiError(400, "bbox minimum must not exceed its maximum", "bbox")
    return BBox(minx, miny, maxx, maxy, crs)


async def limit(
    limit: Annotated[Integer | None, Query(
        ge=1, le=api_settings().max_limit,
        description="Features per page (1 to KINDMAP_MAX_LIMIT, default KINDMAP_DEFAULT_LIMIT). "
                    "Downloads (csv, geojsonseq, gpkg) without a limit hold every feature.")] = None,
) -> int | None:
    return limit


async def offset(
    offset: Annotated[Integer, Query(ge=0, le=api_settings().max_offset,
                                     description="Features to skip before the first returned (paging).")] = 0,
) -> int:
    return offset


async def crs(
    crs: Annotated[str | None, Query(
        description=f"CRS of the geometries returned (default CRS84): {CRS_DESCRIPTION}",
        json_schema_extra=CRS_VALUES)] = None,
) -> crs_.Crs:
    return crs_.parse("crs", crs)


@dataclass(frozen=True)
class YearSpan:
    start: int | None
    end: int | None


def _year(raw: str) -> int | None:
    if raw in ("..", ""):
        return None
    match = YEAR.fullmatch(raw)
    if not match:
        raise ApiError(400, f"datetime: {raw!r} is not a date (YYYY, YYYY-MM-DD or RFC 3339)", "datetime")
    if match.group(2) and match.group(3):
        try:
            date.fromisoformat(raw[:10])
        except ValueError:
            raise ApiError(400, f"datetime: {raw[:10]!r} is not a real date", "datetime") from None
    return int(match.group(1))


async def datetime(
    datetime: Annotated[str | None, Query(
        pattern=DATETIME_PATTERN,
        description="Only features whose time span meets this instant or interval "
                    "(`2018`, `2018-06-30`, `2015/2019`, `../2012`, `2020-01-01T00:00:00Z/..`). "
                    "The data are yearly, so instants count by their year.")] = None,
) -> YearSpan | None:
    if datetime is None:
        return None
    parts = datetime.split("/")
    if len(parts) > 2:
        raise ApiError(400, "datetime: an instant or one interval `start/end`", "datetime")
    span = YearSpan(_year(parts[0]), _year(parts[-1]))
    if span.start is not None and span.end is not None and span.start > span.end:
        raise ApiError(400, "datetime: the interval ends before it starts", "datetime")
    return span


@dataclass(frozen=True)
class Filter:
    tree: object
    crs: crs_.Crs


async def filter_(
    filter: Annotated[str | None, Query(
        description="A CQL2 filter over the collection's queryables "
                    "(`/collections/{collectionId}/queryables`), e.g. "
                    "`category = 'library' AND opened_year BETWEEN 1990 AND 2000` or "
                    "`S_INTERSECTS(geometry, POLYGON((-1 52, 0 52, 0 53, -1 53, -1 52)))`.")] = None,
    filter_lang: Annotated[Literal["cql2-text", "cql2-json", "cql-text"], Query(
        alias="filter-lang", description="Language of `filter`. `cql-text` (the draft's name, which "
                                         "GDAL's OAPIF driver looks for) is read as cql2-text.")] = "cql2-text",
    filter_crs: Annotated[str | None, Query(
        alias="filter-crs", description=f"CRS of geometries in `filter` (default CRS84): {CRS_DESCRIPTION}",
        json_schema_extra=CRS_VALUES)] = None,
) -> Filter | None:
    crs = crs_.parse("filter-crs", filter_crs)  # refused when not served, with a filter or without
    if filter is None:
        return None
    language = "cql2-text" if filter_lang == "cql-text" else filter_lang
    return Filter(cql.parse(filter, language), crs)


async def properties(
    properties: Annotated[str | None, Query(
        pattern=r"^([A-Za-z_][A-Za-z0-9_]*(,[A-Za-z_][A-Za-z0-9_]*)*)?$",
        description="Only these properties, comma-separated (empty: none).")] = None,
) -> list[str] | None:
    return None if properties is None else _list(properties) or []


async def sortby(
    sortby: Annotated[str | None, Query(
        pattern=NAME_LIST_PATTERN,
        description="Sort keys, comma-separated, `-` before a key for descending, e.g. "
                    "`-opened_year,name`. Ties are broken by id so paging is stable.")] = None,
) -> list[tuple[str, bool]] | None:
    if sortby is None:
        return None
    return [(key.lstrip("+-"), key.startswith("-")) for key in _list(sortby) or []]


def _list(raw: str | None) -> list[str] | None:
    """A comma-separated parameter as its non-blank values (None when absent)."""
    return [v.strip() for v in raw.split(",") if v.strip()] if raw else None


def _property_filter_descriptions() -> dict[str, str]:
    """Each registry filter name, described with its collections and vocabulary."""
    described: dict[str, list[str]] = {}
    vocabularies: dict[str, set[str]] = {}
    for c in COLLECTIONS.values():
        for name, prop in c.filters.items():
            described.setdefault(name, []).append(c.id)
            vocabularies.setdefault(name, set()).update(prop.enum or ())
    descriptions = {}
    for name, ids in described.items():
        descriptions[name] = f"{', '.join(ids)}: only these values of `{name}`, comma-separated"
        if vocabularies[name]:
            descriptions[name] += ": " + ", ".join(sorted(vocabularies[name]))
    return descriptions


PROPERTY_FILTERS = _property_filter_descriptions()


async def property_filters(request: Request) -> dict[str, list[str]]:
    """The registry's plain filters given (`?category=library,village_hall`), as value lists.

    Read from the query string here, not declared as FastAPI parameters: FastAPI checks each
    declared parameter on every request, given or not, and these are 19 names (a third of an items
    request's CPU in the event loop went to resolving its parameters). Every route that takes a
    selection documents them with ``openapi_extra=filter_parameters()``."""
    given = request.query_params
    return {name: _list(given[name]) or [] for name in PROPERTY_FILTERS if name in given}


def filter_parameters(collection_id: str | None = None) -> dict:
    """The plain filters as OpenAPI query parameters, for a route's ``openapi_extra``: those of
    ``collection_id`` with the grammar of their values, or (a route of every collection) the
    union of all, which the document then splits into one path per collection
    (app/routers/ogc_features.py: ``concrete_collection_paths``)."""
    if collection_id is None:
        return {"parameters": [{"name": name, "in": "query", "required": False, "description": text,
                                "schema": {"type": "string", "description": text,
                                           "title": name.replace("_", " ").title()}}
                               for name, text in PROPERTY_FILTERS.items()]}
    filters = COLLECTIONS[collection_id].filters
    return {"parameters": [{"name": name, "in": "query", "required": False,
                            "description": prop.description or PROPERTY_FILTERS[name],
                            "schema": {"type": "string", "pattern": filter_pattern(prop),
                                       "title": name.replace("_", " ").title()}}
                           for name, prop in filters.items()]}


# A value a filter takes without a vocabulary: any text with something besides spaces and commas.
ANY_VALUE = r"[^,\x00-\x1f\x7f]*[^\s,\x00-\x1f\x7f][^,\x00-\x1f\x7f]*"


def one_of(names) -> str:
    """A regular expression (no anchors) matching exactly one of ``names``."""
    return "(" + "|".join(re.escape(n) for n in names) + ")"


def filter_pattern(prop) -> str:
    """What a plain filter takes: comma-separated values of its vocabulary or spelling."""
    value = one_of(prop.enum) if prop.enum else prop.spelling or ANY_VALUE
    return f"^ *{value} *(, *{value} *)*$"


async def output_format(
    f: Annotated[Literal["json", "geojson"] | None, Query(
        description="Output format: json (the default; GeoJSON for items).")] = None,
) -> str:
    return "json"
