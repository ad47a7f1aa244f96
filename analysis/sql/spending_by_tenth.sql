-- The spending series summed over each tenth of units by deprivation (authority_deprivation.sql).
-- per_head = the tenth's amount / the population of its units with a figure that year (a unit
-- whose return is missing is left out of both and counted in units_missing); the change since
-- :from_year compares like with like: only units with a figure in both years (matched_*).
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
           sum(s.population) FILTER (WHERE s.amount IS NOT NULL) AS population,
           sum(s.population) FILTER (WHERE s.amount IS NOT NULL AND s.base_per_head IS NOT NULL) AS matched,
           sum(s.amount) FILTER (WHERE s.base_per_head IS NOT NULL) AS matched_amount,
           sum(s.real_amount) FILTER (WHERE s.base_per_head IS NOT NULL) AS matched_real_amount,
           sum(s.base_per_head * s.population) FILTER (WHERE s.amount IS NOT NULL) AS matched_base_amount,
           sum(s.base_real_per_head * s.population) FILTER (WHERE s.amount IS NOT NULL) AS matched_base_real_amount
    FROM series s JOIN deprivation d USING (unit)
    GROUP BY d.imd_tenth, s.financial_year, s.dataset
)
SELECT t.imd_tenth, t.financial_year, t.dataset, t.units, t.units_missing, t.imd_score_min,
       t.imd_score_max, t.amount, t.real_amount, t.population,
       t.amount / t.population AS per_head, t.real_amount / t.population AS real_per_head,
       t.matched_amount / t.matched AS matched_per_head,
       t.matched_base_amount / t.matched AS base_per_head,
       t.matched_real_amount / t.matched AS matched_real_per_head,
       t.matched_base_real_amount / t.matched AS base_real_per_head
FROM tenths t
ORDER BY t.imd_tenth, t.financial_year
