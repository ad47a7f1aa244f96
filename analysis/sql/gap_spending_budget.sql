-- The budget fallback of the spending part: a unit with no outturn for both years (a return not
-- received: RO3 2022-23 Birmingham, Slough, Thurrock, Torbay) takes its real change in
-- *budgeted* spending per head over the budget years given (RA), percent-ranked among every
-- unit's budget change over the same years, labelled basis 'budget'. Parameters: those of
-- spending_series.sql for the budget series.
UPDATE analysis_gap_spending g
SET base_real_per_head = c.base_real_per_head, real_per_head = c.real_per_head,
    real_change_pct = c.real_change_pct, spending_part = c.spending_part,
    basis = :basis, from_year = :from_year, to_year = :to_year
FROM (
{{spending_cut}}
) c
WHERE c.unit = g.unit AND g.spending_part IS NULL
