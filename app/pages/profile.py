"""The planner's and the funder's pages: GET /areas/{code} (an area profile) and GET /priorities
(the ranked gaps) as HTML. The page gets what only the database knows (the area, its places and
their status history, the loaded sources) from app/pages/sql/; every figure it charts it fetches
from the JSON API in the browser (static/profile/*.js), so the page shows the API's numbers."""
from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path as PathParam, Request
from fastapi.routing import APIRoute
from starlette.routing import Match

from analysis import defaults
from analysis.spending_services import services
from app.pages.assets import SQL
from app.pages.router import templates
from models.categories import CATEGORIES
from models.places import STATUS_YEARS

# Which loads stand behind which part of the profile (import_runs.kind); the places' own
# sources are added from the places shown.
FIGURES_OF_KIND = {
    "boundaries": ("map", "access", "closures"),
    "lookup": ("access", "closures", "spending"),
    "population": ("access", "closures", "spending"),
    "imd": ("access", "closures", "spending"),
    "centroids": ("access", "closures"),
    "revenue-outturn": ("spending",),
    "public-health-detail": ("spending",),
    "deflators": ("spending",),
}

LEVEL_NAMES = {"country": "Country", "region": "Region", "utla": "Upper-tier local authority (county or unitary)",
               "ltla": "Local authority district", "lsoa": "Lower layer super output area"}




def wants_page(scope) -> bool:
    """A browser navigating (Accept names text/html) and no explicit format (`f`)."""
    accept = dict(scope.get("headers") or []).get(b"accept", b"").lower()
    query = scope.get("query_string", b"")
    return b"text/html" in accept and not any(p.startswith(b"f=") for p in query.split(b"&"))


class PageRoute(APIRoute):
    """A page that matches only a browser's page request, so every other client (fetch, curl,
    the download links with `f=`) gets the API's route of the same path, or its 404/405."""

    def matches(self, scope):
        match, child = super().matches(scope)
        if match is Match.FULL and not wants_page(scope):
            return Match.NONE, {}
        return match, child


# Both pages answer a browser's navigation only: /priorities is also the API's, and a GET of
# /areas/summary (a POST route) stays the API's 405 for every other client.
router = APIRouter(include_in_schema=False, route_class=PageRoute)


def sources_behind(conn, place_sources: set[str]) -> list[dict]:
    """The loaded sources of the profile's figures, each with the parts it feeds."""
    shown = []
    for row in conn.execute(SQL.statement("sources")).mappings():
        feeds = sorted({f for kind in row["kinds"] for f in FIGURES_OF_KIND.get(kind, ())}
                       | ({"places", "access", "closures", "priorities"}
                          if row["key"] in place_sources else set()))
        if feeds:
            shown.append(dict(row) | {"feeds": feeds})
    return shown


def script_json(text_: str) -> str:
    """JSON safe inside a <script type="application/json"> element (no `</script>` in it)."""
    return text_.replace("<", "\\u003c")


def places_geojson(places: list[dict]) -> str:
    """The places as a FeatureCollection; each geometry is PostGIS's GeoJSON text, untouched."""
    features = ",".join(
        '{"type":"Feature","geometry":' + p["geometry"] + ',"properties":'
        + json.dumps({k: p[k] for k in ("id", "name", "category", "status")}) + "}" for p in places)
    return script_json('{"type":"FeatureCollection","features":[' + features + "]}")


def spending_services() -> dict:
    """What the charts may ask /spending for: each service's bases, whether it is a public
    health line (the line picker), and whether it crosses the October 2015 break."""
    return {key: {"label": key.removeprefix("ph_").replace("_", " "), "bases": s.bases(),
                  "line": key.startswith("ph_") and "part of" not in s.description
                  and "memo" not in s.description, "group": bool(s.lines),
                  "description": s.description, "breaks": s.zero_to_five_break}
            for key, s in services().items()}


def unit_utla(area) -> str | None:
    """The upper-tier authority whose spending unit the area reads (none for regions, LSOAs)."""
    return {"utla": area["code"], "ltla": next(
        (p["code"] for p in area["parents"] or [] if p["level"] == "utla"), None)}.get(area["level"])


# The analysis parameters' defaults (analysis/defaults.py), as the forms and scripts spell them.
DEFAULTS = {"categories": ",".join(defaults.CATEGORIES), "year": defaults.YEAR, "from": defaults.LOSS_FROM,
            "loss_from": defaults.LOSS_FROM, "radius": f"{defaults.RADIUS_M:g}"}


def spending_area(area) -> str | None:
    """What the page asks /spending for: the authority's unit, or the region or England itself
    (the sums of their authorities); none for a small area."""
    return area["code"] if area["level"] in ("region", "country") else unit_utla(area)


def choices(request: Request) -> dict:
    """The profile's own controls, echoed into the form (the page's script reads the same URL)."""
    q = request.query_params
    return {"categories": (q.get("categories") or DEFAULTS["categories"]).split(","),
            "year": int(q["year"]) if q.get("year", "").isdigit() else DEFAULTS["year"],
            "from": int(q["from"]) if q.get("from", "").isdigit() else DEFAULTS["from"],
            "radius": q.get("radius") or DEFAULTS["radius"]}


@router.get("/areas/{code}", name="area_page")
def area_profile(request: Request, code: Annotated[str, PathParam(max_length=16)]):
    code = code.strip().upper()
    with request.app.state.engine.connect() as conn:
        area = conn.execute(SQL.statement("area"), {"code": code}).mappings().first()
        if area is None:
            return templates.TemplateResponse(request, "profile/area_missing.html", {"code": code},
                                              status_code=404)
        places = [dict(p) for p in conn.execute(SQL.statement("area_places"), {"code": code}).mappings()]
        sources = sources_behind(conn, {p["source"] for p in places}
                                 | {s["source"] for p in places for s in p["statements"] or []})
    return templates.TemplateResponse(request, "profile/area.html", {
        "area": area, "places": places, "sources": sources, "categories": CATEGORIES,
        "area_json": json.dumps({k: area[k] for k in ("code", "name", "level", "vintage", "bbox",
                                                      "has_small_areas", "has_spending")}
                                | {"unit_utla": unit_utla(area), "spending_area": spending_area(area)}),
        "services_json": json.dumps(spending_services()), "places_geojson": places_geojson(places),
        "level_names": LEVEL_NAMES, "chosen": choices(request), "years": list(STATUS_YEARS),
        "defaults_json": json.dumps(DEFAULTS)})


@router.get("/priorities", name="priorities_page")
def priorities_page(request: Request):
    with request.app.state.engine.connect() as conn:
        areas = conn.execute(SQL.statement("choices")).mappings().all()
        comparable = conn.execute(SQL.statement("validation_ready")).scalar()
    return templates.TemplateResponse(request, "profile/priorities.html", {
        "categories": CATEGORIES, "years": list(STATUS_YEARS), "comparable": comparable, "defaults": DEFAULTS,
        "regions": [a for a in areas if a["level"] == "region"],
        "authorities": [a for a in areas if a["level"] == "utla"]})
