"""GET /closures: places that closed between two years and the residents who lost every place
within reach, per authority and IMD decile. HTTP only: the figures come from analysis.closures."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from analysis import closures as measure
from analysis import coverage
from analysis.access import Scope
from analysis.defaults import LOSS_FROM, YEAR, YEARS
from app import dependencies as dep, parameters
from app.errors import ApiError

router = APIRouter(tags=["Closures"])
GEOJSON = "application/geo+json"
FIGURES = ("small_areas, residents, residents_covered_from/_to (residents with a place of the "
           "categories open within the radius in each year), coverage_change, share_covered_from/_to, "
           "residents_lost_every_place and small_areas_lost_every_place (covered in `from`, not in "
           "`to`), residents_gained_a_place, places_open_from/_to, places_closed, places_opened "
           "(places counted in the small area of their nearest origin)")

EXAMPLE = {
    "type": "FeatureCollection",
    "parameters": {"area": "E06000017", "categories": ["library"], "from": 2010, "to": 2016, "radius_m": 1200},
    "summary": {"small_areas": 26, "residents": 41151, "residents_covered_from": 19640,
                "residents_covered_to": 19640, "coverage_change": 0, "residents_lost_every_place": 0,
                "places_closed": 0},
    "by_imd_decile": [{"imd_decile": 5, "residents": 1600, "residents_lost_every_place": 0}],
    "by_ltla": [{"code": "E06000017", "name": "Rutland", "residents_lost_every_place": 0}],
    "by_utla": [{"code": "E06000017", "name": "Rutland", "residents_lost_every_place": 0}],
    "features": [{"type": "Feature", "id": 2, "geometry": {"type": "Point", "coordinates": [0.126459, 51.533334]},
                  "properties": {"id": 2, "name": "Castle Green", "category": "library", "status_to": "closed",
                                 "closed_year": 2013, "small_area": "E01000055", "imd_decile": 3,
                                 "ltla": "E09000002", "utla": "E09000002", "residents_within": 28455,
                                 "residents_lost_every_place": 13515}}],
}


@router.get(
    "/closures", summary="Places closed between two years and the residents who lost every place",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {"example": EXAMPLE}},
                     "description": "A GeoJSON FeatureCollection of the places that were open in `from` "
                                    "and closed (or temporarily closed) in `to`, whose nearest small area is "
                                    "in the area; each with `residents_within` the radius and "
                                    "`residents_lost_every_place` (residents within its radius left with "
                                    "no open place of the categories). Beside the features: `summary`, "
                                    f"`by_imd_decile` (1 = most deprived), `by_ltla` and `by_utla`: {FIGURES}."},
               404: {"description": "Unknown area (problem+json naming `area`)"}})
def closures(
    request: Request,
    area: Annotated[str | None, Query(
        description="An LTLA, UTLA, region or LSOA code (2023 authorities), or E92000001; default England.",
        openapi_examples={"Rutland": {"value": "E06000017"}, "Trafford": {"value": "E08000009"}})] = None,
    weights: dict[str, float] = Depends(parameters.categories),
    from_year: Annotated[dep.Integer, Query(
        ge=YEARS.start, le=YEARS.stop - 1, alias="from", description=f"The earlier year ({YEARS.start}–{YEARS.stop - 1}).")] = LOSS_FROM,
    to_year: Annotated[dep.Integer, Query(
        ge=YEARS.start, le=YEARS.stop - 1, alias="to", description="The later year (after `from`).")] = YEAR,
    radius_m: float = Depends(parameters.radius),
) -> Response:
    parameters.status_year("from", from_year), parameters.status_year("to", to_year)
    if from_year >= to_year:
        raise ApiError(400, f"to ({to_year}) must be a later year than from ({from_year})", "to")
    params = measure.ClosuresParams(tuple(weights), from_year, to_year, radius_m, parameters.area_code(area))
    with request.app.state.engine.begin() as conn:
        if params.area and not measure.area_known(conn, params.area):
            raise ApiError(404, f"no area {params.area!r}: not an LSOA, authority or region of the "
                                "small-area base", "area")
        inside = None if params.area in (None, measure.ENGLAND) else params.area
        coverage.require(conn, params.categories, (from_year, to_year), Scope(code=inside).bind(),
                         f"in {params.area or 'England'}")
        return Response(measure.closures(conn, params), media_type=GEOJSON)
