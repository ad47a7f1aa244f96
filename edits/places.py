"""Writes to places through the API: each in one transaction with its import run and audit row.

An edit is one more source record of the place (source ``edits``): a place a planner adds is a
record of its own; amending a publisher's place writes the edit record ``place/<id>``, merged
into that place, and a ``place_edits`` row (what the amended record said then). The publisher's
record is never touched. A status change is a dated statement (``place_status``) of the edit
record, and the place's ``place_years`` follow at once. Writes take the load lock, so an edit and
a load never interleave (a load's check of the edits it supersedes sees every committed edit).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace

from sqlalchemy import Connection, text

from edits.sql import statement
from edits.validation import EditError, PlaceValues, checked, this_year
from models.places import COUNTRIES
from places.refresh import place_years_parameters, refresh_current
from store.db import hold_load_lock

SOURCE = "edits"
TITLE = "Planner edits through the API"
COAST_METRES = 500.0  # how far outside the stored (generalised, coast-clipped) boundaries a point may lie
LOCK_WAIT = "5s"      # how long a write waits for a running load before it gives up (503)


@dataclass(frozen=True)
class Writer:
    """Who writes: the key's id, the authorities it may touch (empty: anywhere), the request."""

    key_id: int
    authorities: tuple[str, ...]
    request: str  # e.g. "PATCH /collections/places/items/12", kept as the import run's file name


@dataclass(frozen=True)
class Place:
    id: int
    source: str
    source_ref: str
    values: PlaceValues
    state: str     # version of the served place (md5 of the row): the first part of its ETag
    feature: dict  # as the audit trail keeps it


def place(conn: Connection, place_id: int) -> Place | None:
    row = conn.execute(statement("place_state"), {"id": place_id}).mappings().first()
    if row is None:
        return None
    values = PlaceValues(lon=row["lon"], lat=row["lat"], **{k: row[k] for k in (
        "category", "name", "status", "opened_year", "closed_year", "operator_type", "attributes")})
    return Place(row["id"], row["source"], row["source_ref"], values, row["state"], row["feature"])


def state_of(conn: Connection, place_id: int) -> str | None:
    found = place(conn, place_id)
    return found.state if found else None


def matches(if_match: str | None, state: str) -> bool:
    """Does If-Match name this version? Tags are ``"<state>.<variant>"`` (docs/edits.md): any
    representation of the current version matches; ``*`` matches any existing place."""
    if if_match is None:
        raise EditError(428, "If-Match", "writes to a place need If-Match with its ETag (GET it first)")
    tags = [t.strip().removeprefix("W/").strip('"') for t in if_match.split(",")]
    return "*" in tags or any(t.split(".")[0] == state for t in tags)


def authorities_at(conn: Connection, lon: float, lat: float) -> list[str]:
    return list(conn.execute(statement("authorities"), {"lon": lon, "lat": lat, "tolerance": COAST_METRES})
                .scalars())


def check_point(conn: Connection, writer: Writer | None, values: PlaceValues) -> list[str]:
    """A new point: inside the UK's stored boundaries (400), and the writer's authorities (403);
    the authorities it lies in."""
    here = authorities_at(conn, values.lon, values.lat)
    if not here:
        raise EditError(400, "geometry", f"({values.lon}, {values.lat}) is not inside the UK's stored local "
                        f"authority boundaries (nor within {COAST_METRES:.0f} m of them)")
    check_authority(writer, here)
    return here


def country_of(here: list[str]) -> str | None:
    """The country of a point in these authorities: a GSS code's first letter is its country's."""
    return next((code for code in COUNTRIES for authority in here if authority[:1] == code[:1]), None)


def opened_when_added(values: PlaceValues) -> PlaceValues:
    """A place added through the API (created, or a proposal accepted) opened in the year given, or
    else the year it was added: it is not counted open in the years before (place_years)."""
    return values if values.opened_year is not None else replace(values, opened_year=this_year())


def check_authority(writer: Writer | None, here: list[str]) -> None:
    """403 unless the writer may touch a place lying in the authorities ``here``."""
    if writer and writer.authorities and not set(here) & set(writer.authorities):
        raise EditError(403, "Authorization", f"this key may change places in {', '.join(writer.authorities)} "
                        f"only; this place lies in {', '.join(here) or 'no stored authority'}")


def lock(conn: Connection) -> None:
    """Serialise with loads (loaders/pipeline.py takes the same lock); 503 if one runs long."""
    conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
    hold_load_lock(conn)
    conn.execute(text("SET LOCAL lock_timeout = 0"))


def import_run(conn: Connection, writer_request: str, kind: str, body: dict, source: str = SOURCE,
               title: str = TITLE, **options) -> int:
    encoded = json.dumps(body, sort_keys=True, default=str)
    return conn.execute(statement("import_run"), {
        "source": source, "title": title, "kind": kind, "request": writer_request,
        "sha256": hashlib.sha256(encoded.encode()).hexdigest(),
        "options": json.dumps(options)}).scalar_one()


