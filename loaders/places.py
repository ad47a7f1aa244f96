"""The shared way every places loader writes: one staging layout, one merge into ``places``.

A loader normalises its publisher's rows to the columns of ``PLACE_COLUMNS`` (geometry as
EWKT/hex EWKB in ``geom``: points, or polygons that become their point on surface) and calls
``upsert_places``; the category, status and operator vocabularies are enforced by the database
(models/categories.py).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, text

from app.collections import COLLECTIONS
from edits.reload import after_grouping as edits_after_grouping
from loaders.identity import PART_SOURCES, resolve
from loaders.pipeline import LoadContext, Target
from loaders.statement_links import BASIC_2023, STATEMENT_LISTS
from models.table_statistics import analyse, analyse_if_changed, unchanged
from models.categories import CATEGORIES, OPERATOR_TYPES, STATUSES
from models.places import COUNTRIES, STATUS_YEARS

SQL = Path(__file__).resolve().parent / "sql"

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

# Lists that state the country of every record they hold ("public libraries in England").
LIST_COUNTRY = {"dcms-libraries-2016": "E92000001", BASIC_2023: "E92000001"}
# An authority's other name, as a list prints it → the name of its 2023 area (the UK list names
# Na h-Eileanan Siar's council by its Gaelic name).
AUTHORITY_ALIASES = {"Comhairle nan Eilean Siar": "Na h-Eileanan Siar"}
COAST_METRES = 2000  # a located record this close to a generalised boundary is in its country
COUNTRY_BOUNDARIES = {("utla", "2023-12"), ("ltla", "2023-12")}  # (level, vintage) place_country.sql reads

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


def set_countries(ctx: LoadContext) -> int:
    """Every record's country (sql/place_country.sql): run by every places load, and by a load of
    the 2023 boundaries it reads (COUNTRY_BOUNDARIES), so the load order does not matter; answers
    how many records it set."""
    countries = ctx.execute(
        (SQL / "place_country.sql").read_text(), coast=COAST_METRES,
        country_codes=list(COUNTRIES), country_names=list(COUNTRIES.values()),
        list_sources=list(LIST_COUNTRY), list_countries=list(LIST_COUNTRY.values()),
        aliases_from=list(AUTHORITY_ALIASES), aliases_to=list(AUTHORITY_ALIASES.values()))
    if countries:
        ctx.report.tables.setdefault("places", {})["country set"] = countries
        ctx.report.changed += countries
    return countries


def places_changed(ctx: LoadContext) -> None:
    """What every load that changes places or their status runs last, in its transaction:
    the records are grouped into places (loaders/identity.py), then place_years follows the
    stored history (set-based; merged as a difference), and place_current (the status and
    sources the collection serves) follows place_years. Each record's country comes first
    (sql/place_country.sql). Planner edits stay with their places, and those whose publisher's
    record this load changed are superseded (edits/reload.py)."""
    set_countries(ctx)
    resolve(ctx)
    edits_after_grouping(ctx)
    ctx.execute("CREATE TEMP TABLE resolved_years (year int, place_id bigint, status text) ON COMMIT DROP")
    ctx.execute("INSERT INTO resolved_years " + (SQL / "place_years.sql").read_text(),
                first=STATUS_YEARS[0], last=STATUS_YEARS[-1], footprints=sorted(PART_SOURCES), place=None,
                statement_lists=list(STATEMENT_LISTS))
    # Statistics for both sides, so the anti-join is hashed, never a nested loop (place_years'
    # are usually still those taken after the last write to it, below).
    ctx.execute("ANALYZE resolved_years")
    analyse_if_changed(ctx.conn, "place_years")
    removed = ctx.execute("""
        DELETE FROM place_years py WHERE NOT EXISTS (
            SELECT 1 FROM resolved_years r WHERE r.place_id = py.place_id AND r.year = py.year)""")
    written = ctx.execute("""
        INSERT INTO place_years (year, place_id, status) SELECT year, place_id, status FROM resolved_years
        ON CONFLICT (year, place_id) DO UPDATE SET status = EXCLUDED.status
            WHERE place_years.status IS DISTINCT FROM EXCLUDED.status""")
    ctx.execute("DROP TABLE resolved_years")
    # place_current (next) and the analysis refresh after the load plan on the new contents.
    if removed or written:
        analyse(ctx.conn, "place_years")
    else:
        unchanged(ctx.conn, "place_years")
    if removed or written:
        ctx.report.tables["place_years"] = {"written": written, "removed": removed}
    written, removed = refresh_current(ctx.conn)
    if removed or written:
        ctx.report.tables["place_current"] = {"written": written, "removed": removed}


# The properties it stores are the registry's: the page reads them as the route would build them.
SERVED = COLLECTIONS["places"]
PLACE_CURRENT = text((SQL / "place_current.sql").read_text().format(properties=SERVED.properties_json()))


def refresh_current(conn: Connection, place: int | None = None) -> tuple[int, int]:
    """place_current after place_years (sql/place_current.sql): every place, or ``place`` only
    (an edit's); (rows written, rows removed)."""
    written, removed = conn.execute(PLACE_CURRENT, {"place": place, "properties_key": SERVED.properties_key}).one()
    return written, removed
