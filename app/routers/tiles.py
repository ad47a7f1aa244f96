"""OGC API – Tiles for every spatial collection: MVT on WebMercatorQuad, TileJSON, tile matrix sets."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Request, Response

from app import attribution, caching, features, tiles
from app import dependencies as dep
from app.collections import Collection
from store.db import reading
from app.errors import ApiError
from app.routers.ogc_features import base_url, collection_of, refuse_unknown_parameters
from app.selection import Selection, selection

router = APIRouter(tags=["OGC API Tiles"])
COMPUTED_TILES = caching.Kept(max_bytes=64 * 2**20)
MVT = "application/vnd.mapbox-vector-tile"
TILE_PARAMETERS = {"bbox", "bbox-crs", "datetime", "filter", "filter-lang", "filter-crs", "f", "properties"}
TileMatrixSetId = Annotated[str, Path(alias="tileMatrixSetId", description="Tile matrix set: WebMercatorQuad")]


async def spatial_collection(c: Collection = Depends(collection_of)) -> Collection:
    if c.geometry is None:
        raise ApiError(404, f"{c.id} has no geometry, so no tiles", "collectionId")
    return c


async def tile_matrix_set(tile_matrix_set_id: TileMatrixSetId) -> str:
    if tile_matrix_set_id != tiles.TMS.id:
        raise ApiError(404, f"tile matrix set {tile_matrix_set_id!r} is not served; use {tiles.TMS.id}",
                       "tileMatrixSetId")
    return tile_matrix_set_id


@router.get("/tileMatrixSets", summary="Tile matrix sets served")
def tile_matrix_sets(request: Request) -> dict:
    href = f"{base_url(request)}/tileMatrixSets/{tiles.TMS.id}"
    return {"tileMatrixSets": [{"id": tiles.TMS.id, "title": tiles.TMS.title, "uri": str(tiles.TMS.uri),
                                "links": [{"href": href, "rel": "self", "type": "application/json"}]}]}


@router.get("/tileMatrixSets/{tileMatrixSetId}", summary="A tile matrix set's definition")
def tile_matrix_set_definition(tms: str = Depends(tile_matrix_set)) -> dict:
    return tiles.TMS.model_dump(exclude_none=True, mode="json")


def _tileset_url(request: Request, c: Collection) -> str:
    return f"{base_url(request)}/collections/{c.id}/tiles/{tiles.TMS.id}"


@router.get("/collections/{collectionId}/tiles", summary="Vector tilesets of a collection")
def tilesets(request: Request, c: Collection = Depends(spatial_collection)) -> dict:
    href = _tileset_url(request, c)
    return {"tilesets": [{
        "title": c.title, "dataType": "vector", "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": str(tiles.TMS.uri),
        "links": [{"href": href, "rel": "self", "type": "application/json"},
                  {"href": f"{href}/tilejson.json", "rel": "describedby", "type": "application/json",
                   "title": "TileJSON"}]}]}


@router.get("/collections/{collectionId}/tiles/{tileMatrixSetId}", summary="A vector tileset")
def tileset(request: Request, c: Collection = Depends(spatial_collection),
            tms: str = Depends(tile_matrix_set)) -> dict:
    href = _tileset_url(request, c)
    return {
        "title": c.title, "dataType": "vector", "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": str(tiles.TMS.uri),
        "layers": [{"id": c.id, "dataType": "vector", "propertiesSchema": {"type": "object", "properties": {
                        name: p.schema() for name, p in c.queryables.items()}}}
                   | ({} if c.geometry.dimension is None else {"geometryDimension": c.geometry.dimension})],
        "links": [{"href": href, "rel": "self", "type": "application/json"},
                  {"href": f"{href}/{{tileMatrix}}/{{tileCol}}/{{tileRow}}", "rel": "item", "type": MVT,
                   "templated": True},
                  {"href": f"{href}/tilejson.json", "rel": "describedby", "type": "application/json"}],
    }


@router.get("/collections/{collectionId}/tiles/{tileMatrixSetId}/tilejson.json",
            summary="TileJSON 3.0 of a collection's tiles (filters given here are kept in its URL)",
            openapi_extra=dep.filter_parameters())
def tilejson(request: Request, c: Collection = Depends(spatial_collection),
             tms: str = Depends(tile_matrix_set), chosen: Selection = Depends(selection),
             properties: list[str] | None = Depends(dep.properties)) -> dict:
    refuse_unknown_parameters(request, c, TILE_PARAMETERS)
    fields = tiles.tile_properties(c, properties)
    query = f"?{urlencode(list(request.query_params.items()))}" if request.query_params else ""
    with reading(request.app.state.engine) as conn:
        bounds = features.extent(conn, c)
        credit = attribution.of(conn, c.data_tables)
    return tiles.tilejson(c, f"{_tileset_url(request, c)}/{{z}}/{{x}}/{{y}}{query}", bounds, fields, credit.text)


Zoom = Annotated[dep.Integer, Path(ge=0, le=tiles.MAX_ZOOM, description="Zoom level (tileMatrix); points are "
                                   f"thinned to one per pixel, with `point_count`, to zoom {tiles.THIN_UNTIL_ZOOM}")]
Column = Annotated[dep.Integer, Path(ge=0, description="Tile column (tileCol), from the left")]
Row = Annotated[dep.Integer, Path(ge=0, description="Tile row (tileRow), from the top")]
TILE_RESPONSES = {200: {"content": {MVT: {}}, "description": "A Mapbox Vector Tile"},
                  204: {"description": "No feature in this tile"},
                  304: {"description": "Not modified (If-None-Match matched the ETag)"}}


@router.get("/collections/{collectionId}/tiles/{tileMatrixSetId}/{z}/{x}/{y}",
            summary="One vector tile (MVT); plain filters and CQL2 select its features as in items",
            response_class=Response, responses=TILE_RESPONSES, openapi_extra=dep.filter_parameters())
def tile(
    request: Request, z: Zoom, x: Column, y: Row,
    c: Collection = Depends(spatial_collection),
    tms: str = Depends(tile_matrix_set),
    chosen: Selection = Depends(selection),
    properties: list[str] | None = Depends(dep.properties),
) -> Response:
    refuse_unknown_parameters(request, c, TILE_PARAMETERS)
    with reading(request.app.state.engine) as conn:
        if not c.parameters and not caching.conditional(request):  # the version comes with the tile
            version, body = tiles.versioned_tile(conn, c, z, x, y, chosen, properties, c.data_tables)
            headers = caching.validate(request, version)
        else:
            headers = caching.validate(request, caching.data_version(conn, c.data_tables))
            # A computed collection's tile costs seconds: kept per ETag (data version and URL).
            body = COMPUTED_TILES.get(headers["ETag"]) if c.parameters else None
            if body is None:
                body = tiles.tile(conn, c, z, x, y, chosen, properties)
                if c.parameters:
                    COMPUTED_TILES.put(headers["ETag"], body)
    if not body:
        return Response(status_code=204, headers=headers)
    return Response(body, media_type=MVT, headers=headers)
