"""ONS boundary files (TopoJSON, GeoJSON, shapefile, GeoPackage) → areas.

Code and name fields are found by the ONS naming pattern (AREACD/AREANM, LAD23CD/LAD23NM,
LSOA21CD…) unless given. Parent codes present in the file (LADCD_ACTIVE, UTLACD, RGNCD…) are kept.
Geometry is transformed to EPSG:4326 and repaired with ST_MakeValid inside PostGIS; the result
is always a MultiPolygon.
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
from sqlalchemy import text

from store.errors import LoadError
from loaders.hierarchy import rebuild_area_hierarchy
from places.refresh import COUNTRY_BOUNDARIES, refresh_years, set_countries
from loaders.pipeline import Kind, LoadContext, SourceInfo, Target
from loaders.readers import feature, iter_features, source_srid, vector_info, vintage_option
from loaders.sources import OGL
from models import AREA_LEVELS

PARENT_FIELDS = [  # (pattern over field names, parent level)
    (r"(LAD\d{2}CD|LADCD_ACTIVE|LADCD|LTLA\d{2}CD)", "ltla"),
    (r"(UTLA\d{2}CD|UTLACD|CTYUA\d{2}CD)", "utla"),
    (r"(RGN\d{2}CD|RGNCD)", "region"),
    (r"(CTRY\d{2}CD|CTRYCD)", "country"),
]

SOURCE = SourceInfo("ons-boundaries", "ONS Open Geography Portal boundaries",
                    "Office for National Statistics", OGL, "https://geoportal.statistics.gov.uk/")

AREAS = Target(
    table="areas",
    stage={"code": "text", "name": "text", "parent_codes": "jsonb", "geom": "geometry",
           "feature": "int"},
    key=("level", "code", "vintage"),
)


def detect_field(fields: list[str], suffix: str, given: str | None, path: Path) -> str:
    if given:
        if given not in fields:
            raise LoadError(f"field {given!r} not in the file; fields are {fields}", file=str(path))
        return given
    for pattern in (rf"AREA{suffix}", rf"[A-Z]+\d{{2}}{suffix}", rf"[A-Z]+{suffix}"):
        matches = [f for f in fields if re.fullmatch(pattern, f, flags=re.IGNORECASE)]
        if matches:
            return matches[0]
    raise LoadError(f"no {'code' if suffix == 'CD' else 'name'} field (…{suffix}) found in {fields}; "
                    f"give --{'code' if suffix == 'CD' else 'name'}-field", file=str(path))


def load(ctx: LoadContext, path: Path, level: str, vintage: str, code_field: str | None = None,
         name_field: str | None = None, layer: str | None = None, crs: str | None = None) -> None:
    """Load a boundary file as areas of one ``level`` and ``vintage`` (e.g. ltla, 2023-12)."""
    if level not in AREA_LEVELS:
        raise LoadError(f"level must be one of {list(AREA_LEVELS)}, not {level!r}", column="--level")
    vintage = vintage_option(vintage)
    info = vector_info(path, layer)
    if info.get("features") == 0:
        raise LoadError("the layer has no features", file=str(path))
    srid = source_srid(info, path, crs, layer, note=ctx.note)
    fields = list(info["fields"])
    code = detect_field(fields, "CD", code_field, path)
    name = detect_field(fields, "NM", name_field, path)
    parents = {lvl: f for pattern, lvl in PARENT_FIELDS if lvl != level
               for f in fields if re.fullmatch(pattern, f, flags=re.IGNORECASE) and f != code}

    def batches():
        for frame in iter_features(path, layer=layer):
            ctx.read(len(frame))
            bad = frame["wkb"].isna() | (frame[code].fillna("").astype(str).str.strip() == "")
            for index in frame.index[bad]:
                ctx.reject(feature(index), "no geometry" if pd.isna(frame.at[index, "wkb"]) else "no code",
                           column=None if pd.isna(frame.at[index, "wkb"]) else code)
            frame = frame[~bad]
            yield pd.DataFrame({
                "code": frame[code].astype(str).str.strip(),
                "name": frame[name].fillna("").astype(str).str.strip(),
                "parent_codes": [{lvl: row[f] for lvl, f in parents.items() if row[f]}
                                 for row in frame[list(parents.values())].to_dict("records")]
                if parents else [{}] * len(frame),
                "geom": frame["wkb"],
                "feature": frame.index + 1,
            })

    geom = f"ST_Transform(ST_SetSRID(s.geom, {srid}), 4326)"
    target = replace(AREAS, columns={
        "level": "CAST(:level AS text)", "code": "s.code", "vintage": "CAST(:vintage AS text)",
        "name": "s.name",
        "parent_codes": "s.parent_codes",
        "geom": f"ST_Multi(ST_CollectionExtract(ST_MakeValid({geom}), 3))",
    }, params={"level": level, "vintage": vintage},
        # Parents the file does not carry may have come from a lookup: keep them.
        update={"parent_codes": "areas.parent_codes || EXCLUDED.parent_codes"})
    stage = ctx.stage(target, batches())
    not_polygonal = ctx.conn.exec_driver_sql(
        f"SELECT feature, GeometryType(geom) FROM {stage} "
        "WHERE GeometryType(geom) NOT IN ('POLYGON', 'MULTIPOLYGON') LIMIT 1").first()
    if not_polygonal:
        raise LoadError(f"{not_polygonal[1]} is not a boundary (polygons expected)",
                        location=f"feature {not_polygonal[0]}")
    invalid = ctx.conn.exec_driver_sql(f"SELECT count(*) FROM {stage} s WHERE NOT ST_IsValid({geom})").scalar()
    if invalid:
        ctx.report.repairs["invalid geometries made valid (ST_MakeValid)"] = invalid
    ctx.merge(target, stage)
    rebuild_area_hierarchy(ctx)
    # Places loaded before their boundaries get a country, and the years a source's claim covers
    # follow the boundaries of the authorities it names (places/coverage.py): whatever the load order.
    countries = (level, vintage) in COUNTRY_BOUNDARIES and set_countries(ctx)
    if countries or ctx.conn.execute(CLAIMED, {"level": level, "vintage": vintage}).scalar():
        refresh_years(ctx)


CLAIMED = text("SELECT EXISTS (SELECT 1 FROM coverage c CROSS JOIN LATERAL unnest(c.area_codes) n(code) "
               "JOIN areas a ON a.code = n.code WHERE a.level = :level AND a.vintage = :vintage)")


KINDS = {
    "boundaries": Kind(load, SOURCE, "ONS boundaries (TopoJSON/GeoJSON/shapefile/GeoPackage) → areas", {
        "level": "Area level: region, utla, ltla, lsoa, ward, country or custom",
        "vintage": "Boundary vintage YYYY-MM, e.g. 2023-12 (a bare year means December: 2021 = 2021-12)",
        "code_field": "Field holding the GSS code (default: detected, e.g. LAD23CD)",
        "name_field": "Field holding the name (default: detected, e.g. LAD23NM)",
        "layer": "Layer to read (GeoPackage); default the first",
        "crs": "CRS of the coordinates when the file declares none (or declares it wrongly), e.g. EPSG:27700"}),
}
