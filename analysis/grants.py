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
from decimal import Decimal

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


def deflators(conn: Connection, prices: spending.Prices) -> dict[int, float]:
    rows = conn.execute(text("SELECT period, value FROM indicators WHERE area_code = :uk AND indicator = :d"),
                        {"uk": spending.UNITED_KINGDOM, "d": prices.deflator}).all()
    return {int(period[:4]): value for period, value in rows if value}


def _money(value) -> float | None:
    return None if value is None else round(float(value), 2)


def grants_by_area(conn: Connection, query: GrantsQuery) -> dict:
    """One entry per area with its years (grants, amount, per head, real) and the range's totals."""
    if query.level not in LEVELS:
        raise GrantsQueryError(400, "level", f"level {query.level!r}: one of {', '.join(LEVELS)}")
    if query.from_year > query.to_year:
        raise GrantsQueryError(400, "from", f"from {query.from_year} is after to {query.to_year}")
    if query.apportion and query.level != "lsoa":
        raise GrantsQueryError(400, "apportion", "apportion applies to level=lsoa only")
    prices = spending.prices(conn, query.prices) if query.real else None
    index = deflators(conn, prices) if prices else {}
    rows = conn.execute(sql("grants_by_area"), {
        "level": query.level, "area": query.area, "funder": query.funder, "programme": query.programme,
        "from_year": _start(query.from_year), "to_year": _start(query.to_year),
        "apportion": query.apportion}).mappings().all()
    if query.area and not rows:
        raise GrantsQueryError(404, "area", f"area {query.area!r} is not an English {query.level}, or an "
                                            "area holding some, in the loaded hierarchy")
    names = area_names(conn, {r["code"] for r in rows})
    areas: dict[str, dict] = {}
    for row in rows:
        entry = areas.get(row["code"])
        if entry is None:
            entry = areas[row["code"]] = _area(row, names, query)
        entry["years"].append(_year(row, entry, index, prices, query))
    for entry in areas.values():
        _totals(entry, query)
    return {"level": query.level, "from": query.from_year, "to": query.to_year,
            "funder": query.funder, "programme": query.programme,
            "prices": {"deflator": prices.deflator, "prices_of": prices.year, "index": prices.index}
            if prices else None,
            "apportioned": query.apportion, "areas": list(areas.values())}


def area_names(conn: Connection, codes: set[str]) -> dict[str, str]:
    return dict(conn.execute(text("SELECT DISTINCT ON (code) code, name FROM areas WHERE code = ANY(:c) "
                                  "ORDER BY code, vintage DESC"), {"c": list(codes)}).all())


def _area(row, names: dict, query: GrantsQuery) -> dict:
    covered = row["funders"] is not None
    return {"code": row["code"], "name": names.get(row["code"]), "level": query.level,
            "ltla": row["ltla"], "utla": row["utla"], "region": row["region"],
            "population": row["population"], "covered": covered, "covering_funders": row["funders"] or [],
            "coverage_reason": None if covered else UNCOVERED, "years": []}


def _year(row, entry: dict, index: dict, prices, query: GrantsQuery) -> dict:
    covered, population = entry["covered"], entry["population"]
    amount = row["amount"] if covered else None
    fy = row["fy"]
    deflator = index.get(fy)
    real = (amount * Decimal(prices.index) / Decimal(deflator)) if (
        amount is not None and prices and deflator) else None
    year = {"financial_year": f"{fy}-{(fy + 1) % 100:02d}",
            "grants": row["grants"] if covered else None, "amount_gbp": _money(amount),
            "per_head_gbp": _per_head(amount, population),
            "deflator": deflator, "real_amount_gbp": _money(real), "real_per_head_gbp": _per_head(real, population),
            "coarser_grants": row["coarser_grants"] if covered else None,
            "coarser_gbp": _money(row["coarser_amount"]) if covered else None}
    if query.real and covered and not deflator:
        year["real_note"] = "no outturn deflator loaded for this year"
    if query.apportion:
        apportioned = row["apportioned"] if covered else None
        year["apportioned_gbp"] = _money(apportioned or (0 if covered else None))
        year["apportioned"] = True
    return year


def _per_head(amount, population) -> float | None:
    if amount is None or not population:
        return None
    return round(float(amount) / float(population), 4)


def _totals(entry: dict, query: GrantsQuery) -> None:
    """The range: total, per head per year (nominal and real; real only if every year has it)."""
    years = entry["years"]
    if not entry["covered"]:
        entry.update(amount_gbp=None, per_head_per_year_gbp=None, real_per_head_per_year_gbp=None)
        return
    total = sum(y["amount_gbp"] for y in years)
    real = [y["real_amount_gbp"] for y in years]
    entry["amount_gbp"] = round(total, 2)
    entry["per_head_per_year_gbp"] = _per_head(total / len(years), entry["population"])
    entry["real_per_head_per_year_gbp"] = (_per_head(sum(real) / len(years), entry["population"])
                                           if query.real and None not in real else None)


def geometries(conn: Connection, level: str, codes: list[str]) -> dict[str, str]:
    """Code → its boundary as GeoJSON text built by PostGIS (6 decimals), newest vintage loaded."""
    rows = conn.execute(text("""
        SELECT DISTINCT ON (code) code, ST_AsGeoJSON(geom, 6) FROM areas
        WHERE level = :level AND code = ANY(:codes) ORDER BY code, vintage DESC"""),
        {"level": level, "codes": codes}).all()
    return dict(rows)