def write_record(conn: Connection, values: PlaceValues, source: str, source_ref: str, run: int,
                 merged_into: int | None, country: str | None) -> int:
    return conn.execute(statement("write_record"), {
        **values.as_params(), "source": source, "source_ref": source_ref, "run": run,
        "merged_into": merged_into, "country": country}).scalar_one()


def after_write(conn: Connection, place_id: int, record: int, run: int, before: Place | None,
                values: PlaceValues, action: str) -> Place:
    """What every write ends with: the status statement, the place's years, the audit row."""
    if before is None or before.values.status != values.status:
        conn.execute(statement("status_statement"), {"record": record, "year": this_year(), "run": run,
                                                     "status": values.status,
                                                     "operator_type": values.operator_type})
    refresh_years(conn, place_id)
    conn.execute(statement("audit"), {"place": place_id, "record": record, "action": action, "run": run,
                                      "before": json.dumps(before.feature) if before else None})
    return place(conn, place_id)


def refresh_years(conn: Connection, place_id: int) -> None:
    """The place's place_years, then what the collection serves of it (place_current)."""
    conn.execute(statement("place_years_of_place"), place_years_parameters(place_id))
    refresh_current(conn, place_id)


def create(conn: Connection, writer: Writer, values: PlaceValues) -> Place:
    """A place the planner adds: an ``edits`` record of its own (grouped with others' records of
    the same place by the next load, like any source's)."""
    here = check_point(conn, writer, values)
    values = opened_when_added(values)
    lock(conn)
    run = import_run(conn, writer.request, "edit", values.as_params(), key_id=writer.key_id, action="create")
    record = write_record(conn, values, SOURCE, f"new/{run}", run, None, country_of(here))
    return after_write(conn, record, record, run, None, values, "create")


def change(conn: Connection, writer: Writer, place_id: int, if_match: str | None, changes: dict,
           whole: bool, action: str) -> Place:
    """PUT (``whole``: the body replaces every settable field) or PATCH (a merge patch) of a place."""
    lock(conn)
    before = current(conn, place_id, if_match)
    values = checked(changes, None if whole else _reopened(before.values, changes))
    return write(conn, writer, before, values, action)


def withdraw(conn: Connection, writer: Writer, place_id: int, if_match: str | None) -> Place:
    """DELETE: the place is closed (this year, unless its closure year is known); its records,
    history and audit trail stay."""
    lock(conn)
    before = current(conn, place_id, if_match)
    if before.values.status == "closed":
        return before
    values = replace(before.values, status="closed", closed_year=before.values.closed_year or this_year())
    return write(conn, writer, before, values, "delete")


def current(conn: Connection, place_id: int, if_match: str | None) -> Place:
    before = place(conn, place_id)
    if before is None:
        raise EditError(404, "featureId", f"no place {place_id} (a record merged into another place is "
                        "edited through that place)")
    if not matches(if_match, before.state):
        raise EditError(412, "If-Match", f"place {place_id} has changed since that ETag; GET it again")
    return before


def write(conn: Connection, writer: Writer, before: Place, values: PlaceValues, action: str) -> Place:
    # the key's reach first: a write that would change nothing is no way to learn of a neighbour's place
    here = authorities_at(conn, before.values.lon, before.values.lat)
    check_authority(writer, here)
    if values == before.values:
        return before  # nothing changes: no run, no audit row
    if (values.lon, values.lat) != (before.values.lon, before.values.lat):
        here = check_point(conn, writer, values)  # a move changes the country, never the history
    run = import_run(conn, writer.request, "edit", values.as_params(), key_id=writer.key_id, action=action,
                     place=before.id)
    if before.source == SOURCE:  # the planner's own record
        record = write_record(conn, values, SOURCE, before.source_ref, run, None, country_of(here))
    else:
        existing = conn.execute(statement("edit_record_of"), {"place": before.id}).mappings().first()
        amends = existing["amends"] if existing else before.id
        record = write_record(conn, values, SOURCE, f"place/{amends}", run, before.id, country_of(here))
        conn.execute(statement("amend"), {"record": record, "amends": amends})
    return after_write(conn, before.id, record, run, before, values, action)


def _reopened(base: PlaceValues, changes: dict) -> PlaceValues:
    """A patch that reopens a place (status no longer closed) drops its closure year unless it
    sets one itself."""
    if "status" in changes and changes["status"] != "closed" and "closed_year" not in changes:
        return replace(base, closed_year=None)
    return base


def history(conn: Connection, place_id: int) -> list[dict] | None:
    """The place's audit trail (None: no such place)."""
    if state_of(conn, place_id) is None:
        return None
    return [dict(row) for row in conn.execute(statement("history"), {"place": place_id}).mappings()]
