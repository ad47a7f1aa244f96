"""``mobile-library-stops``: a library service's mobile library timetable, as Libraries Hacked
publishes it (``LibrariesHacked/mobilelibraries-data``, one CSV per service: a row per stop visit —
organisation, mobile, route, community, stop, address, postcode, geox/geoy (WGS84), day, type,
arrival, departure, frequency (an iCalendar RRULE), start, end, exceptions, timetable).

Each stop (a service's community, stop name and point) is one place of category
``mobile_library_stop`` — not a library: a van calling for minutes every few weeks is no static
service point — with its schedule in its attributes (every visit: vehicle, route, day, times,
recurrence) and the hours a week it is open, the visits' durations times their frequency (a
weekly visit counts whole, every n weeks 1/n, monthly 12/52), as ``weekly_hours`` for the 2SFCA
supply (loaders/opening_hours.py). Its status: open in the year of its timetable's first
``start`` (place_status), the coverage of the file the service's own authority (the 2023
upper-tier authority of the service's name, in ``attributes.authority_code`` and the report).

Every service is its own source (``librarieshacked-mobile-stops-<file name>``), so a newer
timetable of one service replaces that service's stops and statements only.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from store.errors import LoadError
from loaders.libraries import store_statements
from loaders.opening_hours import with_hours
from loaders.pipeline import Kind, LoadContext, SourceInfo
from loaders.places import attributes_of, point_ewkt, valid_lonlat
from loaders.readers import csv_row, read_csv
from places.coverage import Claim

CATEGORY = "mobile_library_stop"
SOURCE_PREFIX = "librarieshacked-mobile-stops-"
MOBILE_STOPS = SourceInfo(
    "librarieshacked-mobile-stops", "Mobile library stops and timetables (Libraries Hacked mobile "
    "library data, from library service timetables)", "Libraries Hacked; the library services",
    "MIT (Libraries Hacked mobilelibraries-data)", "https://github.com/LibrariesHacked/mobilelibraries-data")
REQUIRED = ["organisation", "mobile", "route", "community", "stop", "address", "postcode", "geox", "geoy",
            "day", "type", "arrival", "departure", "frequency", "start", "end", "exceptions", "timetable"]
STOP_KEY = ["community", "stop", "geox", "geoy"]
VISIT = ["mobile", "route", "day", "type", "arrival", "departure", "frequency", "start", "end", "exceptions"]
TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
WEEKS_PER_YEAR = 52


def _hours(value: str) -> float | None:
    match = TIME.match(value.strip())
    return int(match.group(1)) + int(match.group(2)) / 60 if match else None


def per_week(rule: str) -> float | None:
    """Visits a week of an RRULE: FREQ=WEEKLY every INTERVAL weeks, FREQ=MONTHLY 12 a year; None
    for any other rule."""
    parts = dict(p.split("=", 1) for p in rule.strip().split(";") if "=" in p)
    interval = int(parts.get("INTERVAL", "1")) if parts.get("INTERVAL", "1").isdigit() else 0
    if interval < 1:
        return None
    if parts.get("FREQ") == "WEEKLY":
        return 1 / interval
    if parts.get("FREQ") == "MONTHLY":
        return 12 / WEEKS_PER_YEAR / interval
    return None


def _visit_hours(frame: pd.DataFrame) -> pd.Series:
    """Each visit's hours a week (duration × visits a week); a visit not read so refuses the file."""
    hours = []
    for index, row in frame.iterrows():
        arrival, departure, weekly = _hours(row["arrival"]), _hours(row["departure"]), per_week(row["frequency"])
        if arrival is None or departure is None or departure < arrival:
            raise LoadError(f"arrival {row['arrival']!r} / departure {row['departure']!r} are not HH:MM, "
                            "departure not before arrival", location=csv_row(index), column="arrival")
        if weekly is None:
            raise LoadError(f"frequency {row['frequency']!r} is not FREQ=WEEKLY or FREQ=MONTHLY with an INTERVAL",
                            location=csv_row(index), column="frequency")
        hours.append((departure - arrival) * weekly)
    return pd.Series(hours, index=frame.index, dtype="float64")


