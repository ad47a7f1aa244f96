"""Vector tiles (OGC API Tiles, MVT) on the WebMercatorQuad grid, built by PostGIS.

The grid's definition comes from morecantile; each tile is one query (app/sql/tile.sql) sharing
the WHERE clause of items, so plain filters and CQL2 select the same features in both.
"""
from __future__ import annotations

import morecantile
from sqlalchemy import Connection, text

from app.collections import Collection
from app.errors import ApiError
from app.features import quote, sql
from app.selection import Selection, where

TMS = morecantile.tms.get("WebMercatorQuad")
EXTENT = 4096          # tile coordinate units
BUFFER = 64            # units drawn beyond the edge so strokes and labels join across tiles
WORLD_M = 2 * 20037508.342789244
METRES_PER_DEGREE = WORLD_M / 360   # of Web Mercator x, at any latitude
MAX_ZOOM = 22          # as deep as MapLibre and OpenLayers ask; deeper is a 400, not a tile
# Points are thinned to one per cell of THIN_CELL units (a screen pixel of a 256-pixel tile) up to
# this zoom (a pixel of ~75 m there); from the next, every point is drawn (app/sql/tile_thinning.sql).
THIN_UNTIL_ZOOM = 11
THIN_CELL = EXTENT // 256


def check_tile(z: int, x: int, y: int) -> None:
    size = TMS.matrix(z).matrixWidth
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value < size:
            raise ApiError(400, f"{name} {value} is outside 0..{size - 1} at zoom {z}", name)


def geometry_sql(collection: Collection, z: int) -> str:
    """The geometry in Web Mercator for a tile at zoom ``z``: a stored copy pre-simplified for the
    zoom's band where the collection keeps them, else moved (and maybe simplified) here."""
    for deepest, column in collection.geometry.tile_columns:
        if z <= deepest:
            return f"t.{column}"
    stored = f"t.{collection.geometry.column}"
    if collection.geometry.simplify_in_tiles:
        # Simplified before the transform, so PROJ moves only the vertices kept: :tolerance is a
        # quarter pixel of this zoom in degrees (a degree spans >= 111 km of Web Mercator), which
        # stays under half a pixel up to 60° N, invisible, and boundaries lose most vertices.
        stored = f"ST_Simplify({stored}, :tolerance, true)"
    return f"ST_Transform({stored}, 3857)"


def tile_properties(collection: Collection, names: list[str] | None) -> dict:
    """The properties a tile carries: those named in ``properties``, else the collection's tile
    defaults (what a map draws), else every scalar one."""
    if names is None:
        names = list(collection.tile_properties or collection.queryables)
    unknown = [n for n in names if n not in collection.queryables]
    if unknown:
        raise ApiError(400, f"properties {unknown} are not in {collection.id}'s tiles; they carry: "
                       f"{', '.join(collection.queryables)}", "properties")
    return {name: collection.queryables[name] for name in names}


def tile(conn: Connection, collection: Collection, z: int, x: int, y: int, chosen: Selection,
         properties: list[str] | None = None) -> bytes:
    statement, params = tile_query(collection, z, x, y, chosen, properties)
    return bytes(conn.execute(text(statement), params).scalar())


def versioned_tile(conn: Connection, collection: Collection, z: int, x: int, y: int, chosen: Selection,
                   properties: list[str] | None, tables: tuple[str, ...]) -> tuple[str, bytes]:
    """(the data version of ``tables``, the tile) in one statement: one round trip, and the ETag
    names the very snapshot the tile comes from (as features.items does for a page)."""
    statement, params = tile_query(collection, z, x, y, chosen, properties)
    version, body = conn.execute(text(f"SELECT v.version, t.mvt FROM ({sql('data_versions')}) v, "
                                      f"({statement}) t(mvt)"), {**params, "tables": list(tables)}).one()
    return version or "0", bytes(body)


def tile_query(collection: Collection, z: int, x: int, y: int, chosen: Selection,
               properties: list[str] | None) -> tuple[str, dict]:
    """The tile's statement (app/sql/tile.sql) and what it binds; 400 for a tile off the grid."""
    check_tile(z, x, y)
    where_sql, params = where(collection, chosen)
    columns = [f"{p.sql} AS {quote(name)}" for name, p in tile_properties(collection, properties).items()]
    if collection.integer_id:  # MVT feature ids are integers; a text id stays a property
        columns.insert(0, f"{collection.id_column} AS id")
    thinned = z <= THIN_UNTIL_ZOOM and collection.geometry.dimension != 2  # points, or a mix
    names = ["geom", *(["id"] if collection.integer_id else []),
             *(quote(name) for name in tile_properties(collection, properties))]
    statement = sql("tile").format(
        geometry=geometry_sql(collection, z), column=f"t.{collection.geometry.column}",
        columns="".join(f", {c}" for c in columns), table=collection.table, where=where_sql,
        thinning=sql("tile_thinning").format(names=", ".join(names)) if thinned else "",
        drawn="thinned" if thinned else "features")
    pixel = WORLD_M / 2 ** z / EXTENT
    return statement, {"cell": THIN_CELL,
        **params, "z": z, "x": x, "y": y, "extent": EXTENT, "buffer": BUFFER, "margin": BUFFER / EXTENT,
        "tolerance": pixel / 4 / METRES_PER_DEGREE, "layer": collection.id,
        "feature_id": "id" if collection.integer_id else None}


def tilejson(collection: Collection, tiles_url: str, bounds: list[float] | None, fields: dict,
             attribution: str | None = None) -> dict:
    """TileJSON 3.0 for MapLibre, Leaflet and OpenLayers; ``tiles_url`` keeps the request's filters,
    ``fields`` are the properties its tiles carry (tile_properties); ``attribution`` the sources'
    (a map shows it in its attribution control)."""
    return {
        "tilejson": "3.0.0", "name": collection.id, "description": collection.title,
        **({"attribution": attribution} if attribution else {}),
        "scheme": "xyz", "tiles": [tiles_url], "minzoom": TMS.minzoom, "maxzoom": MAX_ZOOM,
        "bounds": bounds or [-180, -85.0511, 180, 85.0511],
        "vector_layers": [{"id": collection.id, "description": collection.description,
                           "fields": {name: p.type for name, p in fields.items()}
                           | ({} if collection.geometry.dimension == 2 else {"point_count": "number"})}],
    }
