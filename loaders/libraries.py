"""Public library lists.

* ``libraries-taskforce``: the DCMS Libraries Taskforce 2016 dataset (geocoded CSV) → places.
* ``libraries-basic``: the DCMS/ACE basic dataset (status per year 2016–2023, no coordinates) →
  one record per static library, without a location, and its stated years (``place_status``).
* ``libraries-uk``: the Libraries Hacked UK library list (2025 schema export; England, Wales,
  Scotland, Northern Ireland; no coordinates) → one record per row, without a location, and its
  2025 status, closure and reopening years (``place_status``).
(OS OpenMap Local library building footprints are ``os-buildings``, in loaders/os_buildings.py.)

The lists without coordinates are stored as published, like every other list. Which located
library a row names is decided on every places load, over everything stored
(places/statement_links.py): a linked row joins that library's place; a row no located record
matches is a place of its own, with no location, counted by its country. So the result does
not depend on the order the lists are loaded in, and reloading any of them is a no-op.
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pandas as pd

from loaders.coverage import claim
from store.errors import LoadError
from loaders.opening_hours import DAYS, weekly_from_days, weekly_total, with_hours
from loaders.pipeline import Kind, LoadContext, SourceInfo, Target
from loaders.places import attributes_of, point_ewkt, upsert_places, valid_lonlat
from places.refresh import places_changed
from loaders.readers import csv_row, read_csv, to_year
from loaders.sources import OGL
from places.coverage import ENGLAND, Claim
from places.statement_links import BASIC_2023, UK_2025

DCMS_LIBRARIES_2016 = SourceInfo(
    "dcms-libraries-2016", "Libraries Taskforce core dataset of public libraries in England (July 2016), "
    "geocoded by Libraries Hacked", "DCMS Libraries Taskforce; Libraries Hacked", OGL,
    "https://github.com/LibrariesHacked/england-librarydata")

# Taskforce codes → the places vocabulary.
TASKFORCE_STATUS = {"": "open", "XL": "closed", "XLR": "closed", "XLT": "temporarily_closed"}
TASKFORCE_OPERATOR = {"LAL": "council", "CRL": "community_supported", "CL": "community",
                      "ICL": "independent_community", "": "unknown"}
TASKFORCE_REQUIRED = ["name", "id", "authority_id", "address", "postcode", "lat", "lng",
                      "statutory2010", "statutory2016", "type", "closed", "closed_year", "opened_year",
                      "replacement", "notes", "hours", "staffhours", "url", "email"]
# What each national list claims (places/coverage.py): every public library of its countries, in the
# years it states — the 2016 list its 2016 statuses and the closures since 2010, the basic dataset
# its status columns 2016–2023, the UK list its 2025 status (and 2024: it records closures to its date).
COUNTRY_CODES = ("E92000001", "W92000004", "S92000003", "N92000002")
CLAIMS = {
    DCMS_LIBRARIES_2016.key: Claim(("library",), 2010, 2016, "the DCMS Libraries Taskforce list of every "
                                   "public library in England, July 2016, with closures since 2010",
                                   area_codes=(ENGLAND,)),
    BASIC_2023: Claim(("library",), 2016, 2023, "the DCMS/ACE basic dataset of every public library in "
                      "England, status by year 2016–2023", area_codes=(ENGLAND,)),
    UK_2025: Claim(("library",), 2024, 2025, "the Libraries Hacked list of every public library in the UK, "
                   "2025, with closure years", area_codes=COUNTRY_CODES),
}
TASKFORCE_YEAR = 2016  # the year the list describes (July 2016): its opening hours' year
TASKFORCE_ATTRIBUTES = ["authority_id", "address", "postcode", "statutory2010", "statutory2016",
                        "type", "closed", "replacement", "notes", "hours", "staffhours", "url", "email"]


def check_codes(frame: pd.DataFrame, mappings: dict[str, dict]) -> None:
    """Every (stripped) value of each column is a known code; the first that is not refuses the file."""
    for column, mapping in mappings.items():
        codes = frame[column].str.strip()
        unknown = ~codes.isin(list(mapping))
        if unknown.any():
            index = frame.index[unknown][0]
            raise LoadError(f"unknown code {frame.at[index, column]!r} (known: {sorted(mapping)})",
                            location=csv_row(index), column=column)


def load_taskforce(ctx: LoadContext, path: Path) -> None:
    """Every library in the 2016 list, open or closed, with its closure year and operator."""
    frame = read_csv(path, TASKFORCE_REQUIRED)
    ctx.read(len(frame))
    check_codes(frame, {"closed": TASKFORCE_STATUS, "type": TASKFORCE_OPERATOR})
    ok = valid_lonlat(ctx, frame, "lng", "lat", csv_row)
    frame = frame[ok]
    attributes = frame[TASKFORCE_ATTRIBUTES].astype(object)
    for flag in ("statutory2010", "statutory2016", "replacement"):
        attributes[flag] = attributes[flag].map({"t": True, "f": False})
    places = pd.DataFrame({
        "name": frame["name"].str.strip(),
        "category": "library",
        "status": frame["closed"].str.strip().map(TASKFORCE_STATUS),
        "opened_year": to_year(frame["opened_year"]),
        "closed_year": to_year(frame["closed_year"]),
        "operator_type": frame["type"].str.strip().map(TASKFORCE_OPERATOR),
        "source": DCMS_LIBRARIES_2016.key,
        "source_ref": frame["id"].str.strip(),
        "attributes": with_hours(attributes_of(attributes, TASKFORCE_ATTRIBUTES),
                                 weekly_total(frame["hours"]), TASKFORCE_YEAR),
        "geom": point_ewkt(frame["_lon"], frame["_lat"]),
    })
    claim(ctx, CLAIMS[DCMS_LIBRARIES_2016.key])
    upsert_places(ctx, places)
    ctx.report.reconciliation["weekly opening hours stated ('hours' > 0)"] = int(weekly_total(frame["hours"]).notna().sum())


# ---------------------------------------------------------------------------------------------
# libraries-basic: Public libraries in England basic dataset (DCMS / Arts Council England), 2023
# ---------------------------------------------------------------------------------------------

DCMS_LIBRARIES_BASIC_2023 = SourceInfo(
    BASIC_2023, "Public libraries in England: basic dataset (status and operation "
    "per year 2016, 2019, 2021, 2022, 2023)", "DCMS / Arts Council England; Libraries Hacked", OGL,
    "https://github.com/LibrariesHacked/librarydata-db")

BASIC_YEARS = {2016: "operation_16", 2019: "operation_19", 2021: "operation_21",
               2022: "operation_22", 2023: "operation_23"}
BASIC_REQUIRED = ["reporting", "name", "address1", "authority", "postcode", "uprn", "type",
                  *BASIC_YEARS.values(), "closed", "opened"]
# Every operation code in the published file (compared case-insensitively: the file has 'c', 'La',
# 'closed' beside 'C', 'LA', 'Closed') → (status, operator) for that year. None: the dataset gives
# no status that year — "Facility Not Open" (the library did not exist yet) or "[Unknown]" — and
# no place_status row is written for it. Operator codes follow the Taskforce's (LAL/CRL/CL/ICL);
# LAU is a local-authority-run unstaffed service point. A closure says nothing of the operator.
BASIC_OPERATION = {
    "la": ("open", "council"),
    "lau": ("open", "council"),
    "cr": ("open", "community_supported"),
    "c": ("open", "community"),
    "icl": ("open", "independent_community"),
    "closed": ("closed", "unknown"),
    "temporary closure": ("temporarily_closed", "unknown"),
    "facility not open": None,
    "[unknown]": None,
}
# Only static service points are stored (the places vocabulary's library is a static service
# point): a mobile, prison library or archive is counted in the report and left out.
BASIC_STATIC_TYPES = {"static library", "static local history library"}
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
BASIC_ATTRIBUTES = ["reporting", "address1", "address2", "address3", "authority", "postcode", "uprn", "type",
                    "statutory_10", "statutory_16", "statutory_19", "statutory_21", "statutory_22",
                    "statutory_23", *BASIC_YEARS.values(), "closed", "opened", "operating_organisation",
                    "hours", "staffed_hours"]
BASIC_HOURS_YEAR = 2023  # its opening hours are the latest return's
UNLOCATED_SAMPLE = 10
# A statement list's stated years: one row per (record, year), the record by its source_ref.
STATEMENTS = Target(
    table="place_status", key=("place_id", "year"),
    stage={"source_ref": "text", "year": "int", "status": "text", "operator_type": "text"},
    columns={"place_id": "(SELECT p.id FROM places p WHERE p.source = :source AND p.source_ref = s.source_ref)",
             "year": "s.year", "status": "s.status", "operator_type": "s.operator_type"})


def normal_postcode(value: str) -> str | None:
    code = re.sub(r"[^A-Z0-9]", "", str(value).upper())
    return code if POSTCODE.match(code) else None


def _operation(frame: pd.DataFrame) -> dict[int, pd.Series]:
    """Each year's (status, operator) per row; an unknown code refuses the file."""
    out = {}
    for year, column in BASIC_YEARS.items():
        codes = frame[column].str.strip().str.lower()
        unknown = ~codes.isin(list(BASIC_OPERATION))
        if unknown.any():
            index = frame.index[unknown][0]
            raise LoadError(f"unknown operation code {frame.at[index, column]!r} (known, any case: "
                            f"{sorted(BASIC_OPERATION)})", location=csv_row(index), column=column)
        out[year] = codes.map(BASIC_OPERATION)
    return out


