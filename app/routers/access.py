"""Access and gaps per small area: GET /gaps, GET /areas/{code}/summary, POST /areas/summary,
POST /scenarios. HTTP only: parameters are parsed here, the figures come from analysis.access."""
from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import InternalError

import analysis
from analysis import access, coverage, gap_index
from analysis.defaults import MAX_RADIUS_M, MIN_RADIUS_M
from app import dependencies as dep, parameters
from app.errors import ApiError

router = APIRouter(tags=["Access and gaps"])
GEOJSON = "application/geo+json"
JSON = "application/json"
MAX_GRAVITY_M = 20_000.0
MAX_GRAVITY_ALPHA = 10.0
MAX_STEP_WEIGHT = 1.0  # E2SFCA weights decay from 1 at the nearest step
# What _steps reads, as a regular expression: distance:weight pairs, each distance 100 to 10000 m
# and weight 0 to 1 in plain decimals. (That the distances increase, a pattern does not say.)
_STEP = r"0{0,15}(10000(\.0{0,20})?|[1-9][0-9]{2,3}(\.[0-9]{0,20})?):0{0,19}(1(\.0{0,20})?|0(\.[0-9]{0,20})?)"
STEPS_PATTERN = rf"^{_STEP}(,{_STEP})*$"


def _steps(raw: str | None) -> tuple[tuple[float, float], ...] | None:
    """``distance:weight,…`` in increasing distance, e.g. 400:1,800:0.68,1200:0.22."""
    if raw is None:
        return None
    steps = []
    for part in raw.split(","):
        distance, sep, weight = part.partition(":")
        if not sep:
            raise ApiError(400, f"steps: {part!r} is not distance:weight", "steps")
        steps.append((parameters.distance("steps", distance, None), dep.number("steps", weight)))
    if [d for d, _ in steps] != sorted({d for d, _ in steps}) or any(not 0 <= w <= MAX_STEP_WEIGHT for _, w in steps):
        raise ApiError(400, f"steps: distances must increase and weights be 0 to {MAX_STEP_WEIGHT:g}", "steps")
    return tuple(steps)


# Parses only, so it runs on the event loop (app/dependencies.py: no thread-pool hop per request).
async def access_params(
    weights: dict[str, float] = Depends(parameters.categories),
    year: int = Depends(parameters.year),
    radius_m: float = Depends(parameters.radius),
    catchment: Annotated[dep.Number | None, Query(
        ge=MIN_RADIUS_M, le=MAX_RADIUS_M,
        description="Metres: the 2SFCA and cumulative-opportunities catchment (default the radius).")] = None,
    steps: Annotated[str | None, Query(
        pattern=STEPS_PATTERN,
        description="E2SFCA step weights `distance:weight,…`, weights 0 to 1 (default pysal's 1, 0.68, 0.22 at a "
                    "third, two thirds and all of the catchment).",
        openapi_examples={"pysal defaults at 1200 m": {"value": "400:1,800:0.68,1200:0.22"}})] = None,
    gravity_scale: Annotated[dep.Number | None, Query(
        ge=MIN_RADIUS_M, le=MAX_RADIUS_M, description="Gravity: metres scale s (default the radius).")] = None,
    # Bounded, so (d/s)^α stays a double for every d and s allowed (≤ 1e24: 200^10; 0.005^-10).
    gravity_alpha: Annotated[dep.Number, Query(
        ge=-MAX_GRAVITY_ALPHA, le=MAX_GRAVITY_ALPHA,
        description=f"Gravity: exponent α of (d/s)^α, {-MAX_GRAVITY_ALPHA:g} to {MAX_GRAVITY_ALPHA:g} "
                    f"(default {access.DEFAULT_GRAVITY_ALPHA:g}).")] = access.DEFAULT_GRAVITY_ALPHA,
    gravity_max: Annotated[dep.Number | None, Query(
        ge=MIN_RADIUS_M, le=MAX_GRAVITY_M,
        description=f"Gravity: metres beyond which places do not count (default the catchment; at most "
                    f"{MAX_GRAVITY_M:g}).")] = None,
    supply: Annotated[access.Supply, Query(description=access.SUPPLY_DESCRIPTION)] = "places",
) -> access.AccessParams:
    return access.AccessParams(
        categories=tuple(weights), category_weights=tuple(weights.values()), year=year, radius_m=radius_m,
        catchment_m=catchment, steps=_steps(steps), gravity_scale_m=gravity_scale,
        gravity_alpha=gravity_alpha, gravity_max_m=gravity_max, supply=supply)


