"""A validation result (analysis.validation) as a Markdown table and a labelled PNG figure."""
from __future__ import annotations

from pathlib import Path

import numpy as np

LABELS = {"gap_score": "gap score", "need_part": "need", "access_part": "access", "loss_part": "loss",
          "spending_part": "spending"}


def _rho(s: dict) -> str:
    if s["rho"] is None:
        return f"n/a (n {s['n']})"
    low, high = s["ci95"]
    return f"{s['rho']:+.2f} [{low:+.2f}, {high:+.2f}]"


def _overlap(t: dict) -> str:
    if t["overlap"] is None:
        return "n/a"
    return f"{t['overlap']} of {t['top']} (chance {t['expected_by_chance']:.1f}; P {t['p_at_least']:.3g})"


def markdown(result: dict, names: dict[str, str] | None = None) -> str:
    """The table of ρ and top-decile overlap per compared column, then both per region."""
    names = names or {}
    lines = [f"**{result['measure']}** ({result['direction']}{', per head' if result['per_head'] else ''}): "
             f"{result['units_compared']} of {result['units_ranked']} units compared"
             + (f"; {len(result['units_unweighted'])} carried unweighted (an abolished district's "
                f"population is not loaded): {', '.join(result['units_unweighted'])}"
                if result["units_unweighted"] else ""),
             "", "| compared with | Spearman ρ [95 % CI] | top-decile overlap |", "|---|---|---|"]
    for column, found in result["compared"].items():
        lines.append(f"| {LABELS[column]} | {_rho(found['spearman'])} | {_overlap(found['top_decile'])} |")
    lines += ["", "The gap score within each region:", "",
              "| region | units | Spearman ρ [95 % CI] | top-decile overlap |", "|---|---|---|---|"]
    for region, found in result["compared"]["gap_score"]["by_region"].items():
        lines.append(f"| {names.get(region, region)} | {found['spearman']['n']} | {_rho(found['spearman'])} | "
                     f"{_overlap(found['top_decile'])} |")
    return "\n".join(lines) + "\n"


def plot(result: dict, path: Path) -> Path:
    """Left: each unit's rank by the gap score against its rank by the measure; right: ρ and its
    95 % interval for the score and each part."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.stats import rankdata

    points = [p for p in result["points"] if p["gap_score"] is not None]
    sign = 1 if result["direction"].startswith("high") else -1
    gap_rank = rankdata([-p["gap_score"] for p in points])
    measure_rank = rankdata([-sign * p["value"] for p in points])
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6), gridspec_kw={"width_ratios": [1.15, 1]})
    left.scatter(measure_rank, gap_rank, s=12, alpha=0.7, color="#1f6f8b")
    left.plot([1, len(points)], [1, len(points)], color="#999", lw=0.8, ls="--")
    left.set_xlabel(f"rank by {result['measure']} (1 = most need)")
    left.set_ylabel("rank by the gap index (1 = largest gap)")
    left.invert_xaxis()
    left.invert_yaxis()
    left.set_title(f"{len(points)} " + ("small areas (LSOAs)" if result.get("level") == "lsoa" else
                                        "comparable units (2023 upper-tier authorities)"), fontsize=10)
    columns = list(result["compared"])
    found = [result["compared"][c]["spearman"] for c in columns]
    rho = np.array([np.nan if s["rho"] is None else s["rho"] for s in found])
    low = np.array([np.nan if s["ci95"] is None else s["ci95"][0] for s in found])
    high = np.array([np.nan if s["ci95"] is None else s["ci95"][1] for s in found])
    y = np.arange(len(columns))[::-1]
    right.errorbar(rho, y, xerr=[rho - low, high - rho], fmt="o", color="#b5523b", capsize=3)
    right.axvline(0, color="#999", lw=0.8)
    right.set_yticks(y, [LABELS[c] for c in columns])
    right.set_xlim(-1, 1)
    right.set_xlabel("Spearman ρ with the measure (95 % CI)")
    right.set_title("gap score and each part", fontsize=10)
    figure.suptitle(f"kindmap gap index vs {result['measure']}", fontsize=11)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
