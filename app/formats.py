"""Item formats: GeoJSON (pages), and downloads as CSV, GeoJSON-Seq and GeoPackage.

`f=` wins; otherwise the `Accept` header chooses; GeoJSON when neither names a known format.
CSV is written by PostgreSQL's COPY and GeoJSON-Seq by a server-side cursor, both streamed as
PostGIS produces them; the GeoPackage is written by GDAL (pyogrio) from one query.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import Annotated, Literal

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from fastapi import Query, Request
from sqlalchemy import Engine, text

from app import crs as crs_
from app.collections import Collection
from app.features import ItemsQuery, chosen_properties, feature_sql, order_by, page_params, quote, sql
from app.selection import where

MEDIA_TYPES = {
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "geojsonseq": "application/geo+json-seq",
    "gpkg": "application/geopackage+sqlite3",
}
ACCEPTED = {"application/geo+json": "geojson", "application/json": "geojson", "text/csv": "csv",
            "application/geo+json-seq": "geojsonseq", "application/x-ndjson": "geojsonseq",
            "application/geopackage+sqlite3": "gpkg"}
EXTENSIONS = {"csv": "csv", "geojsonseq": "geojsonl", "gpkg": "gpkg"}
STREAM_ROWS = 1000


async def item_format(
    request: Request,
    f: Annotated[Literal["json", "geojson", "csv", "geojsonseq", "gpkg"] | None, Query(
        description="Output format: geojson (= json, the default: pages with links), or a download of "
                    "every matching feature (a page when `limit` is given): csv (properties and WKT "
                    "geometry), geojsonseq (one feature per line, streamed), gpkg (GeoPackage). "
                    "Without `f`, the Accept header chooses.")] = None,
) -> str:
    if f is not None:
        return "geojson" if f == "json" else f
    accepted = []
    for part in request.headers.get("accept", "").split(","):
        media, _, options = part.strip().partition(";")
        q = next((o.split("=", 1)[1] for o in options.split(";") if o.strip().startswith("q=")), "1")
        try:
            weight = float(q)
        except ValueError:
            weight = 0.0
        if media.strip().lower() in ACCEPTED and weight > 0:
            accepted.append((-weight, len(accepted), ACCEPTED[media.strip().lower()]))
    return min(accepted)[2] if accepted else "geojson"


def filename(collection: Collection, fmt: str) -> str:
    return f"{collection.id}.{EXTENSIONS[fmt]}"


def rows_sql(collection: Collection, query: ItemsQuery, geometry) -> tuple[str, dict]:
    """One row per feature: id, one column per property (objects as JSON text), then the column
    ``geometry(collection)`` returns, for spatial collections."""
    where_sql, params = where(collection, query.selection)
    columns = [f"{collection.id_column} AS id"] + [
        f"{p.sql}{'' if p.queryable else '::text'} AS {quote(name)}"
        for name, p in chosen_properties(collection, query).items()]
    if collection.geometry is not None:
        columns.append(geometry(collection))
    statement = sql("rows").format(columns=", ".join(columns), table=collection.table, where=where_sql,
                                   order_by=order_by(collection, query))
    return statement, {**params, **page_params(query)}


def csv_stream(engine: Engine, collection: Collection, query: ItemsQuery) -> Iterator[bytes]:
    """CSV by COPY: GDAL and spreadsheets read the `WKT` column as the geometry."""
    statement, params = rows_sql(collection, query, lambda c: (
        f'ST_AsText({crs_.output(c, query.crs)}, {query.crs.decimals}) AS "WKT"'))
    with engine.connect() as conn:
        compiled = text(statement).bindparams(**params).compile(dialect=conn.dialect)
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY ({compiled.string}) TO STDOUT WITH (FORMAT csv, HEADER)",
                         compiled.params) as copy:
            for block in copy:
                yield bytes(block)


def geojsonseq_stream(engine: Engine, collection: Collection, query: ItemsQuery) -> Iterator[bytes]:
    """One GeoJSON feature per line (RFC 8142 style, newline-delimited), from a server-side cursor."""
    where_sql, params = where(collection, query.selection)
    statement = text(feature_sql(collection, query, where_sql))
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=STREAM_ROWS).execute(
            statement, {**params, **page_params(query)})
        for rows in result.scalars().partitions():
            yield ("\n".join(rows) + "\n").encode()


def geopackage(engine: Engine, collection: Collection, query: ItemsQuery) -> bytes:
    """A GeoPackage written by GDAL; coordinates in `crs` (GeoPackage keeps x = longitude)."""
    srid = query.crs.srid
    statement, params = rows_sql(collection, query, lambda c: f"ST_AsBinary({crs_.column(c, srid)}) AS geometry")
    with engine.connect() as conn:
        frame = pd.read_sql_query(text(statement), conn, params=params)
    if collection.geometry is not None:
        frame = gpd.GeoDataFrame(frame.drop(columns="geometry"),
                                 geometry=shapely.from_wkb(frame["geometry"]), crs=srid)
    handle, path = tempfile.mkstemp(suffix=".gpkg")
    os.close(handle)
    try:
        os.unlink(path)  # GDAL creates the file itself
        pyogrio.write_dataframe(frame, path, layer=collection.id, driver="GPKG")
        with open(path, "rb") as written:
            return written.read()
    finally:
        if os.path.exists(path):
            os.unlink(path)
