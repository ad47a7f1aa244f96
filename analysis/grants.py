"""Grants per head per area and financial year: nominal and real, only where coverage says the
grants are known (docs/analysis/grants.md). Parameters in, a document (dict) out; no HTTP here.

* **Where a grant counts**: where it lands (loaders/sql/grant_places.sql), or any area holding
  that; grants located only by the recipient's address are left out (the "headquarters effect").
* **Never spread silently**: a grant known for a borough is not on any of its LSOAs. Those
  amounts are reported beside (``coarser_gbp``) and, only when asked (``apportion=population``),
  shared out by population and marked ``apportioned``.
* **Coverage**: an area no loaded funder's file covers has ``null`` figures and a reason.
* **Per head** divides by the newest mid-year population of the area's 2021 LSOAs (as spending);
  **real terms** = amount × deflator(prices) / deflator(year), HM Treasury GDP deflators as
  loaded (analysis.spending.prices).
"""
from __future__ import annotations

from dataclasses import dataclass
from sqlalchemy import Connection, text

from analysis import spending
from analysis.sql import sql

LEVELS = ("ltla", "utla", "lsoa")
UNCOVERED = "no loaded grants file covers this area (a funder's file says nothing about areas it does not cover)"


class GrantsQueryError(spending.SpendingQueryError):
    """A parameter the data cannot answer (400 or 404, naming the parameter)."""


@dataclass(frozen=True)
class GrantsQuery:
    level: str = "utla"
    area: str | None = None
    funder: str | None = None
    programme: str | None = None
    from_year: str = "2013-14"
    to_year: str = "2023-24"
    real: bool = True
    prices: str | None = None
    apportion: str | None = None  # None or "population"


def _start(year: str) -> int:
    return int(year[:4])


def check(query: GrantsQuery) -> None:
    """400 naming the parameter a query cannot have."""
    if query.level not in LEVELS:
        raise GrantsQueryError(400, "level", f"level {query.level!r}: one of {', '.join(LEVELS)}")
    if query.from_year > query.to_year:
        raise GrantsQueryError(400, "from", f"from {query.from_year} is after to {query.to_year}")
    if query.apportion and query.level != "lsoa":
        raise GrantsQueryError(400, "apportion", "apportion applies to level=lsoa only")


def parameters(query: GrantsQuery, prices: spending.Prices | None, within: str | None = None) -> dict:
    """What grants_area_years.sql binds (and grants_layer.sql: the labels of the range and prices);
    ``within``: a GeoJSON polygon, only the areas whose boundary meets it (a map tile's)."""
    return {"level": query.level, "area": query.area, "within": within,
            "funder": query.funder, "programme": query.programme,
            "from_year": _start(query.from_year), "to_year": _start(query.to_year),
            "apportion": query.apportion, "uk": spending.UNITED_KINGDOM,
            "deflator": prices.deflator if prices else None, "prices_index": prices.index if prices else None,
            "prices_of": prices.year if prices else None, "from_label": query.from_year,
            "to_label": query.to_year, "uncovered": UNCOVERED}


def layer_parameters(conn: Connection, query: GrantsQuery, within: str | None = None) -> dict:
    """What the `grants` collection's query (grants_layer.sql) binds: /grants' parameters, but with
    no deflator loaded its real figures are null rather than the whole answer a 404 (a map of
    nominal figures still draws)."""
    check(query)
    try:
        prices = spending.prices(conn, query.prices) if query.real else None
    except spending.SpendingQueryError as error:
        if error.status != 404:
            raise
        prices = None
    return parameters(query, prices, within)


def _number(value) -> float | None:
    """A figure PostgreSQL rounded (grants_area_years.sql), as a JSON number."""
    return None if value is None else float(value)


def grants_by_area(conn: Connection, query: GrantsQuery) -> dict:
    """One entry per area with its years (grants, amount, per head, real) and the range's totals,
    all computed by grants_area_years.sql (as the `grants` collection's)."""
    check(query)
    prices = spending.prices(conn, query.prices) if query.real else None
    rows = conn.execute(sql("grants_by_area"), parameters(query, prices)).mappings().all()
    if query.area and not rows:
        raise GrantsQueryError(404, "area", f"area {query.area!r} is not an English {query.level}, or an "
                                            "area holding some, in the loaded hierarchy")
    names = area_names(conn, {r["code"] for r in rows})
    areas: dict[str, dict] = {}
    for row in rows:
        entry = areas.get(row["code"])
        if entry is None:
            entry = areas[row["code"]] = _area(row, names, query)
        entry["years"].append(_year(row, query))
    return {"level": query.level, "from": query.from_year, "to": query.to_year,
            "funder": query.funder, "programme": query.programme,
            "prices": {"deflator": prices.deflator, "prices_of": prices.year, "index": prices.index}
            if prices else None,
            "apportioned": query.apportion, "areas": list(areas.values())}


def area_names(conn: Connection, codes: set[str]) -> dict[str, str]:
    return dict(conn.execute(text("SELECT DISTINCT ON (code) code, name FROM areas WHERE code = ANY(:c) "
                                  "ORDER BY code, vintage DESC"), {"c": list(codes)}).all())


def _area(row, names: dict, query: GrantsQuery) -> dict:
    covered = row["covered"]
    return {"code": row["code"], "name": names.get(row["code"]), "level": query.level,
            "ltla": row["ltla"], "utla": row["utla"], "region": row["region"],
            "population": row["population"], "covered": covered, "covering_funders": row["funders"] or [],
            "coverage_reason": None if covered else UNCOVERED, "years": [],
            "amount_gbp": _number(row["range_amount_gbp"]),
            "per_head_per_year_gbp": _number(row["per_head_per_year_gbp"]),
            "real_per_head_per_year_gbp": _number(row["real_per_head_per_year_gbp"])}


def _year(row, query: GrantsQuery) -> dict:
    fy = row["fy"]
    year = {"financial_year": f"{fy}-{(fy + 1) % 100:02d}",
            "grants": row["grants"], "amount_gbp": _number(row["amount_gbp"]),
            "per_head_gbp": _number(row["per_head_gbp"]), "deflator": row["deflator"],
            "real_amount_gbp": _number(row["real_amount_gbp"]), "real_per_head_gbp": _number(row["real_per_head_gbp"]),
            "coarser_grants": row["coarser_grants"], "coarser_gbp": _number(row["coarser_gbp"])}
    if query.real and row["covered"] and row["deflator"] is None:
        year["real_note"] = "no outturn deflator loaded for this year"
    if query.apportion:
        year["apportioned_gbp"] = _number(row["apportioned_gbp"])
        year["apportioned"] = True
    return year


def geometries(conn: Connection, level: str, codes: list[str]) -> dict[str, str]:
    """Code → its boundary as GeoJSON text built by PostGIS (6 decimals), newest vintage loaded."""
    rows = conn.execute(text("""
        SELECT DISTINCT ON (code) code, ST_AsGeoJSON(geom, 6) FROM areas
        WHERE level = :level AND code = ANY(:codes) ORDER BY code, vintage DESC"""),
        {"level": level, "codes": codes}).all()
    return dict(rows)
