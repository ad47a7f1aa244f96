"""``library-activity``: Arts Council England's public library activity data collection
(``Libraries Activity Data 2023-24 FINAL.xlsx``, sheet ``Activity Data 2024``: one row per English
library service, April 2023 – March 2024) → service-level indicators, keyed by the library
authority's GSS code, period ``2023-24``.

The workbook, not Libraries Hacked's CSV export of it: the export renamed 8 authorities
("Bristol, City of" → "City of Bristol", "Dorset" → "Dorset Council"), away from the names ONS
gives the 2023 upper-tier authorities, which the workbook's authority column matches
(case-insensitively: "East Riding Of Yorkshire"). A service whose authority matches no loaded
2023 UTLA is rejected with its row.

Monthly columns are summed over the year; quarterly figures are entered in the quarter's last
month (the workbook's notes), so a blank month is no figure, not a zero, and an indicator all of
whose months are blank is not stored (no value, never 0). Cells that are not numbers ('Yes',
'nan' in the free-text columns) are blank. Reconciled with the file's own totals: Total Active
Members against the sum of its three age bands, where all three are given.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from store.errors import LoadError
from loaders.pipeline import Kind, LoadContext, SourceInfo
from loaders.statistics import upsert_indicators
from loaders.workbooks import excel_row, read_workbook

PERIOD = "2023-24"
SHEET = "Activity Data 2024"
SERVICE, AUTHORITY = "Library Details", "Library Authority (Upper Tier Local Authority)"
PREFIX = "library_activity_"
ACE_ACTIVITY = SourceInfo(
    "ace-library-activity", "Public library activity data collection, England (April–March, per library "
    "service)", "Arts Council England (via Libraries Hacked public-libraries-activity-dataset)",
    "published openly by Arts Council England; re-use terms not stated (SOURCES.md §11.1)",
    "https://github.com/LibrariesHacked/public-libraries-activity-dataset")
# One value per service: indicator → the column as published.
SINGLE = {
    "active_members": "Total Active Members",
    "active_members_children": "Active Members - Children (≤11)",
    "active_members_adults": "Active Members - Adults (18+)",
    "active_members_teens": "Active Members - Teens (12-17)",
    "pcs_and_devices": "Pcs & Devices In Service (31/03)",
}
# Summed over the twelve monthly columns ("<name> - April 2023" … "- March 2024").
MONTHLY = {
    "visits_library_only": ["Physical Visitors To Library Sites Where There Is No Co Location"],
    "visits_colocated": ["Physical Visitors Co Location"],
    "visits": ["Physical Visitors To Library Sites Where There Is No Co Location", "Physical Visitors Co Location"],
    "physical_events": ["Total Number Of Physical Events"],
    "physical_event_attendees": ["Total Attendees At Physical Events"],
    "digital_events": ["Total Number Of Digital Events"],
    "digital_event_attendees": ["Total Attendees At Digital Events"],
    "book_issues": ["Total Number Of Physical Book Issues"],
    "audio_book_issues": ["Total Number Of Physical Audio Book Issues"],
    "ebook_issues": ["Total Number Of Ebooks Issues"],
    "eaudio_issues": ["Total Number Of Digital Audio Book Issues"],
    "click_and_collect": ["Click And Collect"],
    "mobile_library_interactions": ["Mobile Libraries"],
    "home_delivery": ["Home Delivery"],
    "pc_hours": ["Number Of Hours Physical Public Pcs Library Issues Devices"],
    "wifi_sessions": ["Number Of Sessions Of Wifi Access"],
}
MONTH = re.compile(r"^(?P<name>.+) - (April|May|June|July|August|Sept|Oct|Nov|Dec|Jan|Feb|March) 20\d\d$")
BANDS = ("active_members_children", "active_members_adults", "active_members_teens")


def _numbers(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column.where(column.map(lambda v: isinstance(v, (int, float)))), errors="coerce")


def _table(path: Path) -> pd.DataFrame:
    grid = read_workbook(path, lambda name: name == SHEET)[SHEET]
    header = [str(v).strip() for v in grid.iloc[0]]
    missing = [c for c in (SERVICE, AUTHORITY, *SINGLE.values()) if c not in header]
    months = {}
    for position, name in enumerate(header):
        match = MONTH.match(name)
        if match:
            months.setdefault(match["name"], []).append(position)
    missing += [n for names in MONTHLY.values() for n in names if len(months.get(n, [])) != 12]
    if missing:
        raise LoadError(f"sheet {SHEET!r} lacks the columns (or their twelve months) {sorted(set(missing))}",
                        file=str(path), location="row 1")
    body = grid.iloc[1:]
    table = pd.DataFrame({"service": body[header.index(SERVICE)].astype(str).str.strip(),
                          "authority": body[header.index(AUTHORITY)].astype(str).str.strip()}, index=body.index)
    for indicator, column in SINGLE.items():
        table[indicator] = _numbers(body[header.index(column)])
    for indicator, names in MONTHLY.items():
        cells = pd.concat([_numbers(body[p]) for n in names for p in months[n]], axis=1)
        table[indicator] = cells.sum(axis=1, min_count=1)  # all blank: no figure
    return table[table["service"].ne("") & table["service"].ne("nan")]


def load_activity(ctx: LoadContext, path: Path) -> None:
    """Every service's activity figures for the year, as indicators of its authority."""
    table = _table(path)
    ctx.read(len(table))
    codes = dict(ctx.conn.exec_driver_sql(
        "SELECT lower(name), code FROM areas WHERE level = 'utla' AND vintage = '2023-12'").all())
    if not codes:
        raise LoadError("no 2023 upper-tier authorities loaded: load the ctyua_dec2023 boundaries first",
                        file=str(path))
    table["code"] = table["authority"].str.lower().map(codes)
    for index in table.index[table["code"].isna()]:
        ctx.reject(f"row {excel_row(index)}", f"authority {table.at[index, 'authority']!r} is no 2023 upper-tier "
                   "authority name", column=AUTHORITY)
    table = table[table["code"].notna()]
    duplicated = table["code"].duplicated(keep=False)
    if duplicated.any():
        raise LoadError(f"two services for one authority: {sorted(table.loc[duplicated, 'authority'])}",
                        file=str(path), column=AUTHORITY)
    indicators = [*SINGLE, *MONTHLY]
    long = table.melt(id_vars=["code"], value_vars=indicators, var_name="indicator", value_name="value")
    long = long.rename(columns={"code": "area_code"}).assign(indicator=lambda f: PREFIX + f["indicator"],
                                                             period=PERIOD)
    upsert_indicators(ctx, [long[["area_code", "indicator", "period", "value"]]])
    split = table[list(BANDS)].notna().all(axis=1)
    agrees = (table.loc[split, list(BANDS)].sum(axis=1) - table.loc[split, "active_members"]).abs() < 0.5
    ctx.report.reconciliation.update({
        "services read": len(table) + ctx.report.rejected,
        "services stored (authority matched)": len(table),
        "active members, all services": int(table["active_members"].sum()),
        "visits, all services": int(table["visits"].sum()),
        "Total Active Members = the sum of its age bands": f"{int(agrees.sum())} of {int(split.sum())} services "
                                                          "giving all three bands",
        **{f"services with {name.replace('_', ' ')}": int(table[name].notna().sum())
           for name in ("visits", "pc_hours", "mobile_library_interactions")},
    })
    if not agrees.all():
        ctx.note("Total Active Members differs from the sum of its age bands for: " + "; ".join(
            f"{r.service} ({int(r.active_members)} vs {int(sum(getattr(r, b) for b in BANDS))})"
            for r in table.loc[split][~agrees].itertuples()) + " — stored as published")


KINDS = {
    "library-activity": Kind(load_activity, ACE_ACTIVITY,
                             "Arts Council England library activity workbook (.xlsx, one row per service) → "
                             "indicators per library authority (GSS code), period 2023-24"),
}
