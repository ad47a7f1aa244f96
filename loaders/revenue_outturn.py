"""MHCLG Revenue Outturn Summary (RS) workbooks → spending (net current expenditure by service).

One RS workbook per financial year (.xls to 2014-15, .xlsx from 2015-16), one row per English
authority (E-code; ONS code from 2014-15), one column per line of the RS form. The sheet that
holds the lines is found by its title and caption, its header row by the ``E-code`` cell, and each
service column by its RS line number: from the line-number row above the header where the sheet
has one (2015-16 on), otherwise from the line numbers the workbook's own drop-down sheet prints
beside the same labels (2013-14, 2014-15).

Only net current expenditure is loaded. The 2013-14 workbook also has sheets of capital items
and of net total cost by service (no other year has them), and every year's sheet continues past
the services into housing benefits, levies, financing and reserves — those are not service
spending and are left out. Amounts are £ thousand in the file and stored in £.
"""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pandas as pd

from store.errors import LoadError
from loaders.pipeline import Kind, LoadContext, SourceInfo
from loaders.sources import OGL
from loaders.spending_common import (ECODE, SPENDING, known_ons_codes, pounds,
                                     upsert_authority_codes)
from loaders.workbooks import excel_row, read_workbook

SOURCE = SourceInfo(
    "mhclg-revenue-outturn-rs", "Local authority revenue expenditure and financing: "
    "Revenue Outturn Summary (RS) data by local authority", "DCLG / MHCLG", OGL,
    "https://www.gov.uk/government/collections/local-authority-revenue-expenditure-and-financing")

DATASET, BASIS, MEASURE = "RS", "outturn", "net_current_expenditure"

# RS form line → stable service key: the "Service Expenditure" block of the form (lines 190 to
# 698 and their total 699), identical in the 2013-14 … 2016-17 workbooks. The published label
# goes to spending.source_line. Every line listed here must be in the workbook.
RS_SERVICES = {
    190: "education",
    290: "highways_transport",
    330: "childrens_social_care",
    360: "adult_social_care",
    390: "public_health",
    490: "housing_gfra",  # General Fund housing only (not the Housing Revenue Account)
    509: "cultural_related",
    590: "environmental_regulatory",
    599: "planning_development",
    601: "police",
    602: "fire_rescue",
    690: "central",
    698: "other",
    699: "total_service",  # the form's total of lines 190 to 698
}

# ONS codes printed wrongly in a workbook: (E-code, code as printed) → (right code, evidence).
# Applied in every year the wrong pair appears; each application is noted in the report.
ONS_CODE_CORRECTIONS = {
    ("E2721", "E10000022"): (
        "E10000023", "North Yorkshire CC is E10000023 in the RS 2014-15 and 2016-17 workbooks and "
        "in the ONS/mySociety lookups; only RS 2015-16 (revision) prints E10000022, which no lookup "
        "in shared/data has"),
}

# Cell text meaning "no figure" rather than a number: RS 2016-17 prints "…" across the whole
# row of the Isles of Scilly and of Dorset Police. Stored as NULL, not zero.
NO_FIGURE = {"…"}

YEAR = re.compile(r"\b(20\d\d)-(\d\d)\b")
IDENTITY_COLUMNS = {"ecode": "E-code", "gss": "ONS Code", "name": "Local authority", "class": "Class"}
REQUIRED_IDENTITY = ("ecode", "name", "class")



def load(ctx: LoadContext, path: Path, *, year: str | None = None) -> None:
    """Net current expenditure by service line for every authority in one RS workbook."""
    workbook = read_workbook(path)
    sheet, grid, header = find_data_sheet(workbook, path)
    financial_year = year_of(sheet, grid, header, year, path, ctx)
    where = f"sheet {sheet!r}, row {excel_row(header)}"
    identity = identity_columns(grid, header, where, path)
    services = service_columns(workbook, sheet, grid, header, where, path)
    england = england_row(grid, header, identity["name"], sheet, path)

    rows = authority_rows(ctx, grid, header, england, identity, services, sheet)
    loaded = with_ons_codes(ctx, rows, int(financial_year[:4]), path.name)
    reconcile(ctx, grid, england, identity, services, rows, loaded)
    printed = loaded[loaded["gss_from_file"]].rename(columns={"gss": "gss_code"})
    upsert_authority_codes(ctx, printed, int(financial_year[:4]))
    ctx.upsert(SPENDING, spending_rows(loaded, services, financial_year))


