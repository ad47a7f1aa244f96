"""The shared way every places loader writes: one staging layout, one merge into ``places``.

A loader normalises its publisher's rows to the columns of ``PLACE_COLUMNS`` (geometry as
EWKT/hex EWKB in ``geom``: points, or polygons that become their point on surface) and calls
``upsert_places``; the category, status and operator vocabularies are enforced by the database
(models/categories.py).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pandas as pd

from loaders.pipeline import LoadContext, Target
from models.categories import CATEGORIES, OPERATOR_TYPES, STATUSES
from places.refresh import places_changed

PLACE_COLUMNS = {
    "name": "text", "category": "text", "status": "text", "opened_year": "int",
    "closed_year": "int", "operator_type": "text", "source": "text", "source_ref": "text",
    "attributes": "jsonb", "geom": "geometry",
}

PLACES = Target(
    table="places",
    stage=PLACE_COLUMNS,
    key=("source", "source_ref"),
    columns={c: f"s.{c}" for c in PLACE_COLUMNS},
    touch="updated_at",
)

# Rough bounds of the UK and its islands, to catch swapped or zero coordinates.
UK_BOUNDS = {"lon": (-9.0, 2.1), "lat": (49.8, 61.0)}


def point_ewkt(lon: pd.Series, lat: pd.Series) -> pd.Series:
    return "SRID=4326;POINT(" + lon.map(repr) + " " + lat.map(repr) + ")"


def valid_lonlat(ctx: LoadContext, frame: pd.DataFrame, lon: str, lat: str, location) -> pd.Series:
    """Numeric lon/lat inside the UK; every other row is rejected with its location."""
    lons = pd.to_numeric(frame[lon].astype(str).str.strip(), errors="coerce")
    lats = pd.to_numeric(frame[lat].astype(str).str.strip(), errors="coerce")
    ok = lons.between(*UK_BOUNDS["lon"]) & lats.between(*UK_BOUNDS["lat"])
    for index in frame.index[~ok]:
        ctx.reject(location(index), f"coordinates ({frame.at[index, lon]!r}, {frame.at[index, lat]!r}) "
                   "missing or outside the UK", column=f"{lon}/{lat}")
    frame["_lon"], frame["_lat"] = lons, lats
    return ok


def attributes_of(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Per-row JSON attributes from ``columns``, leaving out blanks and missing values."""
    present = [c for c in columns if c in frame.columns]
    return [{k: v for k, v in row.items() if v is not None and v == v and v != ""}
            for row in frame[present].astype(object).to_dict("records")]


def check_vocabulary(frame: pd.DataFrame) -> None:
    """Loader bugs, not data errors: a value outside the vocabulary means a mapping is missing."""
    for column, allowed in (("category", CATEGORIES), ("status", STATUSES),
                            ("operator_type", OPERATOR_TYPES)):
        unknown = set(frame[column].dropna()) - set(allowed)
        if unknown:
            raise ValueError(f"{column} values {sorted(unknown)} are not in the vocabulary")


def _located(srid: int | None) -> str:
    """SQL for the staged geometry as a WGS84 point: polygons (building footprints, OSM areas)
    at ST_PointOnSurface — always inside, unlike a centroid — after repair if invalid."""
    geom = "s.geom" if srid is None else f"ST_SetSRID(s.geom, {int(srid)})"
    valid = f"CASE WHEN ST_IsValid({geom}) THEN {geom} ELSE ST_MakeValid({geom}) END"
    return f"ST_Transform(ST_PointOnSurface({valid}), 4326)"


def upsert_places(ctx: LoadContext, batches: Iterable[pd.DataFrame] | pd.DataFrame,
                  srid: int | None = None, target: Target = PLACES, unlocated: bool = False,
                  group: bool = True) -> dict[str, int]:
    """Stage and merge places. ``srid`` is the file's CRS when ``geom`` carries none (plain WKB);
    ``target`` may change how existing rows are updated. ``unlocated``: the source gives no
    location (statement lists), so a NULL ``geom`` is stored, not rejected. ``group``: run
    ``places_changed`` now (False: the caller writes more first, then runs it)."""
    def checked():
        for batch in [batches] if isinstance(batches, pd.DataFrame) else batches:
            check_vocabulary(batch)
            yield batch

    target = replace(target, columns={**target.columns, "geom": _located(srid)})
    stage = ctx.stage(target, checked())
    for ref, kind in ctx.conn.exec_driver_sql(
            f"DELETE FROM {stage} WHERE {'false' if unlocated else 'geom IS NULL'} OR ST_IsEmpty(geom) "
            "RETURNING source_ref, GeometryType(geom)").all():
        ctx.reject(ref, f"empty geometry ({kind})")
    for kind, count, invalid in ctx.conn.exec_driver_sql(
            f"SELECT GeometryType(geom), count(*), count(*) FILTER (WHERE NOT ST_IsValid(geom)) "
            f"FROM {stage} GROUP BY 1 ORDER BY 1").all():
        if kind is not None and kind != "POINT":  # None: unlocated records (statement lists)
            ctx.note(f"{count} {kind.lower()} geometries placed at their point on surface")
        if invalid:
            name = "invalid geometries made valid (ST_MakeValid)"
            ctx.report.repairs[name] = ctx.report.repairs.get(name, 0) + invalid
    counts = ctx.merge(target, stage)
    if group:
        places_changed(ctx)
    return counts
