"""The small-area layer for maps: collection `small_areas` — items (GeoJSON pages, CSV, GeoJSON-Seq,
GeoPackage), one feature, vector tiles and TileJSON — for the parameters of GET /gaps.

The figures are computed per request by the analysis room's SQL (analysis/sql/small_area_layer.sql,
which includes the access CTEs and the gap index), only for the small areas the answer can show:
a tile's (plus its buffer), a bbox's, or an authority's or LSOA's given as a plain filter. These
routes come before the generic OGC routes (app/main.py), which serve the rest of the collection
(its description, queryables, tilesets) like any other.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from analysis import access
from app import crs as crs_
from app import dependencies as dep
from app import tiles
from app.collections import COLLECTIONS
from app.routers import ogc_features
from app.routers import tiles as tile_routes
from app.routers.access import access_params, gap_parameters
from app.selection import Selection, selection

router = APIRouter(tags=["Small-area layer"])
LAYER = COLLECTIONS["small_areas"]
PATH = f"/collections/{LAYER.id}"
# A plain filter with one value that is also a scope of the access SQL: only its small areas are
# computed (a scope code matches an LSOA's code, LTLA, UTLA or region).
SCOPING_FILTERS = ("code", "ltla", "utla", "region")


def _scope(chosen: Selection) -> access.Scope:
    """The fewest small areas that hold every feature the selection can match."""
    for name in SCOPING_FILTERS:
        values = chosen.filters.get(name)
        if values and len(values) == 1:
            return access.Scope(code=values[0])
    if chosen.bbox:
        box = chosen.bbox
        x0, y0, x1, y1 = (box.miny, box.minx, box.maxy, box.maxx) if box.crs.lat_first else \
            (box.minx, box.miny, box.maxx, box.maxy)
        polygon = crs_.covering_polygon(x0, y0, x1, y1, box.crs.srid)
        if polygon:
            return access.Scope(geojson=polygon)
    return access.ENGLAND


def _bound(params: access.AccessParams, scope: access.Scope) -> dict:
    """What the layer's query binds (the gap index's spending part is stored: no query here)."""
    return access.layer_parameters(params, scope, gap_parameters(params))


@router.get(f"{PATH}/items",
            summary="Small areas with their access and gap index (GeoJSON pages; CSV, GeoJSON-Seq, "
                    "GeoPackage downloads)",
            response_class=Response, responses=ogc_features.ITEMS_RESPONSES, openapi_extra=dep.filter_parameters())
def items(request: Request, params: access.AccessParams = Depends(access_params),
          chosen: Selection = Depends(selection), asked: ogc_features.Page = Depends(ogc_features.page)) -> Response:
    ogc_features.refuse_unknown_parameters(request, LAYER, ogc_features.ITEM_PARAMETERS)
    chosen = replace(chosen, bound=_bound(params, _scope(chosen)))
    return ogc_features.items_answer(request, LAYER, chosen, asked)


@router.get(f"{PATH}/items/{{code}}", summary="One small area with its access and gap index (GeoJSON)",
            response_class=Response,
            responses={200: {"content": {ogc_features.GEOJSON: {}}}, 404: {"description": "No such small area"},
                       304: {"description": "Not modified (If-None-Match matched the ETag)"}})
def item(
    request: Request,
    code: Annotated[str, Path(description="The small area's LSOA code", examples=["E01013375"])],
    params: access.AccessParams = Depends(access_params),
    crs: crs_.Crs = Depends(dep.crs),
) -> Response:
    ogc_features.refuse_unknown_parameters(request, LAYER, {"crs", "f"})
    bound = _bound(params, access.Scope(code=code))
    return ogc_features.feature(request, LAYER, code, crs, bound, "code")


@router.get(f"{PATH}/tiles/{{tileMatrixSetId}}/tilejson.json",
            summary="TileJSON 3.0 of the small-area layer (its parameters and filters are kept in its URL)",
            openapi_extra=dep.filter_parameters())
def tilejson(request: Request, params: access.AccessParams = Depends(access_params),
             tms: str = Depends(tile_routes.tile_matrix_set), chosen: Selection = Depends(selection),
             properties: list[str] | None = Depends(dep.properties)) -> dict:
    return tile_routes.tilejson(request, LAYER, tms, chosen, properties)


@router.get(f"{PATH}/tiles/{{tileMatrixSetId}}/{{z}}/{{x}}/{{y}}",
            summary="One vector tile (MVT) of the small-area layer, computed for the small areas in it",
            response_class=Response, responses=tile_routes.TILE_RESPONSES, openapi_extra=dep.filter_parameters())
def tile(
    request: Request,
    z: tile_routes.Zoom, x: tile_routes.Column, y: tile_routes.Row,
    params: access.AccessParams = Depends(access_params),
    tms: str = Depends(tile_routes.tile_matrix_set),
    chosen: Selection = Depends(selection),
    properties: list[str] | None = Depends(dep.properties),
) -> Response:
    tiles.check_tile(z, x, y)
    # The access SQL works in the British National Grid: only the part of the tile where it is
    # defined is asked for (the small areas are English); a tile beyond it holds none of them.
    box = crs_.clipped_box(*tiles.TMS.xy_bounds(x, y, z), 3857, 27700, margin=2 * tiles.BUFFER / tiles.EXTENT)
    if box is None:
        return Response(status_code=204)
    covering = crs_.covering_polygon(*box, 3857, margin=0)
    chosen = replace(chosen, bound=_bound(params, access.Scope(geojson=covering)))
    return tile_routes.tile(request, z, x, y, LAYER, tms, chosen, properties)
