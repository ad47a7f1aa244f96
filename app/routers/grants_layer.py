"""The grants layer for maps: collection `grants` — items (GeoJSON pages, CSV, GeoJSON-Seq,
GeoPackage), one feature, vector tiles and TileJSON — for the parameters of GET /grants, `level`
defaulting to ltla (HTTP only; the figures are analysis/sql/grants_area_years.sql's, as /grants').

The query binds the parameters (analysis.grants.layer_parameters) and, where a plain filter names
one area (`code`, `ltla`, `utla` or `region` with one value) and `area` is not given, computes only
that area's; a tile computes only the areas whose boundary meets it. These routes come before the generic OGC routes (app/main.py), which serve the rest of
the collection (its description, queryables, tilesets) like any other.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from analysis import grants as analysis
from app import crs as crs_
from app import dependencies as dep
from app import tiles
from app.collections import COLLECTIONS
from app.errors import ApiError
from app.routers import ogc_features
from app.routers import tiles as tile_routes
from app.routers.grants import query_of
from app.selection import Selection, selection
from store.db import reading

router = APIRouter(tags=["Grants layer"])
LAYER = COLLECTIONS["grants"]
PATH = f"/collections/{LAYER.id}"
SCOPING_FILTERS = ("code", "ltla", "utla", "region")
layer_query = query_of("ltla")


def _scoped(query: analysis.GrantsQuery, chosen: Selection) -> analysis.GrantsQuery:
    """The query limited to the one area a plain filter names, when `area` does not say."""
    if query.area is None:
        for name in SCOPING_FILTERS:
            values = chosen.filters.get(name)
            if values and len(values) == 1:
                return replace(query, area=values[0].strip().upper())
    return query


def _bound(request: Request, query: analysis.GrantsQuery, within: str | None = None) -> dict:
    with reading(request.app.state.engine) as conn:
        try:
            return analysis.layer_parameters(conn, query, within)
        except analysis.GrantsQueryError as error:
            raise ApiError(error.status, error.detail, error.parameter)


@router.get(f"{PATH}/items",
            summary="Areas with their community grants per head (GeoJSON pages; CSV, GeoJSON-Seq, "
                    "GeoPackage downloads)",
            response_class=Response, responses=ogc_features.ITEMS_RESPONSES, openapi_extra=dep.filter_parameters())
def items(request: Request, query: analysis.GrantsQuery = Depends(layer_query),
          chosen: Selection = Depends(selection), asked: ogc_features.Page = Depends(ogc_features.page)) -> Response:
    ogc_features.refuse_unknown_parameters(request, LAYER, ogc_features.ITEM_PARAMETERS)
    chosen = replace(chosen, bound=_bound(request, _scoped(query, chosen)))
    return ogc_features.items_answer(request, LAYER, chosen, asked)


@router.get(f"{PATH}/items/{{code}}", summary="One area with its community grants per head (GeoJSON)",
            response_class=Response,
            responses={200: {"content": {ogc_features.GEOJSON: {}}}, 404: {"description": "No such area"},
                       304: {"description": "Not modified (If-None-Match matched the ETag)"}})
def item(
    request: Request,
    code: Annotated[str, Path(description="The area's GSS code (of `level`)", examples=["E08000009"])],
    query: analysis.GrantsQuery = Depends(layer_query),
    crs: crs_.Crs = Depends(dep.crs),
) -> Response:
    ogc_features.refuse_unknown_parameters(request, LAYER, {"crs", "f", "level"})
    bound = _bound(request, replace(query, area=code.strip().upper()))
    return ogc_features.feature(request, LAYER, code.strip().upper(), crs, bound, "code")


@router.get(f"{PATH}/tiles/{{tileMatrixSetId}}/tilejson.json",
            summary="TileJSON 3.0 of the grants layer (its parameters and filters are kept in its URL)",
            openapi_extra=dep.filter_parameters())
def tilejson(request: Request, query: analysis.GrantsQuery = Depends(layer_query),
             tms: str = Depends(tile_routes.tile_matrix_set), chosen: Selection = Depends(selection),
             properties: list[str] | None = Depends(dep.properties)) -> dict:
    return tile_routes.tilejson(request, LAYER, tms, chosen, properties)


@router.get(f"{PATH}/tiles/{{tileMatrixSetId}}/{{z}}/{{x}}/{{y}}",
            summary="One vector tile (MVT) of the grants layer: its areas with their grants per head",
            response_class=Response, responses=tile_routes.TILE_RESPONSES, openapi_extra=dep.filter_parameters())
def tile(
    request: Request,
    z: tile_routes.Zoom, x: tile_routes.Column, y: tile_routes.Row,
    query: analysis.GrantsQuery = Depends(layer_query),
    tms: str = Depends(tile_routes.tile_matrix_set),
    chosen: Selection = Depends(selection),
    properties: list[str] | None = Depends(dep.properties),
) -> Response:
    tiles.check_tile(z, x, y)
    # Only the areas the tile (and its buffer) can show are computed: every LSOA of England costs ~2 s.
    covering = crs_.covering_polygon(*tiles.TMS.xy_bounds(x, y, z), 3857, margin=2 * tiles.BUFFER / tiles.EXTENT)
    chosen = replace(chosen, bound=_bound(request, _scoped(query, chosen), covering))
    return tile_routes.tile(request, z, x, y, LAYER, tms, chosen, properties)