# -- finding things in the workbook ----------------------------------------------------------
def find_data_sheet(workbook: dict[str, pd.DataFrame], path: Path) -> tuple[str, pd.DataFrame, int]:
    """The RS sheet of net current expenditure by authority, and its header (``E-code``) row."""
    titles = {}
    for name, grid in workbook.items():
        header = header_row(grid)
        if header is None:
            continue
        above = " ".join(cells_text(grid, range(header)))
        titles[name] = above[:80]
        if "(rs)" in above and "net current expenditure" in above:
            return name, grid, header
    raise LoadError("not a Revenue Outturn Summary (RS) workbook: no sheet titled '… (RS) …' with "
                    "'Net current expenditure' above an 'E-code' header row"
                    + (f"; sheets with E-code rows are titled {titles}" if titles else ""),
                    file=str(path))


def header_row(grid: pd.DataFrame) -> int | None:
    """The first row naming both the E-code and the Local authority columns."""
    wanted = {normal(IDENTITY_COLUMNS["ecode"]), normal(IDENTITY_COLUMNS["name"])}
    for i, row in enumerate(grid.itertuples(index=False)):
        if wanted <= {normal(v) for v in row if isinstance(v, str)}:
            return i
    return None


def cells_text(grid: pd.DataFrame, rows) -> list[str]:
    return [normal(v) for i in rows for v in grid.iloc[i].tolist() if isinstance(v, str)]


def normal(label: str) -> str:
    """Labels compared across years: case and runs of whitespace vary, wording does not."""
    return " ".join(label.split()).casefold()


def year_of(sheet: str, grid: pd.DataFrame, header: int, given: str | None, path: Path,
            ctx: LoadContext) -> str:
    """The financial year the sheet name and title state (e.g. '2014-15'), or ``--year``."""
    stated = {f"{a}-{b}" for words in [sheet, *cells_text(grid, range(header))]
              for a, b in YEAR.findall(words) if (int(a) + 1) % 100 == int(b)}
    if given is not None:
        match = YEAR.fullmatch(given)
        if not match or (int(match[1]) + 1) % 100 != int(match[2]):
            raise LoadError(f"--year must look like 2014-15, got {given!r}", file=str(path))
        if stated and stated != {given}:
            ctx.note(f"financial year taken as {given} (--year); the workbook states {sorted(stated)}")
        return given
    if len(stated) != 1:
        raise LoadError(f"cannot tell the financial year from sheet {sheet!r} and its title "
                        f"(found {sorted(stated) or 'none'}); give --year", file=str(path))
    return stated.pop()


def identity_columns(grid: pd.DataFrame, header: int, where: str, path: Path) -> dict[str, int]:
    """Column positions of E-code, ONS Code (absent before 2014-15), Local authority and Class."""
    labels = {normal(v): j for j, v in enumerate(grid.iloc[header].tolist()) if isinstance(v, str)}
    found = {role: labels[normal(label)] for role, label in IDENTITY_COLUMNS.items()
             if normal(label) in labels}
    for role in REQUIRED_IDENTITY:
        if role not in found:
            raise LoadError("expected column missing from the header row", file=str(path),
                            location=where, column=IDENTITY_COLUMNS[role])
    return found


def service_columns(workbook: dict[str, pd.DataFrame], sheet: str, grid: pd.DataFrame, header: int,
                    where: str, path: Path) -> dict[int, tuple[int, str]]:
    """RS line → (column, published label) for every line in RS_SERVICES."""
    labels = {j: " ".join(v.split()) for j, v in enumerate(grid.iloc[header].tolist())
              if isinstance(v, str) and v.strip()}
    line_of = line_number_row(grid, header, labels) or lines_by_label(workbook, sheet, labels)
    columns: dict[int, tuple[int, str]] = {}
    for j, line in line_of.items():
        if line in RS_SERVICES:
            if line in columns:
                raise LoadError(f"RS line {line} heads two columns", file=str(path), location=where,
                                column=labels[j])
            columns[line] = (j, labels[j])
    missing = [f"{line} {key}" for line, key in RS_SERVICES.items() if line not in columns]
    if missing:
        raise LoadError(f"expected RS service lines not found among the columns: {missing}",
                        file=str(path), location=where)
    return columns


