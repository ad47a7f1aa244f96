"""The transparent gap index: need, lack of access, loss and spending cut, per small area or
per authority, each normalised to 0 … 1 and returned beside the weighted score.

Parameters in, rows (and GeoJSON/CSV text) out; no HTTP here. docs/analysis/gap-index.md
defines every part.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from sqlalchemy import Connection

from analysis import coverage
from analysis import need as need_
from analysis import prepare, spending
from analysis.access import AS_STORED, ENGLAND, AccessParams, Supply
from analysis.defaults import ACCESS_CAP_M, CATEGORIES, LOSS_FROM, RADIUS_M, YEAR
from analysis.spending_services import services
from analysis.sql import sql

PARTS = ("need", "access", "loss", "spending")
# The spending part: public health without the 0-5 services (comparable across the October 2015
# transfer), outturn, from the first to the last year with RO3 lines, real terms.
SPENDING_FROM, SPENDING_TO = "2013-14", "2022-23"


@dataclass(frozen=True)
class Weights:
    need: float = 1.0
    access: float = 1.0
    loss: float = 1.0
    spending: float = 1.0


@dataclass(frozen=True)
class GapQuery:
    level: str = "authority"
    categories: tuple[str, ...] = CATEGORIES
    year: int = YEAR
    loss_from: int = LOSS_FROM
    radius_m: float = RADIUS_M
    access_cap_m: float = ACCESS_CAP_M
    weights: Weights = field(default_factory=Weights)
    utlas: tuple[str, ...] | None = None  # only small areas in these 2023 UTLAs
    regions: tuple[str, ...] | None = None
    limit: int | None = 100
    need: tuple[need_.NeedTerm, ...] = need_.DEFAULT
    # Beside `categories`: each one's weight in the access part and in the supply (None: 1 each),
    # and what a place supplies (analysis.access.SUPPLY_DESCRIPTION).
    category_weights: tuple[float, ...] | None = None
    supply: Supply = "places"

    def access(self) -> AccessParams:
        """The access measures (access_ctes.sql) with their defaults for the query's places."""
        return AccessParams(categories=self.categories, year=self.year, radius_m=self.radius_m,
                            category_weights=self.category_weights, supply=self.supply)


def default_query(level: str) -> GapQuery:
    """What GET /priorities?level=``level`` asks with every other parameter left out."""
    return GapQuery(level, CATEGORIES, category_weights=(1.0,) * len(CATEGORIES))


def meta(query: GapQuery, known: coverage.Known) -> dict:
    """The answer's ``kindmap:parameters``: every choice it was computed with, and which of its
    categories coverage knows somewhere in the selection."""
    return {"level": query.level, "categories": list(query.categories), "year": query.year,
            "loss_from": query.loss_from, "radius_m": query.radius_m,
            "coverage": {"covered": list(known.covered), "not_covered": list(known.missing(query.categories))},
            "access_cap_m": query.access_cap_m, "weights": query.weights.__dict__, "supply": query.supply,
            "need": need_.as_parameter(query.need),
            "spending": f"public_health_excl_0_5 outturn, real per head {SPENDING_FROM} → {SPENDING_TO}"}


def spending_query() -> spending.SpendingQuery:
    return spending.SpendingQuery(services()["public_health_excl_0_5"], "outturn",
                                  SPENDING_FROM, SPENDING_TO)


def utlas_of(conn: Connection, area: str) -> tuple[str, ...]:
    """The 2023 UTLAs of the unit holding ``area`` (a UTLA, district or abolished authority)."""
    return tuple(spending.unit_of(conn, area, spending.unit_parameters(conn)).split("+"))


def score_parameters(query: GapQuery) -> dict:
    """What gap_parts.sql and gap_score.sql bind beyond the access measures (AccessParams):
    the loss year, the access cap and the weights (the spending part is stored per authority at
    refresh: analysis/gap_spending.py)."""
    return {
        "loss_from": query.loss_from, "access_cap_m": query.access_cap_m,
        "w_need": query.weights.need, "w_access": query.weights.access,
        "w_loss": query.weights.loss, "w_spending": query.weights.spending,
    } | need_.bind(query.need)


def _parameters(query: GapQuery) -> dict:
    """The access measures (access_ctes.sql) with their defaults for the query's places, as
    stored, and the gap index's own parameters."""
    return score_parameters(query) | query.access().bind() | AS_STORED.bind() | {
        "utlas": list(query.utlas) if query.utlas else None,
        "regions": list(query.regions) if query.regions else None, "limit": query.limit,
    }


def require_coverage(conn: Connection, query: GapQuery) -> coverage.Known:
    """What coverage says of the query's selection (its UTLAs and regions) in its year; NotCovered
    when none of its categories is known there: a ranking of unknowns is not a ranking of gaps."""
    where = ("in " + ", ".join(query.utlas or query.regions)) if (query.utlas or query.regions) else "in England"
    return coverage.require(conn, query.categories, (query.year,), ENGLAND.bind() | {
        "utlas": list(query.utlas) if query.utlas else None,
        "regions": list(query.regions) if query.regions else None}, where)


