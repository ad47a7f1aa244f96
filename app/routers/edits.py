"""Writes to places, OGC API – Features Part 4 style, and the public's proposals (docs/edits.md).

Writes always need a key with ``write:places`` (its authorities bound where), an ETag in
If-Match for a change to an existing place (428 without, 412 when stale), a JSON body within
KINDMAP_MAX_EDIT_BODY_BYTES (413) of a media type listed (415). The work is done by ``edits/``.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.security import APIKeyHeader, HTTPBearer
from sqlalchemy import Connection

from app import auth, caching, features
from app import crs as crs_
from app.collections import COLLECTIONS
from app.dependencies import Integer
from app.errors import ApiError, problem_response
from edits import places as edits
from edits import proposals
from edits.validation import EditError, checked, feature_values, fields, parse_json, patch_values, this_year
from models.categories import CATEGORIES, OPERATOR_TYPES, STATUSES
from models.edits import PROPOSAL_STATES

router = APIRouter(tags=["Edits"])
PLACES = COLLECTIONS["places"]
GEOJSON = "application/geo+json"
FEATURE_TYPES = (GEOJSON, "application/json")
PATCH_TYPES = ("application/merge-patch+json", *FEATURE_TYPES)
# Documented only: the key is read by app.auth (Bearer or X-API-Key), never logged.
SECURITY = [Depends(HTTPBearer(auto_error=False, description="An API key: `Bearer km_…`")),
            Depends(APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key"))]

PROPERTIES_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "name": {"type": ["string", "null"], "minLength": 1, "maxLength": 200, "pattern": "^[^\\x00-\\x1f\\x7f]*[^\\x00-\\x20\\x7f][^\\x00-\\x1f\\x7f]*$"},
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "status": {"type": ["string", "null"], "enum": [*STATUSES, None], "description": "null: open"},
        # (the maximum is the year the server started in: "not after this year" when it is read)
        "opened_year": {"type": ["integer", "null"], "minimum": 1800, "maximum": this_year(),
                        "description": "Not after this year"},
        "closed_year": {"type": ["integer", "null"], "minimum": 1800, "maximum": this_year(),
                        "description": "Closed places only; not before opened_year nor after this year"},
        "operator_type": {"type": ["string", "null"], "enum": [*OPERATOR_TYPES, None], "description": "null: unknown"},
        "attributes": {"type": ["object", "null"], "description": "Further attributes (at most 4 kB of JSON)"},
    },
}
POINT_SCHEMA = {"type": "object", "required": ["type", "coordinates"], "properties": {
    "type": {"const": "Point"},
    "coordinates": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "number"},
                    "prefixItems": [{"type": "number", "minimum": -180, "maximum": 180},
                                    {"type": "number", "minimum": -90, "maximum": 90}],
                    "description": "[longitude, latitude] in CRS84, inside the UK's stored boundaries"}}}
FEATURE_SCHEMA = {"type": "object", "required": ["type", "geometry", "properties"], "additionalProperties": False,
                  "properties": {
    "type": {"const": "Feature"}, "id": {"description": "Ignored: the place's id is the server's"},
    "geometry": POINT_SCHEMA,
    # a whole Feature: closed_year only with status closed (a patch's depends on the stored status)
    "properties": {**PROPERTIES_SCHEMA, "required": ["category"], "anyOf": [
        {"not": {"required": ["closed_year"]}}, {"properties": {"closed_year": {"type": "null"}}},
        {"required": ["status"], "properties": {"status": {"const": "closed"}}}]}}}
PATCH_SCHEMA = {"type": "object", "description": "A JSON merge patch (RFC 7396) of the Feature: the "
                "properties and/or geometry it changes; null clears a property",
                "additionalProperties": False,
                "properties": {"type": {"const": "Feature"}, "geometry": POINT_SCHEMA,
                               "properties": PROPERTIES_SCHEMA},
                # it changes something (else a 400)
                "anyOf": [{"required": ["geometry"]},
                          {"required": ["properties"], "properties": {"properties": {"minProperties": 1}}}]}
SERVED_FEATURE = {"type": "object", "required": ["type", "id", "geometry", "properties"]}
IF_MATCH = Annotated[str | None, Header(alias="If-Match", description="The place's ETag, from GET "
                                        "(required: 428 without it, 412 when the place has changed since)")]
# The paths of OGC API Features (one document path per resource); only places is editable.
COLLECTION = Annotated[Literal["places"], Path(alias="collectionId", description="An editable collection: places")]


def editable(collection_id: Annotated[str, Path(alias="collectionId", json_schema_extra={"enum": ["places"]},
                                                 description="An editable collection: places")]) -> str:
    """Checked before the body is read: a write to a read-only collection (or a literal path
    such as /collections/small_areas/items) is 405, whatever its body."""
    if collection_id != "places":
        raise ApiError(405, f"{collection_id!r} is read-only here; places is editable", "collectionId",
                       title="Method not allowed", headers={"Allow": "GET, HEAD, OPTIONS"})
    return collection_id
FEATURE_ID = Annotated[Integer, Path(ge=1, le=2**63 - 1, description="The place's id")]

WRITE_RESPONSES = {
    401: problem_response("No API key, or one that is not valid"),
    405: problem_response("The collection is read-only (only places is editable)"),
    403: problem_response("The key lacks `write:places`, or the place lies outside its authorities"),
    413: problem_response("The body is larger than KINDMAP_MAX_EDIT_BODY_BYTES"),
    415: problem_response("The body's media type is not one listed"),
}
CHANGE_RESPONSES = {
    **WRITE_RESPONSES,
    200: {"description": "The place as now served, with its new ETag",
          "content": {GEOJSON: {"schema": SERVED_FEATURE}}, "headers": {"ETag": {"schema": {"type": "string"}}}},
    412: problem_response("If-Match names an earlier version of the place: GET it again"),
    428: problem_response("If-Match is missing"),
}


def body_reader(media_types: tuple[str, ...]):
    async def body(request: Request) -> bytes:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media not in media_types:
            raise ApiError(415, f"send the body as {' or '.join(media_types)}", "Content-Type",
                           title="Unsupported media type")
        limit = request.app.state.settings.max_edit_body_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        received = bytearray()
        async for chunk in request.stream():
            received += chunk
            if len(received) > limit:
                raise _too_large(limit)
        return bytes(received)
    return body


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"the body is larger than {limit} bytes", "body", title="Content too large")


def writer(request: Request, scope: str = "write:places") -> edits.Writer:
    key = auth.key_of(request)
    if key is None:
        raise ApiError(401, f"writes need an API key with scope {scope!r}", "Authorization",
                       headers=auth.CHALLENGE)
    if not key.allows(scope):
        raise ApiError(403, f"this key lacks the scope {scope!r}", "Authorization")
    authorities = () if "admin" in key.scopes else key.authorities
    return edits.Writer(key.id, authorities, f"{request.method} {request.url.path}")


def answer(request: Request, conn: Connection, place: edits.Place, status: int = 200) -> Response:
    """The place as the collection serves it, with the ETag a following write names."""
    headers = {"ETag": caching.item_tag(request, place.state, caching.members_version(conn, PLACES.item_tables))}
    if status == 201:
        headers["Location"] = f"{str(request.base_url).rstrip('/')}/collections/places/items/{place.id}"
    return Response(features.item(conn, PLACES, place.id, crs_.CRS84), status_code=status,
                    media_type=GEOJSON, headers=headers)


@contextmanager
def refusals():
    """EditError (from edits/) → problem+json naming the field."""
    try:
        yield
    except EditError as error:
        raise ApiError(error.status, error.detail, error.field, title=TITLES.get(error.status)) from None


def run(request: Request, work) -> Response:
    """``work(conn)`` → (place, status), in one transaction."""
    with refusals(), request.app.state.engine.begin() as conn:
        place, status = work(conn)
        return answer(request, conn, place, status)


TITLES = {412: "Precondition failed", 428: "Precondition required", 409: "Conflict", 429: "Too many requests"}


@router.post("/collections/{collectionId}/items", summary="Add a place (a planner's record)", status_code=201,
             dependencies=SECURITY, response_class=Response,
             openapi_extra={"requestBody": {"required": True, "content": {
                 t: {"schema": FEATURE_SCHEMA} for t in FEATURE_TYPES}}},
             responses={**WRITE_RESPONSES, 201: {
                 "description": "Created: the place as served, its ETag and Location",
                 "content": {GEOJSON: {"schema": SERVED_FEATURE}},
                 "headers": {"Location": {"schema": {"type": "string"}}, "ETag": {"schema": {"type": "string"}}}}})
def create_place(request: Request, c: str = Depends(editable), body: bytes = Depends(body_reader(FEATURE_TYPES))) -> Response:
    who = writer(request)
    with refusals():
        values = checked(feature_values(parse_json(body)))
    return run(request, lambda conn: (edits.create(conn, who, values), 201))


@router.put("/collections/{collectionId}/items/{feature_id}", summary="Replace a place's properties and point",
            dependencies=SECURITY, response_class=Response, responses=CHANGE_RESPONSES,
            openapi_extra={"requestBody": {"required": True, "content": {
                t: {"schema": FEATURE_SCHEMA} for t in FEATURE_TYPES}}})
def replace_place(request: Request, feature_id: FEATURE_ID, c: str = Depends(editable),
                  if_match: IF_MATCH = None, body: bytes = Depends(body_reader(FEATURE_TYPES))) -> Response:
    return change(request, feature_id, if_match, feature_values, body, "replace")


@router.patch("/collections/{collectionId}/items/{feature_id}", summary="Change some of a place's properties or its point",
              dependencies=SECURITY, response_class=Response, responses=CHANGE_RESPONSES,
              openapi_extra={"requestBody": {"required": True, "content": {
                  t: {"schema": PATCH_SCHEMA} for t in PATCH_TYPES}}})
def patch_place(request: Request, feature_id: FEATURE_ID, c: str = Depends(editable),
                if_match: IF_MATCH = None, body: bytes = Depends(body_reader(PATCH_TYPES))) -> Response:
    return change(request, feature_id, if_match, patch_values, body, "update")


def change(request: Request, feature_id: int, if_match: str | None, parse, body: bytes, action: str) -> Response:
    """PUT (``replace``: the body is the whole place) or PATCH (``update``: a merge patch)."""
    who = writer(request)
    with refusals():
        changes = parse(parse_json(body))
        fields(changes)  # a value that cannot be right is refused before the place is read
    whole = action == "replace"
    return run(request, lambda conn: (edits.change(conn, who, feature_id, if_match, changes, whole, action), 200))


@router.delete("/collections/{collectionId}/items/{feature_id}", summary="Withdraw a place (it becomes closed; "
               "its records and history stay)", dependencies=SECURITY, response_class=Response,
               responses={k: v for k, v in CHANGE_RESPONSES.items() if k not in (413, 415)})
def delete_place(request: Request, feature_id: FEATURE_ID, c: str = Depends(editable),
                 if_match: IF_MATCH = None) -> Response:
    who = writer(request)
    return run(request, lambda conn: (edits.withdraw(conn, who, feature_id, if_match), 200))


HISTORY_SCHEMA = {"type": "object", "required": ["id", "history"], "properties": {
    "id": {"type": "integer"},
    "history": {"type": "array", "items": {"type": "object", "required": ["at", "action", "after"], "properties": {
        "at": {"type": "string", "format": "date-time"},
        "action": {"type": "string", "enum": ["create", "replace", "update", "delete", "superseded", "accept"]},
        "key_id": {"type": ["integer", "null"], "description": "The API key that wrote (null: a load)"},
        "import_run_id": {"type": "integer"}, "record_id": {"type": "integer"},
        "before": {"type": ["object", "null"]}, "after": {"type": "object"}}}}}}


@router.get("/collections/{collectionId}/items/{feature_id}/history",
            summary="A place's audit trail: every write through the API, and every edit a reload superseded",
            response_class=Response,
            responses={200: {"description": "Oldest first", "content": {"application/json": {"schema": HISTORY_SCHEMA}}}})
def place_history(request: Request, c: COLLECTION, feature_id: FEATURE_ID) -> Response:
    with request.app.state.engine.connect() as conn:
        trail = edits.history(conn, feature_id)
    if trail is None:
        raise ApiError(404, f"no place {feature_id}", "featureId")
    return Response(json.dumps({"id": feature_id, "history": trail}, default=str), media_type="application/json")


PROPOSAL_ID = Annotated[Integer, Path(ge=1, le=2**63 - 1, description="The proposal's id")]
PROPOSAL_SCHEMA = {"type": "object", "required": ["id", "state"], "properties": {
    "id": {"type": "integer"}, "state": {"type": "string", "enum": list(PROPOSAL_STATES)}}}
MODERATE_RESPONSES = {
    401: problem_response("No API key, or one that is not valid"),
    403: problem_response("The key lacks `moderate`, or the proposal lies outside its authorities"),
    409: problem_response("The proposal was decided already"),
}


@router.post("/collections/{collectionId}/proposals", status_code=202, response_class=Response,
             summary="Propose a place (no key needed): it waits for a moderator, and is not served until accepted",
             openapi_extra={"requestBody": {"required": True, "content": {
                 t: {"schema": FEATURE_SCHEMA} for t in FEATURE_TYPES}}},
             responses={202: {"description": "Queued for moderation",
                              "content": {"application/json": {"schema": PROPOSAL_SCHEMA}}},
                        401: problem_response("Proposals need a key here (KINDMAP_PROPOSALS_OPEN=false)"),
                        413: WRITE_RESPONSES[413], 415: WRITE_RESPONSES[415],
                        429: {**problem_response("Too many proposals from this client: wait Retry-After seconds"),
                              "headers": {"Retry-After": {"schema": {"type": "integer"}}}}})
def propose_place(request: Request, c: COLLECTION, body: bytes = Depends(body_reader(FEATURE_TYPES))) -> Response:
    settings = request.app.state.settings
    if not settings.proposals_open and auth.key_of(request) is None:
        raise ApiError(401, "proposals need an API key here", "Authorization", headers=auth.CHALLENGE)
    limit = proposals.Limit(settings.proposals_per_client, settings.proposals_window_s)
    address = request.client.host if request.client else "unknown"
    with refusals():
        values = checked(feature_values(parse_json(body)))
        try:
            with request.app.state.engine.begin() as conn:
                proposal = proposals.submit(conn, address, values, limit)
        except proposals.TooMany as refusal:
            raise ApiError(429, f"at most {limit.per_client} proposals per {limit.window_s} s from one client",
                           "body", title="Too many requests",
                           headers={"Retry-After": str(refusal.retry_after)}) from None
    return Response(json.dumps({"id": proposal, "state": "pending"}), status_code=202, media_type="application/json")


@router.get("/collections/{collectionId}/proposals", dependencies=SECURITY, response_class=Response,
            summary="Proposals in one state, oldest first (needs a key with `moderate`)",
            responses={**MODERATE_RESPONSES, 200: {"description": "A GeoJSON FeatureCollection of proposals",
                                                   "content": {GEOJSON: {"schema": {"type": "object"}}}}})
def list_proposals(request: Request, c: COLLECTION,
                   state: Annotated[Literal[PROPOSAL_STATES], Query(description="Which proposals")] = "pending"
                   ) -> Response:
    writer(request, "moderate")
    with request.app.state.engine.connect() as conn:
        found = proposals.listing(conn, state)
    return Response(json.dumps({"type": "FeatureCollection", "features": found}), media_type=GEOJSON)


@router.post("/collections/{collectionId}/proposals/{proposal_id}/accept", dependencies=SECURITY,
             status_code=201, response_class=Response,
             summary="Accept a proposal: it becomes a place (needs a key with `moderate`)",
             responses={**MODERATE_RESPONSES, 201: {
                 "description": "The new place as served, its ETag and Location",
                 "content": {GEOJSON: {"schema": SERVED_FEATURE}},
                 "headers": {"Location": {"schema": {"type": "string"}}, "ETag": {"schema": {"type": "string"}}}}})
def accept_proposal(request: Request, c: COLLECTION, proposal_id: PROPOSAL_ID) -> Response:
    moderator = writer(request, "moderate")
    return run(request, lambda conn: (proposals.accept(conn, moderator, proposal_id), 201))


@router.post("/collections/{collectionId}/proposals/{proposal_id}/reject", dependencies=SECURITY,
             response_class=Response, summary="Reject a proposal (needs a key with `moderate`)",
             responses={**MODERATE_RESPONSES, 200: {"description": "Rejected",
                                                   "content": {"application/json": {"schema": PROPOSAL_SCHEMA}}}})
def reject_proposal(request: Request, c: COLLECTION, proposal_id: PROPOSAL_ID,
                    reason: Annotated[str | None, Query(max_length=500, description="Why, for the record")] = None
                    ) -> Response:
    moderator = writer(request, "moderate")
    with refusals(), request.app.state.engine.begin() as conn:
        proposals.reject(conn, moderator, proposal_id, reason)
    return Response(json.dumps({"id": proposal_id, "state": "rejected"}), media_type="application/json")