def store_statements(ctx: LoadContext, source: str, records: pd.DataFrame, statuses: list[dict],
                     claimed: Claim | None = None) -> None:
    """Store a statement list's rows as records without a location, then their stated years
    (place_status, by record; years the list no longer states are removed), then group places.
    ``claimed``: what the list covers (a national list's, CLAIMS, by default; none: noted)."""
    claimed = claimed or CLAIMS.get(source)
    if claimed:
        claim(ctx, claimed)
    else:
        ctx.note("no coverage claimed: these places count as complete nowhere")
    upsert_places(ctx, records, unlocated=True, group=False)
    frame = pd.DataFrame(statuses, columns=list(STATEMENTS.stage))
    target = replace(STATEMENTS, params={"source": source})
    stage = ctx.stage(target, frame)
    ctx.merge(target, stage)
    removed = ctx.execute(f"""
        DELETE FROM place_status ps USING places p
        WHERE p.id = ps.place_id AND p.source = :source
          AND NOT EXISTS (SELECT 1 FROM {stage} s WHERE s.source_ref = p.source_ref AND s.year = ps.year)""",
        source=source)
    ctx.report.tables["place_status"]["removed"] = removed
    ctx.report.changed += removed
    places_changed(ctx)


def _unlocated_note(ctx: LoadContext, source: str) -> None:
    """The rows no located record matches: a place of their own, without a location."""
    alone = ctx.conn.exec_driver_sql("""
        SELECT p.source_ref, p.name, p.attributes ->> 'postcode', p.country FROM places p
        WHERE p.source = %(source)s AND p.merged_into IS NULL
          AND NOT EXISTS (SELECT 1 FROM places r WHERE r.merged_into = p.id)
        ORDER BY CAST(p.source_ref AS int)""", {"source": source}).all()
    if alone:
        sample = "; ".join(f"row {ref} {name!r} ({postcode}, {country})"
                           for ref, name, postcode, country in alone[:UNLOCATED_SAMPLE])
        ctx.note(f"{len(alone)} rows match no located library (no library in places with their postcode, "
                 f"or their postcode district and a close name): each is a place of its own with no "
                 f"location. First {min(len(alone), UNLOCATED_SAMPLE)}: {sample}")