def line_number_row(grid: pd.DataFrame, header: int, labels: dict[int, str]) -> dict[int, int]:
    """Column → line number from a row above the header that numbers the labelled columns."""
    for i in range(header - 1, -1, -1):
        numbers = {j: grid.iat[i, j] for j in labels if is_line_number(grid.iat[i, j])}
        if len(numbers) >= len(labels) // 2:
            return {j: int(n) for j, n in numbers.items()}
    return {}


def lines_by_label(workbook: dict[str, pd.DataFrame], sheet: str,
                   labels: dict[int, str]) -> dict[int, int]:
    """Column → line number via the other sheets, which print '390 | Public Health' pairs."""
    numbered: dict[str, int] = {}
    for name, other in workbook.items():
        if name == sheet:
            continue
        for row in other.itertuples(index=False):
            cells = [v for v in row if not (isinstance(v, float) and pd.isna(v))]
            for number, label in zip(cells, cells[1:]):
                if is_line_number(number) and isinstance(label, str):
                    numbered.setdefault(normal(label), int(number))
    return {j: numbered[normal(label)] for j, label in labels.items() if normal(label) in numbered}


def is_line_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) \
        and 100 <= value <= 999 and value == int(value)


def england_row(grid: pd.DataFrame, header: int, name_column: int, sheet: str, path: Path) -> int:
    """The ENGLAND total row, which ends the authority rows (class totals follow it)."""
    for i in range(header + 1, len(grid)):
        if normal(str(grid.iat[i, name_column])) == "england":
            return i
    raise LoadError("no ENGLAND total row below the authorities (is the sheet cut short?)",
                    file=str(path), location=f"sheet {sheet!r}")


# -- reading the rows ------------------------------------------------------------------------
def authority_rows(ctx: LoadContext, grid: pd.DataFrame, header: int, england: int,
                   identity: dict[str, int], services: dict[int, tuple[int, str]],
                   sheet: str) -> pd.DataFrame:
    """One record per authority between the header and ENGLAND, amounts in £ thousand (Decimal).

    A row without a readable E-code or with a cell that is neither a number nor "no figure" is
    rejected with its location.
    """
    records = []
    for i in range(header + 1, england):
        cells = grid.iloc[i]
        ecode, name = text_of(cells.iloc[identity["ecode"]]), text_of(cells.iloc[identity["name"]])
        if not ecode and not name:
            continue  # spacer row
        ctx.read(1)
        where = f"sheet {sheet!r}, row {excel_row(i)}"
        if not ECODE.fullmatch(ecode):
            ctx.reject(where, f"not an E-code: {ecode!r} ({name})", column="E-code")
            continue
        record = {"ecode": ecode, "name": name, "class": text_of(cells.iloc[identity["class"]]),
                  "gss": text_of(cells.iloc[identity["gss"]]) if "gss" in identity else "",
                  "where": where}
        try:
            for line, (column, label) in services.items():
                record[line] = thousands(cells.iloc[column], label)
        except ValueError as error:
            message, column = error.args
            ctx.reject(where, f"{message} ({ecode} {name})", column=column)
            continue
        records.append(record)
    rows = pd.DataFrame.from_records(records)
    if rows.empty:
        raise LoadError("no authority rows between the header and ENGLAND", location=f"sheet {sheet!r}")
    blank = sorted(rows.loc[rows[list(services)].isna().any(axis=1), "name"])
    if blank:
        ctx.note(f"{len(blank)} authorities have no figure ({'/'.join(NO_FIGURE)}), stored as NULL: "
                 + "; ".join(blank))
    return rows


def text_of(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def thousands(value, column: str) -> Decimal | None:
    """A cell as an exact Decimal of £ thousand (floats through their shortest exact repr)."""
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}", column)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float) and not pd.isna(value):
        return Decimal(repr(value))
    if text_of(value) in NO_FIGURE:
        return None
    raise ValueError(f"not an amount: {value!r}", column)




