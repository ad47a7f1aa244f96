-- The polygon (GeoJSON, WGS84) a what-if is evaluated in: every small area within :near_m of a
-- closed place (:closed_ids) or an opened point (:opened_lon, :opened_lat).
SELECT ST_AsGeoJSON(ST_Transform(ST_Buffer(ST_Collect(geom), :near_m), 4326))
FROM (SELECT geom_27700 AS geom FROM places WHERE id = ANY(CAST(:closed_ids AS bigint[]))
      UNION ALL
      SELECT ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 27700)
      FROM unnest(CAST(:opened_lon AS float8[]), CAST(:opened_lat AS float8[])) AS o(lon, lat)) changed
