"""Public library lists.

* ``libraries-taskforce``: the DCMS Libraries Taskforce 2016 dataset (geocoded CSV) → places.
* ``libraries-basic``: the DCMS/ACE basic dataset (status per year 2016–2023, no coordinates),
  matched to located libraries already in ``places`` → ``place_status`` history and the place's
  current status.
* ``libraries-uk``: the Libraries Hacked UK library list (2025 schema export; England, Wales,
  Scotland, Northern Ireland; no coordinates), matched the same way → ``place_status`` and the
  place's current status.
(OS OpenMap Local library building footprints are ``os-buildings``, in loaders/os_buildings.py.)

Later vintages (basic 2023, UK 2025) never move or add places: they *link* to a located 2016
library (attributes ``basic_2023`` / ``uk_2025``). A place's current status, operator, opened
and closed years come from its newest linked vintage that states them, else from what the place
said before any link (``previous``, kept in each link). That is a function of the links alone, so
the result does not depend on the order the three lists are loaded in, and reloading any of them
is a no-op.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
from sqlalchemy import text

from loaders.errors import LoadError
from loaders.identity import name_words
from loaders.pipeline import Kind, LoadContext, SourceInfo, Target
from loaders.places import (PLACES, attributes_of, check_vocabulary, places_changed, point_ewkt,
                            upsert_places, valid_lonlat)
from loaders.readers import csv_row, read_csv, to_year
from loaders.sources import OGL

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
TASKFORCE_ATTRIBUTES = ["authority_id", "address", "postcode", "statutory2010", "statutory2016",
                        "type", "closed", "replacement", "notes", "hours", "staffhours", "url", "email"]


# The links later vintages leave on a place they matched, newest first (see the module docstring).
# While a place is linked, its current status, operator and years come from those links, so
# reloading the 2016 list neither reverts them nor drops the links (and stays a no-op).
LINK_KEYS = ("uk_2025", "basic_2023")
_LINKED = f"places.attributes ?| array[{', '.join(repr(k) for k in LINK_KEYS)}]"
TASKFORCE_PLACES = replace(PLACES, update={
    **{col: f"CASE WHEN {_LINKED} THEN places.{col} ELSE EXCLUDED.{col} END"
       for col in ("status", "operator_type", "closed_year", "opened_year")},
    "attributes": f"CASE WHEN {_LINKED} THEN EXCLUDED.attributes || (SELECT jsonb_object_agg(key, value) "
                  f"FROM jsonb_each(places.attributes) WHERE key IN ({', '.join(repr(k) for k in LINK_KEYS)})) "
                  "ELSE EXCLUDED.attributes END"})

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
        "attributes": attributes_of(attributes, TASKFORCE_ATTRIBUTES),
        "geom": point_ewkt(frame["_lon"], frame["_lat"]),
    })
    upsert_places(ctx, places, target=TASKFORCE_PLACES)



# ---------------------------------------------------------------------------------------------
# libraries-basic: Public libraries in England basic dataset (DCMS / Arts Council England), 2023
# ---------------------------------------------------------------------------------------------

DCMS_LIBRARIES_BASIC_2023 = SourceInfo(
    "dcms-libraries-basic-2023", "Public libraries in England: basic dataset (status and operation "
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
# Only static service points are matched: the located lists (2016 Taskforce) hold static libraries;
# a mobile, prison library or archive sharing a library's postcode is not that library.
BASIC_MATCHABLE_TYPES = {"static library", "static local history library"}
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
NAME_SCORE_SAME_POSTCODE = 0.5   # same postcode: names need only broadly agree …
NAME_SCORE_SAME_DISTRICT = 0.85  # … same postcode district (e.g. EX16): names must agree closely
UNLOCATED_SAMPLE = 10
# The 2023 basic dataset continues the 2016 Taskforce list: it is matched to that list only, so
# it never rewrites other sources' records (GM lists, OSM) and the result does not depend on
# which other lists were loaded before it.
LIBRARY_SOURCES_MATCHED = ("dcms-libraries-2016",)

# The located libraries a list is matched to, with their normalised postcode (SQL).
LOCATED = f"""
    SELECT id, name, source, attributes,
           upper(regexp_replace(coalesce(attributes ->> 'postcode', attributes ->> 'addr:postcode', ''),
                                '[^A-Za-z0-9]', '', 'g')) AS pc
    FROM places
    WHERE category = 'library' AND source IN ({", ".join(f"'{x}'" for x in LIBRARY_SOURCES_MATCHED)})"""
LOCATE_STAGE = Target(table="library_rows", key=("row",), stage={
    "row": "int", "name": "text", "pc": "text", "district": "text"})
PLACE_STATUS = Target(table="place_status", key=("place_id", "year"), stage={
    "place_id": "bigint", "year": "int", "status": "text", "operator_type": "text"})
# The basic dataset owns its five years of every place it links.
BASIC_OWNS = "{year} IN (" + ", ".join(map(str, BASIC_YEARS)) + ")"
LINKS = Target(table="library_links", key=("place_id",), stage={"place_id": "bigint", "link": "jsonb"})


def normal_postcode(value: str) -> str | None:
    code = re.sub(r"[^A-Z0-9]", "", str(value).upper())
    return code if POSTCODE.match(code) else None


def name_score(a: str, b: str) -> float:
    """1.0 for the same name once generic words are dropped; ≥ 0.9 when one name's words are all
    in the other ('Bingley' / 'Bingley Library'); otherwise difflib's ratio."""
    a, b = name_words(a), name_words(b)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    words_a, words_b = set(a.split()), set(b.split())
    return max(ratio, 0.9) if words_a <= words_b or words_b <= words_a else ratio


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


