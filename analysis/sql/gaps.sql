-- GET /gaps: the GeoJSON features of the small areas in scope (access_ctes.sql), one per small
-- area, its loaded boundary or else its origin point (WGS84), built by PostGIS as text. Per
-- category (`by_category`, in the request's order): the nearest open place, the places within the
-- radius and those per 1,000 residents; `per_1000` the same of every category together.
-- `coverage` says whether the categories asked are known there in the year (covered, partial,
-- not_covered); where none is, the measures and the gap are null, and a category not known there
-- has `covered` false and null measures (docs/analysis.md, "Coverage").
WITH {{access_scope}},
{{access_ctes}},
{{gap_of_small_areas}},
by_category AS (
    SELECT code, json_object_agg(category, json_build_object(
               'weight', weight, 'covered', known, 'nearest_m', round(CAST(nearest_m AS numeric), 1),
               'nearest_place', CASE WHEN nearest_place_id IS NOT NULL
                                     THEN json_build_object('id', nearest_place_id, 'name', nearest_place_name) END,
               'count_within', count_within, 'per_1000', round(CAST(per_1000 AS numeric), 3))
               ORDER BY position) AS by_category
    FROM category_measured GROUP BY code
)
SELECT coalesce(string_agg(
    '{"type":"Feature","id":' || to_json(m.code)::text
    || ',"geometry":' || coalesce(ST_AsGeoJSON(a.geom, 6), ST_AsGeoJSON(ST_Transform(m.origin, 4326), 6))
    || ',"properties":' || json_build_object(
        'code', m.code, 'name', m.name, 'vintage', m.vintage, 'population', m.population,
        'imd_decile', m.imd_decile, 'ltla', m.ltla, 'utla', m.utla,
        'geometry_is', CASE WHEN a.id IS NULL THEN 'origin' ELSE 'boundary' END,
        'coverage', {{coverage_state}},
        'categories_counted', coalesce(m.counted, ARRAY[]::text[]),
        'nearest_m', round(CAST(m.nearest_m AS numeric), 1),
        'nearest_place', CASE WHEN m.nearest_place_id IS NOT NULL
                              THEN json_build_object('id', m.nearest_place_id, 'name', m.nearest_place_name) END,
        'count_within', m.count_within,
        'per_1000', round(CAST(1000.0 * m.count_within / nullif(m.population, 0) AS numeric), 3),
        'access', CASE WHEN m.counted IS NOT NULL THEN json_build_object(
                      'cumulative', m.cumulative, 'fca2', m.fca2, 'e2sfca', m.e2sfca, 'gravity', m.gravity) END,
        'by_category', c.by_category,
        'gap', g.gap)::text
    || '}', ',' ORDER BY m.code), '') AS features
FROM measured m
LEFT JOIN areas a ON a.id = m.area_id
LEFT JOIN gap g ON g.code = m.code
LEFT JOIN by_category c ON c.code = m.code
