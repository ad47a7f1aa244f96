"""360Giving Data Standard grant files → grants (+ grant_coverage).

Reads the standard's three published forms: the flat CSV and spreadsheet (XLSX/ODS; the column
titles of the standard's template, ``Amount Awarded``, ``Beneficiary Location:Geographic Code``…)
and the JSON package (``{"grants": [...]}``). Every grant is checked against the standard's own
JSON schema (loaders/grants_schema.py, vendored) plus what the schema cannot say: an award date
in the future, a geographic code whose type or grammar is wrong, a code no loaded area or lookup
knows. One bad grant refuses the whole file with a located one-line error; nothing is written.

Why a hand-written flat reader and not flattentool (the standard's flat ↔ JSON tool): on the
100,000-grant generated file flattentool's ``unflatten --convert-titles`` took 159 s wall / 41 s
CPU and reports no row for a bad cell; pandas reads the same file in 0.9 s and the titles are
mapped from the schema by the same rule (grants_schema.unflatten_row), keeping the row and column
of each cell for the error. The same JSON schema validates all three forms (jsonschema).

Where each grant lands is resolved in SQL (loaders/sql/grant_places.sql; docs/analysis/grants.md):
the finest beneficiary location, else the recipient's own location code, else the recipient's
postcode sector; recipient-only grants are flagged ``recipient_address_only``. The same identifier
in two files is one grant (the later load updates it if it differs). Coverage: ``--coverage``
codes, else the funder's own authority when the funder is a council, else the authorities the
file's beneficiary locations name.
"""
from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd

from loaders.grants_schema import (column_path, geo_code_types, package_validator, required_titles,
                                   unflatten_row, validators)
from loaders.lookups import GSS_CODE
from loaders.pipeline import Kind, LoadContext, SourceInfo, Target
from loaders.readers import csv_row, read_csv
from loaders.workbooks import SUFFIXES, excel_row, read_workbook
from store.errors import LoadError
from store.sql import SqlFiles

SOURCE = SourceInfo("360giving", "Grants published in the 360Giving Data Standard",
                    "the funder named in each grant (Funding Org)",
                    "as the funder publishes it (360Giving publishers use OGL v3, CC BY or CC0)",
                    "https://standard.threesixtygiving.org/")
# A postcode: outward code (district) and the inward code's first digit (sector).
POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)\s*(\d)[A-Z]{2}$")
MAX_ERRORS_COUNTED = 1000
SQL = SqlFiles.beside(__file__)

STAGE = {"identifier": "text", "title": "text", "description": "text", "currency": "text",
         "amount_awarded": "numeric", "award_date": "date", "funder_id": "text", "funder_name": "text",
         "programme_code": "text", "programme_title": "text", "recipient_id": "text",
         "recipient_name": "text", "recipient_charity_number": "text", "recipient_company_number": "text",
         "recipient_postcode": "text", "recipient_sector": "text", "beneficiary_name": "text"}
LOCATIONS = Target(table="grant_locations",  # staged only; grant_places.sql reads it
                   stage={"identifier": "text", "role": "text", "code": "text", "code_type": "text",
                          "location": "text"}, key=("identifier",))
RESOLVED = ("area_code", "area_level", "located_by", "recipient_address_only", "ltla", "utla", "region",
            "beneficiary_code", "beneficiary_code_type", "recipient_code")
GRANTS = Target(table="grants", stage={**STAGE, **{c: "text" for c in RESOLVED}}, key=("identifier",),
                columns={**{c: f"s.{c}" for c in STAGE if c != "recipient_sector"},
                         **{c: f"s.{c}" for c in RESOLVED}})
COVERAGE = Target(table="grant_coverage", stage={"funder_id": "text", "area_code": "text", "basis": "text"},
                  key=("funder_id", "area_code"))


# -- reading the three forms ---------------------------------------------------------------------

def flat_grants(frame: pd.DataFrame, where, path: Path) -> list[tuple[str, dict, dict]]:
    """(location, grant JSON, JSON path → column title) per row of a flat form."""
    titles = [str(c).strip() for c in frame.columns]
    lowered = {t.lower() for t in titles}
    for alternatives in required_titles():
        if not any(a.lower() in lowered for a in alternatives):
            raise LoadError(f"missing column {alternatives[0]!r} (required by the 360Giving schema); "
                            f"found {titles[:12]}", file=str(path), column=alternatives[0])
    paths = {t: p for t in titles if (p := column_path(t))}
    frame.columns = titles
    records = frame.to_dict("records")
    return [(where(i), *unflatten_row(row, paths)) for i, row in enumerate(records)]


