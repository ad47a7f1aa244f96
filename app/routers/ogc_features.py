"""OGC API – Features, Parts 1–3: landing page, conformance, collections, queryables, items.

Part 2 (CRS: CRS84, EPSG:4326, EPSG:27700) and Part 3 (CQL2 filters) ride on the same routes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import StreamingResponse

from app import attribution, caching, features, formats
from app import crs as crs_
from app import dependencies as dep
from app.collections import COLLECTIONS, Collection
from datasets.attribution import Credit
from store.db import reading
from app.errors import ApiError
from app.selection import Selection, selection, where
from edits import places as edits

router = APIRouter(tags=["OGC API Features"])
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.1"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
]
ALL_TABLES = tuple(sorted({t for c in COLLECTIONS.values() for t in c.data_tables}))
# The query parameters of items, besides the collection's own plain filters.
ITEM_PARAMETERS = {"bbox", "bbox-crs", "limit", "offset", "f", "crs", "datetime", "filter", "filter-lang",
                   "filter-crs", "properties", "sortby"}


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def collection_of(collection_id: Annotated[str, Path(
        alias="collectionId", description="Collection identifier: " + ", ".join(COLLECTIONS))]) -> Collection:
    if collection_id not in COLLECTIONS:
        raise ApiError(404, f"no collection {collection_id!r}; collections: {', '.join(COLLECTIONS)}",
                       "collectionId")
    return COLLECTIONS[collection_id]


def refuse_unknown_parameters(request: Request, collection: Collection, allowed: set[str]) -> None:
    allowed = allowed | set(collection.filters) | set(collection.parameters)
    for name in request.query_params:
        if name not in allowed:
            raise ApiError(400, f"{name!r} is not a parameter of {collection.id} here; "
                           f"allowed: {', '.join(sorted(allowed))}", name)


@router.get("/", summary="Landing page")
def landing(request: Request, f: str = Depends(dep.output_format)) -> dict:
    """The API's links, and the licences and attribution of everything loaded (`license` links)."""
    base = base_url(request)
    with reading(request.app.state.engine) as conn:
        credit = attribution.of(conn, ALL_TABLES)
    return {
        "title": "kindmap",
        "description": "Third places, public-health spending and the gaps between them.",
        **attribution.members(credit),
        "links": [
            {"href": f"{base}/", "rel": "self", "type": "application/json", "title": "This document"},
            {"href": f"{base}/openapi.json", "rel": "service-desc", "type": OPENAPI,
             "title": "The API definition (OpenAPI 3.1)"},
            {"href": f"{base}/docs", "rel": "service-doc", "type": "text/html", "title": "API docs"},
            {"href": f"{base}/conformance", "rel": "conformance", "type": "application/json",
             "title": "Conformance classes"},
            {"href": f"{base}/collections", "rel": "data", "type": "application/json",
             "title": "Collections"},
            {"href": f"{base}/tileMatrixSets", "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
             "type": "application/json", "title": "Tile matrix sets"},
            *attribution.licence_links(credit),
        ],
    }


@router.get("/conformance", summary="Conformance classes implemented")
def conformance(f: str = Depends(dep.output_format)) -> dict:
    return {"conformsTo": CONFORMANCE}


def describe(base: str, collection: Collection, bbox: list[float] | None, credit: Credit) -> dict:
    href = f"{base}/collections/{collection.id}"
    described = {
        "id": collection.id, "title": collection.title, "description": collection.description,
        "itemType": "feature", **attribution.members(credit),
        "links": [
            {"href": href, "rel": "self", "type": "application/json"},
            {"href": f"{href}/items", "rel": "items", "type": GEOJSON, "title": collection.title},
            {"href": f"{href}/items?f=csv", "rel": "items", "type": formats.MEDIA_TYPES["csv"],
             "title": "Download as CSV"},
            {"href": f"{href}/items?f=gpkg", "rel": "items", "type": formats.MEDIA_TYPES["gpkg"],
             "title": "Download as GeoPackage"},
            {"href": f"{href}/items?f=geojsonseq", "rel": "items", "type": formats.MEDIA_TYPES["geojsonseq"],
             "title": "Download as GeoJSON-Seq"},
            {"href": f"{href}/queryables", "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
             "type": "application/schema+json", "title": "Queryables"},
            {"href": f"{href}/schema", "rel": "describedby", "type": "application/schema+json",
             "title": "Schema of a feature (the type of every property)"},
            {"href": f"{href}/attribution", "rel": "related", "type": "text/plain",
             "title": "Attribution of the sources (keep it beside a download)"},
            *attribution.licence_links(credit),
        ],
    }
    if collection.geometry is not None:
        described["crs"] = list(crs_.SUPPORTED)
        described["storageCrs"] = crs_.CRS84.uri
        described["links"].append({"href": f"{href}/tiles", "rel": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                                   "type": "application/json", "title": "Vector tiles"})
    if bbox:
        described["extent"] = {"spatial": {"bbox": [bbox], "crs": crs_.CRS84.uri}}
    return described


