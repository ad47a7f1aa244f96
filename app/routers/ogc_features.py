"""OGC API – Features, Part 1 (Core + GeoJSON): landing page, conformance, collections, items."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from app import dependencies as dep
from app import features
from app.collections import COLLECTIONS, Collection
from app.errors import ApiError

router = APIRouter(tags=["OGC API Features"])
GEOJSON = "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
ITEM_PARAMETERS = {"bbox", "limit", "offset", "f"}


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def collection_of(collection_id: Annotated[str, Path(
        description="Collection identifier: " + ", ".join(COLLECTIONS))]) -> Collection:
    if collection_id not in COLLECTIONS:
        raise ApiError(404, f"no collection {collection_id!r}; collections: {', '.join(COLLECTIONS)}",
                       "collectionId")
    return COLLECTIONS[collection_id]


@router.get("/", summary="Landing page")
def landing(request: Request, f: str = Depends(dep.output_format)) -> dict:
    base = _base(request)
    return {
        "title": "kindmap",
        "description": "Third places, public-health spending and the gaps between them.",
        "links": [
            {"href": f"{base}/", "rel": "self", "type": "application/json", "title": "This document"},
            {"href": f"{base}/openapi.json", "rel": "service-desc",
             "type": "application/vnd.oai.openapi+json;version=3.0", "title": "The API definition"},
            {"href": f"{base}/docs", "rel": "service-doc", "type": "text/html", "title": "API docs"},
            {"href": f"{base}/conformance", "rel": "conformance", "type": "application/json",
             "title": "Conformance classes"},
            {"href": f"{base}/collections", "rel": "data", "type": "application/json",
             "title": "Collections"},
        ],
    }


@router.get("/conformance", summary="Conformance classes implemented")
def conformance(f: str = Depends(dep.output_format)) -> dict:
    return {"conformsTo": CONFORMANCE}


def _describe(request: Request, collection: Collection) -> dict:
    base = _base(request)
    with request.app.state.engine.connect() as conn:
        bbox = features.extent(conn, collection)
    described = {
        "id": collection.id, "title": collection.title, "description": collection.description,
        "itemType": "feature", "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "links": [
            {"href": f"{base}/collections/{collection.id}", "rel": "self", "type": "application/json"},
            {"href": f"{base}/collections/{collection.id}/items", "rel": "items", "type": GEOJSON,
             "title": collection.title},
        ],
    }
    if bbox:
        described["extent"] = {"spatial": {"bbox": [bbox],
                                           "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}}
    return described


@router.get("/collections", summary="The collections served")
def collections(request: Request, f: str = Depends(dep.output_format)) -> dict:
    base = _base(request)
    return {"links": [{"href": f"{base}/collections", "rel": "self", "type": "application/json"}],
            "collections": [_describe(request, c) for c in COLLECTIONS.values()]}


@router.get("/collections/{collection_id}", summary="One collection")
def collection(request: Request, c: Collection = Depends(collection_of),
               f: str = Depends(dep.output_format)) -> dict:
    return _describe(request, c)


@router.get("/collections/{collection_id}/items", summary="Features of a collection (GeoJSON)",
            response_class=Response,
            responses={200: {"content": {GEOJSON: {}}, "description": "A GeoJSON FeatureCollection"},
                       400: {"description": "A bad parameter (problem+json naming it)"}})
def items(
    request: Request,
    c: Collection = Depends(collection_of),
    bbox: dep.BBox | None = Depends(dep.bbox),
    limit: int = Depends(dep.limit),
    offset: int = Depends(dep.offset),
    category: list[str] | None = Depends(dep.category),
    status: list[str] | None = Depends(dep.status),
    source: list[str] | None = Depends(dep.source),
    level: list[str] | None = Depends(dep.level),
    vintage: list[str] | None = Depends(dep.vintage),
    code: list[str] | None = Depends(dep.code),
    f: str = Depends(dep.output_format),
) -> Response:
    given = {"category": category, "status": status, "source": source, "level": level,
             "vintage": vintage, "code": code}
    allowed = ITEM_PARAMETERS | set(c.filters)
    for name in request.query_params:
        if name not in allowed:
            raise ApiError(400, f"{name!r} is not a parameter of {c.id} items; "
                           f"allowed: {', '.join(sorted(allowed))}", name)
    query = features.ItemsQuery(bbox, limit, offset, {k: v for k, v in given.items() if k in c.filters})
    with request.app.state.engine.connect() as conn:
        body = features.items(conn, c, query, str(request.url))
    return Response(body, media_type=GEOJSON)


@router.get("/collections/{collection_id}/items/{feature_id}", summary="One feature (GeoJSON)",
            response_class=Response,
            responses={200: {"content": {GEOJSON: {}}}, 404: {"description": "No such feature"}})
def item(
    request: Request,
    feature_id: Annotated[dep.integer(1), Path(description="The feature's id")],
    c: Collection = Depends(collection_of),
    f: str = Depends(dep.output_format),
) -> Response:
    with request.app.state.engine.connect() as conn:
        body = features.item(conn, c, feature_id)
    if body is None:
        raise ApiError(404, f"no feature {feature_id} in {c.id}", "featureId")
    return Response(body, media_type=GEOJSON)
