"""OS OpenMap Local library buildings → places records.

``os-buildings`` reads the "Important Buildings" classified Library (polygons as WKT in British
National Grid, EPSG:27700): each footprint becomes a record at its point on surface, computed in
PostGIS. Which library a building houses is decided by the one place-identity engine
(places/identity.py) with every other source's records, like any other list.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import shapely

from loaders.pipeline import Kind, LoadContext, SourceInfo, Target
from loaders.places import PLACES, attributes_of
from places.refresh import places_changed
from loaders.readers import csv_row, read_csv
from loaders.sources import OGL

OS_OPENMAP_LOCAL = SourceInfo(
    "os-openmap-local", "OS OpenMap - Local: Important Buildings, classification Library",
    "Ordnance Survey (Contains OS data © Crown copyright and database right)", OGL,
    "https://www.ordnancesurvey.co.uk/products/os-open-map-local")

OS_REQUIRED = ["WKT", "fid", "id", "building_theme", "classification", "distinctive_name", "feature_code"]
OS_ATTRIBUTES = ["fid", "building_theme", "classification", "feature_code", "distinctive_name"]
BNG_BOUNDS = (0, 0, 700_000, 1_300_000)  # the extent of the British National Grid

OS_STAGE = Target(table="os_buildings", key=("source_ref",), stage={
    "row": "int", "name": "text", "source_ref": "text", "attributes": "jsonb", "wkt": "text"})
OS_PLACES = replace(PLACES, columns={
    "name": "s.name", "category": "'library'",
    # OS maps a building classified Library; that it is open is the map's claim, not a dated
    # status (places.status has no 'unknown').
    "status": "'open'", "opened_year": "CAST(NULL AS int)", "closed_year": "CAST(NULL AS int)",
    "operator_type": "'unknown'", "source": f"'{OS_OPENMAP_LOCAL.key}'",
    "source_ref": "s.source_ref", "attributes": "s.attributes", "geom": "ST_Transform(s.point, 4326)"})


def load_os_buildings(ctx: LoadContext, path: Path) -> None:
    """One record per building footprint, at a point on its surface."""
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
        SELECT name, source_ref, attributes,
               ST_PointOnSurface(ST_CollectionExtract(ST_MakeValid(ST_GeomFromText(wkt, 27700)), 3)) AS point
        FROM {stage}""")
    ctx.merge(OS_PLACES, points)
    inside = ctx.conn.exec_driver_sql(f"""
        SELECT count(*) FILTER (WHERE ST_Within(point, ST_GeomFromText(s.wkt, 27700)))
        FROM {points} p JOIN {stage} s USING (source_ref)""").scalar()
    ctx.report.reconciliation.update({
        "buildings read": len(frame) + int((~ok).sum()), "buildings loaded": len(frame),
        "points inside their footprint": inside})
    places_changed(ctx)


KINDS = {
    "os-buildings": Kind(load_os_buildings, OS_OPENMAP_LOCAL,
                         "OS OpenMap Local library buildings CSV (WKT, EPSG:27700) → places"),
}
