-- The small areas the layer computes (small_area_layer.sql), as the CTE `scoped` access_ctes.sql
-- reads: those carrying :scope_code (an LSOA, LTLA, UTLA or region code) or inside loaded area
-- :scope_area_id (as access_scope.sql), and those whose origin
-- or loaded boundary meets :scope_geojson (a WGS84 polygon covering a tile and its buffer, or a
-- bbox) — so a boundary reaching into a tile from an origin outside it is drawn there too; both
-- NULL = England. Each spatial branch is one index lookup.
scope_shape AS (
    SELECT ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(:scope_geojson), 4326), 27700) AS shape
),
scoped AS (
    SELECT s.* FROM analysis_small_areas s
    WHERE (CAST(:scope_code AS text) IS NULL OR :scope_code IN (s.code, s.ltla, s.utla, s.region))
      AND (CAST(:scope_area_id AS bigint) IS NULL
           OR EXISTS (SELECT 1 FROM areas a WHERE a.id = :scope_area_id AND ST_Intersects(a.geom_27700, s.origin)))
      AND (CAST(:scope_geojson AS text) IS NULL OR s.code IN (
          SELECT o.code FROM analysis_small_areas o, scope_shape WHERE ST_Intersects(o.origin, scope_shape.shape)
          UNION
          SELECT o.code FROM areas a JOIN analysis_small_areas o ON o.area_id = a.id, scope_shape
          WHERE ST_Intersects(a.geom_27700, scope_shape.shape)))
)