def read_flat_csv(path: Path):
    return flat_grants(read_csv(path), csv_row, path)


def read_spreadsheet(path: Path):
    """The sheet whose first row has an ``Identifier`` title (the standard's template: 'grants')."""
    for name, grid in read_workbook(path).items():
        if grid.empty:
            continue
        header = [("" if pd.isna(v) else str(v).strip()) for v in grid.iloc[0]]
        if "identifier" not in (h.lower() for h in header):
            continue
        body = grid.iloc[1:].dropna(how="all")
        if body.empty:
            raise LoadError(f"sheet {name!r} has a header but no grants", file=str(path))
        cells = body.map(_cell)
        cells.columns = header
        return flat_grants(cells, lambda i, rows=body.index: f"sheet {name!r}, row {excel_row(rows[i])}", path)
    raise LoadError("no sheet with an 'Identifier' column in row 1 (the 360Giving template's titles)",
                    file=str(path))


def _cell(value) -> str:
    """A spreadsheet cell as the text a CSV would hold (numbers without a spurious '.0')."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if getattr(value, "hour", 0) == 0 else value.isoformat()
    return str(value).strip()


def read_package(path: Path):
    try:
        package = json.loads(path.read_text(encoding="utf-8-sig"), parse_float=Decimal)
    except UnicodeDecodeError as error:
        raise LoadError(f"not UTF-8 JSON (byte {error.start})", file=str(path))
    except json.JSONDecodeError as error:
        raise LoadError(f"not JSON: {error.msg}", file=str(path), location=f"line {error.lineno}")
    if not isinstance(package, dict):
        raise LoadError("not a 360Giving package: the top level must be an object with 'grants'",
                        file=str(path))
    error = next(iter(package_validator().iter_errors(package)), None)
    if error is not None:
        raise LoadError(f"not a valid 360Giving package: {error.message}", file=str(path),
                        column=error.json_path)
    return [(f"grants[{i}]", g, {}) for i, g in enumerate(package["grants"])]


def read_grants(path: Path):
    suffix = path.suffix.lower()
    if suffix == ".json":
        return read_package(path)
    if suffix in SUFFIXES:
        return read_spreadsheet(path)
    if suffix in (".csv", ".txt", ""):
        return read_flat_csv(path)
    raise LoadError(f"not a 360Giving file: .csv, .xlsx/.ods or .json expected, got {suffix!r}",
                    file=str(path))


# -- validation ------------------------------------------------------------------------------------

def grant_errors(grant: dict, today: date) -> list[tuple[tuple, str]]:
    """(JSON path, reason) of what is wrong with one grant: the schema's rules, then kindmap's."""
    if not isinstance(grant, dict):
        return [((), "a grant must be a JSON object")]
    validator = validators()["recipientIndividual" if "recipientIndividual" in grant else
                             "recipientOrganization"]
    errors = [(tuple(e.absolute_path), e.message) for e in validator.iter_errors(grant)]
    if errors:
        return errors[:1]
    awarded = grant["awardDate"][:10]
    if date.fromisoformat(awarded) > today:
        return [(("awardDate",), f"award date {awarded} is in the future")]
    for role, locations in (("beneficiaryLocation", grant.get("beneficiaryLocation", [])),
                            ("recipientOrganization", [loc for org in grant.get("recipientOrganization", [])[:1]
                                                       for loc in org.get("location", [])])):
        for i, location in enumerate(locations):
            problem = code_problem(location.get("geoCode"), location.get("geoCodeType"))
            if problem:
                path = (role, i, "geoCode") if role == "beneficiaryLocation" else (role, 0, "location", i, "geoCode")
                return [(path, problem)]
    return []


def code_problem(code: str | None, code_type: str | None) -> str | None:
    """Why a stated geographic code cannot be used, or None."""
    if not code:
        return None
    if not GSS_CODE.fullmatch(code.strip().upper()):
        return f"{code!r} is not an ONS GSS code (a letter and eight digits)"
    if code_type:
        entities = geo_code_types().get(code_type.strip())
        if entities is None:
            return f"geographic code type {code_type!r} is not in the 360Giving codelist"
        if code.strip().upper()[:3] not in entities:
            return f"{code!r} is not a {code_type} code ({'/'.join(sorted(entities))}…)"
    return None


def validate(items, path: Path) -> None:
    today = date.today()
    first, bad = None, 0
    for location, grant, columns in items:
        errors = grant_errors(grant, today)
        if errors:
            bad += 1
            if first is None:
                json_path, reason = errors[0]
                column = columns.get(json_path) or _nearest_title(json_path, columns) or (
                    "$." + ".".join(str(p) for p in json_path) if json_path else None)
                first = (location, column, reason)
            if bad >= MAX_ERRORS_COUNTED:
                break
    if first:
        more = f" ({bad}{'+' if bad >= MAX_ERRORS_COUNTED else ''} invalid grants; nothing loaded)"
        raise LoadError(first[2] + more, file=str(path), location=first[0], column=first[1])


def _nearest_title(json_path: tuple, columns: dict) -> str | None:
    """The column of a missing field: a required property is reported at its parent's path."""
    for json, title in columns.items():
        if json[:len(json_path)] == json_path and json_path:
            return title.rsplit(":", 1)[0]
    return None


