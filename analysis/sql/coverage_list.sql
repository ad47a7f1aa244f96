-- GET /coverage: every coverage claim (models/coverage.py) with its source, import run and the
-- small areas it covers; only those of :category (NULL: all) covering :year (NULL: any). As a JSON
-- array of objects (:geojson false) or a GeoJSON FeatureCollection whose geometry is the claim's
-- extent (analysis_coverage_extents; null when none of the areas it names is loaded), built by
-- PostgreSQL as text.
WITH claims AS (
    SELECT c.id, c.source, s.title, s.publisher, s.licence, c.categories, c.first_year, c.last_year,
           c.extent_kind, c.area_codes, c.basis, coalesce(e.small_areas, 0) AS small_areas,
           r.id AS import_run, r.file_name AS file, r.finished_at AS loaded_at, e.geom
    FROM coverage c
    JOIN import_runs r ON r.id = c.import_run_id
    JOIN sources s ON s.id = r.source_id
    LEFT JOIN analysis_coverage_extents e ON e.coverage_id = c.id
    WHERE (CAST(:category AS text) IS NULL OR :category = ANY(c.categories))
      AND (CAST(:year AS int) IS NULL OR :year BETWEEN c.first_year AND c.last_year)
),
described AS (
    SELECT id, geom, json_build_object(
        'id', id, 'source', source, 'title', title, 'publisher', publisher, 'licence', licence,
        'categories', categories, 'first_year', first_year, 'last_year', last_year,
        'extent_kind', extent_kind, 'area_codes', area_codes, 'basis', basis, 'small_areas', small_areas,
        'import_run', import_run, 'file', file, 'loaded_at', loaded_at) AS properties
    FROM claims
)
SELECT CASE WHEN :geojson THEN
    '{"type":"FeatureCollection","features":[' || coalesce(string_agg(
        '{"type":"Feature","id":' || id || ',"geometry":' || coalesce(ST_AsGeoJSON(geom, 5), 'null')
        || ',"properties":' || properties::text || '}', ',' ORDER BY id), '') || ']}'
ELSE coalesce(json_agg(properties ORDER BY id), '[]')::text END
FROM described
