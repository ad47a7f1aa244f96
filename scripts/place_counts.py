"""Identity and status-by-year figures for issue 6, from a database loaded with the shared manifest.

    KINDMAP_PG_DATABASE=kindmap_full .venv/bin/kindmap load manifest data/manifests/shared-data.toml
    KINDMAP_PG_DATABASE=kindmap_full .venv/bin/python scripts/place_counts.py ../shared/data

Prints, per source, records merged into places with other sources' records / places of their own
/ candidate pairs waiting for review (as the database stands), then England's open
libraries by year from place_years beside each publisher's own count, computed from the files,
then library places and open libraries (2025) per country, located or not.
"""
import sys
from pathlib import Path

import pandas as pd
from sqlalchemy import text

from store.db import database_url, make_engine
from places.identity import candidate_pairs, read_overrides
from models.places import COUNTRIES

YEARS = (2016, 2019, 2023, 2025)


def publishers(data: Path) -> dict[int, str]:
    libraries = data / "libraries"
    taskforce = pd.read_csv(libraries / "libraries_england_taskforce_2016_geocoded.csv", dtype=str,
                            keep_default_na=False)
    basic = pd.read_csv(libraries / "libraries_england_basic_dataset_2023.csv", dtype=str,
                        keep_default_na=False, encoding="utf-8-sig")
    static = basic["type"].str.strip().str.lower().isin({"static library", "static local history library"})
    uk = pd.read_csv(libraries / "libraries_uk_librarieshacked_schema.csv", dtype=str, keep_default_na=False)
    # each row's nation from the mySociety lookup of its authority (the list's "Northern Ireland" is one)
    lookup = pd.read_csv(data / "lookups" / "uk_local_authorities_mysociety.csv", dtype=str, keep_default_na=False)
    nation = {**dict(zip(lookup["official-name"], lookup["nation"])), "Northern Ireland": "Northern Ireland"}
    english = uk["Local authority"].map(nation).eq("England")
    opened, closed = (pd.to_numeric(uk[c], errors="coerce") for c in ("Year opened", "Year closed"))
    still_open = closed.isna() | (opened > closed)  # reopened after a closure

    def basic_open(year: int) -> int:
        ops = basic[f"operation_{year % 100}"].str.strip().str.lower()
        return int((static & ~ops.isin({"closed", "temporary closure", "facility not open", "[unknown]"})).sum())

    return {2016: f"2016 list: {int(taskforce['closed'].eq('').sum())} open (basic dataset: {basic_open(2016)})",
            2019: f"basic dataset: {basic_open(2019)} open static", 2023: f"basic dataset: {basic_open(2023)} open static",
            2025: f"UK list 2025: {int((english & still_open).sum())} English rows open (not closed, or "
                  "reopened; nation of the authority by the mySociety lookup)"}


def main(data: Path) -> None:
    engine = make_engine(database_url())
    with engine.connect() as conn:
        pairs = candidate_pairs(conn, read_overrides())
        review = pairs[pairs["decision"] == "review"] if not pairs.empty else pairs
        print("source | records merged with other sources' records | records that are a place of their own | "
              "pairs waiting for review")
        for source, merged, own in conn.execute(text("""
                SELECT r.source, count(*) FILTER (WHERE g.size > 1), count(*) FILTER (WHERE g.size = 1)
                FROM places r JOIN (SELECT coalesce(merged_into, id) AS place, count(*) AS size
                                    FROM places GROUP BY 1) g ON g.place = coalesce(r.merged_into, r.id)
                GROUP BY 1 ORDER BY 1""")).all():
            waiting = int(((review["source_a"] == source) | (review["source_b"] == source)).sum()) if len(review) else 0
            print(f"{source} | {merged} | {own} | {waiting}")
        counts = {year: (total, unlocated) for year, total, unlocated in conn.execute(text("""
            SELECT y.year, count(*), count(*) FILTER (WHERE p.geom IS NULL)
            FROM place_years y JOIN places p ON p.id = y.place_id
            WHERE p.category = 'library' AND p.country = 'E92000001' AND y.status = 'open'
              AND y.year = ANY(:years)
            GROUP BY 1"""), {"years": list(YEARS)}).all()}
        countries = conn.execute(text("""
            SELECT p.country, count(*), count(*) FILTER (WHERE p.geom IS NULL),
                   count(*) FILTER (WHERE y.status = 'open'),
                   count(*) FILTER (WHERE y.status = 'open' AND p.geom IS NULL)
            FROM places p LEFT JOIN place_years y ON y.place_id = p.id AND y.year = 2025
            WHERE p.category = 'library' AND p.merged_into IS NULL
            GROUP BY 1 ORDER BY 1""")).all()
    published = publishers(data)
    print("\nyear | open libraries in England (place_years) | of which without a location | publisher's own count")
    for year in YEARS:
        total, unlocated = counts.get(year, (0, 0))
        print(f"{year} | {total} | {unlocated} | {published[year]}")
    print("\ncountry | library places | of which without a location | open in 2025 | of which without a location")
    for country, places, unlocated, open25, open_unlocated in countries:
        print(f"{COUNTRIES.get(country, country)} | {places} | {unlocated} | {open25} | {open_unlocated}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data"))
