"""Code lookups: ONS geography lookups → area_lookups (+ areas.parent_codes), mySociety → authority_codes.

ONS lookups are recognised by their header: every column named like a GSS code column
(``LSOA21CD``, ``LAD22CD``, ``LADCD_ACTIVE``, ``UTLACD``, ``CTYUA23CD``, ``RGNCD``, ``CTRYCD``,
``CAUTHCD``…) is a code column, and its prefix gives its level (see ``LEVEL_PREFIXES``).
The first code column holds the area each row is about; every other level's first column
holds the area containing it (its parent). When the first two code columns are of the same
level (``LSOA11CD, LSOA21CD``; ``LADCD, LADCD_ACTIVE``) the row maps an old code to its
successor: that link is stored (parent_level = the same level), and the parents of the other
levels are linked from the successor code. So ``lsoa11_to_lsoa21_to_lad22`` gives two links per
row, LSOA11 → LSOA21 and LSOA21 → LAD22 (ONS *best fit*: an LSOA11 split between several LSOA21
maps to one of them only).

After storing the links, one set-based UPDATE writes each linked parent into
``areas.parent_codes`` (key = parent level) for areas of the child's level already loaded.
Areas loaded later get their parent codes when the lookup is loaded again.

The mySociety "UK local authority names and codes" file (columns ``ecode`` and ``gss-code``)
is recognised by its header and goes to ``authority_codes`` instead.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from store.errors import LoadError
from loaders.hierarchy import rebuild_area_hierarchy
from loaders.pipeline import Kind, LoadContext, SourceInfo, Target
from loaders.readers import csv_row, read_csv, require_columns
from loaders.sources import OGL
from models.vintages import normalise_vintage

SOURCE = SourceInfo("ons-lookups", "ONS Open Geography Portal code lookups (and derived lookups)",
                    "Office for National Statistics", OGL,
                    "https://geoportal.statistics.gov.uk/")
MYSOCIETY = SourceInfo("mysociety-la-codes", "UK local authority names and codes",
                       "mySociety", "licence not stated in the copy used (mySociety data is normally "
                       "CC BY 4.0)", "https://github.com/mysociety/uk_local_authority_names_and_codes")

# Column-name prefix → area level (the key used in areas.parent_codes).
LEVEL_PREFIXES = {"LSOA": "lsoa", "LAD": "ltla", "LTLA": "ltla", "UTLA": "utla", "CTYUA": "utla",
                  "RGN": "region", "CTRY": "country", "CAUTH": "cauth", "WD": "ward"}
CODE_COLUMN = re.compile(r"(?P<prefix>[A-Z]+?)(?P<year>\d{2})?CD(?P<active>_ACTIVE)?", re.IGNORECASE)
GSS_CODE = re.compile(r"[EWSNKLM]\d{8}")
ECODE = re.compile(r"E\d{4}")
MYSOCIETY_REQUIRED = ["ecode", "gss-code", "official-name", "former-gss-codes"]

# Census small areas are named by census year (LSOA11CD, LSOA21CD); their codes overlap across
# censuses, so the vintage is kept (models/vintages.py: December of the census year).
CENSUS_PREFIXES = {"LSOA"}

LOOKUPS = Target(
    table="area_lookups",
    stage={"lookup": "text", "code": "text", "level": "text", "parent_code": "text",
           "parent_level": "text", "vintage": "text", "parent_vintage": "text", "name": "text"},
    key=("lookup", "code", "parent_level"),
)
AUTHORITY_CODES = Target(
    table="authority_codes",
    stage={"ecode": "text", "gss_code": "text", "name": "text"},
    key=("ecode", "gss_code"),
    # A name a revenue workbook printed (with the years it was seen) outranks the lookup's.
    update={"name": "COALESCE(authority_codes.name, EXCLUDED.name)"},
)


def code_columns(columns: list[str]) -> list[tuple[str, str]]:
    """(column, level) of every GSS code column in header order; other columns are ignored."""
    found = []
    for column in columns:
        match = CODE_COLUMN.fullmatch(column)
        if match and match["prefix"].upper() in LEVEL_PREFIXES:
            found.append((column, LEVEL_PREFIXES[match["prefix"].upper()]))
    return found


def census_vintage(column: str) -> str | None:
    """'2011-12' for LSOA11CD; None for authorities, whose codes say nothing of a census."""
    match = CODE_COLUMN.fullmatch(column)
    if match and match["year"] and match["prefix"].upper() in CENSUS_PREFIXES:
        return normalise_vintage("20" + match["year"])
    return None


def name_column(code_column: str, columns) -> str | None:
    """The column printing the names of a code column's areas (LSOA21CD → LSOA21NM)."""
    name = re.sub(r"CD(?=(_ACTIVE)?$)", "NM", code_column, flags=re.IGNORECASE)
    return next((c for c in columns if c.upper() == name.upper()), None)


