"""Area statistics → indicators, and representative points → centroids.

Kinds: ``population`` (ONS small-area population estimates), ``imd`` (English Indices of
Deprivation: the LSOA File 1 or the long LAD summaries, detected by header) and ``centroids``
(ONS population-weighted centroids).

Indicator names (``indicators.indicator``), all in one place:

* ``population`` — usual residents, all ages (period = mid-year, e.g. ``2022``).
* ``imd_rank``, ``imd_decile`` — IoD File 1, per LSOA: IMD rank (1 = most deprived of the
  32,844 LSOA11) and decile (1 = most deprived 10 %). Period ``2019``.
* LAD summaries: ``<domain>_<measure>``, period = the IoD year (``2019``, ``2025``), where
  domain is one of ``DOMAINS``' values (``imd``, ``income``, ``employment``, ``education``,
  ``health``, ``crime``, ``barriers``, ``living_environment``, ``idaci``, ``idaopi``) and measure
  one of ``LAD_MEASURES`` (``average_rank``, ``rank_average_rank``, ``average_score``,
  ``rank_average_score``, ``proportion_bottom_decile``, ``rank_proportion_bottom_decile``), as
  the publisher names them — e.g. ``imd_average_score``, ``imd_rank_average_score``,
  ``income_proportion_bottom_decile``. Every ``rank_*`` is 1 = most deprived LAD.
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pandas as pd

from store.errors import LoadError
from loaders.hierarchy import rebuild_area_hierarchy
from loaders.pipeline import Kind, LoadContext, SourceInfo, Target
from loaders.places import UK_BOUNDS
from loaders.readers import csv_row, read_csv, to_number, vintage_option
from loaders.sources import OGL

ONS_POPULATION = SourceInfo("ons-sape", "Small area population estimates (LSOA)",
                            "Office for National Statistics", OGL,
                            "https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/"
                            "populationestimates")
IOD = SourceInfo("mhclg-iod", "English Indices of Deprivation",
                 "Ministry of Housing, Communities and Local Government", OGL,
                 "https://www.gov.uk/government/collections/english-indices-of-deprivation")
ONS_CENTROIDS = SourceInfo("ons-centroids", "Population-weighted centroids",
                           "Office for National Statistics", OGL, "https://geoportal.statistics.gov.uk/")

GSS_CODE = r"[EWSNK]\d{8}"

INDICATORS = Target(
    table="indicators",
    stage={"area_code": "text", "indicator": "text", "period": "text", "value": "double precision"},
    key=("area_code", "indicator", "period"),
)
CENTROIDS = Target(
    table="centroids",
    stage={"code": "text", "name": "text", "geom": "geometry"},
    key=("code", "kind", "vintage"),
    columns={"code": "s.code", "kind": "CAST(:kind AS text)", "vintage": "CAST(:vintage AS text)",
             "name": "s.name", "geom": "s.geom"},
)

# IoD domain names as published (2019 and 2025 wording) → indicator prefix.
DOMAINS = {
    "Index of Multiple Deprivation": "imd",
    "Income": "income", "Income Deprivation": "income",
    "Employment": "employment", "Employment Deprivation": "employment",
    "Education, Skills and Training": "education",
    "Education, Skills and Training Deprivation": "education",
    "Health and Disability": "health", "Health Deprivation and Disability": "health",
    "Crime": "crime",
    "Barriers to Housing and Services": "barriers",
    "Living Environment": "living_environment", "Living Environment Deprivation": "living_environment",
    "Income Deprivation Affecting Children": "idaci",
    "Income Deprivation Affecting Older People": "idaopi",
}
LAD_MEASURES = ["average_rank", "rank_average_rank", "average_score", "rank_average_score",
                "proportion_bottom_decile", "rank_proportion_bottom_decile"]
# The three IoD layouts: (name, columns that identify it, area code column, period column).
IOD_LAYOUTS = [
    ("IoD File 1 (LSOA)", ["LSOA code (2011)", "Index of Multiple Deprivation (IMD) Rank",
                           "Index of Multiple Deprivation (IMD) Decile"], "LSOA code (2011)", None),
    ("IoD 2019 LAD summaries (long)", ["lad19cd", "index_domain", *LAD_MEASURES, "year"],
     "lad19cd", "year"),
    ("IoD 2025 LAD summaries (long)", ["area_code", "area_type", "deprivation_data_year",
                                       "index_domain", *LAD_MEASURES],
     "area_code", "deprivation_data_year"),
]


def period_option(period: str | None, path: Path, default: str | None = None) -> str:
    if period:
        period = str(period).strip()
        if not re.fullmatch(r"[0-9A-Za-z/_.-]{1,16}", period):
            raise LoadError(f"--period {period!r} is not a period like 2022", column="--period")
        return period
    match = (re.search(r"mid[-_]?((?:19|20)\d{2})", path.stem, re.IGNORECASE)
             or re.search(r"(?<!\d)((?:19|20)\d{2})(?!\d)", path.stem))
    if match:
        return match.group(1)
    if default:
        return default
    raise LoadError("no year in the file name: give --period", file=str(path))


def valid_codes(ctx: LoadContext, frame: pd.DataFrame, column: str) -> pd.Series:
    codes = frame[column].str.strip()
    ok = codes.str.fullmatch(GSS_CODE)
    for index in frame.index[~ok]:
        ctx.reject(csv_row(index), f"{'missing' if not codes[index] else 'malformed'} area code "
                   f"{codes[index]!r}", column=column)
    frame[column] = codes
    return ok


def numbers(ctx: LoadContext, frame: pd.DataFrame, column: str, integer: bool = False,
            low: float | None = None, high: float | None = None) -> pd.Series:
    """The column as numbers; a blank, non-numeric or out-of-range cell is rejected (row, column)."""
    values = to_number(frame[column])
    bad = values.isna()
    if integer:
        bad |= values != values.round()
    if low is not None:
        bad |= values < low
    if high is not None:
        bad |= values > high
    for index in frame.index[bad]:
        ctx.reject(csv_row(index), f"{frame.at[index, column]!r} is not a valid "
                   f"{'whole ' if integer else ''}number"
                   + (f" in {low:g}–{high:g}" if low is not None and high is not None else ""),
                   column=column)
    return values.where(~bad)


def upsert_indicators(ctx: LoadContext, frames: list[pd.DataFrame]) -> None:
    rows = pd.concat(frames, ignore_index=True).dropna(subset=["value"])
    if rows.empty:
        raise LoadError("no usable values in the file")
    ctx.upsert(INDICATORS, rows)


def indicator_rows(codes: pd.Series, indicator: str, period: str, values: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"area_code": codes, "indicator": indicator, "period": period,
                         "value": values.astype(float)})


# -- population --------------------------------------------------------------------------------
def load_population(ctx: LoadContext, path: Path, period: str | None = None) -> None:
    """LSOA population (code column ``lsoacd``/``LSOA21CD``…, ``population``) → indicators."""
    frame = read_csv(path)
    code = next((c for c in frame.columns if re.fullmatch(r"lsoa(\d{2})?cd", c, re.IGNORECASE)), None)
    if code is None or "population" not in frame.columns:
        raise LoadError(f"not an LSOA population file: need an LSOA code column (lsoacd, "
                        f"LSOA21CD…) and 'population'; found {list(frame.columns)[:20]}", file=str(path))
    period = period_option(period, path, "2022")
    ctx.read(len(frame))
    ok = valid_codes(ctx, frame, code)
    values = numbers(ctx, frame[ok], "population", integer=True, low=0)
    upsert_indicators(ctx, [indicator_rows(frame.loc[ok, code], "population", period, values)])
    ctx.note(f"population for period {period}")


# -- deprivation -------------------------------------------------------------------------------
def load_imd(ctx: LoadContext, path: Path, period: str | None = None) -> None:
    """IoD File 1 (LSOA ranks, deciles) or the long LAD summaries 2019/2025, by header."""
    frame = read_csv(path)
    layout = next((lay for lay in IOD_LAYOUTS if set(lay[1]) <= set(frame.columns)), None)
    if layout is None:
        raise LoadError("not an Indices of Deprivation file: expected the File 1 LSOA columns "
                        "('LSOA code (2011)', 'Index of Multiple Deprivation (IMD) Rank', …) or the "
                        "long LAD summaries (lad19cd/area_code, index_domain, average_rank, …); "
                        f"found {list(frame.columns)[:20]}", file=str(path))
    name, _, code, period_column = layout
    ctx.read(len(frame))
    ctx.note(f"layout: {name}")
    ok = valid_codes(ctx, frame, code)
    frame = frame[ok]
    if period_column is None:  # File 1
        period = period_option(period, path) if period else "2019"  # File 1 of IoD 2019
        ranks = numbers(ctx, frame, layout[1][1], integer=True, low=1)
        deciles = numbers(ctx, frame, layout[1][2], integer=True, low=1, high=10)
        upsert_indicators(ctx, [indicator_rows(frame[code], "imd_rank", period, ranks),
                                indicator_rows(frame[code], "imd_decile", period, deciles)])
        return
    domains = frame["index_domain"].str.strip()
    known = domains.isin(list(DOMAINS))
    for index in frame.index[~known]:
        ctx.reject(csv_row(index), f"unknown domain {domains[index]!r}", column="index_domain")
    frame = frame[known]
    if period:
        periods = pd.Series(period_option(period, path), index=frame.index)
    else:
        periods = frame[period_column].str.strip()
        bad = ~periods.str.fullmatch(r"(19|20)\d{2}")
        for index in frame.index[bad]:
            ctx.reject(csv_row(index), f"{periods[index]!r} is not a year", column=period_column)
        frame, periods = frame[~bad], periods[~bad]
    prefix = frame["index_domain"].str.strip().map(DOMAINS)
    pieces = []
    for measure in LAD_MEASURES:
        # Health and crime scores are z-scores (may be negative); ranks start at 1; proportions 0–1.
        bounds = {"average_score": (None, None), "proportion_bottom_decile": (0, 1)}.get(measure, (1, None))
        values = numbers(ctx, frame, measure, measure.startswith("rank_"), *bounds)
        pieces.append(pd.DataFrame({"area_code": frame[code], "indicator": prefix + "_" + measure,
                                    "period": periods, "value": values.astype(float)}))
    upsert_indicators(ctx, pieces)
    ctx.note(f"{frame[code].nunique()} areas × {prefix.nunique()} domains, periods "
             f"{sorted(periods.unique())}")


# -- centroids ---------------------------------------------------------------------------------
def load_centroids(ctx: LoadContext, path: Path, centroid_kind: str = "population_weighted",
                   vintage: str | None = None) -> None:
    """Centroid CSV (X lon, Y lat, an ONS code column like lsoa11cd, its name) → centroids."""
    frame = read_csv(path)
    code = next((c for c in frame.columns if re.fullmatch(r"[a-z]+\d{2}cd", c, re.IGNORECASE)), None)
    if code is None or not {"X", "Y"} <= set(frame.columns):
        raise LoadError("not a centroid file: need X (longitude), Y (latitude) and an ONS code column "
                        f"(e.g. lsoa11cd); found {list(frame.columns)[:20]}", file=str(path))
    name = code[:-2] + ("nm" if code[-2:] == "cd" else "NM")
    name = name if name in frame.columns else None
    if not vintage:
        vintage = "20" + re.search(r"\d{2}", code).group(0)
        ctx.note(f"vintage {vintage_option(vintage)} (from the code column {code})")
    vintage = vintage_option(vintage)
    if not centroid_kind.strip() or len(centroid_kind) > 32:
        raise LoadError("--centroid-kind must be a short name (≤ 32 characters)")
    ctx.read(len(frame))
    lons, lats = to_number(frame["X"]), to_number(frame["Y"])
    if (lons.abs() > 180).mean() > 0.5:
        raise LoadError("X/Y look like British National Grid eastings/northings; this loader expects "
                        "WGS84 longitude/latitude", file=str(path))
    ok = valid_codes(ctx, frame, code)
    good = lons.between(*UK_BOUNDS["lon"]) & lats.between(*UK_BOUNDS["lat"])
    for index in frame.index[ok & ~good]:
        ctx.reject(csv_row(index), f"coordinates ({frame.at[index, 'X']!r}, {frame.at[index, 'Y']!r}) "
                   "missing, not numbers or outside the UK", column="X/Y")
    ok &= good
    frame, lons, lats = frame[ok], lons[ok], lats[ok]
    staged = pd.DataFrame({
        "code": frame[code],
        "name": frame[name].str.strip().replace("", None) if name else None,
        "geom": "SRID=4326;POINT(" + lons.map(repr) + " " + lats.map(repr) + ")",
    })
    ctx.upsert(replace(CENTROIDS, params={"kind": centroid_kind.strip(), "vintage": vintage}), staged)
    rebuild_area_hierarchy(ctx)


KINDS = {
    "population": Kind(load_population, ONS_POPULATION,
                       "ONS LSOA population estimates CSV (lsoacd, population) → indicators "
                       "'population'", {"period": "Period, e.g. 2022 (default: the year in the file "
                                                  "name, else 2022)"}),
    "imd": Kind(load_imd, IOD, "English Indices of Deprivation: File 1 LSOA (imd_rank, imd_decile) or "
                "long LAD summaries 2019/2025 (<domain>_<measure>) → indicators",
                {"period": "Period (default: the file's year column; File 1: 2019)"}),
    "centroids": Kind(load_centroids, ONS_CENTROIDS,
                      "ONS population-weighted centroids CSV (X lon, Y lat, lsoa11cd…) → centroids",
                      {"centroid_kind": "Kind of centroid (default population_weighted)",
                       "vintage": "Vintage YYYY-MM (default: from the code column, lsoa11cd → 2011-12; "
                                  "a bare year means December)"}),
}
