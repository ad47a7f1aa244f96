"""GENERATED 360Giving files for tests and benchmarks: never real grants.

Every grant says what it is: identifiers start ``360G-GENERATED-``, the funder is
``GB-GENERATED-<n>`` "Generated funder (not real data)", titles read "GENERATED test grant".
The files follow the 360Giving Data Standard (the flat column titles of its template, or the
JSON package form) so the loader reads them as it reads a funder's own file. Amounts are whole
pence drawn from a seeded generator, so a run is reproducible.

    python -m bench.generated_grants OUT.csv 100000 E08000009:MD E06000017:UA …
"""
from __future__ import annotations

import csv
import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path

COLUMNS = ["Identifier", "Title", "Description", "Currency", "Amount Awarded", "Award Date",
           "Recipient Org:Identifier", "Recipient Org:Name", "Recipient Org:Charity Number",
           "Recipient Org:Postal Code", "Beneficiary Location:Name",
           "Beneficiary Location:Geographic Code", "Beneficiary Location:Geographic Code Type",
           "Funding Org:Identifier", "Funding Org:Name", "Grant Programme:Code", "Grant Programme:Title"]
FIRST_DAY = date(2015, 4, 1)
DAYS = 365 * 9


def grant_rows(count: int, codes: list[tuple[str, str]], seed: int = 360, funders: int = 5,
               prefix: str = "360G-GENERATED-") -> list[dict]:
    """``count`` flat rows; beneficiary codes cycle through ``codes`` ((GSS code, geoCodeType))."""
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        code, code_type = codes[n % len(codes)] if codes else ("", "")
        funder = n % funders
        rows.append({
            "Identifier": f"{prefix}{n:07d}",
            "Title": f"GENERATED test grant {n}",
            "Description": "Generated for kindmap's tests and benchmarks; not a real grant",
            "Currency": "GBP",
            "Amount Awarded": f"{rng.randrange(10_000, 5_000_000) / 100:.2f}",
            "Award Date": (FIRST_DAY + timedelta(days=rng.randrange(DAYS))).isoformat(),
            "Recipient Org:Identifier": f"GB-GENERATED-REC-{n % 997}",
            "Recipient Org:Name": f"Generated recipient {n % 997}",
            "Recipient Org:Charity Number": "",
            "Recipient Org:Postal Code": "",
            "Beneficiary Location:Name": code,
            "Beneficiary Location:Geographic Code": code,
            "Beneficiary Location:Geographic Code Type": code_type,
            "Funding Org:Identifier": f"GB-GENERATED-{funder}",
            "Funding Org:Name": "Generated funder (not real data)",
            "Grant Programme:Code": f"GEN{n % 3}",
            "Grant Programme:Title": f"Generated programme {n % 3}",
        })
    return rows


def write_csv(path: Path, rows: list[dict], columns: list[str] = COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[dict], columns: list[str] = COLUMNS) -> Path:
    """The flat rows as the standard's spreadsheet form: one sheet 'grants', titles in row 1."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "grants"
    sheet.append(columns)
    for row in rows:
        sheet.append([_typed(column, row.get(column, "")) for column in columns])
    book.save(path)
    return path


def _typed(column: str, value: str):
    """Numbers as numeric cells (a spreadsheet publisher's file has them so)."""
    return float(value) if column == "Amount Awarded" and value else value


def as_package(rows: list[dict]) -> dict:
    """The rows as a 360Giving JSON package (the schema's nested form)."""
    grants = []
    for row in rows:
        grant = {
            "id": row["Identifier"], "title": row["Title"], "description": row["Description"],
            "currency": row["Currency"], "amountAwarded": float(row["Amount Awarded"]),
            "awardDate": row["Award Date"],
            "recipientOrganization": [{"id": row["Recipient Org:Identifier"],
                                       "name": row["Recipient Org:Name"]}],
            "fundingOrganization": [{"id": row["Funding Org:Identifier"], "name": row["Funding Org:Name"]}],
            "grantProgramme": [{"code": row["Grant Programme:Code"], "title": row["Grant Programme:Title"]}],
        }
        if row["Beneficiary Location:Geographic Code"]:
            grant["beneficiaryLocation"] = [{"name": row["Beneficiary Location:Name"],
                                             "geoCode": row["Beneficiary Location:Geographic Code"],
                                             "geoCodeType": row["Beneficiary Location:Geographic Code Type"]}]
        grants.append(grant)
    return {"version": "1.4", "title": "GENERATED 360Giving package (not real data)", "grants": grants}


def write_json(path: Path, rows: list[dict]) -> Path:
    path.write_text(json.dumps(as_package(rows)), encoding="utf-8")
    return path


if __name__ == "__main__":
    out, count, *pairs = sys.argv[1:]
    write_csv(Path(out), grant_rows(int(count), [tuple(p.split(":")) for p in pairs]))