def _taskforce_2016(attributes: dict, source: str) -> tuple[str, str] | None:
    """The 2016 status a place from the Taskforce list carries (its own vintage)."""
    if source != DCMS_LIBRARIES_2016.key:
        return None
    closed, kind = (attributes or {}).get("closed", ""), (attributes or {}).get("type", "")
    if closed in TASKFORCE_STATUS and kind in TASKFORCE_OPERATOR:
        return TASKFORCE_STATUS[closed], TASKFORCE_OPERATOR[kind]
    return None


def _match(candidates: pd.DataFrame, status16: pd.Series, existed16: pd.Series) -> list[dict]:
    """One-to-one matches: best name score first, exact postcode before postcode district.

    Tier 1 (same postcode): accepted when the names score ≥ 0.5, or when the postcode holds just
    this one library on each side (renamed libraries: 'Cherry Tree Library' / 'Livesey').
    Tier 2 (same district, rows and places left over): names must score ≥ 0.85.
    Ties go to the closer full name, then to the pair whose 2016 statuses agree, then to the row
    that existed in 2016, then file order. ``status16`` / ``existed16``: per row (by row number),
    the row's own 2016 status (or None) and whether it existed in 2016.
    """
    if candidates.empty:
        return []
    candidates = candidates.copy()
    candidates["score"] = [name_score(a, b) for a, b in zip(candidates["name_b"], candidates["name_p"])]
    # Between equal scores, the closer full name wins ('Chatteris Library' over 'Chatteris
    # Community Hub', both 'chatteris' once generic words are dropped).
    candidates["raw"] = [difflib.SequenceMatcher(None, " ".join(str(a or "").lower().split()),
                                                 " ".join(str(b or "").lower().split())).ratio()
                         for a, b in zip(candidates["name_b"], candidates["name_p"])]
    same = candidates[candidates["same_pc"]]
    per_row = same.groupby("row").size()
    per_place = same.groupby("place_id").size()
    candidates["unique"] = (candidates["same_pc"] & candidates["row"].map(per_row).eq(1)
                            & candidates["place_id"].map(per_place).eq(1))
    candidates["agree16"] = [p16 is not None and p16[0] == status16.get(r)
                             for p16, r in zip(candidates["p16"], candidates["row"])]
    candidates["existed16"] = candidates["row"].map(existed16).fillna(False)
    order = ["score", "raw", "agree16", "existed16", "row", "place_id"]
    ascending = [False, False, False, False, True, True]
    tiers = [
        ("postcode", candidates[candidates["same_pc"] & ((candidates["score"] >= NAME_SCORE_SAME_POSTCODE)
                                                         | candidates["unique"])]),
        ("postcode district", candidates[~candidates["same_pc"]
                                         & (candidates["score"] >= NAME_SCORE_SAME_DISTRICT)]),
    ]
    used_rows, used_places, matches = set(), set(), []
    for method, pairs in tiers:
        for pair in pairs.sort_values(order, ascending=ascending).itertuples():
            if pair.row in used_rows or pair.place_id in used_places:
                continue
            used_rows.add(pair.row)
            used_places.add(pair.place_id)
            matches.append({"row": pair.row, "place_id": pair.place_id, "method": method,
                            "score": round(float(pair.score), 3), "p16": pair.p16})
    return matches


