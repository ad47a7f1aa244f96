"""GET /priorities: small areas or authorities ranked by the transparent gap index, with the
evidence behind each rank, as GeoJSON or CSV (HTTP only; the figures come from analysis.gap_index)."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from analysis import answers, gap_index, need, spending
from analysis.defaults import ACCESS_CAP_M
from app import attribution, parameters
from app.collections import COLLECTIONS
from analysis.access import SUPPLY_DESCRIPTION, Supply
from app.dependencies import Integer, _list
from app.errors import ApiError

router = APIRouter(tags=["Gap analysis"])
# Says an answer is the one the analysis refresh kept (analysis/answers.py), not computed now.
PRECOMPUTED = "X-Kindmap-Precomputed"


def _codes(raw: str | None, parameter: str, pattern: str) -> list[str] | None:
    codes = [c.upper() for c in _list(raw) or []]
    bad = [c for c in codes if not (len(c) == 9 and c.startswith(pattern) and c[3:].isdigit())]
    if bad:
        raise ApiError(400, f"{parameter} {bad} are not {pattern}… GSS codes", parameter)
    return codes or None


def gap_query(
    request: Request,
    level: str = Depends(parameters.priorities_level),
    weights: dict[str, float] = Depends(parameters.categories_or_category),
    year: int = Depends(parameters.year),
    loss_from: int = Depends(parameters.loss_from),
    radius_m: float = Depends(parameters.radius),
    access_cap: Annotated[float, Query(ge=100, le=50000, description=(
        f"Distance in metres at which the access part reaches 1 (default {ACCESS_CAP_M:,g} m, twice the "
        "radius)."))] = ACCESS_CAP_M,
    region: Annotated[str | None, Query(description="Only these regions (E12… codes, comma-separated).")] = None,
    authority: Annotated[str | None, Query(description=(
        "Only this authority: a 2023 upper-tier authority, a district or an abolished authority "
        "code (its comparable unit)."), examples=["E08000009"])] = None,
    part_weights: gap_index.Weights = Depends(parameters.gap_weights),
    limit: Annotated[Integer, Query(ge=1, le=50000, description="Rows returned, best ranked first.")] = 100,
    supply: Annotated[Supply, Query(description=SUPPLY_DESCRIPTION)] = "places",
    need_: Annotated[str | None, Query(alias="need", pattern=need.PATTERN, description=(
        "The need part: `imd` (default: IMD 2019 rank), `indicator:NAME` or `indicator:NAME:low` "
        "(any loaded indicator, newest period, percent-ranked among the areas holding it; `high` "
        "(default) = a high value is more need), or several, each with `*weight`, comma-separated: "
        "`indicator:income_average_score*2,imd`."),
        examples=["indicator:health_deprivation_average_score"])] = None,
) -> gap_index.GapQuery:
    if loss_from > year:
        raise ApiError(400, f"loss_from {loss_from} is after year {year}", "loss_from")
    regions = _codes(region, "region", "E12")
    try:
        terms = need.parse(need_)
    except need.NeedError as error:
        raise ApiError(error.status, str(error), "need")
    utlas = None
    if authority:
        with request.app.state.engine.connect() as conn:
            try:
                utlas = gap_index.utlas_of(conn, authority.strip().upper())
            except spending.SpendingQueryError as error:
                raise ApiError(error.status, error.detail.replace("area", "authority", 1), "authority")
    return gap_index.GapQuery(level, tuple(weights), year, loss_from, radius_m, access_cap,
                              part_weights, utlas, tuple(regions) if regions else None, limit, terms,
                              category_weights=tuple(weights.values()), supply=supply)


@router.get(
    "/priorities",
    summary="Small areas or authorities ranked by the gap index, with the evidence for each rank",
    description="Where would a grant close the biggest gap? Each row has the gap score (the "
                "weighted mean of need, lack of access, loss and spending cut, each 0 … 1), every "
                "part beside it, the figures they come from and a sentence saying why it ranks "
                "where it does. See docs/analysis/gap-index.md.",
    responses={200: {"description": "GeoJSON FeatureCollection (default) or CSV (`f=csv`)",
                     "content": {"application/geo+json": {}, "text/csv": {"schema": {"type": "string"}}}}},
)
def priorities(
    request: Request,
    query: gap_index.GapQuery = Depends(gap_query),
    f: Annotated[Literal["geojson", "csv"], Query(description="Output format.")] = "geojson",
    sensitivity: Annotated[bool, Query(description=(
        "Also perturb the choices — each weight ×0.5 and ×1.5, each part left out, the radius (and "
        "access cap) ×0.5 and ×1.5 — and give each row its rank range (`rank_min`, `rank_max`), "
        "how often it is in the top `top` (`top_n_share`) and the part its top place hangs on "
        "(`hangs_on`, also in `why`); `kindmap:sensitivity` summarises (Kendall τ, top-N overlap "
        "per scenario)."))] = False,
    top: Annotated[Integer, Query(ge=1, le=1000, description="N of the sensitivity's top N.")] = 10,
) -> Response:
    summary, kept = None, None
    with request.app.state.engine.connect() as conn:
        known = gap_index.require_coverage(conn, query)
        # England-wide defaults: computed by the analysis refresh, served while their inputs hold
        if f == "geojson" and not sensitivity and query == gap_index.default_query(query.level):
            kept = answers.kept(conn, query.level)
        try:
            if kept is not None:
                rows = []
            elif sensitivity:
                rows, summary = gap_index.ranked_with_sensitivity(conn, query, top)
            else:
                rows = gap_index.ranked(conn, query)
        except need.NeedError as error:
            raise ApiError(error.status, str(error), "need")
        # built from what the small-area layer is: places, boundaries, population, IMD, spending
        headers = attribution.download_headers(conn, COLLECTIONS["small_areas"].data_tables, "priorities.csv")
    if f == "csv":
        return Response(gap_index.as_csv(rows, query), media_type="text/csv; charset=utf-8", headers=headers)
    del headers["Content-Disposition"]
    if kept is not None:
        return Response(kept, media_type="application/geo+json", headers={**headers, PRECOMPUTED: "analysis_answers"})
    meta = gap_index.meta(query, known)
    if summary is not None:
        meta["sensitivity"] = summary
    return Response(gap_index.feature_collection(rows, query, meta), media_type="application/geo+json",
                    headers=headers)
