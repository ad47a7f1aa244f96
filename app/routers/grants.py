"""GET /grants: community grants per head per area and financial year, nominal and real, null
with a reason where no loaded funder's file covers the area (HTTP only; the figures come from
analysis.grants; docs/analysis/grants.md)."""
from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from analysis import grants as analysis
from analysis.spending import FINANCIAL_YEAR_PATTERN, financial_year
from app.errors import ApiError

router = APIRouter(tags=["Grants"])

CSV_COLUMNS = ["code", "name", "level", "population", "covered", "coverage_reason", "financial_year",
               "grants", "amount_gbp", "per_head_gbp", "deflator", "real_amount_gbp", "real_per_head_gbp",
               "coarser_grants", "coarser_gbp", "apportioned_gbp", "apportioned"]
AREA_PROPERTIES = ["code", "name", "level", "ltla", "utla", "region", "population", "covered",
                   "covering_funders", "coverage_reason", "amount_gbp", "per_head_per_year_gbp",
                   "real_per_head_per_year_gbp", "years"]


def query_of(default_level: str):
    """The dependency reading /grants' parameters (the `grants` collection's too), `level`
    defaulting to ``default_level``."""

    def grants_query(
        level: Annotated[Literal["ltla", "utla", "lsoa"], Query(
            description="ltla, utla (2023 authorities) or lsoa (2021): the areas of the rows")] = default_level,
        area: Annotated[str | None, Query(
            description="GSS code: that area, or the areas of `level` inside it (an authority or "
                        "region). Omitted: all of England's.", examples=["E08000009"])] = None,
        funder: Annotated[str | None, Query(description="Funding Org identifier, e.g. GB-LAE-TRF")] = None,
        programme: Annotated[str | None, Query(description="Grant programme code or title")] = None,
        from_: Annotated[str, Query(alias="from", pattern=FINANCIAL_YEAR_PATTERN, description="First financial year: 2013 or 2013-14")] = "2013",
        to: Annotated[str, Query(pattern=FINANCIAL_YEAR_PATTERN, description="Last financial year: 2023 or 2023-24")] = "2023",
        real: Annotated[bool, Query(description="Add real-terms columns (HM Treasury GDP deflators)")] = True,
        prices: Annotated[str | None, Query(pattern=FINANCIAL_YEAR_PATTERN, description="Price year of the real figures, e.g. 2022-23")] = None,
        apportion: Annotated[Literal["population"] | None, Query(
            description="level=lsoa only: also share out the grants stated only for the LSOA's borough "
                        "or county by population, in `apportioned_gbp` (marked apportioned). Never "
                        "added to the located figures.")] = None,
    ) -> analysis.GrantsQuery:
        try:
            return analysis.GrantsQuery(
                level, area.strip().upper() if area else None, funder, programme,
                financial_year(from_, "from"), financial_year(to, "to"), real,
                financial_year(prices, "prices") if prices else None, apportion)
        except analysis.spending.SpendingQueryError as error:
            raise ApiError(error.status, error.detail, error.parameter)

    return grants_query


def as_csv(document: dict) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for area in document["areas"]:
        for year in area["years"]:
            writer.writerow(area | year)
    return out.getvalue()


def as_geojson(document: dict, shapes: dict[str, str]) -> str:
    """Each area's geometry is PostGIS's GeoJSON text, passed through."""
    features = ('{"type":"Feature","id":%s,"geometry":%s,"properties":%s}' % (
        json.dumps(a["code"]), shapes.get(a["code"], "null"),
        json.dumps({k: a[k] for k in AREA_PROPERTIES})) for a in document["areas"])
    meta = {k: v for k, v in document.items() if k != "areas"}
    return ('{"type":"FeatureCollection","kindmap:parameters":%s,"features":[%s]}'
            % (json.dumps(meta), ",".join(features)))


@router.get(
    "/grants",
    summary="Community grants per head per area and financial year, nominal and real",
    description="Grants loaded from 360Giving files, summed where they land (the finest location "
                "each states; beneficiary before the recipient's address; recipient-address-only "
                "grants left out), per head of the newest mid-year population. Where no loaded "
                "file covers an area its figures are null with `coverage_reason`. Grants known "
                "only for a coarser area are reported beside (`coarser_gbp`), never on the row's "
                "area. See docs/analysis/grants.md.",
    responses={200: {"description": "JSON (default), CSV (`f=csv`: one row per area and year) or "
                                    "GeoJSON (`f=geojson`: each area with its boundary)",
                     "content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}},
                                 "application/geo+json": {}}}},
)
def grants(
    request: Request,
    query: analysis.GrantsQuery = Depends(query_of("utla")),
    f: Annotated[Literal["json", "csv", "geojson"], Query(description="Output format.")] = "json",
) -> Response:
    with request.app.state.engine.connect() as conn:
        try:
            document = analysis.grants_by_area(conn, query)
        except analysis.spending.SpendingQueryError as error:
            raise ApiError(error.status, error.detail, error.parameter)
        if f == "geojson":
            shapes = analysis.geometries(conn, query.level, [a["code"] for a in document["areas"]])
            return Response(as_geojson(document, shapes), media_type="application/geo+json")
    if f == "csv":
        return Response(as_csv(document), media_type="text/csv; charset=utf-8")
    return Response(json.dumps(document), media_type="application/json")
