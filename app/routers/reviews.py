"""The review queue of place identity through the API (places/reviews.py, docs/places.md), and
the decisions on candidate links from grants to places (edits/grant_reviews.py).

Listing is a read (public unless KINDMAP_READS_NEED_KEY); accepting or rejecting needs a key
with ``write:places``, and a key bound to authorities decides only pairs whose records lie in
them. A pending pair is one place meanwhile (counted once by every analysis).
"""
from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from analysis import grant_places
from app.errors import ApiError, problem_response
from app.routers.edits import COLLECTION, SECURITY, WRITE_RESPONSES, writer
from edits import grant_reviews
from edits.places import authorities_at, check_authority, place
from edits.validation import EditError
from models.reviews import REVIEW_STATES
from places import reviews

router = APIRouter(tags=["Place identity review"])
REVIEW_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "state": {"type": "string", "enum": list(REVIEW_STATES)},
    "rule": {"type": "string"}, "distance_m": {"type": "number"}, "name_score": {"type": ["number", "null"]},
    "records": {"type": "array", "items": {"type": "object"}}}}
DECIDE_RESPONSES = {
    401: WRITE_RESPONSES[401],
    403: problem_response("The key lacks `write:places`, or a record lies outside its authorities"),
    404: problem_response("No such review"),
    409: problem_response("The review was decided already"),
    200: {"description": "The decision", "content": {"application/json": {"schema": {"type": "object"}}}},
}


@router.get("/collections/{collectionId}/reviews", response_class=Response,
            summary="Pairs of records the identity rules could not decide: one place until someone decides",
            responses={200: {"description": "The reviews in this state, oldest first",
                             "content": {"application/json": {"schema": {"type": "object", "properties": {
                                 "reviews": {"type": "array", "items": REVIEW_SCHEMA}}}}}}})
def list_reviews(request: Request, c: COLLECTION,
                 state: Annotated[Literal[REVIEW_STATES], Query(description="Which reviews")] = "pending",
                 limit: Annotated[int, Query(ge=1, le=1000, description="At most this many")] = 100,
                 offset: Annotated[int, Query(ge=0, le=1_000_000, description="Skip this many")] = 0) -> Response:
    with request.app.state.engine.connect() as conn:
        found = reviews.listing(conn, state, limit, offset)
    return Response(json.dumps({"reviews": found, "numberReturned": len(found)}), media_type="application/json")


def _decide(request: Request, review_id: int, state: str, reason: str | None) -> Response:
    who = writer(request, "write:places")
    try:
        with request.app.state.engine.begin() as conn:
            for lon, lat in reviews.points(conn, review_id):
                check_authority(who, authorities_at(conn, lon, lat))
            decided = reviews.decide(conn, review_id, state, who.key_id, reason)
    except reviews.ReviewError as error:
        raise ApiError(error.status, error.detail, "reviewId") from None
    except EditError as error:
        raise ApiError(error.status, error.detail, error.field) from None
    return Response(json.dumps(decided), media_type="application/json")


def _decision_route(verb: str, state: str, summary: str) -> None:
    def route(request: Request, c: COLLECTION, review_id: Annotated[int, Path(
            alias="reviewId", ge=1, le=2**31 - 1, description="The review's id (from the list)")],
              reason: Annotated[str | None, Query(max_length=500, description="Why, for the record")] = None
              ) -> Response:
        return _decide(request, review_id, state, reason)
    route.__name__ = f"{verb}_review"
    router.post(f"/collections/{{collectionId}}/reviews/{{reviewId}}/{verb}", dependencies=SECURITY,
                response_class=Response, responses=DECIDE_RESPONSES, summary=summary)(route)


_decision_route("accept", "accepted", "The two records are one place (needs `write:places`)")
_decision_route("reject", "rejected", "The two records are two places (needs `write:places`); "
                "the places follow at the next places load")


GRANT_DECISIONS = {"accept": "accepted", "reject": "rejected"}


@router.get("/collections/{collectionId}/grant-candidates", response_class=Response,
            summary="Grants whose recipient's name agrees with a nearby place's: candidates no reviewer decided",
            responses={200: {"description": "The candidates, best names first, then nearest",
                             "content": {"application/json": {"schema": {"type": "object"}}}}})
def list_grant_candidates(
        request: Request, c: COLLECTION,
        area: Annotated[str | None, Query(max_length=16, description="GSS code: grants landing in it or inside it",
                                          examples=["E08000009"])] = None,
        limit: Annotated[int, Query(ge=1, le=1000, description="At most this many")] = 100,
        offset: Annotated[int, Query(ge=0, le=1_000_000, description="Skip this many")] = 0) -> Response:
    with request.app.state.engine.connect() as conn:
        found = grant_places.candidates(conn, area.strip().upper() if area else None, limit, offset)
    return Response(f'{{"candidates":[{",".join(found)}],"numberReturned":{len(found)}}}',
                    media_type="application/json")


@router.post("/collections/{collectionId}/items/{featureId}/grants/{grantId}/{decision}", dependencies=SECURITY,
             response_class=Response, summary="Accept or reject a candidate link from a grant to this place "
             "(a similar name near where the grant lands; needs `write:places`)",
             responses={**DECIDE_RESPONSES, 404: problem_response("No such place, or the grant is no candidate of it")})
def decide_grant(request: Request, c: COLLECTION,
                 feature_id: Annotated[int, Path(alias="featureId", ge=1, le=2**63 - 1, description="The place's id")],
                 grant_id: Annotated[str, Path(alias="grantId", max_length=500,
                                               description="The grant's 360Giving Identifier")],
                 decision: Annotated[Literal["accept", "reject"], Path(
                     description="accept: the place shows the grant as linked; reject: no longer shown")],
                 reason: Annotated[str | None, Query(max_length=500, description="Why, for the record")] = None
                 ) -> Response:
    who = writer(request, "write:places")
    try:
        with request.app.state.engine.begin() as conn:
            found = place(conn, feature_id)
            if found is None:
                raise ApiError(404, f"no place {feature_id}", "featureId")
            lon, lat = found.values.lon, found.values.lat
            check_authority(who, authorities_at(conn, lon, lat) if lon is not None else [])
            decided = grant_reviews.decide(conn, feature_id, grant_id, GRANT_DECISIONS[decision], who.key_id, reason)
    except EditError as error:
        raise ApiError(error.status, error.detail, error.field) from None
    return Response(json.dumps(decided), media_type="application/json")
