-- Grants per area and financial year (analysis/grants.py; docs/analysis/grants.md).
-- The level parameter is 'ltla', 'utla' (2023 authorities) or 'lsoa' (2021); the area parameter limits the rows to that
-- area or the areas inside it (NULL: all of England's). A grant counts towards an area when it
-- lands there or inside it (grants.ltla / grants.utla / an LSOA's own code); grants located by
-- the recipient's address alone never count (the "headquarters effect"). An area is covered
-- when a loaded file of some funder covers it (grant_coverage): the area itself, its UTLA (for an
-- LTLA or LSOA), or every LTLA of a county; elsewhere the figures are NULL (coverage_reason).
-- Grants stated only for an area coarser than the row's (a borough for an LSOA, a county for a
-- district) are never placed on it: they are summed in coarser_gbp, and only with
-- apportion = 'population' shared out by population into apportioned_gbp, marked so.
WITH pop_period AS (SELECT max(period) AS period FROM indicators WHERE indicator = 'population'),
lsoa_pop AS (
    SELECT h.code, h.ltla, h.utla, h.region, i.value AS population,
           CASE :level WHEN 'lsoa' THEN h.code WHEN 'ltla' THEN h.ltla ELSE h.utla END AS row_code
    FROM area_hierarchy h
    JOIN indicators i ON i.area_code = h.code AND i.indicator = 'population'
         AND i.period = (SELECT period FROM pop_period)
    WHERE h.level = 'lsoa' AND h.vintage = '2021-12' AND h.code LIKE 'E%'
),
places AS (
    SELECT h.code, h.ltla, h.utla, h.region FROM area_hierarchy h
    WHERE h.level = :level AND h.vintage = CASE WHEN :level = 'lsoa' THEN '2021-12' ELSE '2023-12' END
      AND h.code LIKE 'E%'
      AND (CAST(:area AS text) IS NULL OR :area IN (h.code, h.ltla, h.utla, h.region))
),
population AS (
    SELECT p.code, sum(l.population) AS population
    FROM places p JOIN lsoa_pop l ON l.row_code = p.code
    GROUP BY p.code
),
authority_pop AS (  -- for apportioning a borough's or county's grants by population
    SELECT ltla AS code, sum(population) AS population FROM lsoa_pop GROUP BY ltla
    UNION ALL
    SELECT utla, sum(population) FROM lsoa_pop GROUP BY utla HAVING utla NOT IN
        (SELECT ltla FROM lsoa_pop WHERE ltla IS NOT NULL)
),
covered AS (
    SELECT p.code, array_agg(DISTINCT c.funder_id ORDER BY c.funder_id) AS funders
    FROM places p JOIN grant_coverage c ON c.area_code IN (p.code, p.ltla, p.utla)
    WHERE (CAST(:funder AS text) IS NULL OR c.funder_id = :funder)
    GROUP BY p.code
),
county_covered AS (  -- a county is covered when every one of its districts is
    SELECT p.code, array_agg(DISTINCT c.funder_id ORDER BY c.funder_id) AS funders
    FROM places p JOIN area_hierarchy d ON d.level = 'ltla' AND d.vintage = '2023-12' AND d.utla = p.code
    JOIN grant_coverage c ON c.area_code = d.code
    WHERE :level = 'utla' AND (CAST(:funder AS text) IS NULL OR c.funder_id = :funder)
    GROUP BY p.code
    HAVING count(DISTINCT d.code) = (SELECT count(*) FROM area_hierarchy x WHERE x.level = 'ltla'
                                     AND x.vintage = '2023-12' AND x.utla = p.code)
),
chosen AS (
    SELECT g.* , CASE WHEN extract(month FROM g.award_date) >= 4 THEN extract(year FROM g.award_date)::int
                      ELSE extract(year FROM g.award_date)::int - 1 END AS fy
    FROM grants g
    WHERE NOT g.recipient_address_only AND g.utla IS NOT NULL
      AND (CAST(:funder AS text) IS NULL OR g.funder_id = :funder)
      AND (CAST(:programme AS text) IS NULL OR :programme IN (g.programme_code, g.programme_title))
),
in_range AS (SELECT * FROM chosen WHERE fy BETWEEN :from_year AND :to_year),
located AS (
    SELECT p.code, g.fy, count(*) AS grants, sum(g.amount_awarded) AS amount
    FROM places p JOIN in_range g ON CASE :level WHEN 'ltla' THEN g.ltla = p.code
                                                 WHEN 'utla' THEN g.utla = p.code
                                                 ELSE g.area_level = 'lsoa' AND g.area_code = p.code END
    GROUP BY p.code, g.fy
),
coarser AS (  -- stated only for the area holding the row's: its LTLA (for an LSOA) or its UTLA
    SELECT p.code, g.fy, count(*) AS grants, sum(g.amount_awarded) AS amount,
           sum(g.amount_awarded * pp.population / NULLIF(ap.population, 0)) AS apportioned
    FROM places p
    JOIN in_range g ON (:level = 'lsoa' AND g.area_level IN ('ltla', 'utla') AND g.area_code IN (p.ltla, p.utla))
                    OR (:level = 'ltla' AND g.area_level = 'utla' AND g.area_code = p.utla AND g.ltla IS NULL)
    LEFT JOIN population pp ON pp.code = p.code
    LEFT JOIN authority_pop ap ON ap.code = g.area_code
    GROUP BY p.code, g.fy
),
years AS (SELECT generate_series(CAST(:from_year AS int), CAST(:to_year AS int)) AS fy)
SELECT p.code, p.ltla, p.utla, p.region, pop.population,
       coalesce(cv.funders, cc.funders) AS funders,
       y.fy, coalesce(l.grants, 0) AS grants, coalesce(l.amount, 0) AS amount,
       coalesce(c.grants, 0) AS coarser_grants, coalesce(c.amount, 0) AS coarser_amount,
       c.apportioned
FROM places p
CROSS JOIN years y
LEFT JOIN population pop ON pop.code = p.code
LEFT JOIN covered cv ON cv.code = p.code
LEFT JOIN county_covered cc ON cc.code = p.code
LEFT JOIN located l ON l.code = p.code AND l.fy = y.fy
LEFT JOIN coarser c ON c.code = p.code AND c.fy = y.fy
ORDER BY p.code, y.fy
