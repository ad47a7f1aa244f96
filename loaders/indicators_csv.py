"""Any CSV of area statistics (one row per area, one column per measure) → indicators.

``indicators-csv`` stores every chosen value column of every row as one ``indicators`` row:
area_code from the code column, indicator ``<prefix><column>``, the given ``--period``, value.

* Code column: ``--code-field``, or detected: the one column whose non-blank cells mostly (more
  than half) look like ONS GSS codes (``E06000017``). Several such columns → give --code-field.
  Rows whose code is missing or malformed are rejected (row, column); a code repeated in a later
  row is rejected there (the first row's values are kept).
* Value columns: ``--columns a,b,c``, or by default every column (other than the code) whose
  non-blank cells are mostly numbers, except identifier columns (``id`` or ``…_id``), which are
  left out with a note (name them in --columns to load them anyway).
* Indicator names: the column header lower-cased, non-alphanumerics as ``_`` (``Population
  (mid-2015)`` → ``population_mid_2015``), after ``--prefix`` (e.g. ``libraries2016_``). A header
  repeated in the file is ambiguous: its second occurrence is named ``<name>_2`` (third ``_3``…),
  noted in the report; --columns refers to those names.
* Values: numbers as printed (``12,345``, `` 7 ``, ``-0.5``, ``1e3``). A **blank** cell (or one of
  the ``--missing`` markers, none by default) is stored as a NULL value: the area is in the file
  but has no figure, and a reload over an earlier figure clears it. Any other non-numeric cell
  rejects the **whole row** (location row N, column of the first bad cell; the reason lists
  them all): a row with a garbled cell is not trusted for its other cells either.

The file is refused (LoadError, nothing written) when empty, header only, cut short (a row with
fewer fields than the header), without a code column, or with no value columns.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from store.errors import LoadError
from loaders.pipeline import Kind, LoadContext, SourceInfo
from loaders.readers import csv_row, to_number
from loaders.statistics import GSS_CODE, INDICATORS, period_option

GENERIC = SourceInfo("indicators-csv", "Area statistics (publisher and licence given per load)",
                     "unknown", "unknown")
ID_COLUMN = re.compile(r"(.*_)?id", re.IGNORECASE)
# A number as printed: optional sign, digits with or without thousands separators, decimals, exponent.
NUMBER = re.compile(r"[+-]?((\d{1,3}(,\d{3})+|\d+)(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
INDICATOR_LENGTH = 64  # indicators.indicator is varchar(64)


def read_table(path: Path) -> tuple[list[str], pd.DataFrame]:
    """The header as printed (repeats kept) and the rows as strings, positional columns 0…n-1."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except UnicodeDecodeError as error:
        raise LoadError(f"not a UTF-8 text CSV (byte {error.start} cannot be decoded)", file=str(path))
    except csv.Error as error:
        raise LoadError(f"not a readable CSV: {error}", file=str(path))
    if not rows or not any(c.strip() for c in rows[0]):
        raise LoadError("no header row", file=str(path))
    header = [c.strip() for c in rows[0]]
    if "\x00" in "".join(header):
        raise LoadError("not a text CSV (NUL bytes in the header)", file=str(path))
    body = []
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue  # a blank line
        if len(row) != len(header):
            raise LoadError(f"{len(row)} fields where the header has {len(header)} (truncated or "
                            "malformed file?)", file=str(path), location=f"row {number}")
        body.append(row)
    if not body:
        raise LoadError("the file has a header but no rows", file=str(path))
    frame = pd.DataFrame(body, columns=range(len(header)))
    frame.index = range(len(frame))  # csv_row(i) = row i + 2
    return header, frame


def unique_names(header: list[str], path: Path) -> tuple[list[str], list[str]]:
    """Each column's name, repeats as name_2, name_3…; and notes on the repeats."""
    names, seen, notes = [], {}, []
    for position, name in enumerate(header):
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 1:
            names.append(name)
            continue
        renamed = f"{name}_{seen[name]}"
        if renamed in header:
            raise LoadError(f"the header {name!r} repeats and {renamed!r} is already a column: "
                            "cannot name the repeat", file=str(path), column=name)
        names.append(renamed)
        notes.append(f"column {position + 1} repeats the header {name!r} of column "
                     f"{header.index(name) + 1}: read as {renamed!r}")
    return names, notes


