-- One Mapbox Vector Tile at a low zoom of a collection with points (app/sql/tile.sql, thinned):
-- of the points that fall in one cell of :cell tile units (a screen pixel of a 256-pixel tile),
-- one is kept, carrying `point_count` (how many it stands for), as tippecanoe's and martin's
-- users expect of a low zoom: the z0 places tile carried every one of ~50,000 points (319 kB).
-- Polygons pass whole. Which point stands for its cell is fixed by the geometry order, so the
-- same tile is the same bytes. {names} lists geom and the columns, as tile.sql's {columns} name them.
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS tile,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS search
), placed AS (
    SELECT ST_AsMVTGeom({geometry}, bounds.tile, :extent, :buffer, true) AS geom{columns}
    FROM {table} t, bounds
    WHERE {column} && bounds.search AND {where}
), cells AS (
    SELECT p.*, CASE WHEN GeometryType(p.geom) = 'POINT' THEN ST_SnapToGrid(p.geom, :cell) END AS cell
    FROM placed p
    WHERE p.geom IS NOT NULL
), ranked AS (
    SELECT c.*, count(*) OVER w AS in_cell, row_number() OVER (w ORDER BY c.geom) AS nth
    FROM cells c
    WINDOW w AS (PARTITION BY c.cell)
), features AS (
    SELECT {names}, CASE WHEN cell IS NOT NULL THEN in_cell END AS point_count
    FROM ranked
    WHERE cell IS NULL OR nth = 1
)
SELECT coalesce(ST_AsMVT(features.*, :layer, :extent, 'geom', :feature_id), ''::bytea)
FROM features