def lookup_name(path: Path) -> str:
    return re.sub(r"[^a-z0-9]+", "_", path.stem.lower()).strip("_")[:64]


def load(ctx: LoadContext, path: Path, lookup: str | None = None) -> None:
    """Load an ONS lookup (or the mySociety authority codes), detected by the file's header."""
    frame = read_csv(path)
    if {"ecode", "gss-code"} <= set(frame.columns):
        load_authority_codes(ctx, path, frame)
        return
    columns = code_columns(list(frame.columns))
    if len(columns) < 2:
        raise LoadError("not a code lookup: need at least two GSS code columns (e.g. LSOA21CD and "
                        f"UTLA23CD, or ecode and gss-code); found {list(frame.columns)[:20]}",
                        file=str(path))
    name = (lookup or lookup_name(path)).strip()
    if not name or len(name) > 64:
        raise LoadError("--lookup must be 1 to 64 characters", column="--lookup")
    ctx.read(len(frame))

    child, child_level = columns[0]
    links: list[tuple[str, str, str]] = []  # (child column, parent column, parent level)
    rest = columns[1:]
    if rest and rest[0][1] == child_level:  # old code → successor code, then successor → parents
        successor = rest[0][0]
        links.append((child, successor, child_level))
        child, rest = successor, rest[1:]
    used = {child_level}
    ignored = []
    for column, level in rest:
        if level in used:
            ignored.append(column)
            continue
        used.add(level)
        links.append((child, column, level))
    if ignored:
        ctx.note(f"columns {ignored} repeat a level already linked and were not used")
    ctx.note("links: " + ", ".join(f"{c} → {p} ({lvl})" for c, p, lvl in links))

    # Validate every code cell used; a malformed one rejects its row.
    used_columns = list(dict.fromkeys([c for link in links for c in link[:2]]))
    ok = pd.Series(True, index=frame.index)
    for column in used_columns:
        values = frame[column].str.strip()
        required = column in (links[0][0], links[-1][0])  # child columns must be present
        bad = ~values.str.fullmatch(GSS_CODE.pattern)
        if not required:
            bad &= values != ""
        for index in frame.index[bad & ok]:
            ctx.reject(csv_row(index), f"{'missing' if not values[index] else 'malformed'} GSS code "
                       f"{values[index]!r}", column=column)
        ok &= ~bad
        frame[column] = values
    frame = frame[ok]

    pieces = []
    for child_column, parent_column, parent_level in links:
        level = child_level
        names = name_column(child_column, frame.columns)
        piece = frame[[child_column, parent_column]].rename(
            columns={child_column: "code", parent_column: "parent_code"})
        piece["name"] = frame[names].str.strip().replace("", None) if names else None
        piece = piece[piece["parent_code"] != ""]
        piece = piece.assign(row=piece.index)
        # A successor code appears once per old code: keep one link, refuse contradictions.
        conflicts = piece.groupby("code")["parent_code"].transform("nunique") > 1
        for index in piece.index[conflicts & piece["code"].duplicated()]:
            ctx.reject(csv_row(index), f"{piece.at[index, 'code']} is linked to another "
                       f"{parent_level} on an earlier row", column=parent_column)
        piece = piece[~piece["code"].duplicated()]
        pieces.append(piece.assign(lookup=name, level=level, parent_level=parent_level,
                                   vintage=census_vintage(child_column),
                                   parent_vintage=census_vintage(parent_column)))
    staged = pd.concat(pieces, ignore_index=True)
    stage = ctx.stage(LOOKUPS, staged)
    ctx.merge(LOOKUPS, stage)

    # The lookup is the published whole: links it no longer lists are removed.
    removed = ctx.execute(f"""
        DELETE FROM area_lookups l WHERE l.lookup = :lookup AND NOT EXISTS (
            SELECT 1 FROM {stage} s WHERE s.code = l.code AND s.parent_level = l.parent_level)""",
                          lookup=name)
    if removed:
        ctx.report.tables["area_lookups"]["removed"] = removed
        ctx.report.changed += removed
    fill_parent_codes(ctx, name)
    rebuild_area_hierarchy(ctx)


