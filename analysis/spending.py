"""Spending per head per upper-tier authority and year: nominal, real, change since a base year.

Parameters in, plain rows and dicts out (no HTTP here). What the figures mean is in
docs/analysis/spending.md; in short:

* **Area basis.** Figures are per *comparable unit*: one 2023 upper-tier authority (UTLA), or
  several where a reorganisation split or merged authorities so that no earlier authority matches
  a 2023 one (``analysis.reorganisations``). A unit's amount is the net current expenditure of the UTLA (or
  its abolished predecessors) plus that of every lower-tier district inside it on the same line,
  as stored; authorities covering no single unit (GLA, police, fire, parks, combined authorities)
  count only towards England.
* **Per head** divides by the mid-year population of the unit's 2021 LSOAs, one fixed year (the
  newest loaded: mid-2022) for every financial year.
* **Real terms**: amount × deflator(prices) / deflator(year), HM Treasury GDP deflators as loaded
  (the newest table, priced in its newest year unless asked).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import Connection

from analysis.reorganisations import predecessor_units, reorganisation_of, unit_members
from analysis.spending_services import BREAK_YEARS, TRANSFER_BREAK, Service, services
from analysis.sql import sql

ENGLAND = "E92000001"
UNITED_KINGDOM = "K02000001"


class SpendingQueryError(ValueError):
    """A parameter the data cannot answer; ``status`` 400 (bad value) or 404 (nothing such)."""

    def __init__(self, status: int, parameter: str, detail: str):
        super().__init__(detail)
        self.status, self.parameter, self.detail = status, parameter, detail


# ---------------------------------------------------------------------------------------------
# Parameters

# What financial_year takes, as a regular expression: each start year 1990–2100, alone or with
# its following year's last two digits (a pattern can only list them).
FINANCIAL_YEAR_PATTERN = "^ *(" + "|".join(f"{y}(-{(y + 1) % 100:02d})?" for y in range(1990, 2101)) + ") *$"


def financial_year(value: str, parameter: str) -> str:
    """'2013' or '2013-14' → '2013-14' (the year starting in April 2013)."""
    value = value.strip()
    start = value[:4]
    if not start.isdigit() or not 1990 <= int(start) <= 2100 or (
            len(value) != 4 and value != f"{start}-{(int(start) + 1) % 100:02d}"):
        raise SpendingQueryError(400, parameter, f"{parameter} {value!r} is not a financial year "
                                                 "like 2013 or 2013-14")
    return f"{start}-{(int(start) + 1) % 100:02d}"


@dataclass(frozen=True)
class Prices:
    deflator: str  # indicator name, e.g. gdp_deflator_2023_24
    year: str  # the financial year whose prices real figures are in
    index: float


def prices(conn: Connection, year: str | None) -> Prices:
    """The newest loaded HMT deflator table, priced in ``year`` (default: its newest year)."""
    rows = conn.execute(sql("spending_deflator"), {"area": UNITED_KINGDOM, "year": year}).all()
    if not rows:
        raise SpendingQueryError(404, "real", "no GDP deflators are loaded (kindmap load deflators …)")
    deflator, chosen, index = rows[0]
    if chosen is None:
        raise SpendingQueryError(400, "prices", f"prices {year!r}: {deflator} has no value for that year")
    return Prices(deflator, chosen, index)


def periods(conn: Connection) -> dict:
    """The newest population and IoD summary periods loaded (None where none is)."""
    return dict(conn.execute(sql("spending_periods")).mappings().one())


def unit_parameters(conn: Connection) -> dict:
    """The bound parameters of spending_units.sql: the population year and the reorganisations."""
    period = periods(conn)["population"]
    if period is None:
        raise SpendingQueryError(404, "area", "no population is loaded (kindmap load population …)")
    members, member_units = unit_members()
    predecessors, predecessor_unit = predecessor_units()
    return {"population_period": period, "unit_member": members, "unit_key": member_units,
            "pred_code": predecessors, "pred_unit": predecessor_unit}


def unit_of(conn: Connection, area: str, units: dict) -> str:
    """The comparable unit holding ``area``: a 2023 UTLA, an abolished predecessor, a district
    (its UTLA's unit); or England, or a region (E12…), which are their own."""
    if area == ENGLAND:
        return ENGLAND
    unit = conn.execute(sql("spending_area"), units | {"code": area}).scalar()
    if unit is None:
        raise SpendingQueryError(404, "area", f"area {area!r} is not an English upper-tier authority, "
                                              "district, region or England (E92000001) known to the lookups")
    return unit


# ---------------------------------------------------------------------------------------------
# The series

@dataclass(frozen=True)
class SpendingQuery:
    service: Service
    basis: str
    from_year: str
    to_year: str
    area: str | None = None  # any code unit_of accepts; None = every unit
    real: bool = True
    prices: str | None = None


def series_rows(conn: Connection, query: SpendingQuery,
                empty_ok: bool = False) -> tuple[list[dict], Prices | None, str]:
    """One row per unit and financial year (England first), with nominal, per-head and real
    figures and the change since ``from_year``."""
    if query.basis not in query.service.datasets:
        raise SpendingQueryError(400, "basis", f"{query.service.key} is published as "
                                               f"{' and '.join(query.service.bases())} only")
    if query.from_year > query.to_year:
        raise SpendingQueryError(400, "from", f"from {query.from_year} is after to {query.to_year}")
    rows, price, units = _execute(conn, "spending_series", query)
    if not rows and not empty_ok:
        raise SpendingQueryError(404, "from", f"no {query.service.key} {query.basis} figures are loaded "
                                              f"for {query.from_year} … {query.to_year}")
    return [_row(r, query) for r in rows], price, units["population_period"]


def parameters(conn: Connection, query: SpendingQuery) -> tuple[dict, Prices | None]:
    """The bound parameters of spending_series.sql (and of the queries that include it)."""
    units = unit_parameters(conn)
    price = prices(conn, query.prices) if query.real else None
    return units | {
        "keys": list(query.service.terms), "signs": list(query.service.terms.values()),
        "basis": query.basis, "datasets": list(query.service.datasets[query.basis]),
        "from_year": query.from_year, "to_year": query.to_year,
        "deflator": price.deflator if price else None, "prices": price.year if price else None,
        "unit": unit_of(conn, query.area, units) if query.area else None,
    }, price


def _execute(conn: Connection, name: str, query: SpendingQuery, **extra) -> tuple[list, Prices | None, dict]:
    bound, price = parameters(conn, query)
    return conn.execute(sql(name), bound | extra).mappings().all(), price, bound


def _number(value) -> float | None:
    return None if value is None else float(value)


def _change(value, base) -> tuple[float | None, float | None]:
    if value is None or base is None:
        return None, None
    return float(value - base), (float((value - base) / base * 100) if base else None)


def _row(r, query: SpendingQuery) -> dict:
    row = {
        "unit": r["unit"], "utlas": r["utlas"], "financial_year": r["financial_year"],
        "dataset": r["dataset"], "basis": query.basis, "population": _number(r["population"]),
        "amount_gbp": _number(r["amount"]), "per_head_gbp": _number(r["per_head"]),
    }
    row["change_per_head_gbp"], row["change_per_head_pct"] = _change(r["per_head"], r["base_per_head"])
    row["change_gbp"] = _change(r["amount"], r["base_amount"])[0]
    if query.real:
        row["deflator"] = _number(r["deflator"])
        row["real_amount_gbp"], row["real_per_head_gbp"] = _number(r["real_amount"]), _number(r["real_per_head"])
        row["real_change_per_head_gbp"], row["real_change_per_head_pct"] = _change(
            r["real_per_head"], r["base_real_per_head"])
        row["real_change_gbp"] = _change(r["real_amount"], r["base_real_amount"])[0]
    crosses = query.service.zero_to_five_break and query.from_year < "2015-16" <= r["financial_year"]
    row["series_break"] = BREAK_YEARS.get(r["financial_year"]) if query.service.zero_to_five_break else None
    row["comparable_with_from"] = not crosses
    row["authorities"] = sorted(r["authorities"] or [])
    row["missing_returns"] = sorted(r["missing"] or [])
    return row


def unit_names(conn: Connection, units: set[str]) -> dict[str, str]:
    """Unit key → name: the 2023 UTLA names joined by ' + '."""
    codes = sorted({c for u in units for c in u.split("+")})
    names = dict(conn.execute(sql("spending_names"), {"codes": codes}).all())
    names[ENGLAND] = names.get(ENGLAND, "England")
    return {u: " + ".join(names.get(c, c) for c in u.split("+")) for u in units}


def _header(query: SpendingQuery, price: Prices | None, period: str) -> dict:
    """What every spending document states first: the service summed, the years, the population
    and the prices."""
    service = query.service
    return {
        "service": {"key": service.key, "description": service.description,
                    "stored_lines": service.terms, "group_of": list(service.lines) or None,
                    "basis": query.basis,
                    "datasets": list(service.datasets[query.basis]),
                    "series_break": TRANSFER_BREAK if service.zero_to_five_break else None},
        "from": query.from_year, "to": query.to_year,
        "population": {"indicator": "population", "period": period,
                       "note": f"every year is divided by the same mid-{period} population (the "
                               "only population year loaded is used as a fixed denominator) of "
                               "the unit's 2021 LSOAs"},
        "prices": None if price is None else {
            "deflator": price.deflator, "prices_of": price.year, "index": price.index,
            "note": "real = nominal × deflator(prices_of) / deflator(year); HM Treasury GDP "
                    "deflators at market prices"},
    }


def deprivation(conn: Connection) -> dict[str, dict]:
    """Unit → its IMD score, rank and tenth (authority_deprivation.sql); empty without IoD."""
    if periods(conn)["iod"] is None:
        return {}
    rows = conn.execute(sql("authority_deprivation"),
                        unit_parameters(conn) | {"iod_period": iod_period(conn)}).mappings()
    return {r["unit"]: {"imd_score": r["imd_score"], "imd_rank": r["imd_rank"], "imd_tenth": r["imd_tenth"],
                        "districts": r["districts"], "districts_scored": r["districts_scored"]}
            for r in rows}


def spending(conn: Connection, query: SpendingQuery) -> dict:
    """The JSON document of GET /spending: what was summed, the prices, then one entry per unit."""
    rows, price, period = series_rows(conn, query)
    names = unit_names(conn, {r["unit"] for r in rows})
    deprived = deprivation(conn)
    units: dict[str, dict] = {}
    for row in rows:
        key = row.pop("unit")
        unit = units.get(key)
        if unit is None:
            reorganisation = reorganisation_of(key)
            unit = units[key] = {
                "unit": key, "name": names[key], "utlas": row["utlas"],
                "predecessors": list(reorganisation.predecessors) if reorganisation else [],
                "boundary_note": reorganisation.note if reorganisation else None,
                "population": row["population"], "deprivation": deprived.get(key), "years": []}
        for moved in ("utlas", "population"):
            row.pop(moved)
        unit["years"].append(row)
    if query.service.lines:
        _add_group_lines(conn, query, units)
    return _header(query, price, period) | {"units": list(units.values())}


def _add_group_lines(conn: Connection, query: SpendingQuery, units: dict[str, dict]) -> None:
    """Each year of a group (GROUPS) gets ``lines``: the amount of every line it sums, from the
    same series, so a reader sees which line moved."""
    every = services()
    by_year = {(u, y["financial_year"]): y for u, unit in units.items() for y in unit["years"]}
    for line in query.service.lines:
        rows, _, _ = series_rows(conn, replace(query, service=every[line]), empty_ok=True)
        for r in rows:
            year = by_year.get((r["unit"], r["financial_year"]))
            if year is not None:
                year.setdefault("lines", {})[line] = {
                    k: r[k] for k in ("dataset", "amount_gbp", "real_amount_gbp") if k in r}


DEPRIVATION_NOTE = (
    "Units (2023 upper-tier authorities; split or merged ones together) ranked by the "
    "population-weighted mean of their districts' IMD average score (IoD {period} LAD summaries; "
    "weights: mid-{population} population of each district's 2021 LSOAs; a unitary authority's "
    "own published score), most deprived first, cut into ten groups of equal count (1 = most "
    "deprived). Per head = the group's amount / the population of its units with a figure that year; "
    "the change since `from` compares only the units with a figure in both years.")


def iod_period(conn: Connection) -> str:
    period = periods(conn)["iod"]
    if period is None:
        raise SpendingQueryError(404, "group", "no IoD LAD summaries are loaded (kindmap load imd …)")
    return period


def by_deprivation(conn: Connection, query: SpendingQuery) -> dict:
    """The spending series per tenth of units by deprivation (GET /spending?group=imd_tenth)."""
    period = iod_period(conn)
    rows, price, units = _execute(conn, "spending_by_tenth", query, iod_period=period)
    if not rows:
        raise SpendingQueryError(404, "from", f"no {query.service.key} {query.basis} figures are loaded "
                                              f"for {query.from_year} … {query.to_year}")
    tenths: dict[int, dict] = {}
    for r in rows:
        tenth = tenths.setdefault(r["imd_tenth"], {
            "imd_tenth": r["imd_tenth"], "imd_score_min": r["imd_score_min"],
            "imd_score_max": r["imd_score_max"], "years": []})
        year = {"financial_year": r["financial_year"], "dataset": r["dataset"], "units": r["units"],
                "units_missing": r["units_missing"], "population": _number(r["population"]),
                "amount_gbp": _number(r["amount"]), "per_head_gbp": _number(r["per_head"])}
        # Like with like: the change is over the units with a figure in both years.
        year["change_per_head_gbp"], year["change_per_head_pct"] = _change(r["matched_per_head"],
                                                                           r["base_per_head"])
        if query.real:
            year["real_amount_gbp"], year["real_per_head_gbp"] = (_number(r["real_amount"]),
                                                                  _number(r["real_per_head"]))
            year["real_change_per_head_gbp"], year["real_change_per_head_pct"] = _change(
                r["matched_real_per_head"], r["base_real_per_head"])
        tenth["years"].append(year)
    return _header(query, price, units["population_period"]) | {
        "deprivation": {"indicator": "imd_average_score", "period": period,
                        "note": DEPRIVATION_NOTE.format(period=period,
                                                        population=units["population_period"])},
        "tenths": list(tenths.values())}
