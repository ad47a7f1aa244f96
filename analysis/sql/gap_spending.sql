-- The gap index's spending part per 2023 upper-tier authority, written to analysis_gap_spending
-- at refresh (analysis/gap_spending.py): every English UTLA with its comparable unit
-- (spending_units.sql) and that unit's real change in spending per head and its percent rank
-- (spending_cut.sql; NULL where the unit has no figure for both years, which
-- gap_spending_budget.sql then fills from the budgets). Parameters: those of spending_series.sql
-- for the outturn series, bound by analysis.spending.parameters.
INSERT INTO analysis_gap_spending (code, unit, base_real_per_head, real_per_head, real_change_pct,
                                   spending_part, basis, from_year, to_year)
WITH {{spending_units}},
cut AS (
{{spending_cut}}
)
SELECT u.code, u.unit, c.base_real_per_head, c.real_per_head, c.real_change_pct, c.spending_part,
       CASE WHEN c.unit IS NOT NULL THEN :basis END, CASE WHEN c.unit IS NOT NULL THEN :from_year END,
       CASE WHEN c.unit IS NOT NULL THEN :to_year END
FROM unit_of u
LEFT JOIN cut c ON c.unit = u.unit
