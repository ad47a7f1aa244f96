-- An area measure keyed by GSS codes (:codes, :values) carried to the comparable units the gap
-- index ranks (spending_units.sql): every code placed by the loaded lookups — an LSOA (2011 or
-- 2021) through area_hierarchy to its UTLA, a ward through a loaded LSOA → ward lookup (to the
-- UTLA of most of its LSOAs), a district (current or abolished) through district_utla, a UTLA or
-- abolished authority itself — and weighted by its mid-year population (an LSOA's, a ward's
-- LSOAs', a 2023 district's or UTLA's; an abolished authority's is not known: NULL).
-- Per unit only its finest codes count (LSOAs, else wards, else districts, else the authority),
-- so a file holding a county and its districts is not counted twice. value is the population-weighted
-- mean, or with :per_head the codes' sum over their population; a unit with a code of unknown
-- population takes the plain mean (weighted false), or per head no value.
WITH {{spending_units}},
{{validation_measure}},
lsoa AS (
    SELECT DISTINCT ON (m.code) m.code, m.value, u.unit, coalesce(p.value, s.population) AS weight, 1 AS fineness
    FROM measure m
    JOIN area_hierarchy h ON h.code = m.code AND h.level = 'lsoa'
    JOIN unit_of u ON u.code = h.utla
    LEFT JOIN analysis_small_areas s ON s.code = m.code
    LEFT JOIN indicators p ON p.area_code = m.code AND p.indicator = 'population' AND p.period = :population_period
    ORDER BY m.code, h.vintage DESC
),
ward_lsoa AS (  -- each LSOA of a ward the measure holds, by the lookup (ONS best fit: one ward an LSOA)
    SELECT l.parent_code AS ward, h.utla, coalesce(p.value, s.population) AS population
    FROM measure m
    JOIN area_lookups l ON l.parent_code = m.code AND l.level = 'lsoa' AND l.parent_level = 'ward'
    JOIN area_hierarchy h ON h.code = l.code AND h.level = 'lsoa' AND h.vintage = l.vintage
    LEFT JOIN analysis_small_areas s ON s.code = l.code
    LEFT JOIN indicators p ON p.area_code = l.code AND p.indicator = 'population' AND p.period = :population_period
),
ward AS (
    SELECT DISTINCT ON (w.ward) w.ward AS code, m.value, u.unit, w.weight, 2 AS fineness
    FROM (SELECT ward, utla, count(*) AS lsoas,
                 CASE WHEN bool_and(population IS NOT NULL) THEN sum(population) END AS weight
          FROM ward_lsoa GROUP BY ward, utla) w
    JOIN measure m ON m.code = w.ward
    JOIN unit_of u ON u.code = w.utla
    ORDER BY w.ward, w.lsoas DESC, w.utla
),
district AS (
    SELECT DISTINCT ON (m.code) m.code, m.value, u.unit, l.population AS weight, 3 AS fineness
    FROM measure m
    JOIN district_utla d ON d.code = m.code
    JOIN unit_of u ON u.code = d.utla
    LEFT JOIN (SELECT ltla, sum(population) AS population FROM ltla_population GROUP BY ltla) l ON l.ltla = m.code
    ORDER BY m.code
),
authority_level AS (
    SELECT m.code, m.value, a.unit, u.population AS weight, 4 AS fineness
    FROM measure m
    JOIN authority a ON a.code = m.code
    LEFT JOIN utla u ON u.code = m.code
    WHERE m.code NOT IN (SELECT code FROM lsoa UNION ALL SELECT code FROM ward UNION ALL SELECT code FROM district)
),
placed AS (
    SELECT * FROM lsoa UNION ALL SELECT * FROM ward UNION ALL SELECT * FROM district
    UNION ALL SELECT * FROM authority_level
),
finest AS (
    SELECT p.* FROM placed p
    WHERE p.fineness = (SELECT min(fineness) FROM placed q WHERE q.unit = p.unit)
)
SELECT f.unit, n.region, count(*) AS codes, bool_and(f.weight IS NOT NULL) AS weighted,
       CASE WHEN NOT bool_and(f.weight IS NOT NULL) THEN CASE WHEN NOT :per_head THEN avg(f.value) END
            WHEN :per_head THEN sum(f.value) / nullif(sum(f.weight), 0)
            ELSE sum(f.weight * f.value) / nullif(sum(f.weight), 0) END AS value
FROM finest f JOIN units n ON n.unit = f.unit
GROUP BY f.unit, n.region
ORDER BY f.unit
