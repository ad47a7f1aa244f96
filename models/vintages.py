"""One vintage vocabulary: 'YYYY-MM', the month the geography was fixed (ONS publishes most in December).

'2011-12' is the LSOA 2011 geography, '2021-12' LSOA 2021, '2023-12' the December 2023
authority boundaries. A bare year means December of that year, so '2021' and '2021-12' are one
vintage: every loader takes a vintage through ``normalise_vintage`` and the database refuses any
other spelling (``vintage_check``).
"""
from __future__ import annotations

import re

VINTAGE_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
# What normalise_vintage takes, in ASCII digits, as a regular expression without anchors (OpenAPI).
VINTAGE_SPELLING = r"[0-9]{4}(-(0?[1-9]|1[0-2]))?"
_ACCEPTED = re.compile(r"(?P<year>\d{4})(?:-(?P<month>\d{1,2}))?")


def normalise_vintage(value: str | int) -> str:
    """'2021' → '2021-12', '2021-12' → '2021-12', '2021-4' → '2021-04'; ValueError otherwise."""
    text = str(value).strip()
    match = _ACCEPTED.fullmatch(text)
    month = int(match["month"] or 12) if match else 0
    if not 1 <= month <= 12:
        raise ValueError(f"{text!r} is not a vintage: give a year (2021, read as 2021-12) or "
                         "year-month (2023-12)")
    return f"{match['year']}-{month:02d}"


def vintage_check(column: str) -> str:
    """SQL for a CHECK constraint keeping ``column`` in the canonical 'YYYY-MM' form."""
    return f"{column} ~ '{VINTAGE_PATTERN}'"
