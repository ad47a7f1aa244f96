"""GET /spending: net current expenditure per head per upper-tier authority and year (HTTP only;
the figures come from analysis.spending)."""
from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from analysis import spending as analysis
from analysis.spending_services import services
from app import attribution
from app.errors import ApiError

SOURCES = ("spending", "indicators", "areas")
router = APIRouter(tags=["Spending"])

EXAMPLE = {
    "service": {"key": "public_health", "basis": "outturn", "datasets": ["RO3", "RS"],
                "series_break": "Children's 0-5 public health services … from 1 October 2015 …"},
    "from": "2013-14", "to": "2022-23",
    "population": {"indicator": "population", "period": "2022", "note": "fixed mid-2022 denominator"},
    "prices": {"deflator": "gdp_deflator_2023_24", "prices_of": "2023-24", "index": 100.0},
    "units": [{"unit": "E08000009", "name": "Trafford", "utlas": ["E08000009"], "predecessors": [],
               "boundary_note": None, "population": 236301.0, "years": [
                   {"financial_year": "2013-14", "dataset": "RO3", "basis": "outturn",
                    "amount_gbp": 10171000.0, "per_head_gbp": 43.04, "change_per_head_gbp": 0.0,
                    "change_per_head_pct": 0.0, "deflator": 75.8566, "real_amount_gbp": 13408193.88,
                    "real_per_head_gbp": 56.74, "real_change_per_head_gbp": 0.0,
                    "real_change_per_head_pct": 0.0, "series_break": None,
                    "comparable_with_from": True, "authorities": ["E08000009"],
                    "missing_returns": []}]}],
}
CSV_COLUMNS = ["unit", "name", "financial_year", "dataset", "basis", "population", "amount_gbp",
               "change_gbp", "per_head_gbp", "change_per_head_gbp", "change_per_head_pct", "deflator",
               "real_amount_gbp", "real_change_gbp", "real_per_head_gbp", "real_change_per_head_gbp",
               "real_change_per_head_pct", "series_break", "comparable_with_from", "authorities",
               "missing_returns"]
TENTH_COLUMNS = ["imd_tenth", "imd_score_min", "imd_score_max", "financial_year", "dataset", "units",
                 "units_missing", "population", "amount_gbp", "per_head_gbp", "change_per_head_gbp",
                 "change_per_head_pct", "real_amount_gbp", "real_per_head_gbp",
                 "real_change_per_head_gbp", "real_change_per_head_pct"]


def spending_query(
    area: Annotated[str | None, Query(
        description="GSS code: a 2023 upper-tier authority (e.g. E08000009 Trafford), an abolished "
                    "one (E10000006 Cumbria → its comparable unit), a district (its UTLA's unit) or "
                    "E92000001 for England. Omitted: every unit.", examples=["E08000009"])] = None,
    service: Annotated[str, Query(
        description="public_health, public_health_excl_0_5 (comparable across the October 2015 "
                    "transfer of 0-5 services), cultural, or a public health line from RO3/RA: "
                    + ", ".join(k for k in services() if k.startswith("ph_")),
        json_schema_extra={"enum": list(services())}, examples=["public_health"])] = "public_health",
    basis: Annotated[Literal["outturn", "budget"], Query(
        description="outturn (spent: RO3, RS) or budget (planned: RA). Never spliced.")] = "outturn",
    from_: Annotated[str, Query(alias="from", pattern=analysis.FINANCIAL_YEAR_PATTERN, description="First financial year and the base of "
                                "the change columns: 2013 or 2013-14.")] = "2013",
    to: Annotated[str, Query(pattern=analysis.FINANCIAL_YEAR_PATTERN, description="Last financial year: 2022 or 2022-23.")] = "2022",
    real: Annotated[bool, Query(description="Add real-terms columns (HM Treasury GDP deflators, "
                                "the newest table loaded).")] = True,
    prices: Annotated[str | None, Query(pattern=analysis.FINANCIAL_YEAR_PATTERN, description="Price year of the real-terms figures, e.g. "
                                        "2022-23 (default: the deflator table's newest year).")] = None,
) -> analysis.SpendingQuery:
    chosen = services().get(service)
    if chosen is None:
        raise ApiError(400, f"service {service!r} unknown; allowed: {', '.join(services())}",
                       "service")
    try:
        return analysis.SpendingQuery(
            chosen, basis, analysis.financial_year(from_, "from"), analysis.financial_year(to, "to"),
            area.strip().upper() if area else None, real,
            analysis.financial_year(prices, "prices") if prices else None)
    except analysis.SpendingQueryError as error:
        raise ApiError(error.status, error.detail, error.parameter)


def as_csv(document: dict) -> str:
    """One row per unit (or tenth) and year."""
    out = io.StringIO()
    grouped = "tenths" in document
    writer = csv.DictWriter(out, TENTH_COLUMNS if grouped else CSV_COLUMNS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for entry in document["tenths" if grouped else "units"]:
        for year in entry["years"]:
            writer.writerow(entry | year | {key: " ".join(year[key]) for key in
                                            ("authorities", "missing_returns") if key in year})
    return out.getvalue()


@router.get(
    "/spending",
    summary="Net current expenditure per head per upper-tier authority and year, nominal and real",
    description="Public health (total, without the 0-5 services, or one service line) and cultural "
                "services net current expenditure of each comparable unit — a 2023 upper-tier "
                "authority, or the 2023 successors of a split authority together — per head of the "
                "fixed mid-2022 population, with the change since `from`, in cash and in real "
                "terms. Budgets (RA) and outturn (RO3, RS) are separate series. See "
                "docs/analysis/spending.md.",
    responses={200: {"description": "JSON (default) or CSV (`f=csv`: one row per unit and year)",
                     "content": {"application/json": {"example": EXAMPLE},
                                 "text/csv": {"schema": {"type": "string"}}}}},
)
def spending(
    request: Request,
    query: analysis.SpendingQuery = Depends(spending_query),
    group: Annotated[Literal["imd_tenth"] | None, Query(
        description="imd_tenth: instead of one entry per unit, the units summed in tenths by "
                    "deprivation (IMD average score of the newest IoD LAD summaries, "
                    "population-weighted over a unit's districts; 1 = most deprived). Not with "
                    "`area`.")] = None,
    f: Annotated[Literal["json", "csv"], Query(description="Output format.")] = "json",
) -> Response:
    if group and query.area:
        raise ApiError(400, "group sums every unit: leave out area", "group")
    with request.app.state.engine.connect() as conn:
        try:
            document = (analysis.by_deprivation if group else analysis.spending)(conn, query)
        except analysis.SpendingQueryError as error:
            raise ApiError(error.status, error.detail, error.parameter)
        # the workbooks, the population and deflators behind the figures, and the areas named
        headers = attribution.download_headers(conn, SOURCES, "spending.csv")
    if f == "csv":
        return Response(as_csv(document), media_type="text/csv; charset=utf-8", headers=headers)
    del headers["Content-Disposition"]
    return Response(json.dumps(document), media_type="application/json", headers=headers)
