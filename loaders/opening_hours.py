"""Opening hours as the library lists publish them, read into one figure per record: the hours a
week the place is open to the public, stored in its attributes as ``weekly_hours`` with the year
its source describes (``hours_year``). The analysis uses them as a place's supply in 2SFCA
(``supply=hours``, analysis/sql/access_ctes.sql; docs/analysis.md): a record without them
supplies its category's median week.

Two published forms:

* a weekly total (the 2016 Taskforce list's ``hours``, the 2023 basic dataset's ``hours``): a
  number of hours; blank, 0, "N/A Closed" or anything not a positive number is unknown;
* times per day (the Libraries Hacked UK list: ``<Day> staffed hours`` and ``<Day> unstaffed
  hours``, each ``HH:MM-HH:MM`` or several comma-separated): the union of the day's staffed and
  unstaffed intervals (an unstaffed "open plus" library is open to the public), summed over the
  week. A record with no times on any day is unknown; one with a time not in that form is
  unknown too, and counted (a day of it may be wrong, so its week is).
"""
from __future__ import annotations

import re

import pandas as pd

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
INTERVAL = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


def weekly_total(values: pd.Series) -> pd.Series:
    """A published weekly total per row: the hours, or NaN where it is not a positive number."""
    hours = pd.to_numeric(values.astype(str).str.strip(), errors="coerce")
    return hours.where(hours > 0)


def _intervals(text: str) -> list[tuple[float, float]] | None:
    """``HH:MM-HH:MM[,…]`` as (start, end) hours; None when a part is not in that form."""
    spans = []
    for part in text.split(","):
        match = INTERVAL.match(part.strip())
        if not match:
            return None
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 + m1 / 60, h2 + m2 / 60
        if not (0 <= start < end <= 24 and m1 < 60 and m2 < 60):
            return None
        spans.append((start, end))
    return spans


def _union_hours(spans: list[tuple[float, float]]) -> float:
    total, reach = 0.0, None
    for start, end in sorted(spans):
        if reach is None or start > reach:
            total += end - start
            reach = end
        elif end > reach:
            total += end - reach
            reach = end
    return total


def weekly_from_days(frame: pd.DataFrame, kinds: tuple[str, ...] = ("staffed", "unstaffed")) -> tuple[pd.Series, int]:
    """Hours open a week per row from the ``<Day> <kind> hours`` columns (the union of the kinds'
    intervals each day), NaN where no day has a time or a time is malformed; and how many rows
    had a malformed time."""
    weekly, malformed = [], 0
    for _, row in frame.iterrows():
        total, stated, bad = 0.0, False, False
        for day in DAYS:
            spans = []
            for kind in kinds:
                text = str(row.get(f"{day} {kind} hours") or "").strip()
                if not text:
                    continue
                parsed = _intervals(text)
                if parsed is None:
                    bad = True
                    break
                spans += parsed
            if bad:
                break
            if spans:
                stated = True
                total += _union_hours(spans)
        malformed += bad
        weekly.append(total if stated and not bad and total > 0 else float("nan"))
    return pd.Series(weekly, index=frame.index, dtype="float64"), malformed


def with_hours(attributes: list[dict], hours: pd.Series, year: int | pd.Series) -> list[dict]:
    """Each record's attributes with its ``weekly_hours`` (to 0.01 h) and ``hours_year`` (one year
    for every record, or one each) where known."""
    years = year if isinstance(year, pd.Series) else pd.Series(year, index=hours.index)
    return [a | {"weekly_hours": round(float(h), 2), "hours_year": int(y)} if h == h else a
            for a, h, y in zip(attributes, hours, years)]
