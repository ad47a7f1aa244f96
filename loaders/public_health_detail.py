"""Public health spending by service line: RO3 outturn and RA budget workbooks → spending.

Reads the per-authority "RO3 – Social Care and Public Health Services" outturn workbooks and the
"Revenue Account Budget" (RA) workbooks, and stores every public health line's net current
expenditure per authority. What the file is (RO3 or RA), its year, the sheet, header rows and
columns are all found by content, because each year's layout differs.

Outturn (RO3, what was spent) and budget (RA, what was planned) stay separate series: dataset
``RO3``/basis ``outturn`` and dataset ``RA``/basis ``budget``.

Line labels change between years; ``LINES`` maps every published label to a stable service key
(the label itself is kept in ``source_line``) and ``ROLLUP`` maps each finer key to the coarse
2013-14 line it belongs to, so years can be compared at the coarse level without losing detail.
See docs/loaders/public_health_detail.md.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from store.errors import LoadError
from loaders.pipeline import Kind, LoadContext, SourceInfo
from loaders.sources import OGL
from loaders.spending_common import ECODE, SPENDING, known_ons_codes, pounds, upsert_authority_codes
from loaders.workbooks import excel_row, read_workbook
from models.public_health_lines import LINES, ROLLUP, TOTAL

SOURCE = SourceInfo(
    "mhclg-public-health-by-service",
    "Local authority revenue expenditure and financing: RO3 outturn and RA budget, "
    "public health service lines", "DCLG / MHCLG / DLUHC", OGL,
    "https://www.gov.uk/government/collections/local-authority-revenue-expenditure-and-financing")

BASIS = {"RO3": "outturn", "RA": "budget"}
MEASURE = "net_current_expenditure"
# Cell text that means "no figure", stored as NULL (never zero).
NOT_AVAILABLE = {
    "[x]": "return not received",  # RO3 2022-23 (its Notes sheet: "Data not received in time")
    "…": "not available",  # RA 2017-18, 2020-21
    "...": "not available",  # RA 2021-22 (its front page: "… Not available")
    # RO3 2022-23 prints ">" once (Wakefield, dental memo line); no note explains it.
    ">": "unexplained symbol, no figure",
}

DATA_SHEET = re.compile(r"\b(RA|RO3)[ _]LA[ _]Data[ _](\d{4})-(\d{2})\b", re.IGNORECASE)
GSS_CODE = re.compile(r"[ENSW]\d{8}")
# Authorities with public health duties (unitaries, metropolitan districts, London boroughs,
# counties). Rows of other authorities are kept only if they report some public health amount.
PUBLIC_HEALTH_CLASSES = {"UA", "MD", "L", "LB", "SC"}
IDENTITY = {"ecode": "e-code", "gss": "ons code", "name": "local authority", "class": "class"}
HEADER_SEARCH_ROWS = 30


@dataclass(frozen=True)
class Line:
    """One public health line of the workbook: its key, published label and amount column."""

    service: str
    label: str
    column: int


@dataclass(frozen=True)
class DataSheet:
    dataset: str  # RO3 or RA
    financial_year: str  # 2013-14
    name: str
    grid: pd.DataFrame
    header: int  # grid row of the E-code header

    def where(self, row: int) -> str:
        return f"sheet {self.name!r}, row {excel_row(row)}"


def load(ctx: LoadContext, path: Path) -> None:
    """Every public health line per authority from an RO3 (outturn) or RA (budget) workbook."""
    sheet = find_data_sheet(read_workbook(path), path)
    identity = identity_columns(sheet)
    lines = public_health_lines(sheet)
    england = england_row(sheet, identity["name"])
    rows = authority_rows(ctx, sheet, identity, lines, england)
    ctx.note(f"{int((~rows['store']).sum())} authority rows not stored: not an upper-tier class "
             f"({'/'.join(sorted(PUBLIC_HEALTH_CLASSES))}) and no public health amount")
    year = int(sheet.financial_year[:4])
    rows = with_ons_codes(ctx, sheet, rows, year)
    ctx.upsert(SPENDING, spending_rows(sheet, rows[rows["store"] & (rows["gss"] != "")], lines))
    reconcile(ctx, sheet, england, lines, rows)
    ctx.note(f"{sheet.dataset} {sheet.financial_year} ({BASIS[sheet.dataset]}), net current expenditure, "
             f"{len(lines)} public health lines from sheet {sheet.name!r}")


# -- finding what is where -------------------------------------------------------------------
def find_data_sheet(workbook: dict[str, pd.DataFrame], path: Path) -> DataSheet:
    """The net-current-expenditure data sheet, with the dataset and year its name states."""
    named = {name: DATA_SHEET.search(name) for name in workbook}
    candidates = {name: match for name, match in named.items() if match}
    if not candidates:
        raise LoadError(f"not an RO3 or RA workbook: no sheet named like 'RO3 LA Data 2013-14' or "
                        f"'RA LA Data 2013-14' among {list(workbook)}", file=str(path))
    for name, match in candidates.items():
        dataset, start, end = match.group(1).upper(), int(match.group(2)), int(match.group(3))
        if (start + 1) % 100 != end:
            raise LoadError(f"{start}-{end:02d} in the sheet name is not a financial year",
                            file=str(path), location=f"sheet {name!r}")
        grid = workbook[name]
        header = header_row(grid)
        if header is not None and mentions(grid.iloc[:header + 1], "net current expenditure"):
            return DataSheet(dataset, f"{start}-{end:02d}", name, grid, header)
    raise LoadError(f"no net current expenditure sheet with an 'E-code' header row among "
                    f"{list(candidates)}", file=str(path))


def header_row(grid: pd.DataFrame) -> int | None:
    for i in range(min(HEADER_SEARCH_ROWS, len(grid))):
        if any(normal(v) == IDENTITY["ecode"] for v in grid.iloc[i]):
            return i
    return None


def mentions(cells: pd.DataFrame, phrase: str) -> bool:
    return any(phrase in normal(v) for v in cells.to_numpy().ravel())


def identity_columns(sheet: DataSheet) -> dict[str, int]:
    """E-code, name and class columns (required) and the ONS code column (RA 2017-18 on, RO3 2022-23)."""
    headers = [normal(v) for v in sheet.grid.iloc[sheet.header]]
    found = {key: headers.index(text) for key, text in IDENTITY.items() if text in headers}
    missing = [IDENTITY[k] for k in ("ecode", "name", "class") if k not in found]
    if missing:
        raise LoadError(f"header row lacks the column(s) {missing}", location=sheet.where(sheet.header),
                        column=", ".join(missing))
    return found


def public_health_lines(sheet: DataSheet) -> list[Line]:
    """Each public health line with the column holding its net current expenditure.

    The lines run from the first "Sexual health services" label to "TOTAL PUBLIC HEALTH", plus
    the memo lines "(included above within total public health)".
    """
    label_row = line_label_row(sheet)
    labels = {j: text_of(v) for j, v in enumerate(sheet.grid.iloc[label_row]) if text_of(v)}
    first = next(j for j, label in labels.items() if normal(label).startswith("sexual health services"))
    total = next((j for j, label in labels.items()
                  if j > first and normal(label).startswith("total public health")), None)
    if total is None:
        raise LoadError("no 'TOTAL PUBLIC HEALTH' line after the public health lines",
                        location=sheet.where(label_row))
    columns = [j for j in labels if first <= j <= total
               or "included above within total public health" in normal(labels[j])]
    lines = []
    for j in columns:
        service = LINES.get(normal(labels[j]))
        if service is None:
            raise LoadError(f"unknown public health line {labels[j]!r}: add it to LINES (and ROLLUP if "
                            f"it splits an earlier line) in loaders/public_health_detail.py",
                            location=sheet.where(label_row), column=excel_column(j))
        following = min((k for k in labels if k > j), default=sheet.grid.shape[1])
        lines.append(Line(service, labels[j], amount_column(sheet, j, following)))
    return resolve_miscellaneous(lines)


def line_label_row(sheet: DataSheet) -> int:
    """RA: the header row itself; RO3: a row above it (measures sit in the header row)."""
    for i in range(sheet.header, -1, -1):
        if any(normal(v).startswith("sexual health services") for v in sheet.grid.iloc[i]):
            return i
    raise LoadError("no public health lines: no 'Sexual health services …' column label",
                    location=sheet.where(sheet.header))


def amount_column(sheet: DataSheet, label_column: int, following: int) -> int:
    """RA has one column per line; RO3 a block per line, of which the C7 column is wanted."""
    if sheet.dataset == "RA":
        return label_column
    headers = sheet.grid.iloc[sheet.header, label_column:following]
    for j, value in headers.items():
        if normal(value).startswith("net current expenditure"):
            return j
    raise LoadError("no 'Net Current Expenditure' column in the line's block of columns",
                    location=sheet.where(sheet.header), column=excel_column(label_column))


def resolve_miscellaneous(lines: list[Line]) -> list[Line]:
    """The bare "Miscellaneous public health services" line is only the remainder (ph_misc_other)
    when the workbook also publishes finer lines of the miscellaneous group beside it."""
    finer = any(ROLLUP.get(line.service) == "ph_misc" for line in lines)
    return [Line("ph_misc_other", line.label, line.column) if finer and line.service == "ph_misc"
            else line for line in lines]


def england_row(sheet: DataSheet, name_column: int) -> int:
    for i in range(sheet.header + 1, len(sheet.grid)):
        if normal(sheet.grid.iat[i, name_column]) == "england":
            return i
    raise LoadError("no ENGLAND row below the authorities (truncated sheet?)",
                    location=sheet.where(sheet.header), column="Local authority")


# -- reading authorities ---------------------------------------------------------------------
def authority_rows(ctx: LoadContext, sheet: DataSheet, identity: dict[str, int], lines: list[Line],
                   england: int) -> pd.DataFrame:
    """One record per authority row above ENGLAND: codes, name, amounts (£k, None = no figure)."""
    records = []
    for i in range(sheet.header + 1, england):
        ecode = text_of(sheet.grid.iat[i, identity["ecode"]])
        if not ecode:
            continue  # spacer rows
        ctx.read(1)
        if not ECODE.fullmatch(ecode):
            ctx.reject(sheet.where(i), f"not an E-code: {ecode!r}", column="E-code")
            continue
        amounts = {line.service: thousands(sheet, i, line) for line in lines}
        cls = text_of(sheet.grid.iat[i, identity["class"]]).upper()
        records.append({
            "ecode": ecode,
            "gss": text_of(sheet.grid.iat[i, identity["gss"]]) if "gss" in identity else "",
            "name": text_of(sheet.grid.iat[i, identity["name"]]),
            "where": sheet.where(i),
            # Public health is an upper-tier duty: other authorities' all-zero rows carry nothing.
            "store": cls in PUBLIC_HEALTH_CLASSES or any(a for a in amounts.values()),
            **amounts,
        })
    if not records:
        raise LoadError("no authority rows between the header and the ENGLAND row",
                        location=sheet.where(sheet.header), column="E-code")
    return pd.DataFrame(records)


def thousands(sheet: DataSheet, row: int, line: Line) -> Decimal | None:
    """A cell as an exact Decimal of £ thousand; None for a "no figure" marker."""
    value = sheet.grid.iat[row, line.column]
    if isinstance(value, bool):
        pass  # a boolean is not an amount (bool is an int subclass)
    elif isinstance(value, int):
        return Decimal(value)
    elif isinstance(value, float) and not pd.isna(value):
        return Decimal(repr(value))  # the shortest exact repr, not the binary expansion
    elif text_of(value) in NOT_AVAILABLE:
        return None
    elif isinstance(value, str):
        try:
            return Decimal(value.replace(",", "").strip())
        except InvalidOperation:
            pass
    raise LoadError(f"not an amount: {value!r} (line {line.label!r})", location=sheet.where(row),
                    column=excel_column(line.column))


# -- codes -----------------------------------------------------------------------------------
def with_ons_codes(ctx: LoadContext, sheet: DataSheet, rows: pd.DataFrame, year: int) -> pd.DataFrame:
    """ONS codes from the workbook where it prints them (recorded in authority_codes), otherwise
    from authority_codes; stored rows left without one are rejected."""
    printed = rows["gss"].str.fullmatch(GSS_CODE.pattern)
    malformed = (rows["gss"] != "") & ~printed
    if malformed.any():
        ctx.note(f"{int(malformed.sum())} ONS code cells are not GSS codes (e.g. "
                 f"{rows.loc[malformed, 'gss'].iloc[0]!r} for {rows.loc[malformed, 'name'].iloc[0]}); "
                 f"ignored (such an authority, if stored, is looked up in authority_codes)")
    if printed.any():
        upsert_authority_codes(ctx, rows.loc[printed].rename(columns={"gss": "gss_code"}), year)
    rows = rows.assign(gss=rows["gss"].where(printed, ""))
    unmapped = rows["store"] & (rows["gss"] == "")
    known = known_ons_codes(ctx, sorted(rows.loc[unmapped, "ecode"]), year)
    rows.loc[unmapped, "gss"] = rows.loc[unmapped, "ecode"].map(lambda ecode: known.get(ecode, ""))
    if unmapped.any():
        ctx.note(f"{int((unmapped & (rows['gss'] != '')).sum())} of {int(unmapped.sum())} authorities "
                 f"without an ONS code in the workbook mapped through authority_codes")
    for row in rows[rows["store"] & (rows["gss"] == "")].itertuples():
        ctx.reject(row.where, f"no ONS code for {row.ecode} ({row.name}) in the workbook or in "
                   f"authority_codes: load a workbook that prints ONS codes (RA 2017-18 or later, "
                   f"RO3 2022-23) or the mySociety authority lookup (kind 'lookup') first",
                   column="E-code")
    return rows


# -- writing and checking --------------------------------------------------------------------
def spending_rows(sheet: DataSheet, rows: pd.DataFrame, lines: list[Line]) -> pd.DataFrame:
    return pd.DataFrame([
        {"dataset": sheet.dataset, "area_code": row["gss"], "financial_year": sheet.financial_year,
         "service": line.service, "basis": BASIS[sheet.dataset], "measure": MEASURE,
         "amount_gbp": pounds(row[line.service]), "source_line": line.label}
        for _, row in rows.iterrows() for line in lines])


def reconcile(ctx: LoadContext, sheet: DataSheet, england: int, lines: list[Line],
              rows: pd.DataFrame) -> None:
    """Per line, every authority row of the workbook against its ENGLAND row (in £).

    Where returns were not received the publisher's ENGLAND row includes imputed figures the
    authority rows do not, so there the shortfall is reported rather than treated as an error.
    """
    differing = {}
    for line in lines:
        published = pounds(thousands(sheet, england, line))
        summed = pounds(sum((a for a in rows[line.service] if a is not None), Decimal(0)))
        entry = {"published": published, "sum of authorities": summed,
                 "difference": None if published is None else summed - published}
        ctx.report.reconciliation[f"England {line.service} £"] = entry
        if entry["difference"]:
            differing[line.service] = entry
    report_not_available(ctx, sheet, lines, rows)
    report_differences(ctx, lines, differing, rows[rows[TOTAL].isna()])


def report_not_available(ctx: LoadContext, sheet: DataSheet, lines: list[Line], rows: pd.DataFrame) -> None:
    """How many stored amounts are NULL because the workbook prints a "no figure" marker."""
    missing = rows.loc[rows["store"], [line.service for line in lines]].isna()
    names = rows.loc[missing[missing.any(axis=1)].index, "name"].tolist()
    cells = sheet.grid.iloc[sheet.header + 1:, [line.column for line in lines]].to_numpy().ravel()
    markers = {m: meaning for m, meaning in NOT_AVAILABLE.items() if any(text_of(v) == m for v in cells)}
    ctx.report.reconciliation["amounts not available (stored as NULL)"] = {
        "authorities": len(names), "cells": int(missing.to_numpy().sum()), "markers": markers}
    if names:
        ctx.note(f"{len(names)} stored authorities have lines without a figure ("
                 + ", ".join(f"{m!r} = {meaning}" for m, meaning in markers.items())
                 + "), stored as NULL, not zero: " + ", ".join(names[:10])
                 + (" …" if len(names) > 10 else ""))


def report_differences(ctx: LoadContext, lines: list[Line], differing: dict,
                       without_total: pd.DataFrame) -> None:
    if not differing:
        ctx.note(f"reconciliation: authority rows add up to the ENGLAND row on all {len(lines)} lines "
                 f"(to the penny)")
        return
    total = differing.get(TOTAL)
    if without_total.empty or total is None:
        ctx.note(f"reconciliation: authority rows differ from the ENGLAND row on {len(differing)} of "
                 f"{len(lines)} lines: "
                 + "; ".join(f"{k} {v['difference']:+,}" for k, v in differing.items()))
        return
    short = -total["difference"] / total["published"] * 100
    ctx.note(f"reconciliation: the ENGLAND row includes the publisher's imputed figures for the "
             f"{len(without_total)} authorities without a total, so authority rows do not add up to "
             f"it: TOTAL PUBLIC HEALTH authority rows £{total['sum of authorities']:,} vs ENGLAND "
             f"£{total['published']:,} ({total['difference']:+,}, {short:.2f}% short); "
             f"{len(differing)} of {len(lines)} lines differ")


# -- small helpers ---------------------------------------------------------------------------
def text_of(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def normal(value) -> str:
    """A label as compared: lower case, one kind of dash and apostrophe, single spaces, without
    "(total of lines …)" and "[note n]" annotations."""
    text = text_of(value).lower().replace("–", "-").replace("—", "-").replace("’", "'")
    text = re.sub(r"\(total of lines[^)]*\)|\[note \d+\]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def excel_column(index: int) -> str:
    """The column letters a spreadsheet user sees for a 0-based grid column."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


KINDS = {
    "public-health-detail": Kind(
        load, SOURCE, "RO3 outturn or RA budget workbook (.xls/.xlsx/.ods), any year → spending: "
        "net current expenditure on every public health service line per authority"),
}