def _parameters(params: access.AccessParams, known: coverage.Known | None = None) -> dict:
    said = {"categories": list(params.categories), "category_weights": list(params.weights),
            "supply": params.supply, "year": params.year, "radius_m": params.radius_m,
            "catchment_m": params.catchment, "steps": [list(s) for s in params.step_weights]}
    if known is not None:  # which categories are known somewhere in the answer (docs/analysis.md, "Coverage")
        said["coverage"] = {"covered": list(known.covered), "not_covered": list(known.missing(params.categories))}
    return said


def require_coverage(conn, params: access.AccessParams, scope: access.Scope, where: str) -> coverage.Known:
    """What coverage says of the request; 400 (problem+json naming `categories`) when none of its
    categories is known anywhere in scope in its year."""
    return coverage.require(conn, params.categories, (params.year,), scope.bind(), where)


def gap_parameters(params: access.AccessParams) -> dict:
    """What the gap index binds beside the access parameters (/gaps, the small-area layer)."""
    return gap_index.score_parameters(gap_index.GapQuery(
        categories=params.categories, year=params.year, radius_m=params.radius_m))


def _scope(conn, code: str, parameter: str) -> access.Scope:
    scope = access.scope_of(conn, code)
    if scope is None:
        raise ApiError(404, f"no area {code!r}: not an LSOA, authority or region of the small-area base, "
                            "nor a loaded area", parameter)
    return scope


@router.get(
    "/gaps", summary="Access per small area of an area, as GeoJSON",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {"example": {
        "type": "FeatureCollection", "parameters": {"categories": ["library"], "year": 2016},
        "features": [{"type": "Feature", "id": "E01006074", "geometry": {"type": "MultiPolygon", "coordinates": []},
                      "properties": {"code": "E01006074", "name": "Trafford 025A", "population": 1660,
                                     "imd_decile": 5, "nearest_m": 1466.9,
                                     "nearest_place": {"id": 5460, "name": "Altrincham Library"},
                                     "count_within": 0, "access": {"cumulative": 0, "fca2": 0, "e2sfca": 0,
                                                                   "gravity": 0}, "gap": None}}]}}},
                    "description": "One feature per small area: its boundary where one is loaded, else "
                                   "its origin point; `gap` is the gap index where it is computed."}})
def gaps(
    request: Request,
    area: Annotated[str, Query(description="An LTLA, UTLA, region or LSOA code, or any loaded area's code.",
                               openapi_examples={"Trafford": {"value": "E08000009"},
                                                 "Rutland": {"value": "E06000017"}})],
    level: str = Depends(parameters.gaps_level),
    params: access.AccessParams = Depends(access_params),
) -> Response:
    with request.app.state.engine.begin() as conn:
        analysis.prepare(conn)
        scope = _scope(conn, parameters.area_code(area) or "", "area")
        known = require_coverage(conn, params, scope, f"in {area}")
        features = access.gap_features(conn, params, scope, gap_parameters(params))
    head = json.dumps({"type": "FeatureCollection", "area": area, "parameters": _parameters(params, known)})
    return Response(head[:-1] + ',"features":[' + features + "]}", media_type=GEOJSON)


def _summary_response(head: dict, figures: str) -> Response:
    return Response(json.dumps(head)[:-1] + "," + figures[1:], media_type=JSON)


SUMMARY_DESCRIPTION = (
    "`all` and `by_imd_decile` (1 = most deprived): residents, residents_within the radius and "
    "share_within, places (open places whose nearest small-area origin is in the group) and "
    "places_per_10k residents, median_m and p90_m (distance to the nearest place within which half / "
    "nine tenths of the residents live), fca2 (population-weighted mean 2SFCA)")


