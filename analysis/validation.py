"""How the gap index compares with an independent area measure (`kindmap validate`,
`GET /priorities/validation`).

The measure is any figure keyed by GSS code at any level (LSOA, ward, district, county) — a loaded indicator (an IoD domain,
a funder's own index loaded with `indicators-csv`) or a CSV — carried to the comparable units the
index ranks through the loaded lookups, population-weighted (validation_units.sql). For the gap
score and each part: Spearman's ρ over the units with both, its 95 % interval (Fisher's z with
the Fieller–Hartley–Pearson standard error 1.06/√(n−3)), the overlap of the two top deciles
against what chance gives (m²/n for top sets of m of n; the hypergeometric P of at least that
overlap), and both within each region (a region's top tenth: its own ⌈n/10⌉ units). docs/analysis/validation.md.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy import stats
from sqlalchemy import Connection, text

from analysis import gap_index, spending
from analysis.sql import sql

COMPARED = ("gap_score", "need_part", "access_part", "loss_part", "spending_part")
Z95 = 1.959963984540054
WARD_PREFIXES = ("E05", "W05")  # electoral wards and divisions (ONS entity E05)
# What places a ward: an ONS LSOA → ward best-fit lookup (none is in ../shared/data).
WARD_LOOKUP = ("LSOA → ward lookup (ONS 'LSOA (2021) to Electoral Ward to LAD Best Fit Lookup', "
               "columns LSOA21CD and WDyyCD; `kindmap load lookup FILE`)")


class ValidationError(ValueError):
    """A measure the index cannot be compared with, naming the parameter at fault (a 400: an
    indicator not loaded is a bad parameter, not a missing resource — issue 19)."""

    status = 400

    def __init__(self, parameter: str, detail: str):
        super().__init__(detail)
        self.parameter, self.detail = parameter, detail


@dataclass(frozen=True)
class Measure:
    name: str
    codes: tuple[str, ...]
    values: tuple[float, ...]
    high_is_need: bool = True
    per_head: bool = False
    source: str = ""


def from_indicator(conn: Connection, name: str, period: str | None = None, high_is_need: bool = True,
                   per_head: bool = False) -> Measure:
    """A loaded indicator (its newest period unless ``period``)."""
    chosen = period or conn.execute(text("SELECT max(period) FROM indicators WHERE indicator = :n"),
                                    {"n": name}).scalar()
    if chosen is None:
        raise ValidationError("indicator", f"indicator {name!r} is not loaded")
    rows = conn.execute(text("SELECT area_code, value FROM indicators WHERE indicator = :n AND period = :p "
                             "AND value IS NOT NULL ORDER BY area_code"), {"n": name, "p": chosen}).all()
    if not rows:
        raise ValidationError("period", f"indicator {name!r} has no values for period {chosen!r}")
    return Measure(f"{name} ({chosen})", tuple(r[0] for r in rows), tuple(float(r[1]) for r in rows),
                   high_is_need, per_head, f"indicator {name}, period {chosen}")


def from_csv(path: Path, code_field: str, column: str, high_is_need: bool = True,
             per_head: bool = False) -> Measure:
    """A CSV keyed by GSS code: ``code_field`` and the numeric ``column`` (blank cells skipped)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in (code_field, column) if c not in (reader.fieldnames or [])]
        if missing:
            raise ValidationError("column", f"{path}: no column {', '.join(missing)} (has {reader.fieldnames})")
        codes, values = [], []
        for number, row in enumerate(reader, start=2):
            raw = (row[column] or "").strip().replace(",", "")
            if not raw:
                continue
            try:
                values.append(float(raw))
            except ValueError:
                raise ValidationError("column", f"{path} row {number}, column {column}: {raw!r} is not a number")
            codes.append(row[code_field].strip().upper())
    return Measure(f"{column} ({path.name})", tuple(codes), tuple(values), high_is_need, per_head, str(path))


def units_of(conn: Connection, measure: Measure) -> dict[str, dict]:
    """Unit → {value, region, codes, weighted}: the measure carried to the comparable units."""
    bound = spending.unit_parameters(conn) | {"codes": list(measure.codes), "values": list(measure.values),
                                              "per_head": measure.per_head}
    return {r["unit"]: dict(r) for r in conn.execute(sql("validation_units"), bound).mappings()}


def unplaced(conn: Connection, measure: Measure, placed: int) -> str:
    """Why a measure reaches fewer than four units: for ward codes, the lookup that is missing."""
    wards = sum(code.startswith(WARD_PREFIXES) for code in measure.codes)
    if wards * 2 >= len(measure.codes) > 0:
        loaded = conn.execute(text("SELECT EXISTS (SELECT 1 FROM area_lookups WHERE level = 'lsoa' "
                                   "AND parent_level = 'ward')")).scalar()
        if not loaded:
            return f"its codes are wards ({wards} of {len(measure.codes)}) and no {WARD_LOOKUP} is loaded"
        return (f"its codes are wards ({wards} of {len(measure.codes)}) and the loaded LSOA → ward lookup "
                f"places them in only {placed} of the index's units (wards of another year?)")
    return (f"only {placed} of the index's units have a value (its codes are not authorities, districts, "
            "wards or LSOAs the lookups place)")