@router.get("/collections", summary="The collections served")
def collections(request: Request, f: str = Depends(dep.output_format)) -> Response:
    base = base_url(request)
    with reading(request.app.state.engine) as conn:
        headers = caching.validate(request, caching.data_version(conn, ALL_TABLES))
        body = {"links": [{"href": f"{base}/collections", "rel": "self", "type": "application/json"}],
                "collections": [describe(base, c, features.extent(conn, c), attribution.of(conn, c.data_tables))
                                for c in COLLECTIONS.values()]}
    return _json(body, headers)


@router.get("/collections/{collectionId}", summary="One collection")
def collection(request: Request, c: Collection = Depends(collection_of),
               f: str = Depends(dep.output_format)) -> Response:
    with reading(request.app.state.engine) as conn:
        version = caching.data_version(conn, c.data_tables)
        headers = caching.validate(request, version)
        body = describe(base_url(request), c, features.extent(conn, c), attribution.of(conn, c.data_tables, version))
    return _json(body, headers)


@router.get("/collections/{collectionId}/attribution", summary="Attribution of a collection's sources",
            response_class=Response, responses={200: {"content": {"text/plain": {}}, "description":
                "The attribution lines and licences owed for the data loaded in the collection, as "
                "text to keep beside a download (the CSV, GeoPackage and GeoJSON-Seq answers link it)"}})
def collection_attribution(request: Request, c: Collection = Depends(collection_of)) -> Response:
    with reading(request.app.state.engine) as conn:
        version = caching.data_version(conn, c.data_tables)
        headers = caching.validate(request, version)
        credit = attribution.of(conn, c.data_tables, version)
    headers["Content-Disposition"] = f'inline; filename="{c.id}-attribution.txt"'
    return Response(attribution.as_text(c.title, credit), media_type="text/plain; charset=utf-8", headers=headers)


@router.get("/collections/{collectionId}/queryables", summary="Queryable properties (JSON Schema)",
            response_class=Response,
            responses={200: {"content": {"application/schema+json": {}},
                             "description": "A JSON Schema of the properties usable in filters"}})
def queryables(request: Request, c: Collection = Depends(collection_of)) -> Response:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base_url(request)}/collections/{c.id}/queryables",
        "type": "object", "title": c.title,
        "properties": {name: p.schema() for name, p in c.queryables.items()},
        "additionalProperties": False,
    }
    if c.temporal is not None:  # `datetime` is a parameter, not a property: said here for clients
        schema["description"] = f"Also `datetime` (an instant or interval): {c.temporal.description}"
    if c.geometry is not None:
        schema["properties"]["geometry"] = {
            "format": c.geometry.format,
            "description": "The feature's geometry (S_INTERSECTS, S_WITHIN, … in filter-crs)"}
    return _json(schema, {}, "application/schema+json")


@router.get("/collections/{collectionId}/schema", summary="Schema of a feature (JSON Schema)",
            response_class=Response,
            responses={200: {"content": {"application/schema+json": {}},
                             "description": "A JSON Schema of one GeoJSON feature of the collection: "
                                            "every property it carries, with its type"}})
def schema(request: Request, c: Collection = Depends(collection_of)) -> Response:
    # The whole Feature, with the properties under `properties`: the shape GDAL's OAPIF driver reads
    # from the `describedby` link (3.12 takes a field's type from `properties.properties`; without a
    # schema it guesses from the first page, and a number that starts as 1 becomes a 32-bit integer).
    # Types are the registry's; a property may also be null where its description says so.
    body = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base_url(request)}/collections/{c.id}/schema",
        "type": "object", "title": c.title, "description": c.description,
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"const": "Feature"},
            "id": {"type": "integer" if c.integer_id else "string"},
            "geometry": ({"type": "null"} if c.geometry is None else
                         {"format": c.geometry.format, "description": "GeoJSON geometry, or null where unlocated"}),
            "properties": {"type": "object", "properties": {name: p.schema() for name, p in c.properties.items()},
                           "required": list(c.properties), "additionalProperties": False},
        },
    }
    return _json(body, {}, "application/schema+json")


ITEMS_RESPONSES = {200: {"content": {media: {} for media in formats.MEDIA_TYPES.values()},
                         "description": "A GeoJSON FeatureCollection, or a download in `f`"},
                   304: {"description": "Not modified (If-None-Match matched the ETag)"}}