def locate_libraries(ctx: LoadContext, rows: pd.DataFrame, status16: pd.Series,
                     existed16: pd.Series) -> list[dict]:
    """Match a list's rows (``_row``, ``name``, ``_pc``: a normalised postcode) one-to-one to the
    located libraries in places (LIBRARY_SOURCES_MATCHED); candidates share the row's postcode
    district (set-based, in SQL), then ``_match`` scores names."""
    rows = rows[rows["_pc"].notna()]
    stage = ctx.stage(LOCATE_STAGE, pd.DataFrame({
        "row": rows["_row"], "name": rows["name"].str.strip(), "pc": rows["_pc"],
        "district": rows["_pc"].str[:-3]}))
    candidates = pd.DataFrame(ctx.conn.exec_driver_sql(f"""
        WITH p AS ({LOCATED})
        SELECT b.row, b.name AS name_b, p.id AS place_id, p.name AS name_p, p.source, p.attributes,
               p.pc = b.pc AS same_pc
        FROM {stage} b JOIN p ON length(p.pc) >= 5 AND left(p.pc, length(p.pc) - 3) = b.district
        """).mappings().all(), columns=["row", "name_b", "place_id", "name_p", "source", "attributes",
                                        "same_pc"])
    if not candidates.empty:
        candidates["p16"] = [_taskforce_2016(a, s) for a, s in zip(candidates["attributes"], candidates["source"])]
    return _match(candidates, status16, existed16)


def _newest(path: str) -> str:
    """SQL: the value at ``path`` (e.g. 'current,status') of the newest link on ``a.attributes``
    that states it."""
    return "coalesce(" + ", ".join(f"a.attributes #>> '{{{key},{path}}}'" for key in LINK_KEYS) + ")"


def link_places(ctx: LoadContext, key: str, links: list[dict], statuses: list[dict],
                owned: str, matched: int) -> None:
    """Write one vintage's links (``attributes.<key>``) and status history for the places it matched.

    ``links``: {place_id, link} with ``link['current']`` = what the vintage says of the place now
    (status, operator_type, closed_year, opened_year; None when it does not say). ``statuses``:
    place_status rows. ``owned``: an SQL template over ``{place}`` (a places row) and ``{year}`` —
    the years of a linked place whose place_status row this vintage writes; other rows are left
    to the vintage that owns them (no two vintages write the same row, whatever the load order).
    Places linked before and not now lose the link; every place touched gets its current values
    from its remaining links, else from ``previous``.
    """
    status_frame = pd.DataFrame(statuses, columns=list(PLACE_STATUS.stage))
    check_vocabulary(status_frame.assign(category="library"))
    status_stage = ctx.stage(PLACE_STATUS, status_frame)
    ctx.execute(f"DELETE FROM {status_stage} s USING places p WHERE p.id = s.place_id "
                f"AND NOT ({owned.format(place='p', year='s.year')})")
    ctx.merge(PLACE_STATUS, status_stage)
    link_stage = ctx.stage(LINKS, pd.DataFrame(links, columns=list(LINKS.stage)))

    # Rows this vintage owns, for places it linked before or links now, that it no longer states.
    removed = ctx.execute(f"""
        DELETE FROM place_status ps USING places p
        WHERE p.id = ps.place_id
          AND (p.id IN (SELECT place_id FROM {link_stage}) OR p.attributes ? :key)
          AND ({owned.format(place='p', year='ps.year')})
          AND NOT EXISTS (SELECT 1 FROM {status_stage} s WHERE s.place_id = ps.place_id AND s.year = ps.year)""",
        key=key)
    # The link, with what the place said before any vintage linked it (kept in every link, so it
    # survives any one link going), then current values from the newest links.
    previous = ", ".join([*(f"p.attributes -> '{k}' -> 'previous'" for k in (key, *(k for k in LINK_KEYS if k != key))),
                          "jsonb_build_object('status', p.status, 'operator_type', p.operator_type, "
                          "'closed_year', p.closed_year, 'opened_year', p.opened_year)"])
    status = f"coalesce({_newest('current,status')}, a.previous ->> 'status')"
    changes = ctx.conn.execute(text(f"""
        WITH n AS (
            SELECT p.id, p.attributes, l.link, coalesce({previous}) AS previous
            FROM places p LEFT JOIN {link_stage} l ON l.place_id = p.id
            WHERE p.attributes ? :key OR l.place_id IS NOT NULL),
        a AS (
            SELECT id, previous, CASE WHEN link IS NULL THEN attributes - :key ELSE attributes ||
                       jsonb_build_object(:key, link || jsonb_build_object('previous', previous)) END AS attributes
            FROM n),
        u AS (
            SELECT a.id, a.attributes, {status} AS status,
                   coalesce({_newest('current,operator_type')}, a.previous ->> 'operator_type') AS operator_type,
                   CAST(coalesce({_newest('current,opened_year')}, a.previous ->> 'opened_year') AS int) AS opened_year,
                   CASE WHEN {status} = 'closed' THEN CAST(coalesce({_newest('current,closed_year')},
                                                                    a.previous ->> 'closed_year') AS int) END AS closed_year
            FROM a)
        UPDATE places p SET status = u.status, operator_type = u.operator_type, opened_year = u.opened_year,
            closed_year = u.closed_year, attributes = u.attributes, import_run_id = :run, updated_at = now()
        FROM u
        WHERE p.id = u.id AND (p.status, p.operator_type, p.opened_year, p.closed_year, p.attributes)
              IS DISTINCT FROM (u.status, u.operator_type, u.opened_year, u.closed_year, u.attributes)
        RETURNING p.attributes ? :key AS linked"""), {"key": key, "run": ctx.run_id}).scalars().all()
    updated, unlinked = sum(changes), len(changes) - sum(changes)
    ctx.report.tables["place_status"]["removed"] = removed
    ctx.report.tables["places"] = {"matched": matched, "updated": updated, "unlinked": unlinked}
    ctx.report.changed += removed + updated + unlinked
    places_changed(ctx)


