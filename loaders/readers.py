"""Reading published files into DataFrames, with errors that say where the problem is."""
from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyogrio

from loaders.errors import LoadError
from models.vintages import normalise_vintage


def read_csv(path: Path, required: list[str] | tuple[str, ...] = (), **kwargs) -> pd.DataFrame:
    """A CSV as published (UTF-8 with or without BOM), every cell a string, blanks as ''."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", **kwargs)
    except UnicodeDecodeError as error:
        raise LoadError(f"not a UTF-8 text CSV (byte {error.start} cannot be decoded)", file=str(path))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise LoadError(f"not a readable CSV: {error}", file=str(path))
    frame.columns = [str(c).strip() for c in frame.columns]
    require_columns(frame, required, path)
    _refuse_short_rows(path, len(frame.columns), kwargs.get("sep", ","))
    return frame


def _refuse_short_rows(path: Path, width: int, sep: str) -> None:
    """pandas pads a short row with blanks; a short row means a cut or broken file, so refuse it."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter=sep), start=1):
            if row and len(row) != width:
                raise LoadError(f"{len(row)} fields where the header has {width} (truncated or "
                                "malformed file?)", file=str(path), location=f"row {number}")


def require_columns(frame: pd.DataFrame, required, path: Path, what: str = "columns") -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise LoadError(f"missing {what} {missing}; found {list(frame.columns)[:20]}", file=str(path))


def vintage_option(vintage: str | int) -> str:
    """A --vintage as given ('2021', '2021-12') in the one canonical form, or a located error."""
    try:
        return normalise_vintage(vintage)
    except ValueError as error:
        raise LoadError(str(error), column="--vintage") from None


def csv_row(index: int) -> str:
    """The published row number of a DataFrame index (row 1 is the header)."""
    return f"row {index + 2}"


def to_number(series: pd.Series) -> pd.Series:
    """Numbers as printed in published files: '29,199', ' 12 ', '' → 29199, 12, NaN."""
    cleaned = series.astype(str).str.replace(",", "", regex=False).str.strip()
    return pd.to_numeric(cleaned.where(cleaned != "", None), errors="coerce")


def to_year(series: pd.Series) -> pd.Series:
    years = to_number(series)
    return years.where(years.between(1800, 2100)).astype("Int64")


def vector_info(path: Path, layer: str | None = None) -> dict:
    """pyogrio's description of a vector file; a clear error when GDAL cannot read it."""
    try:
        return pyogrio.read_info(path, layer=layer)
    except Exception as error:  # GDAL's own error types vary by driver
        raise LoadError(f"not a readable vector file ({error})", file=str(path))


def epsg_of(info: dict, path: Path, override: int | None = None) -> int:
    if override:
        return override
    crs = info.get("crs")
    if not crs:
        raise LoadError("unknown CRS: the file declares none; give --crs EPSG", file=str(path))
    match = re.fullmatch(r"EPSG:(\d+)", crs)
    if match:
        return int(match.group(1))
    from pyproj import CRS  # pyogrio ships without pyproj; geopandas brings it

    epsg = CRS.from_user_input(crs).to_epsg()
    if not epsg:
        raise LoadError(f"unknown CRS {crs[:80]!r}: give --crs EPSG", file=str(path))
    return epsg


def iter_features(path: Path, layer: str | None = None, batch_size: int = 5000,
                  columns: list[str] | None = None, where: str | None = None) -> Iterator[pd.DataFrame]:
    """Stream a vector layer as DataFrames with a ``wkb`` column (hex), batch by batch.

    Memory stays bounded by ``batch_size`` whatever the size of the file.
    """
    try:
        with pyogrio.open_arrow(path, layer=layer, batch_size=batch_size, columns=columns,
                                where=where, use_pyarrow=True) as (meta, reader):
            geometry = meta["geometry_name"] or "wkb_geometry"
            offset = 0
            for batch in reader:
                frame = batch.to_pandas()
                wkb = frame.pop(geometry) if geometry in frame else pd.Series([None] * len(frame))
                frame["wkb"] = wkb.map(lambda b: b.hex() if b is not None else None)
                frame.index = range(offset, offset + len(frame))
                offset += len(frame)
                yield frame
    except LoadError:
        raise
    except Exception as error:
        raise LoadError(f"cannot read features ({error})", file=str(path))


def feature(index: int) -> str:
    return f"feature {index + 1}"