def ranked(conn: Connection, query: GapQuery) -> list[dict]:
    """Rows ranked by gap score (1 = largest), each with its parts, evidence, ``why`` and its
    GeoJSON geometry as text."""
    name = "gap_small_areas" if query.level == "lsoa" else "gap_authorities"
    prepare(conn)
    need_.check_loaded(conn, query.need)
    rows = [dict(r) for r in conn.execute(sql(name), _parameters(query)).mappings()]
    if rows and query.need != need_.DEFAULT and query.weights.need and all(r["need_part"] is None for r in rows):
        raise need_.NeedError(f"need: {need_.as_parameter(query.need)} has no value for any area of the "
                              "selection (its areas are not these small areas, their districts or authorities)")
    names = spending.unit_names(conn, {r["unit"] for r in rows if r.get("unit")})
    for row in rows:
        if query.level == "authority":
            row["name"] = names.get(row["unit"], row["unit"])
            row["utlas"] = sorted(row["utlas"])
        row["why"] = why(row, query)
    return rows


def ranked_with_sensitivity(conn: Connection, query: GapQuery, top_n: int) -> tuple[list[dict], dict]:
    """``ranked`` with each row's rank range over the perturbed weights and radii, how often it
    is in the top ``top_n``, and the part its place hangs on (said in ``why``); and the summary
    (analysis/sensitivity.py)."""
    from analysis import sensitivity  # scipy and pandas: only when asked

    rows = ranked(conn, query)
    per_row, summary = sensitivity.sensitivity(conn, query, _parameters(query), top_n)
    for row in rows:
        found = per_row.get(row["code"] if query.level == "lsoa" else row["unit"], {})
        row.update({k: found.get(k) for k in SENSITIVITY})
        if found.get("hangs_on"):
            part = found["hangs_on"]
            row["why"] += (f"; its place in the top {summary['top_n']} hangs on the {part} part "
                           f"(rank {found['rank_without'][part]} without it)")
    return rows, summary


SENSITIVITY = ("rank_min", "rank_max", "rank_range", "top_n_share", "hangs_on")


def small_area_parts(conn: Connection, query: GapQuery) -> dict[str, dict]:
    """Small-area code → its gap score, parts and why: ranked() at the small-area level, as
    /priorities?level=lsoa serves it (tests/test_priorities.py holds the two together)."""
    rows = ranked(conn, GapQuery(**{**query.__dict__, "level": "lsoa", "limit": None}))
    return {r["code"]: {k: r[k] for k in ("gap_score", "rank", "driver", "why", "need_part", "access_part",
                                          "access_any_part", "loss_part", "spending_part")} for r in rows}


def _pct(part: float | None) -> str:
    return "n/a" if part is None else f"{part:.2f}"


def _by_category(row: dict, query: GapQuery) -> str:
    """With several categories: each one's access part and weight, the largest first — which kind is missing."""
    parts = json.loads(row["by_category"]) if isinstance(row.get("by_category"), str) else row.get("by_category")
    if len(query.categories) < 2 or not parts:
        return ""
    ranked = sorted(parts.items(), key=lambda kv: -(kv[1]["weight"] * (kv[1]["access_part"] or 0)))
    return " (by category: " + ", ".join(
        f"{c} {_pct(p['access_part'])} × {p['weight']:g}" if p["access_part"] is not None else f"{c} not covered"
        for c, p in ranked) + ")"


def _need_said(row: dict, query: GapQuery) -> str:
    part = _pct(row["need_part"])
    if row["need_part"] is None:
        return "need n/a: no value of " + " or ".join(t.describe() for t in query.need)
    if query.need != need_.DEFAULT:
        terms = ", ".join(t.describe() + (f" ×{t.weight:g}" if t.weight != 1 else "") for t in query.need)
        where = "" if query.level == "lsoa" else f", population-weighted over {row['small_areas']} small areas"
        return f"need {part}: percent rank among the areas holding {terms} (1 = the most need){where}"
    if query.level == "lsoa":
        return f"need {part}: IMD 2019 rank {row['imd_rank']:,} (decile {row['imd_decile']})"
    return (f"need {part}: IMD 2019 rank of its {row['small_areas']} small areas on England's scale "
            f"(1 = the most deprived), population-weighted; {row['small_areas_most_deprived_decile']} in "
            "the most deprived decile")


def _access_said(row: dict, query: GapQuery, categories: str) -> str:
    part, cap, radius = _pct(row["access_part"]), f"{query.access_cap_m:,.0f} m", f"{query.radius_m:,.0f} m"
    if query.level == "lsoa":
        if row["nearest_m"] is None:
            return f"access 1.00: no open {categories} anywhere in {query.year}"
        return (f"access {part}: nearest open {categories} in {query.year} {row['nearest_m']:,.0f} m "
                f"({row['nearest_name'] or 'unnamed'}; 1.00 at {cap}), {row['within_now']} within {radius}"
                + _by_category(row, query))
    median = f"{row['median_nearest_m']:,.0f} m" if row["median_nearest_m"] is not None else "n/a"
    return (f"access {part}: residents' nearest open {categories} in {query.year} is "
            f"{row['mean_capped_nearest_m'] or 0:,.0f} m away on average, counted up to {cap} (median "
            f"{median}); {row['residents_without_place'] or 0:,} of {row['population'] or 0:,} residents "
            f"have none within {radius}" + _by_category(row, query))


