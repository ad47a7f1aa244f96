"""What the spending loaders share: the spending and authority-code targets, exact pounds,
and the MHCLG E-code → ONS code resolution through ``authority_codes``."""
from __future__ import annotations

import re
from decimal import Decimal

import pandas as pd
from sqlalchemy import text

from loaders.pipeline import LoadContext, Target

ECODE = re.compile(r"E\d{4}")
THOUSAND = Decimal(1000)
PENNY = Decimal("0.01")

SPENDING = Target(
    table="spending",
    stage={"dataset": "text", "area_code": "text", "financial_year": "text", "service": "text",
           "basis": "text", "measure": "text", "amount_gbp": "numeric", "source_line": "text"},
    key=("dataset", "area_code", "financial_year", "service", "basis", "measure"),
)

# first/last year widen to cover every year the pair is seen in; the name is the latest year's.
_EXISTING = "(SELECT a.{column} FROM authority_codes a WHERE a.ecode = s.ecode AND a.gss_code = s.gss_code)"
AUTHORITY_CODES = Target(
    table="authority_codes",
    stage={"ecode": "text", "gss_code": "text", "name": "text", "year": "integer"},
    key=("ecode", "gss_code"),
    columns={
        "ecode": "s.ecode",
        "gss_code": "s.gss_code",
        "name": f"CASE WHEN s.year >= COALESCE({_EXISTING.format(column='last_year')}, s.year) "
                f"THEN s.name ELSE {_EXISTING.format(column='name')} END",
        "first_year": f"LEAST(s.year, {_EXISTING.format(column='first_year')})",
        "last_year": f"GREATEST(s.year, {_EXISTING.format(column='last_year')})",
    },
)


def pounds(amount: Decimal | None) -> Decimal | None:
    """£ thousand → £ to the penny (the .xlsx cells carry fractions of a penny)."""
    return None if amount is None else (amount * THOUSAND).quantize(PENNY)


def known_ons_codes(ctx: LoadContext, ecodes: list[str], year: int) -> dict[str, str]:
    """E-code → ONS code from authority_codes, preferring the pair seen nearest to ``year``."""
    if not ecodes:
        return {}
    # Pairs with years (seen in a workbook) before pairs without (other lookups); then the pair
    # seen nearest to the year.
    found = ctx.conn.execute(text("""
        SELECT DISTINCT ON (ecode) ecode, gss_code FROM authority_codes
        WHERE ecode = ANY(:ecodes)
        ORDER BY ecode, first_year IS NULL, GREATEST(first_year - :year, :year - last_year, 0),
                 last_year DESC, gss_code"""), {"ecodes": ecodes, "year": year})
    return dict(found.all())


def upsert_authority_codes(ctx: LoadContext, rows: pd.DataFrame, year: int) -> None:
    """Record E-code ↔ ONS code pairs a workbook prints (``rows``: ecode, gss_code, name) as seen
    in financial year ``year`` (its start)."""
    ctx.upsert(AUTHORITY_CODES, pd.DataFrame({"ecode": rows["ecode"], "gss_code": rows["gss_code"],
                                              "name": rows["name"], "year": year}))