@dataclass(frozen=True)
class Page:
    """What an items request asks for besides its selection: paging, properties, order, CRS, format."""
    limit: int | None
    offset: int
    properties: list[str] | None
    sortby: list[tuple[str, bool]] | None
    crs: crs_.Crs
    fmt: str


async def page(limit: int | None = Depends(dep.limit), offset: int = Depends(dep.offset),
         properties: list[str] | None = Depends(dep.properties),
         sortby: list[tuple[str, bool]] | None = Depends(dep.sortby),
         crs: crs_.Crs = Depends(dep.crs), fmt: str = Depends(formats.item_format)) -> Page:
    return Page(limit, offset, properties, sortby, crs, fmt)


@router.get("/collections/{collectionId}/items",
            summary="Features of a collection (GeoJSON pages; CSV, GeoJSON-Seq, GeoPackage downloads)",
            response_class=Response, responses=ITEMS_RESPONSES, openapi_extra=dep.filter_parameters())
def items(request: Request, c: Collection = Depends(collection_of), chosen: Selection = Depends(selection),
          asked: Page = Depends(page)) -> Response:
    return items_answer(request, c, chosen, asked)


def items_answer(request: Request, c: Collection, chosen: Selection, asked: Page) -> Response:
    """The items answer in the format asked (a computed collection's `chosen` binds its parameters)."""
    limit, offset, properties, sortby, crs, fmt = (asked.limit, asked.offset, asked.properties, asked.sortby,
                                                   asked.crs, asked.fmt)
    refuse_unknown_parameters(request, c, ITEM_PARAMETERS)
    if fmt == "geojson" and limit is None:
        limit = request.app.state.settings.default_limit
    query = features.ItemsQuery(chosen, limit, offset, properties, sortby, crs)
    # Built once before any answer starts, so a bad parameter is a 400, never a broken download.
    features.feature_sql(c, query, where(c, chosen)[0])
    engine = request.app.state.engine
    with reading(engine) as conn:
        def credit(version: str) -> dict:  # the page names its sources: cached per data version
            found = attribution.of(conn, c.data_tables, version)
            return {**attribution.members(found), "links": attribution.licence_links(found)}

        if fmt == "geojson" and not caching.conditional(request):  # the version comes with the page
            version, body = features.items(conn, c, query, str(request.url), tables=c.data_tables, credit=credit)
            return Response(body, media_type=GEOJSON, headers=_crs(caching.validate(request, version, fmt), c, crs))
        version = caching.data_version(conn, c.data_tables)
        headers = _crs(caching.validate(request, version, fmt), c, crs)
        if fmt == "geojson":
            body = features.items(conn, c, query, str(request.url), version, credit=credit)[1]
            return Response(body, media_type=GEOJSON, headers=headers)
        found = attribution.of(conn, c.data_tables, version)
    headers["Content-Disposition"] = f'attachment; filename="{formats.filename(c, fmt)}"'
    # a download carries its sources in Link headers: the attribution text and each licence
    headers["Link"] = attribution.link_header(found, f"{base_url(request)}/collections/{c.id}/attribution")
    if fmt == "gpkg":
        return Response(formats.geopackage(engine, c, query), media_type=formats.MEDIA_TYPES[fmt],
                        headers=headers)
    stream = formats.csv_stream if fmt == "csv" else formats.geojsonseq_stream
    return StreamingResponse(stream(engine, c, query), media_type=formats.MEDIA_TYPES[fmt], headers=headers)


@router.get("/collections/{collectionId}/items/{feature_id}", summary="One feature (GeoJSON)",
            response_class=Response,
            responses={200: {"content": {GEOJSON: {}}}, 404: {"description": "No such feature"},
                       304: {"description": "Not modified (If-None-Match matched the ETag)"}})
def item(
    request: Request,
    feature_id: Annotated[dep.Integer, Path(ge=1, le=2**63 - 1, description="The feature's id")],
    c: Collection = Depends(collection_of),
    crs: crs_.Crs = Depends(dep.crs),
    f: str = Depends(dep.output_format),
) -> Response:
    return feature(request, c, feature_id, crs)


def feature(request: Request, c: Collection, feature_id: int | str, crs: crs_.Crs, bound: dict | None = None,
            parameter: str = "featureId") -> Response:
    """One feature's answer; ``bound``: what a computed collection's query binds."""
    with reading(request.app.state.engine) as conn:
        if c.editable:  # its own version, which a write's If-Match names (docs/edits.md)
            state = edits.state_of(conn, feature_id)
            # the members read from other tables (a place's grants) change its answer, not its state
            members = caching.members_version(conn, c.item_tables)
            headers = caching.validate_item(request, state, members) if state else {}
        else:
            headers = caching.validate(request, caching.data_version(conn, c.data_tables))
        body = features.item(conn, c, feature_id, crs, bound or {})
    if body is None:
        raise ApiError(404, f"no feature {feature_id} in {c.id}", parameter)
    return Response(body, media_type=GEOJSON, headers=_crs(headers, c, crs))