@router.get("/areas/{code}/summary", summary="Access roll-ups of an authority or any loaded area",
            response_class=Response,
            responses={200: {"content": {JSON: {"example": {
                "code": "E06000017", "name": "Rutland", "parameters": {"categories": ["library"]},
                "all": {"residents": 41151, "residents_within": 12000, "share_within": 0.29, "places": 4,
                        "places_per_10k": 0.97, "median_m": 2500.0, "p90_m": 6100.0, "fca2": 0.00004},
                "by_imd_decile": []}}}, "description": SUMMARY_DESCRIPTION}})
def area_summary(
    request: Request,
    code: Annotated[str, Path(description="An LTLA, UTLA, region or LSOA code, or any loaded area's code.",
                              openapi_examples={"Rutland": {"value": "E06000017"}})],
    params: access.AccessParams = Depends(access_params),
) -> Response:
    with request.app.state.engine.begin() as conn:
        analysis.prepare(conn)
        scope = _scope(conn, code, "code")
        known = require_coverage(conn, params, scope, f"in {code}")
        figures = access.summary(conn, params, scope)
        name = conn.execute(text("SELECT name FROM areas WHERE code = :code ORDER BY vintage DESC LIMIT 1"),
                            {"code": code}).scalar() or ("England" if code == access.ENGLAND_CODE else None)
    return _summary_response({"code": code, "name": name, "parameters": _parameters(params, known)}, figures)


# What _polygon takes, in the document: a GeoJSON Polygon or MultiPolygon.
_RINGS = {"type": "array", "minItems": 1, "items": {"type": "array", "minItems": 4, "items": {
    "type": "array", "minItems": 2, "maxItems": 3, "items": {"type": "number"}}}}
POLYGON_SCHEMA = {"type": "object", "required": ["type", "coordinates"], "anyOf": [
    {"properties": {"type": {"const": "Polygon"}, "coordinates": _RINGS}},
    {"properties": {"type": {"const": "MultiPolygon"}, "coordinates": {"type": "array", "minItems": 1, "items": _RINGS}}}]}


class Polygon(BaseModel):
    geometry: dict = Field(description="A GeoJSON Polygon or MultiPolygon in WGS84 (lon, lat)",
                           json_schema_extra=POLYGON_SCHEMA,
                           examples=[{"type": "Polygon", "coordinates": [
                               [[-0.75, 52.62], [-0.68, 52.62], [-0.68, 52.69], [-0.75, 52.69], [-0.75, 52.62]]]}])


def _rings(polygon) -> bool:
    """One polygon's coordinates as POLYGON_SCHEMA says them (PostGIS reads less, or raises)."""
    return isinstance(polygon, list) and bool(polygon) and all(
        isinstance(ring, list) and len(ring) >= 4 and all(
            isinstance(p, list) and 2 <= len(p) <= 3 and all(
                isinstance(n, (int, float)) and not isinstance(n, bool) for n in p) for p in ring)
        for ring in polygon)


def _polygon(body: Polygon, max_vertices: int) -> str:
    if body.geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise ApiError(400, "geometry must be a GeoJSON Polygon or MultiPolygon", "geometry")
    coordinates = body.geometry.get("coordinates")
    polygons = [coordinates] if body.geometry["type"] == "Polygon" else coordinates
    if not (isinstance(polygons, list) and polygons and all(_rings(p) for p in polygons)):
        raise ApiError(400, f"geometry: a {body.geometry['type']}'s coordinates are "
                            f"{'' if body.geometry['type'] == 'Polygon' else 'polygons of '}rings of at least 4 "
                            "positions of 2 or 3 numbers (POLYGON_SCHEMA)", "geometry")
    if _vertices(body.geometry.get("coordinates")) > max_vertices:
        raise ApiError(400, f"geometry has more than {max_vertices} vertices (KINDMAP_MAX_VERTICES); "
                       "simplify it first", "geometry")
    return json.dumps(body.geometry)


