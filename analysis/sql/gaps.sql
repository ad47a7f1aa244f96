-- GET /gaps: the GeoJSON features of the small areas in scope (access_ctes.sql), one per small
-- area, its loaded boundary or else its origin point (WGS84), built by PostGIS as text. `coverage`
-- says whether the categories asked are known there in the year (covered, partial, not_covered);
-- where none is, the measures and the gap are null (docs/analysis.md, "Coverage").
WITH {{access_scope}},
{{access_ctes}},
{{gap_of_small_areas}}
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
        'access', CASE WHEN m.counted IS NOT NULL THEN json_build_object(
                      'cumulative', m.cumulative, 'fca2', m.fca2, 'e2sfca', m.e2sfca, 'gravity', m.gravity) END,
        'gap', g.gap)::text
    || '}', ',' ORDER BY m.code), '') AS features
FROM measured m
LEFT JOIN areas a ON a.id = m.area_id
LEFT JOIN gap g ON g.code = m.code