def _crs(headers: dict, c: Collection, crs: crs_.Crs) -> dict:
    if c.geometry is not None:
        headers["Content-Crs"] = f"<{crs.uri}>"
    return headers


def _json(body: dict, headers: dict, media_type: str = "application/json") -> Response:
    return Response(json.dumps(body), media_type=media_type, headers=headers)


def concrete_collection_paths(schema: dict) -> dict:
    """The document's routes of every collection that take a selection (items, tiles) as one path
    per collection, each with only that collection's filters and the names its ``properties`` and
    ``sortby`` take: what the document calls valid, the server takes (a filter of another collection
    is refused with a 400). The server keeps one route of each (FastAPI); a collection with routes
    of its own (small_areas) keeps them, narrowed the same way."""
    paths = schema.get("paths", {})
    for template in [p for p in paths if "{collectionId}" in p]:
        operations = paths[template]
        if not _selects(operations.get("get")):
            continue
        del paths[template]
        for c in COLLECTIONS.values():
            if "/tiles" in template and c.geometry is None:
                continue  # no tiles (a 404)
            concrete = paths.setdefault(template.replace("{collectionId}", c.id), {})
            for method, operation in operations.items():
                if method not in concrete and c.id in _collection_ids(operation):
                    concrete[method] = _without_collection_id(operation, c.id)
    for path, operations in paths.items():
        c = next((c for c in COLLECTIONS.values() if path.startswith(f"/collections/{c.id}/")), None)
        if c is not None and _selects(operations.get("get")):
            _narrow(operations["get"], c, tiles="/tiles/" in path)
    return schema


def _selects(operation: dict | None) -> bool:
    return bool(operation) and any(p["name"] in dep.PROPERTY_FILTERS and p["in"] == "query" and not _own(p)
                                   for p in operation.get("parameters", []))


def _collection_ids(operation: dict) -> list[str]:
    """The collections an operation of {collectionId} serves: its enum or const, else all."""
    for p in operation.get("parameters", []):
        if p["name"] == "collectionId":
            schema = p.get("schema", {})
            return schema.get("enum") or ([schema["const"]] if "const" in schema else list(COLLECTIONS))
    return list(COLLECTIONS)


def _without_collection_id(operation: dict, collection_id: str) -> dict:
    concrete = json.loads(json.dumps(operation))
    concrete["parameters"] = [p for p in concrete.get("parameters", []) if p["name"] != "collectionId"]
    if "operationId" in concrete:
        concrete["operationId"] += f"_{collection_id}"
    return concrete


def _own(parameter: dict) -> bool:
    """A route's own parameter named like a plain filter (the grants layer's ``level``), not the
    generic filter ``filter_parameters()`` declares (which carries the filter's own description)."""
    return parameter["name"] in dep.PROPERTY_FILTERS and \
        parameter.get("description") != dep.PROPERTY_FILTERS[parameter["name"]]


def _narrow(operation: dict, c: Collection, tiles: bool) -> None:
    """``c``'s filters instead of every collection's; ``properties`` and ``sortby`` its names;
    no ``bbox`` without a geometry, no ``datetime`` without a time span (each a 400 there)."""
    left_out = set(dep.PROPERTY_FILTERS) | ({"bbox", "bbox-crs"} if c.geometry is None else set()) | (
        {"datetime"} if c.temporal is None else set())
    parameters = [p for p in operation["parameters"] if p["name"] not in left_out or p["in"] != "query"
                  or _own(p)]
    for p in parameters:
        names = None
        if p["name"] == "properties":  # a tile carries the scalar ones
            names = dep.one_of(c.queryables if tiles else c.properties)
            pattern = f"^({names}(,{names})*)?$"
        elif p["name"] == "sortby":
            names = dep.one_of(n for n, prop in c.queryables.items() if prop.sortable)
            pattern = f"^[+-]?{names}(,[+-]?{names})*$"
        if names is not None:
            p["schema"] = {"type": "string", "pattern": pattern, "title": p["name"].title()}
    # a route of its own (grants) may declare a name a filter has (level, code): its own wins
    declared = {p["name"] for p in parameters}
    operation["parameters"] = parameters + [p for p in dep.filter_parameters(c.id)["parameters"]
                                            if p["name"] not in declared]
