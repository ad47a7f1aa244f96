-- The spending series summed over each tenth of units by deprivation (authority_deprivation.sql):
-- per head = the tenth's amount / the population of its units that have a figure that year
-- (a unit whose return is missing leaves both out, and is counted in units_missing).
WITH series AS (
{{spending_series}}
),
deprivation AS (
{{authority_deprivation}}
),
tenths AS (
    SELECT d.imd_tenth, s.financial_year, s.dataset, count(*) AS units,
           count(*) FILTER (WHERE s.amount IS NULL) AS units_missing,
           min(d.imd_score) AS imd_score_min, max(d.imd_score) AS imd_score_max,
           sum(s.amount) AS amount, sum(s.real_amount) AS real_amount,
           sum(s.population) FILTER (WHERE s.amount IS NOT NULL) AS population
    FROM series s JOIN deprivation d USING (unit)
    GROUP BY d.imd_tenth, s.financial_year, s.dataset
)
SELECT t.*, t.amount / t.population AS per_head, t.real_amount / t.population AS real_per_head,
       max(t.amount / t.population) FILTER (WHERE t.financial_year = :from_year)
           OVER (PARTITION BY t.imd_tenth) AS base_per_head,
       max(t.real_amount / t.population) FILTER (WHERE t.financial_year = :from_year)
           OVER (PARTITION BY t.imd_tenth) AS base_real_per_head
FROM tenths t
ORDER BY t.imd_tenth, t.financial_year