def fill_parent_codes(ctx: LoadContext, lookup: str) -> int:
    """Write the lookup's parents into areas.parent_codes of loaded areas (one UPDATE)."""
    filled = ctx.execute("""
        UPDATE areas a SET parent_codes = a.parent_codes || p.codes
        FROM (SELECT code, level, jsonb_object_agg(parent_level, parent_code) AS codes
              FROM area_lookups WHERE lookup = :lookup AND parent_level <> level
              GROUP BY code, level) p
        WHERE a.code = p.code AND a.level = p.level AND NOT a.parent_codes @> p.codes""",
                         lookup=lookup)
    ctx.report.tables["areas"] = {"parent_codes filled": filled}
    ctx.report.changed += filled
    ctx.note(f"parent_codes filled for {filled} areas already loaded; areas loaded later get them "
             f"when this lookup ({lookup}) is loaded again")
    return filled


def load_authority_codes(ctx: LoadContext, path: Path, frame: pd.DataFrame) -> None:
    """mySociety: each council's MHCLG E-code ↔ its GSS code (and any former GSS codes)."""
    require_columns(frame, MYSOCIETY_REQUIRED, path)
    # The run was opened under the kind's default (ONS) source: record mySociety instead.
    ctx.use_source(MYSOCIETY)
    ctx.read(len(frame))
    ecodes = frame["ecode"].str.strip()
    gss = frame["gss-code"].str.strip()
    without = ecodes == ""
    bad_ecode = ~without & ~ecodes.str.fullmatch(ECODE.pattern)
    bad_gss = ~without & ~bad_ecode & ~gss.str.fullmatch(GSS_CODE.pattern)
    for index in frame.index[bad_ecode]:
        ctx.reject(csv_row(index), f"malformed E-code {ecodes[index]!r}", column="ecode")
    for index in frame.index[bad_gss]:
        ctx.reject(csv_row(index), f"missing or malformed GSS code {gss[index]!r}", column="gss-code")
    keep = ~without & ~bad_ecode & ~bad_gss
    rows = pd.DataFrame({"ecode": ecodes[keep], "gss_code": gss[keep],
                         "name": frame.loc[keep, "official-name"].str.strip()})
    former = []
    for index in frame.index[keep]:
        for code in filter(None, (c.strip() for c in frame.at[index, "former-gss-codes"].split(","))):
            if GSS_CODE.fullmatch(code):
                former.append({"ecode": ecodes[index], "gss_code": code, "name": rows.at[index, "name"]})
            else:
                ctx.reject(csv_row(index), f"malformed former GSS code {code!r}",
                           column="former-gss-codes")
    staged = pd.concat([rows, pd.DataFrame(former, columns=list(rows.columns))], ignore_index=True)
    staged = staged.drop_duplicates(["ecode", "gss_code"])
    if staged.empty:
        raise LoadError("no council has both an E-code and a GSS code", file=str(path))
    ctx.note(f"{int(without.sum())} councils without an E-code (Scottish, Welsh, NI, county/GLA "
             f"rows) skipped; {len(former)} links to former GSS codes added")
    ctx.upsert(AUTHORITY_CODES, staged)


KINDS = {
    "lookup": Kind(load, SOURCE, "ONS code lookup CSV (LSOA21CD→UTLA23CD…) → area_lookups and "
                   "areas.parent_codes; mySociety council codes (ecode, gss-code) → authority_codes",
                   {"lookup": "Name of the lookup (default: from the file name, e.g. "
                              "lsoa21_to_utla23)"}),
}
