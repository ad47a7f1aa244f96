-- Closures between two years, for the small areas of an area (all of England when :area is NULL).
--
-- A place of :categories "closed" when place_years says it was open in :loss_from and closed or
-- temporarily closed in :year. A small area (analysis_small_areas origin) is covered in a year
-- when some place of :categories open that year lies within :radius_m metres of its origin
-- (straight line, EPSG:27700); its residents "lost every place" when it was covered in
-- :loss_from and is not in :year — loss_ctes.sql, the definition the gap index shares. Places are counted where their nearest small-area origin
-- is (so every place is in exactly one small area, authority and IMD decile).
-- Returns one row: the GeoJSON FeatureCollection of the closed places of the area with the
-- coverage figures overall, per IMD decile, per LTLA and per UTLA, as JSON text.
WITH
small_areas AS (  -- the base's origins, placed in the 2023 authorities by area_hierarchy (docs/rollups.md)
    SELECT s.code, s.population, s.imd_decile, s.origin, h.ltla, h.utla, h.region
    FROM analysis_small_areas s
    LEFT JOIN area_hierarchy h ON h.level = 'lsoa' AND h.code = s.code AND h.vintage = s.vintage
),
scope AS (
    SELECT * FROM small_areas
    WHERE CAST(:area AS text) IS NULL OR :area IN (code, ltla, utla, region)
),
{{loss_statuses}},
placed AS (  -- each place open in either year in the small area of its nearest origin
    SELECT s.id, s.open_then AS open_from, s.open_now AS open_to, s.status_now AS status_to,
           near.code AS small_area,
           s.open_then AND NOT s.open_now AND s.status_now IS NOT NULL AS closed,
           s.open_now AND NOT s.open_then AS opened
    FROM statuses s
    CROSS JOIN LATERAL (SELECT a.code FROM analysis_small_areas a
                        ORDER BY a.origin <-> s.geom LIMIT 1) near
),
closed AS (
    SELECT pl.*, p.name, p.category, p.source, p.closed_year, p.geom, p.geom_27700
    FROM placed pl JOIN places p ON p.id = pl.id JOIN scope s ON s.code = pl.small_area
    WHERE pl.closed
),
loss_origins AS (  -- the area's small areas, and those near its closed places (to say whom each affected)
    SELECT code, population, imd_decile, origin, ltla, utla, true AS in_scope FROM scope
    UNION ALL
    SELECT DISTINCT s.code, s.population, s.imd_decile, s.origin, a.ltla, a.utla, false
    FROM closed c JOIN analysis_small_areas s ON ST_DWithin(s.origin, c.geom_27700, :radius_m)
    JOIN small_areas a ON a.code = s.code
    WHERE s.code NOT IN (SELECT code FROM scope)
),
{{loss_ctes}},
coverage AS (  -- covered in a year: some place open that year within the radius (loss_ctes.sql)
    SELECT o.*, h.before > 0 AS covered_from, h.now > 0 AS covered_to
    FROM loss_origins o JOIN held h USING (code)
),
per_area AS (  -- each small area of the scope with its places counted where they are
    SELECT c.*, count(pl.id) FILTER (WHERE pl.open_from) AS places_from,
           count(pl.id) FILTER (WHERE pl.open_to) AS places_to,
           count(pl.id) FILTER (WHERE pl.closed) AS places_closed,
           count(pl.id) FILTER (WHERE pl.opened) AS places_opened
    FROM coverage c LEFT JOIN placed pl ON pl.small_area = c.code
    WHERE c.in_scope
    GROUP BY c.code, c.population, c.imd_decile, c.origin, c.ltla, c.utla, c.in_scope,
             c.covered_from, c.covered_to
),
figures AS (
    SELECT GROUPING(imd_decile) = 0 AS by_decile, GROUPING(ltla) = 0 AS by_ltla,
           GROUPING(utla) = 0 AS by_utla, imd_decile, ltla, utla,
           json_build_object(
               'small_areas', count(*),
               'residents', coalesce(sum(population), 0),
               'residents_covered_from', coalesce(sum(population) FILTER (WHERE covered_from), 0),
               'residents_covered_to', coalesce(sum(population) FILTER (WHERE covered_to), 0),
               'coverage_change', coalesce(sum(population) FILTER (WHERE covered_to), 0)
                                  - coalesce(sum(population) FILTER (WHERE covered_from), 0),
               'share_covered_from', round(sum(population) FILTER (WHERE covered_from)::numeric
                                           / nullif(sum(population), 0), 4),
               'share_covered_to', round(sum(population) FILTER (WHERE covered_to)::numeric
                                         / nullif(sum(population), 0), 4),
               'residents_lost_every_place',
                   coalesce(sum(population) FILTER (WHERE covered_from AND NOT covered_to), 0),
               'small_areas_lost_every_place', count(*) FILTER (WHERE covered_from AND NOT covered_to),
               'residents_gained_a_place',
                   coalesce(sum(population) FILTER (WHERE covered_to AND NOT covered_from), 0),
               'places_open_from', sum(places_from), 'places_open_to', sum(places_to),
               'places_closed', sum(places_closed), 'places_opened', sum(places_opened)) AS f
    FROM per_area
    GROUP BY GROUPING SETS ((), (imd_decile), (ltla), (utla))
),
authority_names AS (
    SELECT DISTINCT ON (code) code, name FROM areas
    WHERE level IN ('ltla', 'utla') AND vintage = '2023-12' ORDER BY code, level
),
served AS (  -- each closed place: the residents it served, and those left with no place
    SELECT c.id, sum(cv.population) AS residents_within,
           coalesce(sum(cv.population) FILTER (WHERE NOT cv.covered_to), 0) AS residents_lost_every_place
    FROM closed c JOIN analysis_small_areas o ON ST_DWithin(o.origin, c.geom_27700, :radius_m)
    JOIN coverage cv ON cv.code = o.code
    GROUP BY c.id
),
features AS (
    SELECT c.id, c.name, c.category, c.source, c.status_to, c.closed_year, c.small_area, c.geom,
           s.ltla, s.utla, s.imd_decile, coalesce(v.residents_within, 0) AS residents_within,
           coalesce(v.residents_lost_every_place, 0) AS residents_lost_every_place
    FROM closed c JOIN small_areas s ON s.code = c.small_area LEFT JOIN served v ON v.id = c.id
)
SELECT json_build_object(
    'type', 'FeatureCollection',
    'parameters', CAST(:parameters AS json),
    'summary', (SELECT f FROM figures WHERE NOT (by_decile OR by_ltla OR by_utla)),
    'by_imd_decile', (SELECT coalesce(json_agg(f::jsonb || jsonb_build_object('imd_decile', imd_decile)
                                               ORDER BY imd_decile), '[]')
                      FROM figures WHERE by_decile AND imd_decile IS NOT NULL),
    'by_ltla', (SELECT coalesce(json_agg(jsonb_build_object('code', ltla, 'name', n.name) || f::jsonb
                                         ORDER BY ltla), '[]')
                FROM figures LEFT JOIN authority_names n ON n.code = ltla WHERE by_ltla AND ltla IS NOT NULL),
    'by_utla', (SELECT coalesce(json_agg(jsonb_build_object('code', utla, 'name', n.name) || f::jsonb
                                         ORDER BY utla), '[]')
                FROM figures LEFT JOIN authority_names n ON n.code = utla WHERE by_utla AND utla IS NOT NULL),
    'features', (SELECT coalesce(json_agg(json_build_object(
        'type', 'Feature', 'id', id, 'geometry', ST_AsGeoJSON(geom, 6)::json,
        'properties', json_build_object(
            'id', id, 'name', name, 'category', category, 'source', source,
            'status_to', status_to, 'closed_year', closed_year,
            'small_area', small_area, 'imd_decile', imd_decile, 'ltla', ltla, 'utla', utla,
            'residents_within', residents_within,
            'residents_lost_every_place', residents_lost_every_place)) ORDER BY id), '[]')
        FROM features)
)::text
