"""HM Treasury GDP deflators at market prices → indicators (United Kingdom, by financial year).

HM Treasury publishes "GDP deflators at market prices, and money GDP" as one table per release.
A workbook may hold several of them (the shared copy is an app's data workbook that holds the
October 2024 and March 2024 HMT tables as whole sheets beside sheets of its own author's); the
HMT tables are found by their content, never by position or name:

* the sheet's title (above the header) reads "GDP DEFLATORS AT MARKET PRICES";
* its header row has a ``Financial year`` cell and, to its right, the index column headed
  ``YYYY-YY = 100`` (the base year); the calendar-year block (``YYYY = 100``) is not read;
* data rows follow until the first row whose financial-year cell is not a financial year.

Only outturn index levels are stored. HMT shows OBR forecast years with a footnoted label
(``2024-25 (1), (2)``) and ``-`` in the index column (only a per cent change is forecast): a row
is stored only if its label is a bare financial year and its index cell a number, so no forecast
year is ever stored as a level. The base year must read exactly 100, or the file is refused.

Stored as ``indicators``: area_code ``K02000001`` (United Kingdom), indicator
``gdp_deflator_<base>`` (e.g. ``gdp_deflator_2023_24`` for 2023-24 = 100; tables with different
bases never mix), period the financial year (``2013-14``), value the index as printed (4 dp).
Two releases with the *same* base share indicator names: the one loaded last wins, so load the
newest last (the default ``--sheet`` is the newest table in the workbook).

To re-base to year Y: divide every value by Y's value and multiply by 100.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd

from store.errors import LoadError
from loaders.pipeline import Kind, LoadContext, SourceInfo
from loaders.sources import OGL
from loaders.statistics import INDICATORS
from loaders.workbooks import excel_row, read_workbook

# The workbook states no licence; HM Treasury statistics on GOV.UK are Crown copyright, OGL v3.
SOURCE = SourceInfo("hmt-gdp-deflators", "GDP deflators at market prices, and money GDP",
                    "HM Treasury", OGL,
                    "https://www.gov.uk/government/collections/gdp-deflators-at-market-prices-and-money-gdp")

UNITED_KINGDOM = "K02000001"
TITLE = "gdp deflators at market prices"
FINANCIAL_YEAR = re.compile(r"((?:18|19|20)\d{2})-(\d{2})")
BASE = re.compile(r"((?:18|19|20)\d{2})-(\d{2})\s*=\s*100")
MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], start=1)}
DATE_IN_TEXT = re.compile(r"\b(\d{1,2})\s+(" + "|".join(MONTHS) + r")\s+((?:19|20)\d{2})\b", re.IGNORECASE)
DATE_IN_NAME = re.compile(r"^(\d{2})(\d{2})((?:19|20)\d{2})\b")  # HMT's sheet names: 30102024 …


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def _number(value) -> float | None:
    """A cell as a number (a numeric cell, or text that is one); None for '-', blanks and words."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return None if pd.isna(value) else float(value)
    try:
        return float(_text(value).replace(",", ""))
    except ValueError:
        return None


class Table:
    """One HMT deflator table found in a sheet."""

    def __init__(self, sheet: str, grid: pd.DataFrame, header: int, year_col: int, index_col: int,
                 base: str, title: str):
        self.sheet, self.grid, self.header = sheet, grid, header
        self.year_col, self.index_col, self.base, self.title = year_col, index_col, base, title

    @property
    def released(self) -> date | None:
        """The release date: from HMT's sheet name (DDMMYYYY…), else the latest date in the title."""
        match = DATE_IN_NAME.match(self.sheet)
        if match:
            try:
                return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
            except ValueError:
                pass
        dates = [date(int(y), MONTHS[m.lower()], int(d)) for d, m, y in DATE_IN_TEXT.findall(self.title)]
        return max(dates) if dates else None


def find_table(sheet: str, grid: pd.DataFrame) -> Table | None:
    """The HMT table in this sheet: title above a 'Financial year' header with a 'YYYY-YY = 100'
    column; None if the sheet is anything else."""
    cells = [[_text(v) for v in row] for row in grid.itertuples(index=False)]
    for header, row in enumerate(cells):
        lowered = [c.lower() for c in row]
        if "financial year" not in lowered:
            continue
        year_col = lowered.index("financial year")
        index_col = next((j for j in range(year_col + 1, len(row)) if BASE.fullmatch(row[j])), None)
        if index_col is None:
            continue
        above = " ".join(c for r in cells[:header] for c in r if c)
        if TITLE not in above.lower():
            continue
        base = BASE.fullmatch(row[index_col])
        return Table(sheet, grid, header, year_col, index_col, f"{base.group(1)}-{base.group(2)}", above)
    return None


