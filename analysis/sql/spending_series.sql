-- Net current expenditure per comparable unit (one or more 2023 upper-tier authorities) and
-- financial year: nominal, per head of the fixed mid-year population, and in real terms.
--
-- Parameters (all bound):
--   :keys, :signs          stored service keys and their sign (+1, or -1 to subtract a line)
--   :basis, :datasets      outturn/budget; the datasets to read, in order of preference per year
--   :from_year, :to_year   financial years, e.g. '2013-14', '2022-23'
--   :population_period, :unit_member, :unit_key, :pred_code, :pred_unit   see spending_units.sql
--   :deflator, :prices     deflator indicator (e.g. gdp_deflator_2023_24) and the price year
--   :unit                  one unit key, 'E92000001' for England, a region (E12…), or NULL for
--                          every unit
WITH {{spending_units}},
lines AS (
    SELECT s.dataset, s.financial_year, s.area_code, k.sign * s.amount_gbp AS amount,
           s.amount_gbp IS NULL AS missing
    FROM spending s
    JOIN unnest(CAST(:keys AS text[]), CAST(:signs AS int[])) AS k(service, sign) ON k.service = s.service
    WHERE s.basis = :basis AND s.measure = 'net_current_expenditure'
      AND s.dataset = ANY(CAST(:datasets AS text[]))
      AND s.financial_year BETWEEN :from_year AND :to_year
),
-- One dataset per year: the first of :datasets that has the line that year (never two spliced).
chosen AS (
    SELECT DISTINCT ON (financial_year) financial_year, dataset
    FROM lines ORDER BY financial_year, array_position(CAST(:datasets AS text[]), dataset)
),
read AS (
    SELECT l.*, a.unit FROM lines l JOIN chosen c USING (financial_year, dataset)
    LEFT JOIN authority a ON a.code = l.area_code
),
-- A unit's figure is NULL when any of its authorities' returns is missing (never a partial sum).
by_unit AS (
    SELECT unit, financial_year, dataset,
           CASE WHEN bool_or(missing) THEN NULL ELSE sum(amount) END AS amount,
           array_agg(DISTINCT area_code) AS authorities,
           array_agg(DISTINCT area_code) FILTER (WHERE missing) AS missing
    FROM read WHERE unit IS NOT NULL GROUP BY unit, financial_year, dataset
),
-- England: every stored authority row (the unattributed ones too: GLA, police, parks …);
-- missing returns are left out and listed, as the publisher's ENGLAND row imputes them.
england AS (
    SELECT 'E92000001' AS unit, financial_year, dataset, sum(amount) AS amount,
           array_agg(DISTINCT area_code) FILTER (WHERE unit IS NULL AND amount <> 0) AS authorities,
           array_agg(DISTINCT area_code) FILTER (WHERE missing) AS missing
    FROM read GROUP BY financial_year, dataset
),
-- A region (only when :unit is one): its units' authorities and any authority stored under the
-- region's own code (the GLA is E12000007, London); missing returns left out and listed, as
-- for England.
region AS (
    SELECT CAST(:unit AS text) AS unit, r.financial_year, r.dataset, sum(r.amount) AS amount,
           array_agg(DISTINCT r.area_code) FILTER (WHERE NOT r.missing) AS authorities,
           array_agg(DISTINCT r.area_code) FILTER (WHERE r.missing) AS missing
    FROM read r LEFT JOIN units u ON u.unit = r.unit
    WHERE CAST(:unit AS text) LIKE 'E12%' AND (u.region = :unit OR r.area_code = :unit)
    GROUP BY r.financial_year, r.dataset
),
everything AS (
    SELECT u.unit, u.utlas, u.population, c.financial_year, c.dataset, b.amount, b.authorities, b.missing
    FROM units u CROSS JOIN chosen c
    LEFT JOIN by_unit b ON b.unit = u.unit AND b.financial_year = c.financial_year
    UNION ALL
    SELECT e.unit, NULL, (SELECT sum(population) FROM units), e.financial_year, e.dataset, e.amount,
           e.authorities, e.missing
    FROM england e
    UNION ALL
    SELECT g.unit, (SELECT array_agg(c ORDER BY c) FROM units, unnest(utlas) c WHERE region = g.unit),
           (SELECT sum(population) FROM units WHERE region = g.unit), g.financial_year, g.dataset,
           g.amount, g.authorities, g.missing
    FROM region g
),
deflator AS (
    SELECT period, value FROM indicators WHERE indicator = :deflator AND area_code = 'K02000001'
),
priced AS (
    SELECT e.*, d.value AS deflator,
           e.amount * (SELECT value FROM deflator WHERE period = :prices) / d.value AS real_amount
    FROM everything e LEFT JOIN deflator d ON d.period = e.financial_year
    WHERE CAST(:unit AS text) IS NULL OR e.unit = :unit
),
per_head AS (
    SELECT p.*, p.amount / NULLIF(p.population, 0) AS per_head,
           p.real_amount / NULLIF(p.population, 0) AS real_per_head
    FROM priced p
)
SELECT h.*,
       max(h.amount) FILTER (WHERE h.financial_year = :from_year) OVER w AS base_amount,
       max(h.real_amount) FILTER (WHERE h.financial_year = :from_year) OVER w AS base_real_amount,
       max(h.per_head) FILTER (WHERE h.financial_year = :from_year) OVER w AS base_per_head,
       max(h.real_per_head) FILTER (WHERE h.financial_year = :from_year) OVER w AS base_real_per_head
FROM per_head h
WINDOW w AS (PARTITION BY h.unit)
ORDER BY h.unit = 'E92000001' DESC, h.unit, h.financial_year
