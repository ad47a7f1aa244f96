"""How much a gap-index ranking depends on its choices (``/priorities?sensitivity=1``).

The parts are computed once per small area (gap_sensitivity_parts.sql) and once more for the
loss part at each other radius (gap_loss.sql); every scenario then re-weights and re-aggregates
them here, exactly as gap_score.sql and gap_authorities.sql do, and ranks the selection again:

* each part's weight ×0.5 and ×1.5 (the others as given);
* each part left out (weight 0), while another part keeps a weight;
* the radius ×0.5 and ×1.5, the access cap with it (the loss part counts places within the
  radius; the access part reaches 1 at the cap, by default twice the radius).

Per row: the lowest and highest rank over the scenarios and how often it is in the top N; and
the part whose leaving out alone takes a top-N row out of the top N (its rank "hangs on" it).
For the selection: Kendall's τ between each scenario's scores and the base scores, and the
overlap of their top N. docs/analysis/gap-index.md.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sqlalchemy import Connection

from analysis import need as need_
from analysis.sql import sql

PARTS = ("need", "access", "loss", "spending")
WEIGHT_FACTORS = (0.5, 1.5)
RADIUS_FACTORS = (0.5, 1.5)


@dataclass(frozen=True)
class Scenario:
    name: str
    weights: tuple[float, float, float, float]  # in PARTS order
    radius_factor: float = 1.0


def scenarios(weights: dict[str, float]) -> list[Scenario]:
    """The base and every perturbation of it (module docstring)."""
    base = tuple(weights[p] for p in PARTS)
    found = [Scenario("base", base)]
    for i, part in enumerate(PARTS):
        if not base[i]:
            continue
        for factor in WEIGHT_FACTORS:
            found.append(Scenario(f"w_{part} ×{factor:g}", base[:i] + (base[i] * factor,) + base[i + 1:]))
        if any(w for j, w in enumerate(base) if j != i):
            found.append(Scenario(f"without {part}", base[:i] + (0.0,) + base[i + 1:]))
    found += [Scenario(f"radius ×{f:g}", base, f) for f in RADIUS_FACTORS]
    return found


def scores(parts: np.ndarray, weights) -> np.ndarray:
    """Σ wᵢ·partᵢ / Σ wᵢ over the parts that have a value (NaN = none), as gap_score.sql."""
    w = np.asarray(weights, dtype=float)
    have = ~np.isnan(parts)
    total = (have * w).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.nansum(parts * w, axis=1) / total, np.nan)


def ranks(score: np.ndarray) -> np.ndarray:
    """1 = the largest score, ties share the lowest rank, no score last (SQL rank() … NULLS LAST)."""
    filled = np.where(np.isnan(score), -np.inf, score)
    return stats.rankdata(-filled, method="min").astype(int)


def analyse(keys: list[str], parts: dict[float, np.ndarray], weights: dict[str, float],
            top_n: int) -> tuple[dict[str, dict], dict]:
    """Per key its rank range, share of scenarios in the top N and the part its top-N place
    hangs on; and the summary. ``parts`` holds, per radius factor, the rows' parts (rows × PARTS)."""
    every = scenarios(weights)
    base_score = scores(parts[1.0], every[0].weights)
    base_rank = ranks(base_score)
    top_n = min(top_n, len(keys))
    base_top = set(np.flatnonzero(base_rank <= top_n))
    all_ranks, summary = [], []
    for scenario in every:
        score = scores(parts[scenario.radius_factor], scenario.weights)
        rank = ranks(score)
        all_ranks.append(rank)
        both = ~(np.isnan(score) | np.isnan(base_score))
        tau = stats.kendalltau(base_score[both], score[both]).statistic if both.sum() > 1 else None
        overlap = len(base_top & set(np.flatnonzero(rank <= top_n))) / top_n if top_n else None
        summary.append({"scenario": scenario.name, "weights": dict(zip(PARTS, scenario.weights)),
                        "radius_factor": scenario.radius_factor,
                        "kendall_tau": None if tau is None or np.isnan(tau) else float(tau),
                        "top_n_overlap": overlap})
    matrix = np.vstack(all_ranks)  # scenarios × rows
    in_top = (matrix <= top_n).mean(axis=0)
    without = {s.name.removeprefix("without "): all_ranks[k] for k, s in enumerate(every)
               if s.name.startswith("without ")}
    per_row = {}
    for i, key in enumerate(keys):
        hangs = [p for p, r in without.items() if i in base_top and r[i] > top_n]
        per_row[key] = {"rank_min": int(matrix[:, i].min()), "rank_max": int(matrix[:, i].max()),
                        "rank_range": int(matrix[:, i].max() - matrix[:, i].min()),
                        "top_n_share": float(in_top[i]),
                        "hangs_on": hangs[0] if len(hangs) == 1 else None,
                        "rank_without": {p: int(r[i]) for p, r in without.items()}}
    taus = [s["kendall_tau"] for s in summary[1:] if s["kendall_tau"] is not None]
    overlaps = [s["top_n_overlap"] for s in summary[1:] if s["top_n_overlap"] is not None]
    return per_row, {
        "top_n": top_n, "rows": len(keys), "scenarios": summary,
        "kendall_tau_min": min(taus, default=None), "kendall_tau_mean": float(np.mean(taus)) if taus else None,
        "top_n_overlap_min": min(overlaps, default=None),
        "top_n_overlap_mean": float(np.mean(overlaps)) if overlaps else None}


