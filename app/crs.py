"""Coordinate reference systems served (OGC API Features Part 2): CRS84, EPSG:4326, EPSG:27700.

Reprojection happens in PostGIS; where a collection stores a British National Grid copy
(`geom_27700`, kept in step by PostgreSQL) that column is read and its own index used, so a
27700 bbox or output costs no transform. EPSG:4326 is latitude first (its axis order as the EPSG
registry defines it), CRS84 longitude first; both are the stored WGS84 geometry.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache

from pyproj import CRS as ProjCrs, Transformer

from app.collections import Collection
from app.errors import ApiError


@dataclass(frozen=True)
class Crs:
    uri: str
    srid: int
    lat_first: bool = False      # axis order latitude, longitude (EPSG:4326)
    decimals: int = 6            # coordinate precision of the output: ~0.1 m either way

    @property
    def geographic(self) -> bool:
        return self.srid == 4326


CRS84 = Crs("http://www.opengis.net/def/crs/OGC/1.3/CRS84", 4326)
EPSG_4326 = Crs("http://www.opengis.net/def/crs/EPSG/0/4326", 4326, lat_first=True)
BNG = Crs("http://www.opengis.net/def/crs/EPSG/0/27700", 27700, decimals=1)
SUPPORTED = {c.uri: c for c in (CRS84, EPSG_4326, BNG)}
# Short names clients also send (QGIS and GDAL send the URIs; people type these).
ALIASES = {"CRS84": CRS84, "OGC:CRS84": CRS84, "EPSG:4326": EPSG_4326, "EPSG:27700": BNG}


def parse(name: str, raw: str | None) -> Crs:
    """The CRS named by a `crs`, `bbox-crs` or `filter-crs` value (CRS84 when absent)."""
    if raw is None:
        return CRS84
    crs = SUPPORTED.get(raw.strip("<>")) or ALIASES.get(raw.upper())
    if crs is None:
        raise ApiError(400, f"{name} {raw!r} is not served; use one of: {', '.join(SUPPORTED)}", name)
    return crs


def column(collection: Collection, srid: int) -> str:
    """The collection's geometry in ``srid``: the stored column when there is one."""
    geometry = collection.geometry
    if srid == 27700 and geometry.column_27700:
        return f"t.{geometry.column_27700}"
    if srid == 4326:
        return f"t.{geometry.column}"
    return f"ST_Transform(t.{geometry.column}, {int(srid)})"


def output(collection: Collection, crs: Crs) -> str:
    """SQL of the geometry as written in the response, axes in the CRS's order."""
    geometry = column(collection, crs.srid)
    return f"ST_FlipCoordinates({geometry})" if crs.lat_first else geometry


def matching(collection: Collection, crs: Crs, shape_sql: str) -> tuple[str, str]:
    """(stored geometry, shape) in one SRID for a spatial predicate, so the predicate uses an
    index: the stored column in the shape's CRS where stored, else the shape moved to 4326.
    ``shape_sql`` is SQL of a geometry in ``crs`` with its axes in the CRS's order."""
    shape = f"ST_FlipCoordinates({shape_sql})" if crs.lat_first else shape_sql
    if crs.srid == 4326 or (crs.srid == 27700 and collection.geometry.column_27700):
        return column(collection, crs.srid), shape
    return column(collection, 4326), f"ST_Transform({shape}, 4326)"


@lru_cache
def _to_lonlat(srid: int) -> Transformer:
    return Transformer.from_crs(srid, 4326, always_xy=True)


def covering_polygon(left: float, bottom: float, right: float, top: float, srid: int,
                     margin: float = 0.02, points_per_side: int = 16) -> str | None:
    """A GeoJSON polygon (lon, lat) that covers the box given in ``srid`` (x first), grown by
    ``margin`` of its size: its sides are densified before moving, so the straight edges a
    later transform draws between the moved vertices still enclose the whole box."""
    dx, dy = (right - left) * margin, (top - bottom) * margin
    left, bottom, right, top = left - dx, bottom - dy, right + dx, top + dy
    steps = [k / points_per_side for k in range(points_per_side)]
    ring = ([(left + (right - left) * s, bottom) for s in steps] + [(right, bottom + (top - bottom) * s) for s in steps]
            + [(right - (right - left) * s, top) for s in steps] + [(left, top - (top - bottom) * s) for s in steps])
    xs, ys = _to_lonlat(srid).transform([x for x, _ in ring], [y for _, y in ring])
    if not all(map(math.isfinite, xs + ys)):
        return None  # outside where ``srid`` is defined: no box to cover
    coordinates = [[round(x, 7), round(y, 7)] for x, y in zip(xs, ys)]
    return json.dumps({"type": "Polygon", "coordinates": [coordinates + coordinates[:1]]})


@lru_cache
def area_of_use(srid: int, within_srid: int) -> tuple[float, float, float, float]:
    """Where ``srid`` is defined (its EPSG area of use), as a box in ``within_srid`` (x first)."""
    west, south, east, north = ProjCrs.from_epsg(srid).area_of_use.bounds
    return Transformer.from_crs(4326, within_srid, always_xy=True).transform_bounds(west, south, east, north)


def clipped_box(left: float, bottom: float, right: float, top: float, srid: int, to_srid: int,
                margin: float = 0.0) -> tuple[float, float, float, float] | None:
    """The box (in ``srid``, grown by ``margin`` of its size) clipped to where ``to_srid`` is
    defined; None when they do not meet. A world-wide tile moved whole to the British National
    Grid fails in PROJ ("Point outside of projection domain"); clipped first, it covers the UK."""
    dx, dy = (right - left) * margin, (top - bottom) * margin
    x0, y0, x1, y1 = area_of_use(to_srid, srid)
    box = max(left - dx, x0), max(bottom - dy, y0), min(right + dx, x1), min(top + dy, y1)
    return box if box[0] < box[2] and box[1] < box[3] else None
