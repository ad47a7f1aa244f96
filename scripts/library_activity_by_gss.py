"""The ACE library activity return 2023-24 (Libraries Hacked's CSV, SOURCES.md §11.2) keyed by
GSS code, so `kindmap validate` / `indicators-csv` can read it: one row per library authority
(2023 upper-tier authority) with its annual totals.

The return names authorities, not codes: each name is matched to an English upper-tier
authority of the mySociety register (`lookups/uk_local_authorities_mysociety.csv`: nice name,
official name, alt names; rapidfuzz, score ≥ 90 after dropping "Council", "City of", ", County
of"); rows of one authority are summed. A month left blank is not counted (quarterly figures are
entered in a quarter's last month); an authority with every month of a measure blank has no
figure for it (empty cell), never 0. Unmatched names are printed and left out.

    .venv/bin/python scripts/library_activity_by_gss.py ../shared/data OUT.csv
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd
from rapidfuzz import fuzz, process

MONTHS = ("april", "may", "june", "july", "august", "september", "october", "november", "december",
          "january", "february", "march")
MEASURES = {  # output column → the return's monthly columns summed
    "physical_visits": [f"physical_visits_{kind}_{m}" for kind in ("no_colocation", "colocation") for m in MONTHS],
    "physical_book_issues": [f"total_physical_book_issues_{m}" for m in MONTHS],
}
UPPER_TIER = {"UA", "MD", "LBO", "CTY", "CC", "SCO", "UTA"}  # mySociety local-authority-type


def normal(name: str) -> str:
    name = name.lower().replace("&", "and").replace("st.", "st")
    name = re.sub(r"\b(council|city of|county of|metropolitan borough|borough|royal)\b", " ", name)
    return re.sub(r"[^a-z]+", " ", name).strip()


def main(shared: Path, out: Path) -> None:
    activity = pd.read_csv(shared / "libraries/ace_libraries_activity_data_2023_2024_librarieshacked.csv",
                           encoding="utf-8-sig")
    register = pd.read_csv(shared / "lookups/uk_local_authorities_mysociety.csv")
    english = register[(register["nation"] == "England") & register["end-date"].isna()
                       & register["local-authority-type"].isin(UPPER_TIER)]
    names: dict[str, str] = {}
    for _, r in english.iterrows():
        for name in [r["nice-name"], r["official-name"], *str(r["alt-names"]).split(",")]:
            if isinstance(name, str) and name.strip() and name != "nan":
                names.setdefault(normal(name), r["gss-code"])
    codes, unmatched = [], []
    for authority in activity["authority"]:
        found = process.extractOne(normal(authority), list(names), scorer=fuzz.token_sort_ratio)
        if found and found[1] >= 90:
            codes.append(names[found[0]])
        else:
            codes.append(None)
            unmatched.append(authority)
    frame = pd.DataFrame({"gss_code": codes, "authority": activity["authority"],
                          "active_members": pd.to_numeric(activity["total_active_members"], errors="coerce")})
    for column, months in MEASURES.items():
        values = activity[months].apply(pd.to_numeric, errors="coerce")
        frame[column] = values.sum(axis=1, min_count=1)
    frame = frame.dropna(subset=["gss_code"])
    summed = frame.groupby("gss_code").agg(
        authority=("authority", " / ".join),
        **{c: (c, lambda s: s.sum(min_count=1)) for c in ("active_members", *MEASURES)})
    summed.to_csv(out)
    print(f"{len(summed)} authorities written to {out}; unmatched names: {unmatched or 'none'}", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