def choose(tables: list[Table], sheet: str | None, names: list[str], path: Path) -> Table:
    found = [t.sheet for t in tables]
    if sheet is not None:
        table = next((t for t in tables if t.sheet == sheet), None)
        if table is None:
            what = "no such sheet" if sheet not in names else "not an HM Treasury GDP deflator table"
            raise LoadError(f"--sheet {sheet!r}: {what}; the HMT deflator tables in this workbook are "
                            f"{found}", file=str(path), column="--sheet")
        return table
    if len(tables) == 1:
        return tables[0]
    dated = [t for t in tables if t.released]
    if len(dated) != len(tables):
        raise LoadError(f"several deflator tables {found} and not all dated by sheet name or title: "
                        "give --sheet", file=str(path), column="--sheet")
    newest = max(dated, key=lambda t: t.released)
    if sum(t.released == newest.released for t in dated) > 1:
        raise LoadError(f"several deflator tables {found} of the same date: give --sheet",
                        file=str(path), column="--sheet")
    return newest


def index_rows(ctx: LoadContext, table: Table) -> pd.DataFrame:
    """Outturn index levels below the header, until the first row that is not a financial year."""
    rows, forecasts = [], []

    def where(i: int) -> str:
        return f"sheet {table.sheet!r}, row {excel_row(i)}"

    for i in range(table.header + 1, len(table.grid)):
        label = _text(table.grid.iat[i, table.year_col])
        match = FINANCIAL_YEAR.match(label)
        if not match:
            break  # the footnotes
        ctx.read(1)
        cell = table.grid.iat[i, table.index_col]
        value = _number(cell)
        year = f"{match.group(1)}-{match.group(2)}"
        if label != year:  # footnoted label: an OBR forecast year (HMT prints no level for it)
            forecasts.append(label)
            if value is not None:
                ctx.note(f"{where(i)}: {label!r} is footnoted as a forecast; its index {value} "
                         "is not stored")
            continue
        if value is None or not 0 < value < float("inf"):
            ctx.reject(where(i), f"{_text(cell)!r} is not an index value for outturn year {year}",
                       column=_text(table.grid.iat[table.header, table.index_col]))
            continue
        rows.append((year, value))
    if forecasts:
        ctx.note(f"{len(forecasts)} forecast years not stored ({forecasts[0]} … {forecasts[-1]})")
    return pd.DataFrame(rows, columns=["period", "value"])


def load(ctx: LoadContext, path: Path, sheet: str | None = None) -> None:
    """The GDP deflator index (outturn financial years) of one HMT table in the workbook."""
    workbook = read_workbook(path)
    tables = [t for name, grid in workbook.items() if (t := find_table(name, grid))]
    if not tables:
        raise LoadError("not an HM Treasury GDP deflator workbook: no sheet titled 'GDP DEFLATORS AT "
                        "MARKET PRICES' above a 'Financial year' header with a 'YYYY-YY = 100' column; "
                        f"sheets are {list(workbook)[:20]}", file=str(path))
    table = choose(tables, sheet, list(workbook), path)
    rows = index_rows(ctx, table)
    if rows.empty:
        raise LoadError(f"no outturn index values below the header in sheet {table.sheet!r}",
                        file=str(path), location=f"row {excel_row(table.header)}")
    base = rows.loc[rows["period"] == table.base, "value"]
    if len(base) != 1 or base.iloc[0] != 100:
        raise LoadError(f"the base year {table.base} should read 100 in the index column, but reads "
                        f"{list(base)}", file=str(path), location=f"sheet {table.sheet!r}",
                        column=_text(table.grid.iat[table.header, table.index_col]))
    indicator = "gdp_deflator_" + table.base.replace("-", "_")
    rows.insert(0, "area_code", UNITED_KINGDOM)
    rows.insert(1, "indicator", indicator)
    ctx.upsert(INDICATORS, rows)
    others = [t.sheet for t in tables if t is not table]
    ctx.note(f"sheet {table.sheet!r} (released {table.released or 'undated'}): {indicator}, "
             f"{rows['period'].iloc[0]} … {rows['period'].iloc[-1]} ({len(rows)} outturn years)"
             + (f"; other deflator tables not loaded: {others}" if others else ""))


KINDS = {
    "deflators": Kind(load, SOURCE,
                      "HM Treasury GDP deflators at market prices (the HMT table(s) in a workbook, "
                      "found by title) → indicators gdp_deflator_<base year>, UK, outturn financial "
                      "years", {"sheet": "The HMT table (sheet name) to load (default: the newest by "
                                         "the date in its sheet name or title)"}),
}
