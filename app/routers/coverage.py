"""GET /coverage: where each source of places is complete — extent × categories × years — as JSON
or GeoJSON (the map's coverage layer reads it). HTTP only; the listing is analysis.coverage's."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from analysis import coverage
from app import dependencies as dep
from app.errors import ApiError
from models.categories import CATEGORIES
from models.places import STATUS_YEARS

router = APIRouter(tags=["Coverage"])
GEOJSON, JSON = "application/geo+json", "application/json"
EXAMPLE = {"id": 1, "source": "osm", "title": "OpenStreetMap third places", "categories": ["community_centre"],
           "first_year": 2022, "last_year": 2022, "extent_kind": "area", "area_codes": ["E06000017"],
           "basis": "OpenStreetMap extract rutland-latest.osm.pbf cut to E06000017, 2022", "small_areas": 24}


@router.get(
    "/coverage", summary="Where each source of places is complete: extent, categories and years",
    description="Every import run of places claims an extent (areas by GSS code, or a shape), the "
                "categories it lists completely there and the years it speaks for (a snapshot its own "
                "year). Outside every claim of a category, kindmap does not know what exists: analyses "
                "answer `null` with the reason `not_covered` (docs/places.md, \"Coverage\").",
    response_class=Response,
    responses={200: {"content": {JSON: {"example": [EXAMPLE]}, GEOJSON: {}},
                     "description": "A JSON array of claims, or (`f=geojson`) a FeatureCollection whose "
                                    "geometry is each claim's extent (null when the areas it names are "
                                    "not loaded)."}})
def list_coverage(
    request: Request,
    category: Annotated[str | None, Query(description="Only claims listing this category: "
                                                     + ", ".join(CATEGORIES),
                                          json_schema_extra={"enum": list(CATEGORIES)})] = None,
    year: Annotated[dep.Integer | None, Query(
        ge=STATUS_YEARS[0], le=STATUS_YEARS[-1], description=f"Only claims covering this year ({STATUS_YEARS[0]}–{STATUS_YEARS[-1]}).")] = None,
    f: Annotated[Literal["json", "geojson"] | None, Query(
        description="json (default) or geojson; without it the Accept header chooses.")] = None,
) -> Response:
    if category is not None and category not in CATEGORIES:
        raise ApiError(400, f"category {category!r} unknown; allowed: {', '.join(CATEGORIES)}", "category")
    geojson = f == "geojson" or (f is None and GEOJSON in request.headers.get("accept", ""))
    with request.app.state.engine.connect() as conn:
        body = coverage.listing(conn, category, year, geojson)
    return Response(body, media_type=GEOJSON if geojson else JSON)
