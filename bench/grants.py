"""Benchmark: loading 100,000 GENERATED 360Giving grants, and GET /grants for all of England's
authorities, each beside its floor in the same run.

    KINDMAP_PG_PORT=… .venv/bin/python -m bench.grants [--grants 100000] [--runs 5]

Needs a database holding the shared manifest's areas and lookups (`kindmap load manifest
data/manifests/shared-data.toml`). The generated grants (bench/generated_grants.py: identifiers
360G-GENERATED-…, funders GB-GENERATED-…) cycle over every 2023 LTLA and a sample of LSOA 2021
codes; they are deleted at the end.

* load: `kindmap load grants-360giving` through the real pipeline (read, validate against the
  360Giving schema, stage, place, merge, coverage). Floors: pandas reading the CSV and COPY of
  its rows into a temporary table (no validation, no placement), and flattentool's own
  flat → JSON conversion of the same file (the standard's tool; read and convert only).
* /grants: analysis.grants_by_area for every LTLA, against a bare SQL floor (one GROUP BY of the
  grants by LTLA and financial year).
"""
from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from sqlalchemy import text

from analysis.grants import GrantsQuery, grants_by_area
from bench.generated_grants import grant_rows, write_csv
from loaders import KINDS
from loaders.pipeline import run
from store import db

FLOOR_SQL = """
SELECT ltla, CASE WHEN extract(month FROM award_date) >= 4 THEN extract(year FROM award_date)::int
                  ELSE extract(year FROM award_date)::int - 1 END AS fy, count(*), sum(amount_awarded)
FROM grants WHERE NOT recipient_address_only AND ltla IS NOT NULL GROUP BY 1, 2"""


def codes(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        ltlas = conn.execute(text("SELECT code FROM area_hierarchy WHERE level = 'ltla' AND vintage = '2023-12' "
                                  "AND code LIKE 'E%' ORDER BY code")).scalars().all()
        lsoas = conn.execute(text("SELECT code FROM area_hierarchy WHERE level = 'lsoa' AND vintage = '2021-12' "
                                  "AND code LIKE 'E%' ORDER BY code LIMIT 2000")).scalars().all()
    types = {"E06": "UA", "E07": "NMD", "E08": "MD", "E09": "LONB"}
    return [(c, types[c[:3]]) for c in ltlas] + [(c, "LSOA") for c in lsoas]


def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def copy_floor(engine, path: Path) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE floor (identifier text, amount_awarded numeric(16, 2), award_date date) ON COMMIT DROP"))
        buffer = io.StringIO()
        frame[["Identifier", "Amount Awarded", "Award Date"]].to_csv(buffer, header=False, index=False)
        with conn.connection.driver_connection.cursor().copy(
                "COPY floor (identifier, amount_awarded, award_date) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())


def flattentool_floor(path: Path, out: Path) -> None:
    schema = Path(__file__).resolve().parent.parent / "loaders" / "schemas" / "360-giving-schema.json"
    subprocess.run([str(Path(sys.executable).with_name("flatten-tool")), "unflatten", "-f", "csv",
                    "--convert-titles", "--root-id=", "--root-list-path", "grants", "--schema", str(schema),
                    "-o", str(out), str(path.parent)], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grants", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    engine = db.engine()
    kind = KINDS["grants-360giving"]
    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(Path(tmp) / "grants.csv", grant_rows(args.grants, codes(engine)))
        copy_seconds, _ = timed(lambda: copy_floor(engine, path), 3)
        flat_seconds, _ = timed(lambda: flattentool_floor(path, Path(tmp) / "out.json"), 1)
        started = time.perf_counter()
        report = run(engine, "grants-360giving", kind.load, kind.source, path)
        load_seconds = time.perf_counter() - started
    try:
        with engine.connect() as conn:
            query = GrantsQuery(level="ltla", from_year="2015-16", to_year="2023-24")
            api_seconds, document = timed(lambda: grants_by_area(conn, query), args.runs)
            floor_seconds, _ = timed(lambda: conn.execute(text(FLOOR_SQL)).all(), args.runs)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM grants WHERE identifier LIKE '360G-GENERATED-%'"))
            conn.execute(text("DELETE FROM grant_coverage WHERE funder_id LIKE 'GB-GENERATED-%'"))
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"{args.grants} generated grants; {load}")
    print(f"load (kindmap, once): {load_seconds:.1f} s ({report.tables['grants']['new']} new); "
          f"floors: pandas read + COPY {copy_seconds:.2f} s (x{load_seconds / copy_seconds:.1f}), "
          f"flattentool unflatten {flat_seconds:.1f} s (x{load_seconds / flat_seconds:.2f})")
    print(f"/grants all {len(document['areas'])} LTLAs x 9 years: median {api_seconds * 1000:.0f} ms; "
          f"bare SQL GROUP BY {floor_seconds * 1000:.0f} ms (x{api_seconds / floor_seconds:.1f})")


if __name__ == "__main__":
    main()
