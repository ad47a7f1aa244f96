-- Loss between two years: the one definition /closures and the gap index share. A place of
-- :categories is open in a year when place_years says so (`statuses`, loss_statuses.sql); for
-- the small areas of the CTE `loss_origins` (code, origin), both defined by the including query
-- before this file, per small area:
--   before  places within :radius_m m (straight line, EPSG:27700) open in :loss_from
--   now     places within :radius_m m open in :year (access_ctes.sql's count_within)
--   lost    places counted in `before` not open in :year
-- A small area "lost every place" when before > 0 and now = 0.
-- Coverage: only places of the categories known there in both years count (loss_categories, from
-- analysis_coverage); where none is, before/now/lost are NULL (not_covered): a closure is never
-- inferred from a year no source speaks for.
loss_counted_pairs AS MATERIALIZED (
    SELECT c.code, c.category FROM analysis_coverage c
    WHERE c.category = ANY(CAST(:categories AS text[]))
      AND c.years @> CAST(:loss_from AS int) AND c.years @> CAST(:year AS int)
      AND c.code IN (SELECT code FROM loss_origins)
),
loss_box AS (
    SELECT ST_Expand(ST_SetSRID(ST_Extent(origin)::geometry, 27700), :radius_m) AS box FROM loss_origins
),
held_pairs AS (  -- each small area near a place of `statuses`, through the origins' spatial index
    SELECT a.code, s.open_then, s.open_now
    FROM statuses s JOIN analysis_small_areas a ON ST_DWithin(a.origin, s.geom, :radius_m)
    JOIN loss_counted_pairs lc ON lc.code = a.code AND lc.category = s.category
    WHERE s.geom && (SELECT box FROM loss_box)
),
held AS (
    SELECT o.code, k.categories AS loss_categories,
           CASE WHEN k.code IS NOT NULL THEN count(h.code) FILTER (WHERE h.open_then) END AS before,
           CASE WHEN k.code IS NOT NULL THEN count(h.code) FILTER (WHERE h.open_now) END AS now,
           CASE WHEN k.code IS NOT NULL THEN count(h.code) FILTER (WHERE h.open_then AND NOT h.open_now) END AS lost
    FROM loss_origins o
    LEFT JOIN (SELECT code, array_agg(category ORDER BY category) AS categories
               FROM loss_counted_pairs GROUP BY code) k USING (code)
    LEFT JOIN held_pairs h USING (code)
    GROUP BY o.code, k.code, k.categories
)
