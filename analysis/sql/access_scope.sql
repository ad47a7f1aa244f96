-- The small areas in scope of an access query, as the CTE `scoped` that access_ctes.sql reads:
-- :scope_code (an LSOA, LTLA, UTLA or region code they carry), :scope_area_id (any loaded area
-- containing their origins), :scope_geojson (a WGS84 polygon); all NULL = England.
-- A query may define `scoped` itself instead (any rows of analysis_small_areas, e.g. the origins
-- in a tile's box) and include access_ctes.sql after it.
scoped AS (
    SELECT s.* FROM analysis_small_areas s
    WHERE (CAST(:scope_code AS text) IS NULL OR :scope_code IN (s.code, s.ltla, s.utla, s.region))
      AND (CAST(:scope_area_id AS bigint) IS NULL
           OR EXISTS (SELECT 1 FROM areas a WHERE a.id = :scope_area_id AND ST_Intersects(a.geom_27700, s.origin)))
      AND (CAST(:scope_geojson AS text) IS NULL
           OR ST_Intersects(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(:scope_geojson), 4326), 27700), s.origin))
)
