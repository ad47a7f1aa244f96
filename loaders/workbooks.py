"""Reading published spreadsheets (.xls, .xlsx, .ods) as raw cell grids.

Government workbooks move their header rows and sheets between years, so loaders receive
every sheet as a grid (no header inferred) and locate what they need by content.
"""
from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from store.errors import LoadError

SUFFIXES = (".xls", ".xlsx", ".xlsm", ".ods")
# calamine (Rust) reads all three formats; odfpy took 30 s on a 1 MB ODS where calamine takes 0.2 s.
ENGINE = "calamine"


def read_workbook(path: Path, sheets: Callable[[str], bool] | None = None) -> dict[str, pd.DataFrame]:
    """Every sheet (or those ``sheets`` accepts by name) as a DataFrame of raw cells.

    Rows and columns are positional (0-based); ``excel_row(i)`` gives the number a user sees.
    """
    if path.suffix.lower() not in SUFFIXES:
        raise LoadError(f"not a spreadsheet (.xls, .xlsx or .ods expected, got {path.suffix!r})",
                        file=str(path))
    try:
        names = pd.ExcelFile(path, engine=ENGINE).sheet_names
        wanted = [n for n in names if sheets is None or sheets(n)]
        if not wanted:
            raise LoadError(f"no matching sheet among {names}", file=str(path))
        return pd.read_excel(path, sheet_name=wanted, header=None, dtype=object, engine=ENGINE)
    except LoadError:
        raise
    except (zipfile.BadZipFile, EOFError) as error:
        raise LoadError(f"workbook is truncated or corrupt ({error})", file=str(path))
    except Exception as error:  # xlrd, openpyxl and odfpy each raise their own types
        raise LoadError(f"not a readable {path.suffix} workbook ({type(error).__name__}: {error})",
                        file=str(path))


def excel_row(index: int) -> int:
    """The row number a spreadsheet user sees for a 0-based grid row."""
    return index + 1