def load_basic(ctx: LoadContext, path: Path) -> None:
    """Every static library of the basic dataset, with the status it states for each year."""
    frame = read_csv(path, BASIC_REQUIRED)
    ctx.read(len(frame))
    operations = _operation(frame)
    static = frame["type"].str.strip().str.lower().isin(BASIC_STATIC_TYPES)
    stated_any = pd.concat([ops.notna() for ops in operations.values()], axis=1).any(axis=1)
    keep = static & stated_any
    rows = frame[keep]
    refs = (rows.index + 2).astype(str)  # the published row number (row 1 is the header)
    stated = pd.DataFrame({year: ops[keep] for year, ops in operations.items()})
    latest = stated.apply(lambda r: next((v for v in reversed(r.tolist()) if v is not None), None), axis=1)
    operated = stated.apply(lambda r: next((v[1] for v in reversed(r.tolist()) if v and v[0] == "open"),
                                           "unknown"), axis=1)
    records = pd.DataFrame({
        "name": rows["name"].str.strip(), "category": "library", "status": latest.map(lambda v: v[0]),
        "opened_year": to_year(rows["opened"]), "closed_year": to_year(rows["closed"]),
        "operator_type": operated, "source": BASIC_2023, "source_ref": refs,
        "attributes": with_hours(attributes_of(rows, BASIC_ATTRIBUTES),
                                 weekly_total(rows["hours"]) if "hours" in rows else pd.Series(float("nan"), rows.index),
                                 BASIC_HOURS_YEAR), "geom": None})
    records["closed_year"] = records["closed_year"].where(records["status"] == "closed")
    statuses = [{"source_ref": ref, "year": year, "status": value[0], "operator_type": value[1]}
                for ref, (_, row) in zip(refs, stated.iterrows()) for year, value in row.items()
                if value is not None]
    store_statements(ctx, BASIC_2023, records, statuses)
    ctx.report.reconciliation.update({
        "rows read": len(frame),
        "static libraries (stored)": int(keep.sum()),
        "not stored: not a static library (mobile, prison, archive…)": int((~static).sum()),
        "not stored: static, no status stated in any year": int((static & ~stated_any).sum()),
        "of which without a usable postcode": int(rows["postcode"].map(normal_postcode).isna().sum()),
    })
    _unlocated_note(ctx, BASIC_2023)


