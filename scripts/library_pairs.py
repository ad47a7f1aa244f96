"""How many pairs of open libraries lie within 30 m of each other (docs/places.md, "Pairs on one spot").

    KINDMAP_PG_DATABASE=kindmap_full .venv/bin/kindmap load manifest data/manifests/shared-data.toml
    KINDMAP_PG_DATABASE=kindmap_full .venv/bin/python scripts/library_pairs.py [--metres 30] [--category library]

Prints the count, then each pair (the two places' canonical records, names, distance, postcodes),
then how many candidate pairs wait for review (joined meanwhile, so counted once).
"""
import argparse
from pathlib import Path

from store.db import database_url, make_engine
from places.identity import candidate_pairs, read_overrides
from store.sql import SqlFiles

PAIRS = SqlFiles(Path(__file__).resolve().parent).statement("library_pairs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metres", type=float, default=30.0)
    parser.add_argument("--category", default="library")
    args = parser.parse_args()
    with make_engine(database_url()).connect() as conn:
        pairs = conn.execute(PAIRS, {"metres": args.metres, "category": args.category}).mappings().all()
        review = candidate_pairs(conn, read_overrides())
    print(f"{len(pairs)} pairs of open {args.category} places within {args.metres:g} m")
    for p in pairs:
        print(f"  {p['metres']:>5} m  {p['ref_a']} {p['name_a']!r} ({p['postcode_a']}) ~ "
              f"{p['ref_b']} {p['name_b']!r} ({p['postcode_b']})")
    waiting = review[review["decision"] == "review"] if len(review) else review
    print(f"{len(waiting)} candidate pairs wait for review (joined meanwhile: one place each)")


if __name__ == "__main__":
    main()
