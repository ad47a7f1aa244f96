-- The spending part of the gap index: each unit's change in real spending per head between
-- :from_year and :to_year (the spending_series of the given service), and where that change
-- stands among England's units: percent_rank, 1 = the deepest cut, 0 = the largest rise.
-- Units without a figure in either year (a missing return) have no row.
WITH series AS (
{{spending_series}}
),
change AS (
    SELECT unit, utlas, base_real_per_head, real_per_head,
           (real_per_head - base_real_per_head) / base_real_per_head * 100 AS real_change_pct
    FROM series
    WHERE financial_year = :to_year AND unit <> 'E92000001' AND base_real_per_head > 0
      AND real_per_head IS NOT NULL
)
SELECT c.*, percent_rank() OVER (ORDER BY real_change_pct DESC) AS spending_part
FROM change c