# ---------------------------------------------------------------------------------------------
# libraries-uk: Libraries Hacked UK library list (schema export, 2025)
# ---------------------------------------------------------------------------------------------

LIBRARIES_HACKED_UK_2025 = SourceInfo(
    UK_2025, "Libraries Hacked library data schema: public libraries "
    "in England, Wales, Scotland and Northern Ireland (export of April 2025)",
    "Libraries Hacked, collated from library-service returns",
    f"published as open data by Libraries Hacked (repository MIT); library-service data {OGL}",
    "https://github.com/LibrariesHacked/librarydata-db")

UK_YEAR = 2025  # the year the list describes (its export)
UK_REQUIRED = ["Local authority", "Library name", "Address 1", "Address 2", "Address 3", "Postcode",
               "Unique property reference number", "Statutory", "Type of library", "Year opened",
               "Year closed"]
# Type of library → operator, as the Taskforce's codes. LAL- is a local-authority-run unstaffed
# library: librarydata-db loads the basic dataset's LAU into it (load_england_2023.sql).
UK_OPERATOR = {"LAL": "council", "LAL-": "council", "CRL": "community_supported", "CL": "community",
               "ICL": "independent_community", "": "unknown"}
UK_STATUTORY = {"Yes": True, "No": False, "": None}
# 'Year closed' 1900 (6 rows, beside closures 2010–2023 and notes such as 'Closed micro in pub')
# stands for "closed, year not known": the library is closed, its closure year is left empty.
UK_CLOSED_YEAR_UNKNOWN = 1900
# Stored as published, the authority and postcode under the names every library record uses.
UK_NAMES = {"Local authority": "authority", "Postcode": "postcode"}
UK_HOURS = [f"{day} {kind} hours" for kind in ("staffed", "unstaffed") for day in DAYS]
UK_ATTRIBUTES = ["authority", "Address 1", "Address 2", "Address 3", "postcode",
                 "Unique property reference number", "Statutory", "Type of library", "Year opened",
                 "Year closed", *UK_HOURS, "Special hours", "Co-located", "Co-located with", "Notes", "URL"]