def indicator_name(prefix: str, column: str) -> str:
    return prefix + re.sub(r"[^a-z0-9]+", "_", column.lower()).strip("_")


def _is_number(series: pd.Series) -> pd.Series:
    return series.str.strip().str.fullmatch(NUMBER.pattern)


def detect_code(frame: pd.DataFrame, names: list[str], given: str | None, path: Path) -> int:
    if given:
        if given not in names:
            raise LoadError(f"--code-field {given!r} is not a column of the file; columns are "
                            f"{names[:30]}", file=str(path), column="--code-field")
        return names.index(given)
    shares = {}
    for position in frame.columns:
        cells = frame[position].str.strip()
        cells = cells[cells != ""]
        if len(cells):
            shares[position] = cells.str.fullmatch(GSS_CODE).mean()
    candidates = [p for p, share in shares.items() if share > 0.5]
    if not candidates:
        raise LoadError(f"no column of ONS GSS area codes (like E06000017) among {names[:30]}; give "
                        "--code-field", file=str(path), column="--code-field")
    if len(candidates) > 1:
        raise LoadError(f"several columns hold GSS codes ({[names[p] for p in candidates]}): give "
                        "--code-field", file=str(path), column="--code-field")
    return candidates[0]


def value_columns(ctx: LoadContext, frame: pd.DataFrame, names: list[str], code: int,
                  columns: str | None, missing: set[str], path: Path) -> list[int]:
    if columns is not None:
        wanted = [c.strip() for c in columns.split(",") if c.strip()]
        unknown = [c for c in wanted if c not in names]
        if unknown or not wanted:
            raise LoadError(f"--columns {unknown or columns!r} not in the file; columns are {names[:40]}",
                            file=str(path), column="--columns")
        chosen = [names.index(c) for c in dict.fromkeys(wanted)]
        if code in chosen:
            raise LoadError(f"--columns names the code column {names[code]!r}", column="--columns")
        return chosen
    chosen, identifiers = [], []
    for position in frame.columns:
        if position == code:
            continue
        cells = frame[position].str.strip()
        cells = cells[(cells != "") & ~cells.isin(missing)]
        if not len(cells) or _is_number(cells).mean() <= 0.5:
            continue
        if ID_COLUMN.fullmatch(names[position]):
            identifiers.append(names[position])
        else:
            chosen.append(position)
    if identifiers:
        ctx.note(f"identifier columns left out: {identifiers} (name them in --columns to load them)")
    if not chosen:
        raise LoadError(f"no numeric value columns besides the code column {names[code]!r}; "
                        f"columns are {names[:30]}", file=str(path), column="--columns")
    return chosen


def _use_source(ctx: LoadContext, source: str | None, title: str | None, publisher: str | None,
                licence: str | None, url: str | None, path: Path) -> None:
    if source is None:
        if any((title, publisher, licence, url)):
            raise LoadError("--title/--publisher/--licence/--url describe a source: give --source too",
                            column="--source")
        ctx.note("no --source given: recorded against the generic 'indicators-csv' source")
        return
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,79}", source):
        raise LoadError(f"--source must be a key like 'libraries-hacked-authorities-2016' (lower case "
                        f"letters, digits, '-', '.', '_'), not {source!r}", column="--source")
    ctx.use_source(SourceInfo(source, title or f"{source} ({path.name})", publisher or "unknown",
                              licence or "unknown", url))
    if not publisher or not licence:
        ctx.note("no --publisher/--licence given: the source is recorded with 'unknown'")


