-- One Mapbox Vector Tile of a collection (WebMercatorQuad z/x/y), built whole by PostGIS.
-- The search box is the tile (plus its buffer) moved to the stored SRID, so the GiST index on
-- the stored geometry picks the candidates; {geometry} may simplify boundaries to the tile's
-- pixel size; the feature id is the column :feature_id names (an integer id), if any.
-- No `WHERE geom IS NOT NULL`: ST_AsMVT skips the features clipped away by itself, and that
-- filter made PostgreSQL compute ST_AsMVTGeom twice per feature (once to filter, once to encode).
-- {thinning} is empty, or app/sql/tile_thinning.sql at low zooms ({drawn}: what it leaves).
-- {geometry}, {column}, {columns}, {table} and {where} come from the registry
-- and app/selection.py, never from a request; values are bound.
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS tile,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS search
), features AS (
    SELECT ST_AsMVTGeom({geometry}, bounds.tile, :extent, :buffer, true) AS geom{columns}
    FROM {table} t, bounds
    WHERE {column} && bounds.search AND {where}
){thinning}
SELECT coalesce(ST_AsMVT({drawn}.*, :layer, :extent, 'geom', :feature_id), ''::bytea)
FROM {drawn}