def _uk_year(frame: pd.DataFrame, column: str) -> pd.Series:
    """A year column: blank or a year 1800–2100; anything else refuses the file."""
    raw = frame[column].str.strip()
    years = to_year(raw)
    bad = (raw != "") & years.isna()
    if bad.any():
        index = frame.index[bad][0]
        raise LoadError(f"not a year: {frame.at[index, column]!r}", location=csv_row(index), column=column)
    return years

def load_uk(ctx: LoadContext, path: Path) -> None:
    """Every library of the UK list, with its 2025 status and its closure and reopening years."""
    frame = read_csv(path, UK_REQUIRED)
    ctx.read(len(frame))
    check_codes(frame, {"Type of library": UK_OPERATOR, "Statutory": UK_STATUTORY})
    opened, closed = _uk_year(frame, "Year opened"), _uk_year(frame, "Year closed")
    # Closed unless it reopened later (Year opened after Year closed: 6 rows, e.g. 'West View
    # Library … closed in 2012 and re-opened within Community Hub North').
    reopened = closed.notna() & opened.notna() & (opened > closed)
    is_closed = closed.notna() & ~reopened
    closed_year = closed.where(closed != UK_CLOSED_YEAR_UNKNOWN)
    operator = frame["Type of library"].str.strip().map(UK_OPERATOR)
    status = is_closed.map({True: "closed", False: "open"})
    refs = (frame.index + 2).astype(str)
    hours, malformed = weekly_from_days(frame)
    records = pd.DataFrame({
        "name": frame["Library name"].str.strip(), "category": "library", "status": status,
        "opened_year": opened, "closed_year": closed_year, "operator_type": operator, "source": UK_2025,
        "source_ref": refs, "attributes": with_hours(attributes_of(frame.rename(columns=UK_NAMES), UK_ATTRIBUTES),
                                                     hours, UK_YEAR),
        "geom": None})

    def year(value) -> int | None:
        return None if pd.isna(value) else int(value)

    # place_status: 2025 (open with its operator, or closed), the closure year, and the year it reopened.
    statuses = []
    for ref, state, op, shut, reopen, back in zip(refs, status, operator, closed_year, reopened, opened):
        stated = {UK_YEAR: (state, op if state == "open" else "unknown")}
        if year(shut) is not None:
            stated.setdefault(year(shut), ("closed", "unknown"))
        if reopen:
            stated.setdefault(year(back), ("open", op))
        statuses += [{"source_ref": ref, "year": y, "status": s, "operator_type": o} for y, (s, o) in stated.items()]
    store_statements(ctx, UK_2025, records, statuses)
    ctx.report.repairs.update({k: v for k, v in {
        f"'Year closed' {UK_CLOSED_YEAR_UNKNOWN} read as closed, year not known":
            int((closed == UK_CLOSED_YEAR_UNKNOWN).sum()),
        "'Year opened' after 'Year closed' read as reopened (open)": int(reopened.sum())}.items() if v})
    ctx.report.reconciliation.update({
        "rows read": len(frame),
        "closed (Year closed, not reopened)": int(is_closed.sum()),
        "rows without a usable postcode": int(frame["Postcode"].map(normal_postcode).isna().sum()),
        "weekly opening hours stated (staffed and unstaffed times)": int(hours.notna().sum()),
        "opening times not HH:MM-HH:MM (hours unknown)": malformed,
    })
    _unlocated_note(ctx, UK_2025)


KINDS = {
    "libraries-taskforce": Kind(load_taskforce, DCMS_LIBRARIES_2016,
                                "DCMS Libraries Taskforce 2016 CSV (lat/lng) → places"),
    "libraries-basic": Kind(load_basic, DCMS_LIBRARIES_BASIC_2023,
                            "Public libraries in England basic dataset CSV (status per year 2016–2023, no "
                            "coordinates) → places without a location, linked to located libraries, and place_status"),
    "libraries-uk": Kind(load_uk, LIBRARIES_HACKED_UK_2025,
                         "Libraries Hacked UK library list CSV (2025 schema export, no coordinates) → places "
                         "without a location, linked to located libraries, and place_status (2025, closure year)"),
}