def _vertices(coordinates) -> int:
    """Positions in nested GeoJSON coordinates (a position is a list of numbers)."""
    if not isinstance(coordinates, list) or not coordinates:
        return 0
    if not isinstance(coordinates[0], list):
        return 1
    return sum(_vertices(part) for part in coordinates)


@router.post("/areas/summary", summary="Access roll-ups of a polygon you send",
             response_class=Response,
             responses={200: {"content": {JSON: {}}, "description": SUMMARY_DESCRIPTION}})
def polygon_summary(request: Request, body: Annotated[Polygon, Body()],
                    params: access.AccessParams = Depends(access_params)) -> Response:
    geojson = _polygon(body, request.app.state.settings.max_vertices)
    with request.app.state.engine.begin() as conn:
        analysis.prepare(conn)
        try:
            valid = conn.execute(text("SELECT ST_IsValid(ST_GeomFromGeoJSON(:g))"), {"g": geojson}).scalar()
        except InternalError as error:  # PostGIS's GeoJSON reader: coordinates not nested as a polygon's
            raise ApiError(400, f"geometry: {str(error.orig).splitlines()[0]}", "geometry") from None
        if not valid:
            raise ApiError(400, "geometry is not a valid polygon", "geometry")
        scope = access.Scope(geojson=geojson)
        known = require_coverage(conn, params, scope, "in the polygon")
        figures = access.summary(conn, params, scope)
    return _summary_response({"parameters": _parameters(params, known)}, figures)


class Scenario(BaseModel):
    # at least one place closed or opened (else a 400), as the document says
    model_config = {"json_schema_extra": {"anyOf": [{"required": ["close"], "properties": {"close": {"minItems": 1}}},
                                                    {"required": ["open"], "properties": {"open": {"minItems": 1}}}]}}
    # (ids up to 2^53: what a JSON client holds exactly, and what the document states exactly)
    close: list[Annotated[int, Field(ge=1, le=2**53)]] = Field(default=[], max_length=1000, description="Ids of places to close (at most 1,000)",
                             examples=[[123]])
    open: list[tuple[Annotated[float, Field(ge=-180, le=180)], Annotated[float, Field(ge=-90, le=90)]]] = Field(default=[], max_length=1000, examples=[[[-0.72, 52.66]]],
                                            description="Points (lon, lat) where a place opens (at most 1,000)")
    area: str | None = Field(default=None, description="Evaluate for this area's small areas (default: "
                             f"those within {access.SCENARIO_NEAR_M:g} m of the changes)")


@router.post("/scenarios", summary="What-if: the effect of closing or opening places (nothing is stored)",
             response_class=Response,
             responses={200: {"content": {JSON: {"example": {
                 "small_areas_evaluated": 721, "residents_losing": 1660, "residents_gaining": 0,
                 "fca2_before": 0.000136, "fca2_after": 0.000135, "changed": []}}},
                 "description": "Residents who lose (gain) every place within the radius, the "
                                "population-weighted mean 2SFCA before and after, and each small area "
                                "whose figures changed."}})
def scenarios(request: Request, body: Annotated[Scenario, Body()],
              params: access.AccessParams = Depends(access_params)) -> Response:
    if not body.close and not body.open:
        raise ApiError(400, "a scenario closes (close) or opens (open) at least one place", "close")
    if any(not (-180 <= lon <= 180 and -90 <= lat <= 90) for lon, lat in body.open):
        raise ApiError(400, "open: points are (longitude, latitude) in WGS84", "open")
    with request.app.state.engine.begin() as conn:
        analysis.prepare(conn)
        known = conn.execute(text("SELECT array_agg(id) FROM places WHERE id = ANY(:ids)"),
                             {"ids": body.close}).scalar() or []
        missing = sorted(set(body.close) - set(known))
        if missing:
            raise ApiError(404, f"no place with id {missing}", "close")
        scope = _scope(conn, body.area, "area") if body.area else None
        require_coverage(conn, params, scope or access.ENGLAND, f"in {body.area}" if body.area else "anywhere")
        effect = access.scenario(conn, params, access.WhatIf(tuple(body.close), tuple(body.open)), scope)
    return Response(effect, media_type=JSON)
