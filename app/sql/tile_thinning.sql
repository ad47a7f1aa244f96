-- Appended to app/sql/tile.sql's CTEs at a low zoom of a collection with points: of the points
-- that fall in one cell of :cell tile units (a screen pixel of a 256-pixel tile), one is kept,
-- carrying `point_count` (how many it stands for), as tippecanoe's and martin's users expect of
-- a low zoom: the z0 places tile carried every one of ~50,000 points (319 kB). Polygons pass
-- whole. Which point stands for its cell is fixed by the geometry order, so the same tile is the
-- same bytes. {names} lists geom and the columns as tile.sql's {columns} name them.
, cells AS (
    SELECT f.*, CASE WHEN GeometryType(f.geom) = 'POINT' THEN ST_SnapToGrid(f.geom, :cell) END AS cell
    FROM features f
    -- a point is drawn by its own tile only (not in its neighbours' buffers), so the point_counts
    -- of a map's tiles add up to every point once
    WHERE f.geom IS NOT NULL AND (GeometryType(f.geom) <> 'POINT'
          OR (ST_X(f.geom) >= 0 AND ST_X(f.geom) < :extent AND ST_Y(f.geom) >= 0 AND ST_Y(f.geom) < :extent))
), ranked AS (
    SELECT c.*, count(*) OVER w AS in_cell, row_number() OVER (w ORDER BY c.geom) AS nth
    FROM cells c
    WINDOW w AS (PARTITION BY c.cell)
), thinned AS (
    SELECT {names}, CASE WHEN cell IS NOT NULL THEN in_cell END AS point_count
    FROM ranked
    WHERE cell IS NULL OR nth = 1
)