# -- the parts from the database ---------------------------------------------------------------

def _small_areas(conn: Connection, query, bound: dict) -> pd.DataFrame:
    result = conn.execute(sql("gap_sensitivity_parts"), bound)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    if frame.empty:
        return frame
    for factor in RADIUS_FACTORS:
        loss = dict(conn.execute(sql("gap_loss"), bound | {"radius_m": query.radius_m * factor}).all())
        frame[f"loss_part_{factor:g}"] = frame["code"].map(loss)
    return frame


def _parts(frame: pd.DataFrame, level: str, cap: float, factor: float) -> pd.DataFrame:
    """Per row (small area, or unit population-weighted as gap_authorities.sql): the four parts at
    the radius ×factor (and the cap with it)."""
    cap = cap * factor
    table = pd.DataFrame({
        "key": frame["code"] if level == "lsoa" else frame["unit"],
        "population": frame["population"].astype(float).fillna(0),
        "need": frame["need_part"].astype(float),
        "access": np.minimum(frame["nearest_m"].astype(float).fillna(cap) / cap, 1.0),
        "loss": frame["loss_part" if factor == 1.0 else f"loss_part_{factor:g}"].astype(float),
        "spending": frame["spending_part"].astype(float)})
    if level == "lsoa":
        return table.set_index("key")[list(PARTS)]
    p = table["population"]
    table = table.assign(need_w=p.where(table["need"].notna(), 0), need_x=(table["need"] * p).fillna(0),
                         access_x=table["access"] * p, loss_x=table["loss"] * p)
    grouped = table.groupby("key").agg(population=("population", "sum"), need_w=("need_w", "sum"),
                                       need_x=("need_x", "sum"), access_x=("access_x", "sum"),
                                       loss_x=("loss_x", "sum"), spending=("spending", "max"))
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame({"need": grouped["need_x"] / grouped["need_w"].replace(0, np.nan),
                             "access": grouped["access_x"] / grouped["population"].replace(0, np.nan),
                             "loss": grouped["loss_x"] / grouped["population"].replace(0, np.nan),
                             "spending": grouped["spending"]})


def sensitivity(conn: Connection, query, bound: dict, top_n: int) -> tuple[dict[str, dict], dict]:
    """The sensitivity of ``query``'s ranking (a gap_index.GapQuery; ``bound`` its SQL
    parameters): per row key (small-area code or unit) and the summary."""
    frame = _small_areas(conn, query, bound)
    if frame.empty:
        return {}, {"top_n": 0, "rows": 0, "scenarios": []}
    tables = {f: _parts(frame, query.level, query.access_cap_m, f) for f in (1.0, *RADIUS_FACTORS)}
    keys = list(tables[1.0].index)
    parts = {f: t.loc[keys, list(PARTS)].to_numpy(dtype=float) for f, t in tables.items()}
    per_row, summary = analyse(keys, parts, query.weights.__dict__, top_n)
    return per_row, summary | {"need": need_.as_parameter(query.need), "radius_m": query.radius_m,
                               "access_cap_m": query.access_cap_m}