# -- to rows ---------------------------------------------------------------------------------------

def _first(grant: dict, key: str) -> dict:
    values = grant.get(key) or [{}]
    return values[0] if isinstance(values[0], dict) else {}


def _text(value) -> str | None:
    return None if value in (None, "") else str(value).strip()


def grant_row(grant: dict) -> dict:
    funder, programme, recipient = (_first(grant, k) for k in
                                    ("fundingOrganization", "grantProgramme", "recipientOrganization"))
    postcode = (_text(recipient.get("postalCode")) or "").upper()
    sector = POSTCODE.match(postcode)
    return {
        "identifier": grant["id"].strip(), "title": _text(grant.get("title")),
        "description": _text(grant.get("description")), "currency": grant["currency"].strip().upper(),
        "amount_awarded": str(grant["amountAwarded"]), "award_date": grant["awardDate"][:10],
        "funder_id": _text(funder.get("id")), "funder_name": _text(funder.get("name")),
        "programme_code": _text(programme.get("code")), "programme_title": _text(programme.get("title")),
        "recipient_id": _text(recipient.get("id")), "recipient_name": _text(recipient.get("name")),
        "recipient_charity_number": _text(recipient.get("charityNumber")),
        "recipient_company_number": _text(recipient.get("companyNumber")),
        "recipient_postcode": postcode or None,
        "recipient_sector": f"{sector.group(1)} {sector.group(2)}" if sector else None,
        "beneficiary_name": "; ".join(n for loc in grant.get("beneficiaryLocation", [])
                                      if (n := _text(loc.get("name")))) or None,
    }


def location_rows(grant: dict) -> list[dict]:
    recipient = _first(grant, "recipientOrganization")
    out = []
    for role, locations in (("beneficiary", grant.get("beneficiaryLocation", [])),
                            ("recipient_code", recipient.get("location", []))):
        for location in locations:
            if _text(location.get("geoCode")):
                out.append({"identifier": grant["id"].strip(), "role": role,
                            "code": location["geoCode"].strip().upper(),
                            "code_type": _text(location.get("geoCodeType")),
                            "location": _text(location.get("name"))})
    return out


def coverage_codes(value: str | None) -> list[str] | None:
    if value is None:
        return None
    codes = [c.strip().upper() for c in value.replace(";", ",").split(",") if c.strip()]
    bad = [c for c in codes if not GSS_CODE.fullmatch(c)]
    if bad or not codes:
        raise LoadError(f"--coverage {value!r}: give comma-separated GSS codes of authorities, "
                        "e.g. E08000009", column="--coverage")
    return codes