def _unlocated_note(ctx: LoadContext, unlocated: pd.DataFrame, what: str, name: str, postcode: str) -> None:
    if len(unlocated):
        sample = "; ".join(f"row {r['_row']} {r[name].strip()!r} ({r[postcode].strip()})"
                           for r in unlocated.head(UNLOCATED_SAMPLE).to_dict("records"))
        ctx.note(f"{len(unlocated)} {what} could not be located (no library in places with "
                 f"their postcode, or their postcode district and a close name); they are not errors in "
                 f"the file and are left out. First {min(len(unlocated), UNLOCATED_SAMPLE)}: {sample}")


def load_basic(ctx: LoadContext, path: Path) -> None:
    """Status per year for each library in the basic dataset that matches a located library."""
    frame = read_csv(path, BASIC_REQUIRED)
    ctx.read(len(frame))
    operations = _operation(frame)
    frame["_ops"] = [dict(zip(BASIC_YEARS, ops)) for ops in zip(*operations.values())]
    frame["_row"] = frame.index + 2  # the published row number (row 1 is the header)
    frame["_pc"] = frame["postcode"].map(normal_postcode)
    frame["_closed"] = to_year(frame["closed"])
    matchable = frame["type"].str.strip().str.lower().isin(BASIC_MATCHABLE_TYPES)

    basic = frame.set_index("_row")
    matches = locate_libraries(
        ctx, frame[matchable],
        status16=basic["_ops"].map(lambda ops: ops[2016][0] if ops[2016] else None),
        existed16=basic["_ops"].map(lambda ops: ops[2016] is not None))
    records = basic[["name", "authority", "postcode", "uprn", "type", "_ops", "_closed"]].to_dict("index")

    # place_status: every year the row states, for its matched place. 2016 is the Taskforce
    # list's own status where the place comes from it (its vintage), else the basic dataset's.
    statuses, links = [], []
    for match in matches:
        row = records[match["row"]]
        years = dict(row["_ops"])
        if match["p16"] is not None:
            years[2016] = match["p16"]
        for year, value in years.items():
            if value is not None:
                statuses.append({"place_id": match["place_id"], "year": year,
                                 "status": value[0], "operator_type": value[1]})
        stated = [(y, v) for y, v in sorted(years.items()) if v is not None]
        operated = [v[1] for _, v in stated if v[0] == "open"]
        closed = row["_closed"]
        links.append({"place_id": match["place_id"], "link": {
            "row": int(match["row"]), "name": row["name"].strip(),
            "authority": row["authority"].strip(), "postcode": row["postcode"].strip(),
            "uprn": row["uprn"].strip() or None, "type": row["type"].strip(),
            "match": match["method"], "name_score": match["score"],
            "status_year": stated[-1][0] if stated else None,
            "current": {"status": stated[-1][1][0] if stated else None,
                        "operator_type": operated[-1] if operated else None,
                        "closed_year": None if pd.isna(closed) else int(closed), "opened_year": None}}})
    link_places(ctx, "basic_2023", links, statuses, owned=BASIC_OWNS, matched=len(matches))

    # Reconciliation: every row is accounted for.
    matched_rows = {m["row"] for m in matches}
    method_counts = pd.Series([m["method"] for m in matches], dtype=object).value_counts().to_dict()
    unlocated = frame[matchable & ~frame["_row"].isin(matched_rows)]
    both = [(m["p16"], records[m["row"]]["_ops"][2016]) for m in matches]
    both = [(a, b) for a, b in both if a is not None and b is not None]
    agree, compared = sum(1 for a, b in both if a[0] == b[0]), len(both)
    ctx.report.reconciliation.update({
        "rows read": len(frame),
        "static libraries (matchable)": int(matchable.sum()),
        "not matched: not a static library (mobile, prison, archive…)": int((~matchable).sum()),
        "matched by postcode": method_counts.get("postcode", 0),
        "matched by postcode district + name": method_counts.get("postcode district", 0),
        "static libraries that could not be located": len(unlocated),
        "of which no usable postcode": int(unlocated["_pc"].isna().sum()),
        "of which not open in 2016 (opened later, so not in the 2016 list)":
            int(unlocated["operation_16"].str.strip().str.lower().eq("facility not open").sum()),
        "2016 status agrees with the Taskforce list (matched, both stated)": f"{agree} of {compared}",
    })
    _unlocated_note(ctx, unlocated, "static libraries", "name", "postcode")