def spearman(x: np.ndarray, y: np.ndarray) -> dict:
    """ρ, its 95 % interval and n, over the pairs where both are known."""
    both = ~(np.isnan(x) | np.isnan(y))
    n = int(both.sum())
    if n < 4 or np.ptp(x[both]) == 0 or np.ptp(y[both]) == 0:
        return {"n": n, "rho": None, "ci95": None}
    rho = float(stats.spearmanr(x[both], y[both]).statistic)
    z, se = math.atanh(max(min(rho, 0.999999), -0.999999)), 1.06 / math.sqrt(n - 3)
    return {"n": n, "rho": rho, "ci95": [math.tanh(z - Z95 * se), math.tanh(z + Z95 * se)]}


def top_decile_overlap(x: np.ndarray, y: np.ndarray) -> dict:
    """How many of the top tenth by x are in the top tenth by y, against chance."""
    both = ~(np.isnan(x) | np.isnan(y))
    n = int(both.sum())
    m = max(1, math.ceil(n / 10))
    if n < 10:
        return {"n": n, "top": m, "overlap": None, "expected_by_chance": None, "p_at_least": None}
    top_x = set(np.argsort(-x[both], kind="stable")[:m])
    top_y = set(np.argsort(-y[both], kind="stable")[:m])
    k = len(top_x & top_y)
    return {"n": n, "top": m, "overlap": k, "expected_by_chance": m * m / n,
            "p_at_least": float(stats.hypergeom.sf(k - 1, n, m, m))}


def small_areas_of(conn: Connection, measure: Measure, rows: list[dict]) -> dict[str, dict]:
    """Small area → {value, region, codes, weighted}: the measure on the LSOAs the index ranks
    (validation_small_areas.sql), per head over the small area's population."""
    by_code = {r["code"]: r for r in rows}
    found = {}
    for code, value in conn.execute(sql("validation_small_areas"),
                                    {"codes": list(measure.codes), "values": list(measure.values)}):
        row = by_code.get(code)
        if row is None:
            continue
        if measure.per_head:
            value = value / row["population"] if row["population"] else None
        found[code] = {"value": value, "region": row["region"], "codes": 1, "weighted": True}
    return found


def validate(conn: Connection, measure: Measure, query: gap_index.GapQuery | None = None,
             level: str = "authority") -> dict:
    """The comparison of the gap index (``query`` or the defaults) with ``measure``: per
    comparable unit (``level`` authority), or per small area (``lsoa``: the measure's LSOA codes)."""
    query = replace(query or gap_index.GapQuery(), level=level, limit=None)
    rows = gap_index.ranked(conn, query)
    key = "code" if level == "lsoa" else "unit"
    carried = small_areas_of(conn, measure, rows) if level == "lsoa" else units_of(conn, measure)
    keys = [r[key] for r in rows if r[key] in carried and carried[r[key]]["value"] is not None]
    if len(keys) < 4:
        reason = (f"only {len(keys)} of the index's small areas have a value (at level lsoa only LSOA codes "
                  "count)" if level == "lsoa" else unplaced(conn, measure, len(keys)))
        raise ValidationError("indicator", f"{measure.name}: {reason}")
    by_unit = {r[key]: r for r in rows}
    sign = 1.0 if measure.high_is_need else -1.0
    y = np.array([sign * carried[k]["value"] for k in keys], dtype=float)
    regions = sorted({carried[k]["region"] for k in keys if carried[k]["region"]})
    result = {"measure": measure.name, "source": measure.source, "level": level,
              "direction": "high = need" if measure.high_is_need else "low = need",
              "per_head": measure.per_head, "units_ranked": len(rows), "units_compared": len(keys),
              "units_unweighted": sorted(k for k in keys if not carried[k]["weighted"]),
              "units_without_value": sorted(set(by_unit) - set(keys)), "compared": {}}
    in_regions = {region: np.array([carried[k]["region"] == region for k in keys]) for region in regions}
    for column in COMPARED:
        x = np.array([np.nan if by_unit[k][column] is None else float(by_unit[k][column]) for k in keys])
        in_region = {region: {"spearman": spearman(x[mask], y[mask]),
                              "top_decile": top_decile_overlap(x[mask], y[mask])}
                     for region, mask in in_regions.items()}
        result["compared"][column] = {"spearman": spearman(x, y), "top_decile": top_decile_overlap(x, y),
                                      "by_region": in_region}
    result["points"] = [{"unit": k, "name": by_unit[k].get("name"), "region": carried[k]["region"],
                         "value": carried[k]["value"], "gap_score": by_unit[k]["gap_score"]} for k in keys]
    return result
