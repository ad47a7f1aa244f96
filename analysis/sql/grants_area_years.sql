-- Grants per area and financial year, and per area over the range (analysis/grants.py;
-- docs/analysis/grants.md): CTEs included by grants_by_area.sql (GET /grants) and grants_layer.sql
-- (the `grants` collection), so both answer the same figures. `area_years` has one row per area
-- and year, `area_totals` one per area.
-- The level parameter is 'ltla', 'utla' (2023 authorities) or 'lsoa' (2021); the area parameter limits the rows to that
-- area or the areas inside it (NULL: all of England's), :within to those a tile can show. A grant counts towards an area when it
-- lands there or inside it (grants.ltla / grants.utla / an LSOA's own code); grants located by
-- the recipient's address alone never count (the "headquarters effect"). An area is covered
-- when a loaded file of some funder covers it (grant_coverage): the area itself, its UTLA (for an
-- LTLA or LSOA), or every LTLA of a county; elsewhere the figures are NULL (coverage_reason).
-- Grants stated only for an area coarser than the row's (a borough for an LSOA, a county for a
-- district) are never placed on it: they are summed in coarser_gbp, and only with
-- apportion = 'population' shared out by population into apportioned_gbp, marked so.
-- Per head: ÷ the newest mid-year population of the area's 2021 LSOAs. Real terms: amount ×
-- :prices_index / the deflator :deflator (an HMT table, analysis/sql/spending_deflator.sql) of
-- the year; NULL where the year has none, or :deflator is NULL (real figures not asked for).
-- Money is rounded to the penny, per head to 4 decimals (numeric: round(float8, int) does not exist).
pop_period AS (SELECT max(period) AS period FROM indicators WHERE indicator = 'population'),
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
      -- a map tile's: only the areas whose loaded boundary meets :within (a GeoJSON polygon; NULL: any)
      AND (CAST(:within AS text) IS NULL OR h.code IN (
          SELECT a.code FROM areas a WHERE a.level = :level AND a.geom && ST_GeomFromGeoJSON(:within)))
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
years AS (SELECT generate_series(CAST(:from_year AS int), CAST(:to_year AS int)) AS fy),
deflators AS (
    SELECT CAST(left(period, 4) AS int) AS fy, value FROM indicators
    WHERE area_code = :uk AND indicator = CAST(:deflator AS text) AND value <> 0
),
area_rows AS (
    SELECT p.code, p.ltla, p.utla, p.region, pop.population,
           coalesce(cv.funders, cc.funders) AS funders,
           y.fy, d.value AS deflator, coalesce(l.grants, 0) AS grants, coalesce(l.amount, 0) AS amount,
           coalesce(c.grants, 0) AS coarser_grants, coalesce(c.amount, 0) AS coarser_amount,
           CAST(coalesce(c.apportioned, 0) AS numeric) AS apportioned,
           coalesce(l.amount, 0) * CAST(:prices_index AS numeric) / CAST(d.value AS numeric) AS real_amount,
           CAST(NULLIF(pop.population, 0) AS numeric) AS heads
    FROM places p
    CROSS JOIN years y
    LEFT JOIN population pop ON pop.code = p.code
    LEFT JOIN covered cv ON cv.code = p.code
    LEFT JOIN county_covered cc ON cc.code = p.code
    LEFT JOIN located l ON l.code = p.code AND l.fy = y.fy
    LEFT JOIN coarser c ON c.code = p.code AND c.fy = y.fy
    LEFT JOIN deflators d ON d.fy = y.fy
),
area_years AS (  -- every figure NULL where the area is not covered
    SELECT code, ltla, utla, region, population, funders, funders IS NOT NULL AS covered, fy, deflator,
           CASE WHEN funders IS NOT NULL THEN grants END AS grants,
           CASE WHEN funders IS NOT NULL THEN round(amount, 2) END AS amount_gbp,
           CASE WHEN funders IS NOT NULL THEN round(amount / heads, 4) END AS per_head_gbp,
           CASE WHEN funders IS NOT NULL THEN round(real_amount, 2) END AS real_amount_gbp,
           CASE WHEN funders IS NOT NULL THEN round(real_amount / heads, 4) END AS real_per_head_gbp,
           CASE WHEN funders IS NOT NULL THEN coarser_grants END AS coarser_grants,
           CASE WHEN funders IS NOT NULL THEN round(coarser_amount, 2) END AS coarser_gbp,
           CASE WHEN funders IS NOT NULL AND CAST(:apportion AS text) IS NOT NULL
                THEN round(apportioned, 2) END AS apportioned_gbp, heads
    FROM area_rows
),
area_totals AS (  -- the range: per head per year (real only when every year has a deflator)
    SELECT code, ltla, utla, region, population, funders, covered,
           sum(grants) AS range_grants, sum(amount_gbp) AS range_amount_gbp,
           round(sum(amount_gbp) / count(*) / heads, 4) AS per_head_per_year_gbp,
           CASE WHEN count(real_amount_gbp) = count(*) THEN sum(real_amount_gbp) END AS range_real_amount_gbp,
           CASE WHEN count(real_amount_gbp) = count(*)
                THEN round(sum(real_amount_gbp) / count(*) / heads, 4) END AS real_per_head_per_year_gbp,
           sum(coarser_gbp) AS range_coarser_gbp, sum(apportioned_gbp) AS range_apportioned_gbp,
           round(sum(apportioned_gbp) / count(*) / heads, 4) AS apportioned_per_head_per_year_gbp
    FROM area_years
    GROUP BY code, ltla, utla, region, population, heads, funders, covered
)