# ---------------------------------------------------------------------------------------------
# libraries-uk: Libraries Hacked UK library list (schema export, 2025)
# ---------------------------------------------------------------------------------------------

LIBRARIES_HACKED_UK_2025 = SourceInfo(
    "librarieshacked-libraries-uk-2025", "Libraries Hacked library data schema: public libraries "
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
# The UK list is matched to the 2016 Taskforce list only (LIBRARY_SOURCES_MATCHED), like the basic
# dataset: it never rewrites other sources' records (GM lists, OSM), and its result does not
# depend on which of those were loaded before it.


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
    """Status in 2025 (and closure year) for each library in the UK list that matches a located library."""
    frame = read_csv(path, UK_REQUIRED)
    ctx.read(len(frame))
    check_codes(frame, {"Type of library": UK_OPERATOR, "Statutory": UK_STATUTORY})
    opened, closed = _uk_year(frame, "Year opened"), _uk_year(frame, "Year closed")
    frame["_row"] = frame.index + 2
    frame["_pc"] = frame["Postcode"].map(normal_postcode)
    frame["name"] = frame["Library name"]
    # Closed unless it reopened later (Year opened after Year closed: 6 rows, e.g. 'West View
    # Library … closed in 2012 and re-opened within Community Hub North').
    reopened = closed.notna() & opened.notna() & (opened > closed)
    is_closed = closed.notna() & ~reopened
    closed_year = closed.where(closed != UK_CLOSED_YEAR_UNKNOWN)
    operator = frame["Type of library"].str.strip().map(UK_OPERATOR)
    frame["_status"] = is_closed.map({True: "closed", False: "open"})
    frame["_closed"], frame["_opened"], frame["_operator"] = closed_year, opened, operator
    frame["_reopened"] = reopened

    # Tie-breaks against the 2016 list: the row's own 2016 status, and whether it existed then.
    existed16 = opened.isna() | (opened <= 2016) | reopened
    status16 = pd.Series(None, index=frame.index, dtype=object)
    status16[existed16] = "open"
    status16[is_closed & closed_year.le(2016).fillna(False)] = "closed"
    # Closed in a year not given ('Year closed' 1900): its 2016 status is unknown, so it is not
    # preferred for an open 2016 library (Newhaven: the closed row must not take 898, the open one).
    status16[is_closed & closed_year.isna()] = None
    matches = locate_libraries(ctx, frame, status16=status16.set_axis(frame["_row"]),
                               existed16=existed16.set_axis(frame["_row"]))
    rows = frame.set_index("_row")
    records = rows[["Library name", "Local authority", "Postcode", "Unique property reference number",
                    "Type of library", "Statutory", "_status", "_closed", "_opened", "_operator",
                    "_reopened"]].to_dict("index")

    def year(value) -> int | None:
        return None if pd.isna(value) else int(value)

    # place_status: 2025 (open with its operator, or closed), the closure year, and the year it
    # reopened; a year the basic dataset owns for a place it links is left to it (BASIC_OWNS).
    statuses, links = [], []
    for match in matches:
        row, place = records[match["row"]], match["place_id"]
        stated = {UK_YEAR: (row["_status"], row["_operator"] if row["_status"] == "open" else "unknown")}
        if year(row["_closed"]) is not None:
            stated.setdefault(year(row["_closed"]), ("closed", "unknown"))
        if row["_reopened"]:
            stated.setdefault(year(row["_opened"]), ("open", row["_operator"]))
        statuses += [{"place_id": place, "year": y, "status": s, "operator_type": o}
                     for y, (s, o) in stated.items()]
        links.append({"place_id": place, "link": {
            "row": int(match["row"]), "name": row["Library name"].strip(),
            "authority": row["Local authority"].strip(), "postcode": row["Postcode"].strip(),
            "uprn": row["Unique property reference number"].strip() or None,
            "type": row["Type of library"].strip(), "statutory": UK_STATUTORY[row["Statutory"].strip()],
            "match": match["method"], "name_score": match["score"],
            "current": {"status": row["_status"], "operator_type": row["_operator"],
                        "closed_year": year(row["_closed"]), "opened_year": year(row["_opened"])}}})
    link_places(ctx, "uk_2025", links, statuses,
                owned=f"NOT ({BASIC_OWNS} AND {{place}}.attributes ? 'basic_2023')", matched=len(matches))

    matched_rows = {m["row"] for m in matches}
    method_counts = pd.Series([m["method"] for m in matches], dtype=object).value_counts().to_dict()
    unlocated = frame[~frame["_row"].isin(matched_rows)]
    located_districts = {d for (d,) in ctx.conn.exec_driver_sql(
        f"SELECT DISTINCT left(pc, length(pc) - 3) FROM ({LOCATED}) p WHERE length(pc) >= 5").all()}
    ctx.report.repairs.update({k: v for k, v in {
        f"'Year closed' {UK_CLOSED_YEAR_UNKNOWN} read as closed, year not known":
            int((closed == UK_CLOSED_YEAR_UNKNOWN).sum()),
        "'Year opened' after 'Year closed' read as reopened (open)": int(reopened.sum())}.items() if v})
    ctx.report.reconciliation.update({
        "rows read": len(frame),
        "closed (Year closed, not reopened)": int(is_closed.sum()),
        "matched by postcode": method_counts.get("postcode", 0),
        "matched by postcode district + name": method_counts.get("postcode district", 0),
        "closed and matched": sum(1 for m in matches if records[m["row"]]["_status"] == "closed"),
        "libraries that could not be located": len(unlocated),
        "of which no usable postcode": int(unlocated["_pc"].isna().sum()),
        "of which Northern Ireland (BT postcodes)": int(unlocated["_pc"].str.startswith("BT").sum()),
        "of which in a postcode district with no located library":
            int((~unlocated["_pc"].str[:-3].isin(located_districts)).sum()),
    })
    _unlocated_note(ctx, unlocated, "libraries", "Library name", "Postcode")


KINDS = {
    "libraries-taskforce": Kind(load_taskforce, DCMS_LIBRARIES_2016,
                                "DCMS Libraries Taskforce 2016 CSV (lat/lng) → places"),
    "libraries-basic": Kind(load_basic, DCMS_LIBRARIES_BASIC_2023,
                            "Public libraries in England basic dataset CSV (status per year 2016–2023), "
                            "matched to located libraries → place_status and current status"),
    "libraries-uk": Kind(load_uk, LIBRARIES_HACKED_UK_2025,
                         "Libraries Hacked UK library list CSV (2025 schema export, no coordinates), "
                         "matched to located libraries → place_status (2025, closure year) and current status"),
}
