-- A what-if's effect: the access of the small areas as stored (scenario_before) and with the
-- scenario applied (scenario_after), both temporary tables of access.sql rows, compared:
-- residents who gain or lose every place within the radius, the population-weighted mean 2SFCA
-- before and after, and every small area whose figures changed (its name, population and IMD
-- decile from analysis_small_areas). One JSON object. Small areas where no category asked is known
-- (coverage: access.sql's `counted` NULL) are not compared, only counted (small_areas_not_covered).
WITH evaluated AS (
    SELECT b.code, b.counted FROM scenario_before b
),
compared AS (
    SELECT b.code, s.name, s.population, s.imd_decile,
           b.nearest_m AS nearest_m_before, a.nearest_m AS nearest_m_after,
           b.nearest_place_id AS nearest_place_before, a.nearest_place_id AS nearest_place_after,
           b.count_within AS count_before, a.count_within AS count_after,
           b.fca2 AS fca2_before, a.fca2 AS fca2_after
    FROM scenario_before b JOIN scenario_after a USING (code)
    JOIN analysis_small_areas s USING (code)
    WHERE b.counted IS NOT NULL
),
changed AS (
    SELECT * FROM compared
    WHERE (nearest_m_before, nearest_place_before, count_before, fca2_before)
          IS DISTINCT FROM (nearest_m_after, nearest_place_after, count_after, fca2_after)
)
SELECT json_build_object(
    'small_areas_evaluated', (SELECT count(*) FROM compared),
    'small_areas_not_covered', (SELECT count(*) FROM evaluated WHERE counted IS NULL),
    'residents_losing', (SELECT coalesce(sum(population), 0) FROM compared
                         WHERE count_before > 0 AND count_after = 0),
    'residents_gaining', (SELECT coalesce(sum(population), 0) FROM compared
                          WHERE count_before = 0 AND count_after > 0),
    'fca2_before', (SELECT sum(fca2_before * population) / nullif(sum(population), 0) FROM compared),
    'fca2_after', (SELECT sum(fca2_after * population) / nullif(sum(population), 0) FROM compared),
    'changed', coalesce((SELECT json_agg(json_build_object(
        'code', code, 'name', name, 'population', population, 'imd_decile', imd_decile,
        'nearest_m_before', nearest_m_before, 'nearest_m_after', nearest_m_after,
        'nearest_place_before', nearest_place_before, 'nearest_place_after', nearest_place_after,
        'count_within_before', count_before, 'count_within_after', count_after,
        'fca2_before', fca2_before, 'fca2_after', fca2_after) ORDER BY code) FROM changed), '[]'))::text