def _authority(ctx: LoadContext, organisation: str) -> str | None:
    """The 2023 upper-tier authority named like the service (case-insensitive), if loaded."""
    return ctx.conn.exec_driver_sql(
        "SELECT code FROM areas WHERE level = 'utla' AND vintage = '2023-12' AND lower(name) = lower(%(n)s) "
        "ORDER BY code LIMIT 1", {"n": organisation}).scalar()


def load_stops(ctx: LoadContext, path: Path) -> None:
    """Every stop of one service's timetable, with its visits, weekly hours and timetable year."""
    frame = read_csv(path, REQUIRED)
    ctx.read(len(frame))
    organisations = sorted(set(frame["organisation"].str.strip()))
    if len(organisations) != 1:
        raise LoadError(f"one service per file, found {organisations[:5]}", file=str(path), column="organisation")
    organisation = organisations[0]
    slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")
    source = SOURCE_PREFIX + slug
    ctx.use_source(SourceInfo(source, f"Mobile library stops of {organisation} (Libraries Hacked, {path.name})",
                              MOBILE_STOPS.publisher, MOBILE_STOPS.licence, MOBILE_STOPS.url))
    frame = frame[valid_lonlat(ctx, frame, "geox", "geoy", csv_row)].copy()
    frame["_hours"] = _visit_hours(frame)
    frame["_start"] = pd.to_datetime(frame["start"].str.strip(), errors="coerce", format="%Y-%m-%d")
    if frame["_start"].isna().any():
        index = frame.index[frame["_start"].isna()][0]
        raise LoadError(f"start {frame.at[index, 'start']!r} is not a date YYYY-MM-DD", location=csv_row(index),
                        column="start")
    code = _authority(ctx, organisation)
    stops = []
    for key, visits in frame.groupby(STOP_KEY, sort=True):
        first = visits.iloc[0]
        stops.append({
            "name": f"{first['community'].strip()}: {first['stop'].strip()}",
            "source_ref": f"{key[0].strip()}|{key[1].strip()}|{key[2]}|{key[3]}",
            "lon": visits["_lon"].iloc[0], "lat": visits["_lat"].iloc[0], "hours": visits["_hours"].sum(),
            "year": int(visits["_start"].min().year),
            "attributes": {"organisation": organisation, "authority_code": code, "community": first["community"],
                           "stop": first["stop"], "address": first["address"], "postcode": first["postcode"],
                           "timetable": first["timetable"],
                           "visits": attributes_of(visits, VISIT)}})
    table = pd.DataFrame(stops)
    records = pd.DataFrame({
        "name": table["name"], "category": CATEGORY, "status": "open", "opened_year": None, "closed_year": None,
        "operator_type": "council", "source": source, "source_ref": table["source_ref"],
        "attributes": with_hours([{k: v for k, v in a.items() if v not in (None, "")} for a in table["attributes"]],
                                 table["hours"], table["year"]),
        "geom": point_ewkt(table["lon"], table["lat"])})
    statuses = [{"source_ref": ref, "year": year, "status": "open", "operator_type": "council"}
                for ref, year in zip(table["source_ref"], table["year"])]
    # What the timetable covers: every stop of its service, in the authority it serves, in the
    # years its timetables start (a service whose authority is not loaded claims nothing).
    years = sorted(set(table["year"]))
    claimed = Claim((CATEGORY,), years[0], years[-1], f"the {organisation} mobile library timetable: "
                    "every stop of the service", area_codes=(code,)) if code else None
    store_statements(ctx, source, records, statuses, claimed)
    ctx.report.reconciliation.update({
        "stop visits read": len(frame) + ctx.report.rejected,
        "stops (places)": len(table),
        "visit hours a week, all stops": round(float(table["hours"].sum()), 2),
        "timetable years": ", ".join(str(y) for y in sorted(set(table["year"]))),
        "service's authority (2023 UTLA)": code or "not found (no 2023 upper-tier authority of that name loaded)",
    })


KINDS = {
    "mobile-library-stops": Kind(load_stops, MOBILE_STOPS,
                                 "Libraries Hacked mobile library timetable CSV (one service) → places of "
                                 "category mobile_library_stop with their visits and weekly hours, and place_status"),
}