def load(ctx: LoadContext, path: Path, period: str, code_field: str | None = None,
         columns: str | None = None, prefix: str = "", missing: str | None = None,
         source: str | None = None, title: str | None = None, publisher: str | None = None,
         licence: str | None = None, url: str | None = None) -> None:
    """One indicator per value column per area row of a CSV."""
    if not (period or "").strip():
        raise LoadError("--period is required (e.g. 2015 or 2015-16)", column="--period")
    period = period_option(period, path)
    prefix = (prefix or "").strip()
    if prefix and not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", prefix):
        raise LoadError(f"--prefix must be lower-case letters, digits and '_' (e.g. libraries2016_), "
                        f"not {prefix!r}", column="--prefix")
    markers = {m.strip() for m in (missing or "").split(",") if m.strip()}
    header, frame = read_table(path)
    names, notes = unique_names(header, path)
    for note in notes:
        ctx.note(note)
    code = detect_code(frame, names, code_field, path)
    chosen = value_columns(ctx, frame, names, code, columns, markers, path)
    indicators = {p: indicator_name(prefix, names[p]) for p in chosen}
    clash = {i for i in indicators.values() if list(indicators.values()).count(i) > 1}
    too_long = [i for i in indicators.values() if len(i) > INDICATOR_LENGTH or i == prefix]
    if clash or too_long:
        raise LoadError(f"indicator names {sorted(clash)} clash (columns differing only in case or "
                        f"punctuation)" if clash else f"indicator names {too_long} are empty or longer "
                        f"than {INDICATOR_LENGTH} characters", file=str(path), column="--columns")
    _use_source(ctx, source, title, publisher, licence, url, path)
    ctx.read(len(frame))
    code_name = names[code]

    codes = frame[code].str.strip()
    ok = codes.str.fullmatch(GSS_CODE)
    for index in frame.index[~ok]:
        ctx.reject(csv_row(index), f"{'missing' if not codes[index] else 'malformed'} area code "
                   f"{codes[index]!r}", column=code_name)
    first_row: dict[str, int] = {}
    for index in frame.index[ok]:
        if codes[index] in first_row:
            ctx.reject(csv_row(index), f"area code {codes[index]!r} repeats "
                       f"{csv_row(first_row[codes[index]])} (left out)", column=code_name)
            ok[index] = False
        else:
            first_row[codes[index]] = index

    values, bad = {}, pd.Series(False, index=frame.index)
    problems = pd.Series([[] for _ in frame.index], index=frame.index, dtype=object)
    for position in chosen:
        cells = frame[position].str.strip()
        blank = (cells == "") | cells.isin(markers)
        numbers = to_number(cells.where(~blank, ""))
        wrong = ~blank & (~_is_number(cells) | numbers.isna())
        for index in frame.index[wrong & ok]:
            problems[index].append((names[position], frame.at[index, position]))
        bad |= wrong
        values[position] = numbers.where(~blank)
    for index in frame.index[bad & ok]:
        (first, _), *_ = problems[index]
        ctx.reject(csv_row(index), "not a number: " + ", ".join(f"{c} {v!r}" for c, v in problems[index]),
                   column=first)
    keep = ok & ~bad
    rows = pd.concat([pd.DataFrame({"area_code": codes[keep], "indicator": indicators[p],
                                    "period": period, "value": values[p][keep].astype(float)})
                      for p in chosen], ignore_index=True)
    if rows.empty:
        raise LoadError("no usable rows in the file (every row rejected)", file=str(path))
    ctx.upsert(INDICATORS, rows)
    nulls = int(rows["value"].isna().sum())
    ctx.note(f"{int(keep.sum())} areas × {len(chosen)} indicators for period {period} "
             f"({indicators[chosen[0]]} … {indicators[chosen[-1]]}), code column {code_name!r}"
             + (f"; {nulls} blank cells stored as NULL" if nulls else ""))


KINDS = {
    "indicators-csv": Kind(load, GENERIC, "Any CSV of area statistics (a GSS code column, numeric "
                           "columns) → indicators <prefix><column> for one period", {
        "period": "Period of every value, e.g. 2015 or 2015-16 (required)",
        "code_field": "Column of ONS GSS area codes (default: detected by its values, e.g. E06000017)",
        "columns": "Comma-separated value columns (default: every numeric column but the code and "
                   "id columns; a repeated header's 2nd occurrence is <name>_2)",
        "prefix": "Prefix of every indicator name, e.g. libraries2016_",
        "missing": "Comma-separated cell markers meaning 'no figure', stored as NULL like blanks "
                   "(e.g. '..,x'); other non-numeric cells reject their row",
        "source": "Source key recorded for the load, e.g. libraries-hacked-authorities-2016 "
                  "(default: the generic indicators-csv source)",
        "title": "Title of the source dataset",
        "publisher": "Publisher of the source dataset",
        "licence": "Licence of the source dataset, e.g. 'Open Government Licence v3.0'",
        "url": "Where the source dataset is published",
    }),
}
