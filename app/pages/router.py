"""The pages: GET /map and the API docs at /docs (Swagger UI served from /static/vendor).

Templates extend ``base.html``; they get ``static(path)``, ``vendor(package, path)``, ``url(name)``
and ``nav`` from one context processor, so no template spells a URL by hand. Another page is one
route here (or in its own router using ``templates``), one template and, for the header, one
``NAV`` entry.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from analysis.defaults import MAX_RADIUS_M, MIN_RADIUS_M, RADIUS_M, YEAR, YEARS
from app import attribution
from app.collections import COLLECTIONS
from app.pages.assets import SQL, TEMPLATES
from models.categories import CATEGORIES

# (route name, label) of the header's links, in order.
NAV = [("map_page", "Map"), ("priorities_page", "Priorities"), ("docs_page", "API docs")]
# The small-area measures the map shades by: properties of the small-area tiles (docs/analysis.md);
# `better` says which end of the scale is good, so the legend can say so.
MEASURES = [
    {"id": "gap_score", "label": "Gap index (higher: bigger gap)", "better": "low"},
    {"id": "nearest_m", "label": "Distance to the nearest place (m)", "better": "low"},
    {"id": "count_within", "label": "Places within the radius", "better": "high"},
    {"id": "fca2", "label": "Places per resident in reach (2SFCA)", "better": "high"},
    {"id": "e2sfca", "label": "Places per resident, distance-weighted (E2SFCA)", "better": "high"},
    {"id": "gravity", "label": "Gravity access", "better": "high"},
]
MAP_LAYERS = [("places", "Places"), ("small_areas", "Small areas (shaded)"), ("authorities", "Authority boundaries")]


def page_helpers(request: Request) -> dict:
    def static(path: str) -> str:
        return request.url_for("static", path=path).path

    def vendor(package: str, path: str) -> str:
        return request.url_for(f"vendor-{package}", path=path).path

    def url(name: str, **params) -> str:
        return request.url_for(name, **params).path

    return {"static": static, "vendor": vendor, "url": url, "nav": NAV}


templates = Jinja2Templates(directory=TEMPLATES, context_processors=[page_helpers])
router = APIRouter(tags=["Pages"], default_response_class=HTMLResponse)
HTML = {200: {"content": {"text/html": {}}, "description": "An HTML page"}}


@router.get("/map", name="map_page", summary="The map: places, authority and small-area boundaries, "
            "small areas shaded by an access or gap measure (state kept in the URL's #fragment)",
            responses=HTML)
def map_page(request: Request) -> HTMLResponse:
    with request.app.state.engine.connect() as conn:
        vintage = conn.execute(SQL.statement("boundary_vintage")).scalar()
        # what the map's sources are built from, for its attribution control
        credits = {name: attribution.of(conn, COLLECTIONS[name].data_tables).text or ""
                   for name in ("places", "areas")}
    config = {"categories": list(CATEGORIES), "measures": MEASURES, "vintage": vintage, "attribution": credits,
              "years": [YEARS.start, YEARS.stop - 1], "year": YEAR, "radius": RADIUS_M}
    return templates.TemplateResponse(request, "map.html", {
        "config": config, "categories": CATEGORIES, "measures": MEASURES, "layers": MAP_LAYERS,
        "years": YEARS, "radius": {"min": MIN_RADIUS_M, "max": MAX_RADIUS_M}})


@router.get("/docs", name="docs_page", include_in_schema=False)
def docs_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "docs.html",
                                      {"openapi_url": request.scope.get("root_path", "") + request.app.openapi_url})