def _loss_said(row: dict, query: GapQuery, categories: str) -> str:
    part, radius = _pct(row["loss_part"]), f"{query.radius_m:,.0f} m"
    if not row.get("loss_categories"):
        return f"loss n/a: no category asked is known here in both {query.loss_from} and {query.year}"
    categories = "/".join(row["loss_categories"])
    if query.level == "lsoa":
        return (f"loss {part}: {row['lost']} of the {row['before']} {categories} within {radius} in "
                f"{query.loss_from} not open in {query.year}")
    return (f"loss {part}: on average {row['loss_part'] or 0:.0%} of the places ({categories}) within {radius} of "
            f"a resident in {query.loss_from} were not open in {query.year}; "
            f"{row['residents_losing_some'] or 0:,} residents lost at least one, "
            f"{row['residents_lost_every_place'] or 0:,} lost every one")


def why(row: dict, query: GapQuery) -> str:
    """One sentence per part, in the order they weigh, each saying what that part measures and
    the figures it comes from; the categories named are those counted in the row (coverage), and
    those asked but not known there are said."""
    counted = list(row.get("categories_counted") or query.categories)
    categories = "/".join(counted)
    unknown = [c for c in query.categories if c not in counted]
    said = {
        "need": _need_said(row, query),
        "access": _access_said(row, query, categories),
        "loss": _loss_said(row, query, categories),
        "spending": (
            f"spending {_pct(row['spending_part'])}: public health (without 0-5 services) per head "
            f"{row['real_change_pct']:+.1f}% in real terms {row['spending_from']} → {row['spending_to']}, "
            "percent-ranked among England's units (1 = the deepest cut)"
            + (" (budgets: no outturn return for both years)" if row["spending_basis"] == "budget" else "")
            if row["real_change_pct"] is not None else
            "spending n/a: neither outturn nor budgets for both years (returns not received)"),
    }
    weights = query.weights.__dict__
    order = [p for p in sorted(PARTS, key=lambda p: -(weights[p] * (row[f"{p}_part"] or 0))) if weights[p]]
    return (f"rank {row['rank']}, score {_pct(row['gap_score'])} (driven by {row['driver']}): "
            + "; ".join(said[p] for p in order)
            + (f"; not covered here in {query.year} (not counted): {', '.join(unknown)}" if unknown else ""))


PROPERTIES = {
    "lsoa": ["rank", "code", "vintage", "name", "population", "ltla", "utla", "region", "unit",
             "gap_score", "driver", "need_part", "access_part", "access_any_part", "loss_part",
             "spending_part", "categories_counted", "loss_categories", "imd_rank", "imd_decile",
             "nearest_m", "nearest_id", "nearest_name", "nearest_category", "within_now", "before",
             "lost", "real_change_pct", "spending_basis", "spending_from", "spending_to", "by_category",
             "why"],
    "authority": ["rank", "unit", "name", "utlas", "population", "small_areas", "gap_score", "driver",
                  "need_part", "access_part", "access_any_part", "loss_part", "spending_part",
                  "categories_counted", "loss_categories",
                  "small_areas_most_deprived_decile", "residents_without_place",
                  "residents_lost_every_place", "residents_losing_some", "median_nearest_m",
                  "mean_capped_nearest_m", "base_real_per_head",
                  "real_per_head", "real_change_pct", "spending_basis", "spending_from", "spending_to",
                  "by_category", "why"],
}


def _json_value(key: str, value):
    if key == "by_category" and value is not None:
        return json.loads(value)  # PostgreSQL's JSON text, an object in the feature
    return float(value) if hasattr(value, "is_finite") else value  # Decimal → number


def feature_collection(rows: list[dict], query: GapQuery, meta: dict) -> str:
    """GeoJSON text: each feature's geometry is PostGIS's ST_AsGeoJSON text, passed through."""
    keys = _keys(rows, query)
    features = (
        '{"type":"Feature","id":%s,"geometry":%s,"properties":%s}' % (
            json.dumps(r["code"] if query.level == "lsoa" else r["unit"]), r["geometry"] or "null",
            json.dumps({k: _json_value(k, r[k]) for k in keys}))
        for r in rows)
    return ('{"type":"FeatureCollection","kindmap:parameters":%s,"numberReturned":%d,"features":[%s]}'
            % (json.dumps(meta), len(rows), ",".join(features)))


def _keys(rows: list[dict], query: GapQuery) -> list[str]:
    """The level's properties, and the sensitivity columns when they were asked for."""
    return PROPERTIES[query.level] + [k for k in SENSITIVITY if rows and k in rows[0]]


def as_csv(rows: list[dict], query: GapQuery) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, _keys(rows, query), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        lists = {k: " ".join(row[k] or []) for k in ("utlas", "categories_counted", "loss_categories") if k in row}
        writer.writerow(row | lists)
    return out.getvalue()