def load(ctx: LoadContext, path: Path, coverage: str | None = None, unmatched: str = "refuse") -> None:
    """Every grant of one 360Giving file, located, or nothing."""
    if unmatched not in ("refuse", "keep"):
        raise LoadError(f"--unmatched {unmatched!r}: refuse or keep", column="--unmatched")
    claimed = coverage_codes(coverage)
    items = read_grants(path)
    ctx.read(len(items))
    validate(items, path)
    grants = [g for _, g, _ in items]
    rows = pd.DataFrame([grant_row(g) for g in grants], columns=list(STAGE))
    repeated = rows["identifier"][rows["identifier"].duplicated()]
    if not repeated.empty:
        at = items[repeated.index[0]][0]
        raise LoadError(f"identifier {repeated.iloc[0]!r} appears twice in the file; each grant once",
                        file=str(path), location=at, column="Identifier")
    locations = pd.DataFrame([r for g in grants for r in location_rows(g)], columns=list(LOCATIONS.stage))
    staged = ctx.stage(Target("grants", STAGE, ("identifier",)), rows)
    staged_locations = ctx.stage(LOCATIONS, locations)
    for statement in SQL.statements("grant_places"):
        ctx.execute(statement.replace("{grants}", staged).replace("{locations}", staged_locations))
    report_unmatched(ctx, path, unmatched)
    ctx.merge(GRANTS, "grant_places")
    ctx.upsert(COVERAGE, coverage_rows(ctx, claimed))
    summarise(ctx)


def report_unmatched(ctx: LoadContext, path: Path, unmatched: str) -> None:
    """Codes no loaded area or lookup knows: counted and listed; refused unless --unmatched keep."""
    rows = ctx.conn.exec_driver_sql(
        "SELECT code, count(*) FROM grant_unmatched GROUP BY code ORDER BY count(*) DESC, code").all()
    if not rows:
        return
    listed = ", ".join(f"{code} ({n})" for code, n in rows[:10]) + (" …" if len(rows) > 10 else "")
    total = sum(n for _, n in rows)
    if unmatched == "refuse":
        raise LoadError(f"{len(rows)} geographic codes match no loaded area or lookup ({total} grants): "
                        f"{listed}; load the lookups that know them, or --unmatched keep to store these "
                        "grants unlocated", file=str(path), column="Beneficiary Location:Geographic Code")
    ctx.note(f"unmatched codes (grants stored unlocated): {len(rows)} codes, {total} grants: {listed}")


def coverage_rows(ctx: LoadContext, claimed: list[str] | None) -> pd.DataFrame:
    """What the file covers, per funder: --coverage, else a council's own authority, else the
    authorities its located grants name (docs/analysis/grants.md)."""
    if claimed:
        known = {c for (c,) in ctx.conn.exec_driver_sql(
            "SELECT code FROM area_hierarchy WHERE level IN ('ltla', 'utla') AND vintage = '2023-12'")}
        unknown = [c for c in claimed if c not in known]
        if unknown:
            raise LoadError(f"--coverage: {unknown} are not 2023 authorities in the loaded hierarchy",
                            column="--coverage")
    params = {"claimed": claimed}
    return pd.DataFrame(ctx.conn.execute(_coverage_sql(), params).all(), columns=list(COVERAGE.stage))


def _coverage_sql():
    return SQL.statement("grant_coverage")


def summarise(ctx: LoadContext) -> None:
    """The report's reconciliation: totals per financial year as stored, and where grants landed."""
    by_year = ctx.conn.exec_driver_sql("""
        SELECT CASE WHEN extract(month FROM award_date) >= 4 THEN extract(year FROM award_date)::int
                    ELSE extract(year FROM award_date)::int - 1 END AS fy,
               count(*), sum(amount_awarded)
        FROM grant_places GROUP BY 1 ORDER BY 1""").all()
    ctx.report.reconciliation["awarded by financial year"] = {
        f"{y}-{(y + 1) % 100:02d}": f"{n} grants, £{total:,.2f}" for y, n, total in by_year}
    landed = ctx.conn.exec_driver_sql("""
        SELECT coalesce(located_by, 'unlocated'), coalesce(area_level, '-'), count(*)
        FROM grant_places GROUP BY 1, 2 ORDER BY 1, 2""").all()
    ctx.report.reconciliation["where grants land"] = {f"{by} {level}": n for by, level, n in landed}


KINDS = {
    "grants-360giving": Kind(
        load, SOURCE,
        "Grants in the 360Giving Data Standard (flat CSV, XLSX/ODS or JSON package), validated "
        "against the standard's schema → grants, each placed at the finest location it states",
        {"coverage": "Comma-separated 2023 authority codes the file covers (default: a council "
                     "funder's own authority, else the authorities its grants name)",
         "unmatched": "refuse (default) a file with codes no loaded lookup knows, or keep them "
                      "unlocated"}),
}
