-- Deprivation of each comparable unit: the population-weighted mean of its districts' IoD
-- "average score" (LAD summaries, period :iod_period; weights: the mid-year population of each
-- district's 2021 LSOAs), ranked across England's units (1 = most deprived) and cut in tenths
-- (1 = the most deprived tenth). A unitary authority's score is its published one.
WITH {{spending_units}},
scored AS (
    SELECT u.unit,
           sum(p.population * s.value) / sum(p.population) FILTER (WHERE s.value IS NOT NULL) AS imd_score,
           count(*) AS districts, count(s.value) AS districts_scored
    FROM ltla_population p
    JOIN unit_of u ON u.code = p.utla
    LEFT JOIN indicators s ON s.area_code = p.ltla AND s.indicator = 'imd_average_score'
                          AND s.period = :iod_period
    GROUP BY u.unit
)
SELECT unit, imd_score, districts, districts_scored,
       rank() OVER (ORDER BY imd_score DESC) AS imd_rank,
       ntile(10) OVER (ORDER BY imd_score DESC) AS imd_tenth
FROM scored WHERE imd_score IS NOT NULL
