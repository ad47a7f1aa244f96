"""Reading published files into DataFrames, with errors that say where the problem is."""
from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

from store.errors import LoadError
from models.vintages import normalise_vintage


def read_csv(path: Path, required: list[str] | tuple[str, ...] = (), **kwargs) -> pd.DataFrame:
    """A CSV as published (UTF-8 with or without BOM), every cell a string, blanks as ''.

    Refused with a located LoadError: a NUL byte (a binary or damaged file), a short row, a
    header with no rows.
    """
    _refuse_nul(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", **kwargs)
    except UnicodeDecodeError as error:
        raise LoadError(f"not a UTF-8 text CSV (byte {error.start} cannot be decoded)", file=str(path))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise LoadError(f"not a readable CSV: {error}", file=str(path))
    frame.columns = [str(c).strip() for c in frame.columns]
    require_columns(frame, required, path)
    _refuse_short_rows(path, len(frame.columns), kwargs.get("sep", ","))
    if frame.empty:
        raise LoadError("the file has a header but no rows", file=str(path))
    return frame


def _refuse_nul(path: Path) -> None:
    """A NUL byte is never text: say on which line, instead of a parser's traceback."""
    line = 1
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            at = block.find(b"\x00")
            if at >= 0:
                line += block.count(b"\n", 0, at)
                raise LoadError("a NUL byte: not a text CSV (binary or damaged file?)", file=str(path),
                                location=f"row {line}")
            line += block.count(b"\n")


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


# Formats whose specification fixes WGS84 when no CRS is declared (RFC 7946; TopoJSON follows it).
WGS84_BY_DEFAULT = {"GeoJSON", "TopoJSON", "GeoJSONSeq"}
# Where coordinates of the two CRSs British data comes in can lie (with a margin).
EXTENTS = {4326: ((-180, 180), (-90, 90)), 27700: ((-100_000, 800_000), (-100_000, 1_400_000))}
LOOKS_LIKE = {27700: "British National Grid eastings/northings: pass --crs EPSG:27700",
              4326: "longitude/latitude: pass --crs EPSG:4326"}


def crs_option(crs: str | int | None) -> int | None:
    """--crs as given (27700, '27700', 'EPSG:27700') → the EPSG code."""
    if crs is None or str(crs).strip() == "":
        return None
    match = re.fullmatch(r"(?:EPSG:)?(\d{4,6})", str(crs).strip(), re.IGNORECASE)
    if not match:
        raise LoadError(f"{crs!r} is not an EPSG code like EPSG:27700", column="--crs")
    return int(match.group(1))


def source_srid(info: dict, path: Path, crs: str | int | None, layer: str | None = None,
                note=None) -> int:
    """The EPSG code of a vector file's coordinates: --crs, else the file's own, else WGS84 where
    the format says so. Refused, at the first feature that does not fit, with a hint at the CRS
    its coordinates look like (a GeoJSON in British National Grid with no ``crs`` member)."""
    given = crs_option(crs)
    if not given and not info.get("crs") and info.get("driver") in WGS84_BY_DEFAULT:
        srid, how = 4326, f"{info['driver']} with no CRS means WGS84"
        if note:
            note(f"{info['driver']} declares no CRS: read as WGS84 (EPSG:4326) as the format specifies")
    else:
        srid, how = epsg_of(info, path, given), "given" if given else "declared"
    _refuse_misfit(path, layer, srid, how)
    return srid


def _fits(srid: int, xmin, ymin, xmax, ymax):
    (x0, x1), (y0, y1) = EXTENTS[srid]
    return (xmin >= x0) & (xmax <= x1) & (ymin >= y0) & (ymax <= y1)


def _refuse_misfit(path: Path, layer: str | None, srid: int, how: str) -> None:
    if srid not in EXTENTS:
        return
    try:
        _, bounds = pyogrio.read_bounds(path, layer=layer)
    except Exception as error:  # GDAL's own error types vary by driver
        raise LoadError(f"cannot read features ({error})", file=str(path))
    misfit = ~_fits(srid, *bounds) & ~np.isnan(bounds).any(axis=0)
    if misfit.any():
        first = int(np.argmax(misfit))
        x, y = bounds[0, first], bounds[1, first]
        other = next((s for s in EXTENTS if s != srid and _fits(s, *bounds[:, first])), None)
        hint = f"they look like {LOOKS_LIKE[other]}" if other else "pass the file's CRS with --crs"
        raise LoadError(f"coordinates ({x:.10g}, {y:.10g}) do not fit EPSG:{srid} ({how}); {hint}",
                        file=str(path), location=f"feature {first + 1}")


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
