-- Loss between two years: the one definition /closures and the gap index share. A place of
-- :categories is open in a year when place_years says so (`statuses`, loss_statuses.sql); for
-- the small areas of the CTE `loss_origins` (code, origin), both defined by the including query
-- before this file, per small area:
--   before  places within :radius_m m (straight line, EPSG:27700) open in :loss_from
--   now     places within :radius_m m open in :year (access_ctes.sql's count_within)
--   lost    places counted in `before` not open in :year
-- A small area "lost every place" when before > 0 and now = 0.
loss_box AS (
    SELECT ST_Expand(ST_SetSRID(ST_Extent(origin)::geometry, 27700), :radius_m) AS box FROM loss_origins
),
held_pairs AS (  -- each small area near a place of `statuses`, through the origins' spatial index
    SELECT a.code, s.open_then, s.open_now
    FROM statuses s JOIN analysis_small_areas a ON ST_DWithin(a.origin, s.geom, :radius_m)
    WHERE s.geom && (SELECT box FROM loss_box)
),
held AS (
    SELECT o.code,
           count(*) FILTER (WHERE h.open_then) AS before,
           count(*) FILTER (WHERE h.open_now) AS now,
           count(*) FILTER (WHERE h.open_then AND NOT h.open_now) AS lost
    FROM loss_origins o LEFT JOIN held_pairs h USING (code)
    GROUP BY o.code
)
