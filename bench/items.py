"""Benchmark: GET /collections/places/items against the bare-SQL floor, in the same run.

The floor is the same feature query sent straight to PostGIS through psycopg (no HTTP, no
FastAPI); the ratio says what the service layer costs. Run against a database with the demo
sample loaded (`make demo`, or `kindmap demo --no-serve`):

    .venv/bin/python -m bench.items [--rounds 50] [--limit 1000]

Prints JSON: median and p95 milliseconds for both paths and their ratio. Timings are for
reading here, never for pass/fail tests.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

from fastapi.testclient import TestClient

from app import features
from app.collections import COLLECTIONS
from store.db import engine
from app.main import create_app


def timed(fn, rounds: int) -> list[float]:
    fn()  # warm caches and the pool
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"median_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args()
    places = COLLECTIONS["places"]
    query = features.ItemsQuery(limit=args.limit)
    statement, bound = features.page_statement(places, query, places.data_tables)  # what the route sends
    db = engine()

    def bare_sql():
        with db.connect() as conn:
            conn.execute(statement, bound).all()

    with TestClient(create_app(db), base_url="http://localhost") as client:  # an allowed Host
        def api():
            response = client.get("/collections/places/items", params={"limit": args.limit})
            response.raise_for_status()

        floor, service = summary(timed(bare_sql, args.rounds)), summary(timed(api, args.rounds))
    print(json.dumps({"features": args.limit, "rounds": args.rounds, "bare_sql": floor,
                      "api": service, "ratio_median": round(service["median_ms"] / floor["median_ms"], 2)},
                     indent=2))


if __name__ == "__main__":
    main()
