"""GET /priorities/validation: the gap index against a loaded indicator (HTTP only; the figures
come from analysis.validation, as `kindmap validate INDICATOR` gives them)."""
from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from analysis import spending, validation
from app.errors import ApiError

router = APIRouter(tags=["Gap analysis"])


@router.get(
    "/priorities/validation",
    summary="How the gap index and each part compare with an independent indicator",
    description="The gap index per comparable unit (default parameters) and each of its parts "
                "against a loaded indicator keyed by GSS code at any level (LSOA, ward, district, "
                "authority), carried to the units through the lookups, population-weighted: "
                "Spearman's ρ with its 95 % interval, the overlap of the two top deciles against "
                "chance, both within each region, and every unit's pair of values; with level=lsoa "
                "per small area against the indicator's LSOA codes. An indicator not loaded, with no "
                "value for enough units, or a period it lacks is a 400 naming the parameter. See "
                "docs/analysis/validation.md.",
    responses={200: {"description": "JSON", "content": {"application/json": {}}}},
)
def priorities_validation(
    request: Request,
    indicator: Annotated[str, Query(description="A loaded indicator, e.g. income_average_score (IoD) or "
                                                "a funder's own index loaded with indicators-csv.",
                                    examples=["income_average_score"], max_length=64)],
    period: Annotated[str | None, Query(description="Its period (default the newest loaded).",
                                        max_length=16)] = None,
    direction: Annotated[Literal["high", "low"], Query(
        description="high: a high value means more need; low: a low value does.")] = "high",
    per_head: Annotated[bool, Query(description="The values are counts: summed and divided by the "
                                                "units' population.")] = False,
    level: Annotated[Literal["authority", "lsoa"], Query(
        description="authority: per comparable unit, the indicator carried to it; lsoa: per small "
                    "area, the indicator's LSOA codes only.")] = "authority",
) -> Response:
    with request.app.state.engine.connect() as conn:
        try:
            measure = validation.from_indicator(conn, indicator, period, direction == "high", per_head)
            result = validation.validate(conn, measure, level=level)
        except validation.ValidationError as error:
            raise ApiError(400, error.detail, error.parameter)
        except spending.SpendingQueryError as error:
            raise ApiError(error.status, error.detail, error.parameter)
    return Response(json.dumps(result), media_type="application/json")