# -- checking against the published totals ---------------------------------------------------
def reconcile(ctx: LoadContext, grid: pd.DataFrame, england: int, identity: dict[str, int],
              services: dict[int, tuple[int, str]], rows: pd.DataFrame, loaded: pd.DataFrame) -> None:
    """Per service line, authority rows against the ENGLAND row and each class subtotal.

    The sum is over every authority row read; what rejected rows carry is shown as "not loaded".
    A difference is explained when authorities in the total print no figure (the published
    total includes them); they are listed under "no figure printed for".
    """
    totals = {"England": (england, rows)}
    for i in range(england + 1, len(grid)):
        code = text_of(grid.iat[i, identity["class"]])
        if code and not text_of(grid.iat[i, identity["ecode"]]):
            totals[f"class {code}"] = (i, rows[rows["class"] == code])
    differing = []
    for scope, (row, members) in totals.items():
        for line, (column, label) in services.items():
            published = pounds(thousands(grid.iat[row, column], label))
            summed = total(members[line])
            entry = {"published": published, "sum of authorities": summed,
                     "difference": None if published is None else summed - published}
            not_loaded = summed - total(members.loc[members.index.isin(loaded.index), line])
            if not_loaded:
                entry["not loaded"] = not_loaded
            unprinted = sorted(members.loc[members[line].isna(), "name"])
            if entry["difference"] and unprinted:
                entry["no figure printed for"] = unprinted
            ctx.report.reconciliation[f"{scope} {RS_SERVICES[line]} £"] = entry
            if entry["difference"]:
                differing.append(f"{scope} {RS_SERVICES[line]} {entry['difference']:+,}"
                                 + (" (explained: no figure printed)" if unprinted else " (unexplained)"))
    ctx.note(f"reconciliation: authority rows differ from the published total in "
             f"{len(differing)} of {len(ctx.report.reconciliation)} checks"
             + (": " + "; ".join(differing) if differing else " (all equal to the penny)"))


def total(amounts: pd.Series) -> Decimal:
    """Exact sum in £ of £-thousand cells, rounded once at the end."""
    return pounds(sum((v for v in amounts if v is not None), Decimal(0)))


# -- codes -----------------------------------------------------------------------------------
def with_ons_codes(ctx: LoadContext, rows: pd.DataFrame, year: int, file: str) -> pd.DataFrame:
    """Rows with their ONS code: the workbook's (corrected), else authority_codes'; others rejected."""
    rows = rows.assign(gss_from_file=rows["gss"] != "")
    for (ecode, wrong), (right, why) in ONS_CODE_CORRECTIONS.items():
        hit = (rows["ecode"] == ecode) & (rows["gss"] == wrong)
        if hit.any():
            rows.loc[hit, "gss"] = right
            ctx.note(f"corrected ONS code of {ecode} from {wrong} to {right}: {why}")
    known = known_ons_codes(ctx, sorted(rows.loc[~rows["gss_from_file"], "ecode"]), year)
    unmapped = ~rows["gss_from_file"]
    rows.loc[unmapped, "gss"] = rows.loc[unmapped, "ecode"].map(lambda ecode: known.get(ecode, ""))
    looked_up = unmapped & (rows["gss"] != "")
    if looked_up.any():
        ctx.note(f"{int(looked_up.sum())} E-codes without an ONS code in the workbook mapped "
                 f"through authority_codes")
    for row in rows[rows["gss"] == ""].itertuples():
        ctx.reject(row.where, f"no ONS code for {row.ecode} ({row.name}): {file} prints none and "
                   f"authority_codes has none; load first an RS workbook that prints it (2015-16 "
                   f"and later print ONS codes) or an authority-codes lookup", column="E-code")
    return rows[rows["gss"] != ""]


def spending_rows(rows: pd.DataFrame, services: dict[int, tuple[int, str]],
                  financial_year: str) -> pd.DataFrame:
    """One spending row per authority and service line."""
    frames = [pd.DataFrame({"dataset": DATASET, "area_code": rows["gss"],
                            "financial_year": financial_year, "service": RS_SERVICES[line],
                            "basis": BASIS, "measure": MEASURE,
                            "amount_gbp": rows[line].map(pounds), "source_line": f"{line} {label}"})
              for line, (_, label) in services.items()]
    return pd.concat(frames, ignore_index=True)


KINDS = {
    "revenue-outturn": Kind(load, SOURCE, "MHCLG Revenue Outturn Summary (RS) workbook, any year "
                            "(.xls/.xlsx) → spending (net current expenditure by service) and "
                            "authority_codes", {
                                "year": "Financial year, e.g. 2014-15 (default: read from the workbook)"}),
}
