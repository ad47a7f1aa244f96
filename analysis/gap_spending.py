"""Refresh step: the gap index's spending part per upper-tier authority (analysis_gap_spending).

It depends only on the stored spending, deflators, population and lookups, so it is computed once
per change of those, not per request: /gaps, /priorities and the small-area layer read the table
(gap_parts.sql). What it holds is defined in docs/analysis/gap-index.md and gap_spending.sql;
a unit whose outturn return is missing falls back to its budgets (gap_spending_budget.sql).
"""
from dataclasses import replace

from sqlalchemy import Connection, text

from analysis import step
from analysis.sql import sql

TABLES = ("spending", "indicators", "area_hierarchy", "area_lookups", "analysis_gap_spending")
# The newest budget year at or before the outturn's last year: the budget fallback's last year.
NEWEST_BUDGET = text("SELECT max(financial_year) FROM spending WHERE dataset = 'RA' "
                     "AND service = 'public_health' AND financial_year <= :to_year")


@step("gap_spending", TABLES)
def refresh_gap_spending(conn: Connection) -> int:
    """Rebuild the table; empty when no population is loaded (no units, so no spending part)."""
    # Imported here: the spending modules read the loaders' line definitions (pandas, ~140 MB),
    # which a refresh that skips this step, and every `import analysis`, need not load.
    from analysis import gap_index, spending

    conn.execute(text("DELETE FROM analysis_gap_spending"))
    query = gap_index.spending_query()
    try:
        bound = _series_parameters(conn, query)
    except spending.SpendingQueryError:  # no population loaded
        return 0
    written = conn.execute(sql("gap_spending"), bound).rowcount
    budget_to = conn.execute(NEWEST_BUDGET, {"to_year": query.to_year}).scalar()
    if budget_to is not None and budget_to > query.from_year:
        budget = replace(query, basis="budget", to_year=budget_to)
        conn.execute(sql("gap_spending_budget"), _series_parameters(conn, budget))
    return written


def _series_parameters(conn: Connection, query) -> dict:
    """The spending series of ``query`` in real terms; nominal when no deflators are loaded
    (then no unit has a real change, and no small area a spending part)."""
    from analysis import spending

    try:
        return spending.parameters(conn, query)[0]
    except spending.SpendingQueryError:  # no deflators loaded
        return spending.parameters(conn, replace(query, real=False))[0]
