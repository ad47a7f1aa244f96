"""OS OpenMap Local library buildings → places, each matched to the nearest known library.

``os-buildings`` reads the "Important Buildings" classified Library (polygons as WKT in British
National Grid, EPSG:27700): each footprint becomes a place at its point on surface, computed in
PostGIS, and is matched (KNN on the indexed ``geom_27700``) to the nearest library place from
another source within ``--max-distance`` metres; the match is kept in its attributes.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import shapely

from loaders.errors import LoadError
from loaders.pipeline import Kind, LoadContext, SourceInfo, Target
from loaders.places import PLACES, attributes_of, places_changed
from loaders.readers import csv_row, read_csv
from loaders.sources import OGL

OS_OPENMAP_LOCAL = SourceInfo(
    "os-openmap-local", "OS OpenMap - Local: Important Buildings, classification Library",
    "Ordnance Survey (Contains OS data © Crown copyright and database right)", OGL,
    "https://www.ordnancesurvey.co.uk/products/os-open-map-local")

OS_REQUIRED = ["WKT", "fid", "id", "building_theme", "classification", "distinctive_name", "feature_code"]
OS_ATTRIBUTES = ["fid", "building_theme", "classification", "feature_code", "distinctive_name"]
BNG_BOUNDS = (0, 0, 700_000, 1_300_000)  # the extent of the British National Grid
DEFAULT_MATCH_METRES = 150.0

OS_STAGE = Target(table="os_buildings", key=("source_ref",), stage={
    "row": "int", "name": "text", "source_ref": "text", "attributes": "jsonb", "wkt": "text"})
OS_PLACES = replace(PLACES, columns={
    "name": "s.name", "category": "'library'",
    # OS maps a building classified Library; that it is open is the map's claim, not a dated
    # status (places.status has no 'unknown').
    "status": "'open'", "opened_year": "CAST(NULL AS int)", "closed_year": "CAST(NULL AS int)",
    "operator_type": "'unknown'", "source": f"'{OS_OPENMAP_LOCAL.key}'",
    "source_ref": "s.source_ref", "attributes": "s.attributes", "geom": "ST_Transform(s.point, 4326)"})


def load_os_buildings(ctx: LoadContext, path: Path, max_distance: float = DEFAULT_MATCH_METRES) -> None:
    """One place per building footprint, at a point on its surface, matched to the nearest
    library from another source whose point lies within ``max_distance`` metres of the building."""
    if not 0 < max_distance <= 10_000:
        raise LoadError(f"must be between 0 and 10000 metres, not {max_distance!r}", column="--max-distance")
    frame = read_csv(path, OS_REQUIRED)
    ctx.read(len(frame))
    wkt = frame["WKT"].str.strip()
    geoms = shapely.from_wkt(wkt.astype(object).where(wkt != "", None).to_numpy(), on_invalid="ignore")
    ok = pd.Series(True, index=frame.index)
    for index, geom in zip(frame.index, geoms):
        reason = None
        if not frame.at[index, "id"].strip():
            reason, column = "no OS id", "id"
        elif geom is None:
            reason, column = f"unreadable WKT {frame.at[index, 'WKT'][:40]!r}", "WKT"
        elif geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
            reason, column = f"{geom.geom_type}{' (empty)' if geom.is_empty else ''} is not a building footprint", "WKT"
        elif not shapely.box(*BNG_BOUNDS).contains(geom):
            reason, column = "coordinates outside the British National Grid (EPSG:27700 expected)", "WKT"
        if reason:
            ctx.reject(csv_row(index), reason, column=column)
            ok[index] = False
    frame = frame[ok]
    names = frame["distinctive_name"].str.strip()
    stage = ctx.stage(OS_STAGE, pd.DataFrame({
        "row": frame.index + 2, "name": names.astype(object).where(names != "", None),
        "source_ref": frame["id"].str.strip(), "attributes": attributes_of(frame, OS_ATTRIBUTES),
        "wkt": frame["WKT"].str.strip()}))
    invalid = ctx.conn.exec_driver_sql(
        f"SELECT count(*) FROM {stage} WHERE NOT ST_IsValid(ST_GeomFromText(wkt, 27700))").scalar()
    if invalid:
        ctx.report.repairs["invalid footprints made valid (ST_MakeValid)"] = invalid
    points = f"{stage}_points"
    ctx.execute(f"""
        CREATE TEMP TABLE {points} ON COMMIT DROP AS
        WITH b AS (
            SELECT s.*, ST_CollectionExtract(ST_MakeValid(ST_GeomFromText(s.wkt, 27700)), 3) AS footprint
            FROM {stage} s)
        SELECT b.name, b.source_ref, ST_PointOnSurface(b.footprint) AS point,
               b.attributes || CASE WHEN m.distance <= :max_distance THEN jsonb_build_object(
                   'matched_place_id', m.id, 'matched_source', m.source,
                   'match_distance_m', round(CAST(m.distance AS numeric), 1)) ELSE CAST('{{}}' AS jsonb) END
                   AS attributes
        FROM b LEFT JOIN LATERAL (
            -- The KNN index finds the nearest few; ties (co-located records) then go to the
            -- lowest id, so a reload matches the same library.
            SELECT * FROM (
                SELECT p.id, p.source, ST_Distance(p.geom_27700, b.footprint) AS distance
                FROM places p
                WHERE p.category = 'library' AND p.source <> :own
                ORDER BY p.geom_27700 <-> b.footprint
                LIMIT 8) nearest
            ORDER BY distance, id
            LIMIT 1) m ON true""", max_distance=max_distance, own=OS_OPENMAP_LOCAL.key)
    ctx.merge(OS_PLACES, points)
    places_changed(ctx)
    matched, places_matched, inside = ctx.conn.exec_driver_sql(f"""
        SELECT count(*) FILTER (WHERE p.attributes ? 'matched_place_id'),
               count(DISTINCT p.attributes ->> 'matched_place_id'),
               count(*) FILTER (WHERE ST_Within(point, ST_GeomFromText(s.wkt, 27700)))
        FROM {points} p JOIN {stage} s USING (source_ref)""").one()
    ctx.report.reconciliation.update({
        "buildings read": len(frame) + int((~ok).sum()), "buildings loaded": len(frame),
        f"buildings matched to a known library within {max_distance:g} m": matched,
        "distinct libraries matched": places_matched,
        "points inside their footprint": inside})
    ctx.note(f"{matched} of {len(frame)} buildings matched a library from another source within "
             f"{max_distance:g} m (distance from the footprint; 0 when the library's point is inside)")


KINDS = {
    "os-buildings": Kind(load_os_buildings, OS_OPENMAP_LOCAL,
                         "OS OpenMap Local library buildings CSV (WKT, EPSG:27700) → places, matched "
                         "to the nearest known library", {
                             "max_distance": f"Match radius in metres (default {DEFAULT_MATCH_METRES:g})"}),
}
