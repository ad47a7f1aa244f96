-- Shared CTEs (spliced after WITH): the comparable units (each in one region: the successors of
-- a split authority share theirs) and every authority code each holds.
-- Parameters: :population_period; :unit_member/:unit_key (2023 UTLA → its unit when it shares
-- one); :pred_code/:pred_unit (an abolished authority → the unit now covering its area).
--
-- District (lower-tier) code → the English 2023 UTLA it lies in, as the lookups record it:
-- directly, or through the current district that replaced an abolished one (drkane's
-- LADCD → LADCD_ACTIVE, e.g. Allerdale → Cumberland).
district_utla AS (
    SELECT code, parent_code AS utla FROM area_lookups
    WHERE level = 'ltla' AND parent_level = 'utla' AND parent_code LIKE 'E%'
    UNION
    SELECT a.code, u.parent_code FROM area_lookups a
    JOIN area_lookups u ON u.code = a.parent_code AND u.level = 'ltla' AND u.parent_level = 'utla'
    WHERE a.level = 'ltla' AND a.parent_level = 'ltla' AND u.parent_code LIKE 'E%'
),
-- Mid-year population of every 2023 UTLA in England (and of its LTLAs), from its 2021 LSOAs.
ltla_population AS (
    SELECT h.ltla, h.utla, min(h.region) AS region, sum(i.value) AS population
    FROM area_hierarchy h
    JOIN indicators i ON i.area_code = h.code AND i.indicator = 'population'
                     AND i.period = :population_period
    WHERE h.level = 'lsoa' AND h.vintage = '2021-12' AND h.utla LIKE 'E%'
    GROUP BY h.ltla, h.utla
),
utla AS (
    SELECT utla AS code, min(region) AS region, sum(population) AS population
    FROM ltla_population GROUP BY utla
),
unit_of AS (
    SELECT u.code, COALESCE(m.unit, u.code) AS unit, u.region, u.population
    FROM utla u
    LEFT JOIN unnest(CAST(:unit_member AS text[]), CAST(:unit_key AS text[])) AS m(code, unit)
           ON m.code = u.code
),
units AS (
    SELECT unit, array_agg(code ORDER BY code) AS utlas, min(region) AS region,
           sum(population) AS population
    FROM unit_of GROUP BY unit
),
-- Every spending code that belongs to one unit: the UTLA itself, an abolished predecessor, or a
-- lower-tier district inside it (its spending on the same line counts for the area).
authority AS (
    SELECT code, unit FROM unit_of
    UNION
    SELECT p.code, p.unit
    FROM unnest(CAST(:pred_code AS text[]), CAST(:pred_unit AS text[])) AS p(code, unit)
    UNION
    SELECT d.code, u.unit FROM district_utla d JOIN unit_of u ON u.code = d.utla
)
